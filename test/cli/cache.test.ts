/**
 * The result cache of `initwise check` (cli/cache.ts, issue 16): a warm run answers from
 * `.initwise_cache/` with exactly what a fresh analysis says, an edit to the file or to
 * its configuration is never answered from it, `--no-cache` neither reads nor writes it,
 * git ignores it, and concurrent runs leave whole entries only. The built CLI is run as
 * users run it (`npm run build` first when running this file alone), plus in-process runs
 * without a Python parser: a Python file can only have findings there if they came from
 * the cache. Results that read the project's own modules are cached too, keyed on those
 * modules: editing, deleting or creating one (an import looked for it) is never answered
 * from the cache.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CACHE_DIR_NAME } from '../../server/src/cli/cache';
import { run } from '../../server/src/cli/run';
import { loadPythonSupport } from '../../server/src/host/treeSitter';
import { CLI, initwise, project } from './support';

/** Glorot under ReLU (IW101) in PyTorch: a finding in a Python file. */
const MODEL = [
  'import torch.nn as nn',
  '',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.fc1 = nn.Linear(512, 512)',
  '        self.fc2 = nn.Linear(512, 10)',
  '        nn.init.xavier_uniform_(self.fc1.weight)',
  '',
  '    def forward(self, x):',
  '        return self.fc2(self.fc1(x).relu())',
  '',
].join('\n');

/** The same model with He init: the IW101 finding is gone. */
const FIXED = MODEL.replace('nn.init.xavier_uniform_(self.fc1.weight)', "nn.init.kaiming_uniform_(self.fc1.weight, nonlinearity='relu')");

/** `initwise check` in-process; `python: false` runs it with no Python parser at all. */
async function checkInProcess(dir: string, args: readonly string[], python: boolean): Promise<{ status: number; stdout: string }> {
  let stdout = '';
  const support = python ? await loadPythonSupport() : undefined;
  const status = await run(['check', ...args], {
    stdout: (text) => (stdout += text),
    stderr: () => undefined,
    cwd: dir,
    isTTY: false,
    env: { NO_COLOR: '' },
    ...(support ? { python: support } : {}),
  });
  return { status, stdout };
}

/** A project whose model imports a block and a width from its own modules (blocks.py, config.py). */
const BLOCKS = [
  'import torch.nn as nn',
  '',
  '',
  'class Block(nn.Module):',
  '    def __init__(self, width):',
  '        super().__init__()',
  '        self.fc = nn.Linear(width, width)',
  '        nn.init.xavier_uniform_(self.fc.weight)',
  '',
  '    def forward(self, x):',
  '        return self.fc(x).relu()',
  '',
].join('\n');

/** Block(256) is judged whatever config.py holds; HIDDEN's layer only when config.py gives its width. */
const IMPORTER = [
  'import torch.nn as nn',
  '',
  'from blocks import Block',
  'from config import HIDDEN',
  '',
  '',
  'class Net(nn.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.first = Block(256)',
  '        self.hidden = nn.Linear(HIDDEN, HIDDEN)',
  '        nn.init.normal_(self.hidden.weight, std=0.01)',
  '        self.out = nn.Linear(256, 10)',
  '',
  '    def forward(self, x):',
  '        return self.out(self.hidden(self.first(x)).relu())',
  '',
].join('\n');

/** Each finding as `path:line code`, in report order. */
const located = (stdout: string) =>
  (JSON.parse(stdout) as { files: { path: string; diagnostics: { code: string; line: number }[] }[] }).files.flatMap((file) => file.diagnostics.map((d) => `${file.path}:${d.line} ${d.code}`));

const codes = (stdout: string) => (JSON.parse(stdout) as { files: { diagnostics: { code: string }[] }[] }).files.flatMap((file) => file.diagnostics.map((d) => d.code));

/** `initwise check` as a child process that runs beside others; its stdout. */
function spawnCheck(dir: string): Promise<string> {
  return new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'check'], { cwd: dir, env: { ...process.env, NO_COLOR: '' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', () => resolve(out));
  });
}

function entries(dir: string): string[] {
  const top = path.join(dir, CACHE_DIR_NAME);
  if (!fs.existsSync(top)) return [];
  return fs.readdirSync(top, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => fs.readdirSync(path.join(top, e.name)).map((name) => path.join(top, e.name, name)));
}

