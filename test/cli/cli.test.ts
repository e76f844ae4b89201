/**
 * The built command (`node dist/cli.js`), run as a user runs it: exit codes, the text
 * and JSON formats, the `rule` command, bad paths and rule selection. `npm test` builds
 * dist/ before mocha runs; run `npm run build` first when running this file alone.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JsonReport } from '../../server/src/cli/formatters/json';
import { RULES } from '../../server/src/core/rules/registry';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function initwise(args: readonly string[], cwd: string, env: Record<string, string> = {}): Run {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Files written into a fresh folder for each run of this suite. */
const FILES: Record<string, string> = {
  'clean.netdef': ['network clean framework=keras {', '  input 64', '  dense 64 activation=relu init=he_normal', '  dense 10 activation=softmax init=glorot_uniform', '}', ''].join('\n'),
  // Glorot under ReLU, written explicitly: IW101, info: the two-layer network ends inside the band (issue 13).
  'mismatch.netdef': ['network mismatch framework=keras {', '  input 64', '  dense 64 activation=relu init=glorot_uniform', '  dense 10 activation=softmax init=glorot_uniform', '}', ''].join('\n'),
  // The same mistake over twelve layers: the signal leaves the band, IW101 is a warning (with IW201 and IW203).
  'deep.netdef': ['network deep framework=keras {', '  input 64', '  repeat 12 {', '    dense 64 activation=relu init=glorot_uniform', '  }', '  dense 10 activation=softmax init=glorot_uniform', '}', ''].join('\n'),
  // PyTorch's implicit default under ReLU: IW301 (info) only.
  'defaults.netdef': ['network defaults framework=pytorch {', '  input 64', '  dense 64 activation=relu', '  dense 10 activation=softmax init=xavier_uniform', '}', ''].join('\n'),
  'broken.netdef': ['network broken {', '  input 64', '  dense 64 activation=relu init=he_normal', ''].join('\n'),
  // A repeat block (3 weight layers from one statement) and an astral-plane comment
  // before the flagged range, so UTF-16 columns differ from code points and bytes.
  'repeat.netdef': [
    'network stack framework=keras {',
    '  input 32',
    '  repeat 3 {',
    '    dense 32 activation=relu init=he_normal',
    '  }',
    '  # 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 comment: ✓ 模型',
    '  dense 32 activation=relu init=glorot_uniform',
    '  dense 4 activation=softmax init=glorot_uniform',
    '}',
    '',
  ].join('\n'),
  // Astral-plane characters on the line of the range itself: a stray emoji is a syntax error.
  'emoji.netdef': ['network e {', '  input 8', '  dense 8 activation=relu init=he_normal 🎉 🎉', '  dense 8 activation=relu init=he_normal', '}', ''].join('\n'),
  'model.py': 'import torch\n',
};

