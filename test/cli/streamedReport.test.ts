/**
 * A large .netdef file's findings are streamed into the text and GitHub report (check.ts
 * STREAM_MIN_BYTES, issue 12). The report must not change: with every .netdef streamed
 * (threshold 0) and with none streamed, `initwise check` gives the same exit status,
 * stdout and stderr, byte for byte, on the examples, generated files, a file with
 * suppression comments, a broken file, a Python file beside them, and a missing path.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateNetdef } from '../../bench/generateNetdef';
import { run } from '../../server/src/cli/run';
import { loadPythonSupport } from '../../server/src/host/treeSitter';
import { manyNetworks } from '../hostile/inputs';
import { MIXED, project, ROOT } from './support';

async function check(dir: string, args: readonly string[], streamMinBytes: number): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const python = await loadPythonSupport();
  const status = await run(['check', ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: dir,
    isTTY: false,
    env: { NO_COLOR: '' },
    python,
  }, { streamMinBytes });
  return { status, stdout, stderr };
}

describe('cli: findings streamed into the report are the report (issue 12)', () => {
  const examples = Object.fromEntries(
    fs.readdirSync(path.join(ROOT, 'examples')).filter((name) => name.endsWith('.netdef')).map((name) => [`examples/${name}`, fs.readFileSync(path.join(ROOT, 'examples', name), 'utf8')]),
  );
  const dir = project({
    ...examples,
    'generated.netdef': generateNetdef(2000),
    'many.netdef': manyNetworks(20, 5),
    'mixed.netdef': MIXED,
    'suppressed.netdef': MIXED.replace('init=glorot_uniform', 'init=glorot_uniform  # initwise: ignore[IW101]') + '# initwise: ignore-file[IW999]\n',
    'broken.netdef': 'network a {\n  input 8\n  dense activation=relu\n  dense 32 activation=tanh init=he_normal\n',
    'model.py': 'import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(8, 8), nn.ReLU())\n',
  });

  for (const args of [['.'], ['.', '--format', 'github'], ['.', '--select', 'IW101,IW001'], ['.', '--exit-zero'], ['mixed.netdef', 'missing.netdef'], ['--format', 'github', 'mixed.netdef', 'suppressed.netdef']]) {
    it(`initwise check ${args.join(' ')}`, async () => {
      const streamed = await check(dir, [...args, '--no-cache'], 0);
      const collected = await check(dir, [...args, '--no-cache'], Number.POSITIVE_INFINITY);
      assert.ok(collected.stdout.length > 0);
      assert.deepEqual(streamed, collected);
    });
  }
});
