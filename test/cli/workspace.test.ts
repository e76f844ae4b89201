/**
 * `initwise check` on a project whose models import their blocks, constants and packages
 * from its own modules (test/fixtures/workspace/project): relative imports, a config module,
 * a src/ layout through pyproject.toml, a star import of a package, a cycle, a missing
 * module. A finding inside an imported block is reported in the block's file, once, also
 * when that file is checked too. Golden files: UPDATE_GOLDEN=1 rewrites them.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initwise, project, ROOT } from './support';
import { folderFiles } from '../support/workspace';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'workspace');
const PROJECT = path.join(FIXTURE, 'project');

function golden(name: string, actual: string): void {
  const file = path.join(FIXTURE, name);
  if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(file, actual);
  assert.equal(actual, fs.readFileSync(file, 'utf8'), `${name} (UPDATE_GOLDEN=1 to refresh after reading the diff)`);
}

describe('CLI: the workspace, not one file', function () {
  this.timeout(60_000);

  it('checks the whole project: each finding in the file and on the line that wrote it, once', () => {
    const run = initwise(['check', '.'], PROJECT);
    assert.equal(run.status, 1, run.stderr);
    golden('check-project.golden.txt', run.stdout);
  });

  it('checks only main.py: the block\'s finding is still reported in the block\'s file', () => {
    const run = initwise(['check', 'main.py'], PROJECT);
    // Info findings only: the exit status is clean (spec/cli.md); what is reported is the golden file.
    assert.equal(run.status, 0, run.stderr);
    golden('check-main.golden.txt', run.stdout);
  });

  it('one module cache per thread across the files of a run: the same findings on 2 worker threads', () => {
    // 30 copies of the importer: enough files for worker threads (PARALLEL_THRESHOLD) with --jobs 2.
    const files = folderFiles(PROJECT);
    for (let i = 0; i < 30; i++) files[`apps/app${i}.py`] = files['main.py']!.replace('from config import', 'from config import');
    const dir = project(files);
    const serial = initwise(['check', '.', '--jobs', '1'], dir);
    const parallel = initwise(['check', '.', '--jobs', '2'], dir);
    assert.equal(parallel.stdout, serial.stdout);
    assert.match(serial.stdout, /src\/blocks\/layers\.py:17:9: IW101/);
    // The block's finding, reached by 31 importers, is reported once.
    assert.equal(serial.stdout.match(/src\/blocks\/layers\.py:17:9: IW101/g)?.length, 1);
  });

  it('a notebook imports the project\'s modules as a .py file beside it does: the widths it passes, the finding in the module\'s file', () => {
    const files = folderFiles(PROJECT);
    const cells = [
      { cell_type: 'markdown', metadata: {}, source: ['# Training'] },
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['import torch.nn as nn\n', 'from blocks.layers import ConvBlock\n'] },
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['model = nn.Sequential(ConvBlock(3, 16), nn.Flatten(), nn.Linear(16, 10))\n'] },
    ];
    files['notebooks/train.ipynb'] = JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }, null, 1);
    const dir = project(files);
    const run = initwise(['check', 'notebooks/train.ipynb', '--format', 'json'], dir);
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { files: { path: string; networks?: { name: string; layers: { file?: string; fans?: unknown }[] }[]; diagnostics: { code: string; line: number; message: string }[] }[] };
    const notebook = report.files.find((f) => f.path === 'notebooks/train.ipynb');
    const conv = notebook?.networks?.[0]?.layers[0];
    assert.equal(conv?.file, 'src/blocks/layers.py', run.stdout);
    const layers = report.files.find((f) => f.path === 'src/blocks/layers.py');
    const finding = layers?.diagnostics.find((d) => d.code === 'IW101');
    assert.equal(finding?.line, 17, run.stdout);
    assert.match(finding?.message ?? "", /27→144 relu layer.*reached from model model in notebooks\/train\.ipynb/);
  });
});