describe('initwise CLI (dist/cli.js)', function () {
  this.timeout(30000);
  let dir: string;

  before(function () {
    if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it) before these tests');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-cli-'));
    for (const [name, text] of Object.entries(FILES)) fs.writeFileSync(path.join(dir, name), text);
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('basics', () => {
    it('prints its version and help', () => {
      const version = initwise(['--version'], dir);
      assert.equal(version.status, 0);
      const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
      assert.equal(version.stdout, `initwise ${pkg.version}\n`);
      const help = initwise(['--help'], dir);
      assert.equal(help.status, 0);
      assert.match(help.stdout, /initwise check \[PATH \.\.\.\]/);
    });

    it('exits 2 with a one-line reason on a usage error', () => {
      for (const args of [['check', '--format', 'xml'], ['frobnicate'], ['check', '--nope'], ['check', '--unsafe-fixes'], []]) {
        const run = initwise(args, dir);
        assert.equal(run.status, 2, `initwise ${args.join(' ')}`);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, /^initwise: [^\n]+\n$/, `initwise ${args.join(' ')}: ${run.stderr}`);
      }
    });
  });

  describe('exit codes', () => {
    it('0 and "All checks passed." for a clean design', () => {
      const run = initwise(['check', 'clean.netdef'], dir);
      assert.equal(run.stderr, '');
      assert.equal(run.stdout, 'All checks passed.\n');
      assert.equal(run.status, 0);
    });

    it('1 for a warning', () => {
      const run = initwise(['check', 'deep.netdef'], dir);
      assert.equal(run.status, 1, run.stdout + run.stderr);
    });

    it('1 for a syntax error', () => {
      const run = initwise(['check', 'broken.netdef'], dir);
      assert.equal(run.status, 1);
      assert.match(run.stdout, /^broken\.netdef:\d+:\d+: IW001 \[error\] /m);
    });

    it('0 when the only findings are info', () => {
      const run = initwise(['check', 'defaults.netdef'], dir);
      assert.match(run.stdout, /IW301 \[info\]/);
      assert.doesNotMatch(run.stdout, /\[(warning|error)\]/);
      assert.equal(run.status, 0);
    });

    it('--exit-zero reports findings but exits 0', () => {
      const run = initwise(['check', 'deep.netdef', '--exit-zero'], dir);
      assert.match(run.stdout, /IW101 \[warning\]/);
      assert.equal(run.status, 0);
    });

    it('2 for an unreadable path, after checking the other paths', () => {
      for (const extra of [[], ['--exit-zero']]) {
        const run = initwise(['check', 'mismatch.netdef', 'missing.netdef', 'clean.netdef', ...extra], dir);
        assert.equal(run.status, 2);
        assert.match(run.stdout, /^mismatch\.netdef:3:\d+: IW101 \[info\]/m);
        assert.match(run.stdout, /Found \d+ findings? in 1 file /);
        assert.equal(run.stderr, 'initwise: missing.netdef: no such file or directory\n');
      }
    });

    it('checks a folder recursively, .py files included (they yield nothing yet)', () => {
      const run = initwise(['check', '.', '--format', 'json'], dir);
      const report = JSON.parse(run.stdout) as JsonReport;
      assert.deepEqual(report.files.map((f) => f.path), [
        'broken.netdef', 'clean.netdef', 'deep.netdef', 'defaults.netdef', 'emoji.netdef', 'mismatch.netdef', 'model.py', 'repeat.netdef',
      ]);
      const py = report.files.find((f) => f.path === 'model.py')!;
      assert.deepEqual(py, { path: 'model.py', networks: [], diagnostics: [] });
      assert.equal(run.status, 1);
    });
  });

  describe('text format', () => {
    it('prints location, code, severity, message, carets, fixes and a summary', () => {
      const run = initwise(['check', 'mismatch.netdef'], dir);
      const lines = run.stdout.split('\n');
      const source = FILES['mismatch.netdef']!.split('\n')[2]!;
      const column = source.indexOf('glorot_uniform') + 1;
      const header = lines.findIndex((l) => l.startsWith(`mismatch.netdef:3:${column}: IW101 [info] `));
      assert.ok(header >= 0, run.stdout);
      assert.equal(lines[header + 1], '  |');
      assert.equal(lines[header + 2], `3 | ${source}`);
      assert.equal(lines[header + 3], `  | ${' '.repeat(column - 1)}${'^'.repeat('glorot_uniform'.length)}`);
      assert.match(run.stdout, /^ {2}= fix \((safe|unsafe)\): .+$/m);
      assert.match(lines[lines.length - 2]!, /^Found \d+ findings? in 1 file \(\d+ errors?, \d+ warnings?, \d+ info\)\.$/);
      assert.equal(lines[lines.length - 1], '');
    });

    it('never colours a pipe', () => {
      assert.ok(!initwise(['check', '.'], dir).stdout.includes('\u001b['));
    });
  });

  describe('json format', () => {
    let report: JsonReport;

    before(() => {
      const run = initwise(['check', 'repeat.netdef', 'mismatch.netdef', '--format', 'json'], dir);
      assert.equal(run.stderr, '');
      // Both networks end inside the band: their init findings are info (issue 13).
      assert.equal(run.status, 0);
      report = JSON.parse(run.stdout) as JsonReport;
    });

    it('has version 1 and one entry per file, in the order given', () => {
      assert.equal(report.version, 1);
      assert.deepEqual(report.files.map((f) => f.path), ['repeat.netdef', 'mismatch.netdef']);
    });

    it('lists one layer per weight layer, a repeat block giving one entry per repetition', () => {
      const [network] = report.files[0]!.networks;
      assert.ok(network);
      assert.equal(network.name, 'stack');
      assert.equal(network.line, 1);
      assert.equal(network.framework, 'keras');
      assert.deepEqual(network.layers.map((l) => l.line), [4, 4, 4, 7, 8]);
      assert.deepEqual(network.layers.map((l) => [l.kind, l.fanIn, l.fanOut, l.activation]), [
        ['dense', 32, 32, 'relu'],
        ['dense', 32, 32, 'relu'],
        ['dense', 32, 32, 'relu'],
        ['dense', 32, 32, 'relu'],
        ['dense', 32, 4, 'softmax'],
      ]);
      for (const layer of network.layers) {
        assert.deepEqual(Object.keys(layer).sort(), [
          'activation', 'fanIn', 'fanOut', 'forwardVariance', 'gradientVariance', 'initializer', 'kind', 'line', 'weightVariance',
        ]);
        for (const key of ['weightVariance', 'forwardVariance', 'gradientVariance'] as const) {
          assert.equal(typeof layer[key], 'number', `${key} of the layer on line ${layer.line}`);
        }
      }
      // he_normal: Var(W) = 2/fan_in exactly; glorot_uniform: 2/(fan_in + fan_out).
      assert.ok(Math.abs(network.layers[0]!.weightVariance! - 2 / 32) < 1e-12);
      assert.ok(Math.abs(network.layers[3]!.weightVariance! - 2 / 64) < 1e-12);
      // Unit-variance input into a he_normal layer (zero bias): fan_in·Var(W)·E[x²] = 32·(2/32)·1 = 2.
      assert.ok(Math.abs(network.layers[0]!.forwardVariance! - 2) < 1e-6, String(network.layers[0]!.forwardVariance));
    });

    it('gives 1-based lines and UTF-16 columns, after an astral-plane comment', () => {
      const diagnostics = report.files[0]!.diagnostics.filter((d) => d.code === 'IW101');
      assert.equal(diagnostics.length, 1);
      const d = diagnostics[0]!;
      const lines = FILES['repeat.netdef']!.split('\n');
      const column = lines[6]!.indexOf('glorot_uniform') + 1;
      assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [7, column, 7, column + 'glorot_uniform'.length]);
      assert.equal(d.name, 'init-activation-mismatch');
      assert.equal(d.severity, 'info', 'the network ends inside the band (issue 13: severity follows impact)');
      assert.ok(d.message.length > 0);
    });

    it('counts columns in UTF-16 units on a line with astral-plane characters', () => {
      const run = initwise(['check', 'emoji.netdef', '--format', 'json'], dir);
      const d = (JSON.parse(run.stdout) as JsonReport).files[0]!.diagnostics.find((x) => x.code === 'IW001' && x.line === 3);
      assert.ok(d, run.stdout);
      const line = FILES['emoji.netdef']!.split('\n')[2]!;
      assert.equal(d.column, line.indexOf('🎉') + 1);
      assert.equal(d.endLine, 3);
      const covered = line.slice(d.column - 1, d.endColumn - 1);
      assert.ok(covered.startsWith('🎉'), `range covers '${covered}'`);
      // A range ending inside a surrogate pair would mean columns were counted in code points.
      assert.ok(!/[\ud800-\udbff]$/.test(covered), 'range ends inside a surrogate pair');
    });

    it('describes fixes as edits that can be applied by line and column', () => {
      const d = report.files[1]!.diagnostics.find((x) => x.code === 'IW101')!;
      assert.ok(d.fixes.length > 0);
      for (const fix of d.fixes) {
        assert.ok(fix.title.length > 0);
        assert.ok(['safe', 'unsafe', 'display-only'].includes(fix.applicability));
        for (const edit of fix.edits) {
          assert.deepEqual(Object.keys(edit).sort(), ['column', 'endColumn', 'endLine', 'line', 'newText']);
          assert.ok(edit.line >= 1 && edit.column >= 1);
        }
      }
      const lines = FILES['mismatch.netdef']!.split('\n');
      const edit = d.fixes[0]!.edits[0]!;
      const fixed = lines[edit.line - 1]!.slice(0, edit.column - 1) + edit.newText + lines[edit.endLine - 1]!.slice(edit.endColumn - 1);
      assert.doesNotMatch(fixed, /glorot_uniform/);
    });
  });

  describe('rule selection', () => {
    const codes = (args: string[]) =>
      (JSON.parse(initwise(['check', 'mismatch.netdef', 'defaults.netdef', 'broken.netdef', '--format', 'json', ...args], dir).stdout) as JsonReport).files
        .flatMap((f) => f.diagnostics.map((d) => d.code))
        .sort();

    it('selects and ignores by code and prefix, ignore winning', () => {
      const all = codes([]);
      assert.ok(all.includes('IW001') && all.includes('IW101') && all.includes('IW301'), all.join());
      assert.deepEqual(codes(['--select', 'IW1']), all.filter((c) => c.startsWith('IW1')));
      assert.deepEqual(codes(['--select', 'IW101,IW301']), all.filter((c) => c === 'IW101' || c === 'IW301'));
      assert.deepEqual(codes(['--ignore', 'IW101']), all.filter((c) => c !== 'IW101'));
      assert.deepEqual(codes(['--select', 'IW101', '--ignore', 'IW101']), []);
    });

    it('turns the exit code with the selection', () => {
      assert.equal(initwise(['check', 'deep.netdef', '--ignore', 'IW1,IW2'], dir).status, 0);
      assert.equal(initwise(['check', 'deep.netdef', '--select', 'IW101'], dir).status, 1);
    });

    it('warns about a selector that matches no rule', () => {
      const run = initwise(['check', 'clean.netdef', '--select', 'IW8'], dir);
      assert.match(run.stderr, /--select IW8 matches no rule/);
    });
  });

  describe('rule command', () => {
    it('prints the docs of a rule', () => {
      const run = initwise(['rule', 'iw101'], dir);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^# IW101: init-activation-mismatch\n/);
      for (const section of ['What it does', 'Why it matters', 'Example', 'Use instead', 'Fix safety', 'When not to apply', 'References']) {
        assert.match(run.stdout, new RegExp(`^## ${section}$`, 'm'));
      }
    });

    it('exits 2 and lists the codes for an unknown code', () => {
      const run = initwise(['rule', 'IW999'], dir);
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /unknown rule code 'IW999'/);
      for (const rule of RULES) assert.ok(run.stderr.includes(rule.meta.code), rule.meta.code);
    });
  });
  describe('a reader that closes standard output early', () => {
    it('stops with status 2 and a one-line reason, not a crash (`initwise check . --format json | head`)', async () => {
      // Output far larger than a pipe's buffer, so writing is still going on when the reader leaves.
      const big = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-epipe-'));
      for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(big, `deep${i}.netdef`), FILES['deep.netdef']!);
      const child = spawn(process.execPath, [cli, 'check', '.', '--format', 'json', '--no-cache'], { cwd: big, env: { ...process.env, NO_COLOR: '' } });
      let stderr = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => { stderr += chunk; });
      child.stdout.once('data', () => child.stdout.destroy());
      const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      fs.rmSync(big, { recursive: true, force: true });
      assert.equal(status, 2, stderr);
      assert.equal(stderr, 'initwise: output not written: the reader of standard output closed it\n');
    });
  });
});
