/**
 * The CLI's two Python parsers (issue 16, cli/pythonParser.ts): the native tree-sitter
 * binding where it loads, else web-tree-sitter. Whole runs of the real CLI over every
 * fixture and example print exactly the same report under both, on the main thread and on
 * worker threads (each loads its own native binding: Node-API modules are context-aware).
 * Where the binding is not installed (a copy of dist/ with no node_modules beside it, as
 * in the .vsix, or an install whose node-gyp build failed) the CLI falls back on
 * WebAssembly silently, and says so under INITWISE_DEBUG=parser.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const INPUTS = [path.join(ROOT, 'test', 'fixtures'), path.join(ROOT, 'examples')];

function runCli(cli: string, args: readonly string[], env: NodeJS.ProcessEnv): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [cli, ...args], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: { ...process.env, NO_COLOR: '1', INITWISE_PARSER: '', INITWISE_DEBUG: '', ...env },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe('initwise check: the native and the WebAssembly parser', function () {
  this.timeout(300_000);
  const cli = path.join(DIST, 'cli.js');
  const check = (jobs: string, env: NodeJS.ProcessEnv) => runCli(cli, ['check', ...INPUTS, '--format', 'json', '--no-cache', '--exit-zero', '--jobs', jobs], env);

  before(function () {
    if (!fs.existsSync(path.join(DIST, 'cliMain.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it) before these tests');
    const probe = runCli(cli, ['check', path.join(ROOT, 'examples'), '--no-cache', '--exit-zero'], { INITWISE_DEBUG: 'parser' });
    if (!probe.stderr.includes('native tree-sitter binding')) {
      console.warn(`    native tree-sitter binding not loadable, skipped: ${probe.stderr.trim()}`);
      this.skip();
    }
  });

  for (const jobs of ['1', '2']) {
    it(`prints the same report under both (--jobs ${jobs})`, () => {
      const native = check(jobs, { INITWISE_PARSER: 'native', INITWISE_DEBUG: 'parser' });
      const wasm = check(jobs, { INITWISE_PARSER: 'wasm', INITWISE_DEBUG: 'parser' });
      assert.equal(native.status, 0, native.stderr);
      assert.equal(wasm.status, 0, wasm.stderr);
      // Which parser each thread loaded (the main thread, or each worker).
      assert.match(native.stderr, /^initwise: Python parser: native tree-sitter binding$/m);
      assert.doesNotMatch(native.stderr, /web-tree-sitter/);
      assert.match(wasm.stderr, /^initwise: Python parser: web-tree-sitter \(WebAssembly\); native binding not used: INITWISE_PARSER=wasm$/m);
      assert.doesNotMatch(wasm.stderr, /native tree-sitter binding$/m);
      const report = JSON.parse(native.stdout) as { files: { diagnostics?: unknown[] }[] };
      const findings = report.files.reduce((n, file) => n + (file.diagnostics?.length ?? 0), 0);
      assert.ok(findings > 100, `only ${findings} findings`);
      assert.equal(native.stdout, wasm.stdout);
    });
  }

  it('an unknown INITWISE_PARSER is refused, Python files are left unanalysed and it says why', () => {
    const result = runCli(cli, ['check', path.join(ROOT, 'examples'), '--no-cache', '--exit-zero'], { INITWISE_PARSER: 'rust' });
    assert.match(result.stderr, /INITWISE_PARSER must be native, wasm or auto, not "rust"/);
  });
});

describe('initwise check: without the native binding (the .vsix, a failed node-gyp build)', function () {
  this.timeout(300_000);
  let dist: string;

  before(() => {
    if (!fs.existsSync(path.join(DIST, 'cliMain.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it) before these tests');
    // The bundles alone, in a folder with no node_modules above it: `require('tree-sitter')` fails.
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-no-native-'));
    for (const file of fs.readdirSync(DIST)) {
      if (/\.(js|wasm)$/.test(file)) fs.copyFileSync(path.join(DIST, file), path.join(dist, file));
    }
  });
  after(() => {
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('falls back on WebAssembly silently, with the same report, and says why under INITWISE_DEBUG=parser', () => {
    const args = ['check', ...INPUTS, '--format', 'json', '--no-cache', '--exit-zero', '--jobs', '1'];
    const alone = runCli(path.join(dist, 'cli.js'), args, {});
    assert.equal(alone.status, 0, alone.stderr);
    assert.equal(alone.stderr, '');
    const debug = runCli(path.join(dist, 'cli.js'), args, { INITWISE_DEBUG: 'parser' });
    assert.match(debug.stderr, /^initwise: Python parser: web-tree-sitter \(WebAssembly\); native binding not used: Cannot find module 'tree-sitter/m);
    const reference = runCli(path.join(DIST, 'cli.js'), args, { INITWISE_PARSER: 'wasm' });
    assert.equal(alone.stdout, reference.stdout);
    assert.ok(alone.stdout.length > 10_000);
  });

  it('INITWISE_PARSER=native refuses the fallback: Python files are not analysed, and it says so', () => {
    const result = runCli(path.join(dist, 'cli.js'), ['check', path.join(ROOT, 'examples'), '--no-cache', '--exit-zero'], { INITWISE_PARSER: 'native' });
    assert.match(result.stderr, /the Python parser could not be loaded; Python files are not analysed: the native tree-sitter binding did not load \(INITWISE_PARSER=native\)/);
  });
});