describe('CLI result cache', () => {
  it('answers a warm run from the cache: Python findings without a Python parser', async () => {
    const dir = project({ 'model.py': MODEL });
    const cold = await checkInProcess(dir, ['--format', 'json'], true);
    assert.deepEqual(codes(cold.stdout), ['IW101']);
    const warm = await checkInProcess(dir, ['--format', 'json'], false);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(warm.status, cold.status);
    // --no-cache analyses afresh: with no parser, the Python file yields nothing.
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json', '--no-cache'], false)).stdout), []);
  });

  it('never answers an edited file, or a file whose configuration changed, from the cache', async () => {
    const dir = project({ 'model.py': MODEL });
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json'], true)).stdout), ['IW101']);
    fs.writeFileSync(path.join(dir, 'model.py'), FIXED);
    // Without a parser, a stale entry would still say IW101; the edited file must miss.
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json'], false)).stdout), []);
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json'], true)).stdout), []);

    fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json'], true)).stdout), ['IW101']);
    fs.writeFileSync(path.join(dir, 'initwise.toml'), 'ignore = ["IW101"]\n');
    assert.deepEqual(codes((await checkInProcess(dir, ['--format', 'json'], true)).stdout), []);
  });

  it('gives the built CLI the same report warm as cold, and --no-cache writes nothing', () => {
    const dir = project({ 'model.py': MODEL, 'pkg/other.py': FIXED, 'net.netdef': 'network n framework=keras {\n  input 8\n  dense 8 activation=relu init=glorot_uniform\n}\n' });
    const fresh = initwise(['check', '--no-cache'], dir);
    assert.deepEqual(entries(dir), []);
    assert.equal(fs.existsSync(path.join(dir, CACHE_DIR_NAME)), false);
    const cold = initwise(['check'], dir);
    assert.equal(entries(dir).length, 3);
    const warm = initwise(['check'], dir);
    for (const run of [cold, warm]) {
      assert.equal(run.stdout, fresh.stdout);
      assert.equal(run.status, fresh.status);
    }
    // A damaged entry is a miss, never a crash or a wrong answer.
    for (const entry of entries(dir)) fs.writeFileSync(entry, 'not an entry');
    const damaged = initwise(['check'], dir);
    assert.equal(damaged.stdout, fresh.stdout);
    assert.equal(damaged.stderr, '');
  });

  it('is ignored by git through its own .gitignore', () => {
    const dir = project({ 'model.py': MODEL });
    initwise(['check'], dir);
    assert.equal(fs.readFileSync(path.join(dir, CACHE_DIR_NAME, '.gitignore'), 'utf8'), '# Automatically created by initwise.\n*\n');
    const git = spawnSync('git', ['init', '-q'], { cwd: dir });
    if (git.status !== 0) return; // no git on this machine: the file content above is the contract
    const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8' });
    assert.equal(status.stdout, '?? model.py\n');
  });

  it('answers a model that imports the project\'s modules from the cache, with the findings it reached inside them', async () => {
    const dir = project({ 'model.py': IMPORTER, 'blocks.py': BLOCKS, 'config.py': 'HIDDEN = 512\n' });
    // Only model.py is checked: the block's finding reaches blocks.py through the import.
    const cold = await checkInProcess(dir, ['model.py', '--format', 'json'], true);
    assert.deepEqual(located(cold.stdout), ['model.py:12 IW101', 'model.py:12 IW105', 'blocks.py:8 IW101']);
    const warm = await checkInProcess(dir, ['model.py', '--format', 'json'], false);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(warm.status, cold.status);
    // The built CLI, text output: warm as cold as fresh, with one entry for the one checked file.
    const fresh = initwise(['check', 'model.py', '--no-cache'], dir);
    assert.match(fresh.stdout, /blocks\.py:8:9: IW101/);
    assert.equal(initwise(['check', 'model.py'], dir).stdout, fresh.stdout);
    assert.equal(entries(dir).length, 2); // the in-process runs' build and the built CLI's
    assert.equal(initwise(['check', 'model.py'], dir).stdout, fresh.stdout);
  });

  it('never answers from the cache once an imported module is edited', async () => {
    const dir = project({ 'model.py': IMPORTER, 'blocks.py': BLOCKS, 'config.py': 'HIDDEN = 512\n' });
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW101', 'model.py:12 IW105', 'blocks.py:8 IW101']);
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS.replace('nn.init.xavier_uniform_(self.fc.weight)', "nn.init.kaiming_uniform_(self.fc.weight, nonlinearity='relu')"));
    // Without a parser a stale entry would still say what the old block did; the run must miss.
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], false)).stdout), []);
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW101', 'model.py:12 IW105']);
    // And the width the model imports: at 20,000, std=0.01 gives fan_in·Var(W) = 2, what ReLU wants (IW101 gone).
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 20000\n');
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], false)).stdout), []);
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW105']);
    assert.deepEqual(located(initwise(['check', 'model.py', '--format', 'json'], dir).stdout), ['model.py:12 IW105']);
  });

  it('never answers from the cache once a module an import looked for and did not find is created', async () => {
    const dir = project({ 'model.py': IMPORTER, 'blocks.py': BLOCKS });
    // No config.py: HIDDEN is unknown, so only the block built at width 256 is judged.
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['blocks.py:8 IW101']);
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], false)).stdout), ['blocks.py:8 IW101']);
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 512\n');
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], false)).stdout), []);
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW101', 'model.py:12 IW105', 'blocks.py:8 IW101']);
  });

  it('never answers from the cache once a module is created where Python looks before the one it found', () => {
    // config is found in src/ (an import root after the project's own folder), after looking for ./config.py.
    const dir = project({ 'model.py': IMPORTER, 'blocks.py': BLOCKS, 'src/config.py': 'HIDDEN = 512\n' });
    const before = initwise(['check', 'model.py', '--format', 'json'], dir);
    assert.deepEqual(located(before.stdout), ['model.py:12 IW101', 'model.py:12 IW105', 'blocks.py:8 IW101']);
    assert.equal(initwise(['check', 'model.py', '--format', 'json'], dir).stdout, before.stdout);
    // ./config.py now shadows src/config.py: at 20,000, std=0.01 is what ReLU wants (IW101 gone).
    fs.writeFileSync(path.join(dir, 'config.py'), 'HIDDEN = 20000\n');
    assert.deepEqual(located(initwise(['check', 'model.py', '--format', 'json'], dir).stdout), ['model.py:12 IW105', 'blocks.py:8 IW101']);
  });

  it('never answers from the cache once an imported module is deleted', async () => {
    const dir = project({ 'model.py': IMPORTER, 'blocks.py': BLOCKS, 'config.py': 'HIDDEN = 512\n' });
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW101', 'model.py:12 IW105', 'blocks.py:8 IW101']);
    fs.rmSync(path.join(dir, 'blocks.py'));
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], false)).stdout), []);
    assert.deepEqual(located((await checkInProcess(dir, ['model.py', '--format', 'json'], true)).stdout), ['model.py:12 IW101', 'model.py:12 IW105']);
    // The built CLI likewise, warm run first.
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS);
    const withBlock = initwise(['check', 'model.py'], dir);
    assert.match(withBlock.stdout, /blocks\.py:8:9: IW101/);
    assert.equal(initwise(['check', 'model.py'], dir).stdout, withBlock.stdout);
    fs.rmSync(path.join(dir, 'blocks.py'));
    const without = initwise(['check', 'model.py'], dir);
    assert.doesNotMatch(without.stdout, /blocks\.py/);
    assert.equal(without.stdout, initwise(['check', 'model.py', '--no-cache'], dir).stdout);
  });

  it('keys entries on the project root imports resolve from (the working folder), not only on the configuration', async () => {
    // One initwise.toml above both working folders: both runs use the same cache folder.
    const dir = project({ 'initwise.toml': '', 'config.py': 'HIDDEN = 512\n', 'app/model.py': IMPORTER, 'app/blocks.py': BLOCKS });
    // From the top, `config` is the top's config.py; from app/, Python would not find it.
    assert.deepEqual(located((await checkInProcess(dir, ['app/model.py', '--format', 'json'], true)).stdout), ['app/model.py:12 IW101', 'app/model.py:12 IW105', 'app/blocks.py:8 IW101']);
    assert.deepEqual(located((await checkInProcess(path.join(dir, 'app'), ['model.py', '--format', 'json'], false)).stdout), []);
    assert.deepEqual(located((await checkInProcess(path.join(dir, 'app'), ['model.py', '--format', 'json'], true)).stdout), ['blocks.py:8 IW101']);
  });

  it('keeps whole entries when runs that read imported modules write it at the same time', async () => {
    const files: Record<string, string> = { 'blocks.py': BLOCKS, 'config.py': 'HIDDEN = 512\n' };
    for (let i = 0; i < 30; i++) files[`apps/m${i}.py`] = i % 2 === 0 ? IMPORTER : IMPORTER.replace('Block(256)', 'Block(128)');
    const dir = project(files);
    const fresh = initwise(['check', '--no-cache'], dir);
    assert.match(fresh.stdout, /blocks\.py:8:9: IW101/);
    const runs = await Promise.all([0, 1, 2].map(() => spawnCheck(dir)));
    for (const out of runs) assert.equal(out, fresh.stdout);
    assert.equal(entries(dir).filter((entry) => entry.endsWith('.tmp')).length, 0);
    assert.equal(entries(dir).length, 32);
    assert.equal(initwise(['check'], dir).stdout, fresh.stdout);
    // Edited while warm: every importer misses and says what the edited block does.
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS.replace('nn.init.xavier_uniform_(self.fc.weight)', "nn.init.kaiming_uniform_(self.fc.weight, nonlinearity='relu')"));
    const edited = await Promise.all([0, 1].map(() => spawnCheck(dir)));
    const freshEdited = initwise(['check', '--no-cache'], dir).stdout;
    assert.doesNotMatch(freshEdited, /blocks\.py:8:9/);
    for (const out of edited) assert.equal(out, freshEdited);
    assert.equal(initwise(['check'], dir).stdout, freshEdited);
  });

  it('keeps whole entries when runs write it at the same time', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`m${i}.py`] = i % 2 === 0 ? MODEL : FIXED;
    const dir = project(files);
    const fresh = initwise(['check', '--no-cache'], dir);
    const runs = await Promise.all([0, 1, 2].map(() => spawnCheck(dir)));
    for (const out of runs) assert.equal(out, fresh.stdout);
    assert.equal(entries(dir).filter((entry) => entry.endsWith('.tmp')).length, 0);
    assert.equal(entries(dir).length, 30);
    assert.equal(initwise(['check'], dir).stdout, fresh.stdout);
  });
});
