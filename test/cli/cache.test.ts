/**
 * The result cache of `initwise check` (cli/cache.ts, issue 16): a warm run answers from
 * `.initwise_cache/` with exactly what a fresh analysis says, an edit to the file or to
 * its configuration is never answered from it, `--no-cache` neither reads nor writes it,
 * git ignores it, and concurrent runs leave whole entries only. The built CLI is run as
 * users run it (`npm run build` first when running this file alone), plus in-process runs
 * without a Python parser: a Python file can only have findings there if they came from
 * the cache.
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

const codes = (stdout: string) => (JSON.parse(stdout) as { files: { diagnostics: { code: string }[] }[] }).files.flatMap((file) => file.diagnostics.map((d) => d.code));

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

  it('keeps whole entries when runs write it at the same time', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`m${i}.py`] = i % 2 === 0 ? MODEL : FIXED;
    const dir = project(files);
    const fresh = initwise(['check', '--no-cache'], dir);
    const runs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<string>((resolve) => {
            const child = spawn(process.execPath, [CLI, 'check'], { cwd: dir, env: { ...process.env, NO_COLOR: '' } });
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
            child.on('close', () => resolve(out));
          }),
      ),
    );
    for (const out of runs) assert.equal(out, fresh.stdout);
    assert.equal(entries(dir).filter((entry) => entry.endsWith('.tmp')).length, 0);
    assert.equal(entries(dir).length, 30);
    assert.equal(initwise(['check'], dir).stdout, fresh.stdout);
  });
});
