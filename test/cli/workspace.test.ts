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

  describe('an init method the module defines and an importer calls (`model.init_weights()` in train.py)', () => {
    const models = (init: string) => [
      'import torch.nn as nn',
      '',
      '',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc1 = nn.Linear(512, 512)',
      '        self.fc2 = nn.Linear(512, 10)',
      '',
      '    def init_weights(self):',
      `        ${init}`,
      '',
      '    def forward(self, x):',
      '        return self.fc2(self.fc1(x).relu())',
      '',
    ].join('\n');
    const train = ['from models import Net', '', 'model = Net()', 'model.init_weights()', ''].join('\n');

    it('runs when the importer calls it; read alone, the layers it sets are unknown, not PyTorch defaults', () => {
      const dir = project({ 'models.py': models("nn.init.kaiming_normal_(self.fc1.weight, nonlinearity='relu')"), 'train.py': train });
      assert.equal(initwise(['check', '.', '--no-cache'], dir).stdout, 'All checks passed.\n');
      assert.equal(initwise(['check', 'models.py', '--no-cache'], dir).stdout, 'All checks passed.\n');
    });

    it('judges what it sets when the importer calls it, in the module\'s file', () => {
      const dir = project({ 'models.py': models('nn.init.xavier_uniform_(self.fc1.weight)'), 'train.py': train });
      const run = initwise(['check', '.', '--no-cache'], dir);
      assert.match(run.stdout, /^models\.py:11:9: IW101 .*\(reached from model model in train\.py\)$/m);
      assert.match(run.stdout, /Found 1 finding in 1 file/);
    });
  });

  describe('--fix and --diff on findings reached in an imported module', () => {
    const block = (init: string) => [
      'import torch.nn as nn',
      '',
      '',
      'class Block(nn.Module):',
      '    def __init__(self, width, act):',
      '        super().__init__()',
      '        self.fc = nn.Linear(width, width)',
      '        self.act = act',
      `        ${init}`,
      '',
      '    def forward(self, x):',
      '        return self.act(self.fc(x))',
      '',
    ].join('\n');
    const importer = (act: string) => [
      'import torch.nn as nn',
      'from layers import Block',
      '',
      '',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      `        self.block = Block(256, nn.${act}())`,
      '        self.out = nn.Linear(256, 10)',
      '',
      '    def forward(self, x):',
      '        return self.out(self.block(x))',
      '',
    ].join('\n');
    const XAVIER = 'nn.init.xavier_normal_(self.fc.weight)';
    const KAIMING = 'nn.init.kaiming_normal_(self.fc.weight, nonlinearity="relu")';

    it('applies the fix to the module once, however many importers reached it; a second run changes nothing', () => {
      const dir = project({ 'layers.py': block(XAVIER), 'a.py': importer('ReLU'), 'b.py': importer('ReLU') });
      const diff = initwise(['check', '.', '--diff', '--unsafe-fixes'], dir);
      assert.equal(diff.status, 1, diff.stderr);
      assert.match(diff.stdout, /--- a\/layers\.py\n\+\+\+ b\/layers\.py\n[\s\S]*-        nn\.init\.xavier_normal_\(self\.fc\.weight\)\n\+        nn\.init\.kaiming_normal_\(self\.fc\.weight, nonlinearity="relu"\)/);
      assert.match(diff.stdout, /Would fix 1 finding in 1 file\./);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), block(XAVIER), '--diff writes nothing');
      const fixed = initwise(['check', '.', '--fix', '--unsafe-fixes'], dir);
      assert.equal(fixed.status, 0, fixed.stderr);
      assert.match(fixed.stdout, /Fixed 1 finding in 1 file\./);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), block(KAIMING));
      const again = initwise(['check', '.', '--fix', '--unsafe-fixes'], dir);
      assert.match(again.stdout, /Fixed 0 findings in 0 files\./);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), block(KAIMING));
    });

    it('leaves the module alone when the files of the run disagree about it (one passes ReLU, another Tanh)', () => {
      const dir = project({ 'layers.py': block(XAVIER), 'a.py': importer('ReLU'), 'b.py': importer('Tanh') });
      const fixed = initwise(['check', '.', '--fix', '--unsafe-fixes'], dir);
      assert.equal(fixed.status, 0, fixed.stderr);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), block(XAVIER));
      assert.match(fixed.stdout, /layers\.py:9:9: IW101/, 'the finding is still reported');
    });
  });

  describe('IW901 on a module\'s suppression that silences only what an importer reaches', () => {
    const layers = (comment: string, extra = '') => [
      'import torch.nn as nn',
      '',
      '',
      'class ConvBlock(nn.Module):',
      '    def __init__(self, cin, cout):',
      '        super().__init__()',
      '        self.conv = nn.Conv2d(cin, cout, 3, padding=1)',
      '        self.act = nn.ReLU()',
      `        nn.init.xavier_normal_(self.conv.weight)  ${comment}`,
      `        self.extra = nn.Identity()${extra}`,
      '',
      '    def forward(self, x):',
      '        return self.act(self.conv(x))',
      '',
    ].join('\n');
    const main = [
      'import torch.nn as nn',
      'from layers import ConvBlock',
      '',
      '',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.block = ConvBlock(3, 64)',
      '        self.fc = nn.Linear(64, 10)',
      '',
      '    def forward(self, x):',
      '        return self.fc(self.block(x))',
      '',
    ].join('\n');

    it('is not reported, nor removed by --fix, when the importer\'s analysis uses it; checked alone, the module still reports it', () => {
      const text = layers('# initwise: ignore[IW101]');
      const dir = project({ 'layers.py': text, 'main.py': main });
      const run = initwise(['check', '.'], dir);
      assert.equal(run.stdout, 'All checks passed.\n', run.stdout + run.stderr);
      // Warm, every file answered from the result cache: the entry keeps what the importer silenced.
      assert.equal(initwise(['check', '.'], dir).stdout, 'All checks passed.\n', 'warm run');
      const fixed = initwise(['check', '.', '--fix'], dir);
      assert.match(fixed.stdout, /Fixed 0 findings in 0 files\./);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), text);
      // Without the importer in the run nothing uses it: reported (the CLI cannot know of importers it was not given).
      assert.match(initwise(['check', 'layers.py'], dir).stdout, /layers\.py:9:51: IW901/);
    });

    it('keeps the real IW901s: a code no analysis silenced, and a comment nothing used', () => {
      const dir = project({ 'layers.py': layers('# initwise: ignore[IW101, IW102]', '  # initwise: ignore[IW301]'), 'main.py': main });
      const run = initwise(['check', '.', '--select', 'IW101,IW102,IW301,IW901'], dir);
      assert.match(run.stdout, /layers\.py:9:51: IW901 \[info\] Unused suppression: IW102 is not reported on this line\./);
      assert.match(run.stdout, /layers\.py:10:37: IW901 \[info\] Unused suppression: IW301 is not reported on this line\./);
      assert.doesNotMatch(run.stdout, /IW101 is not reported/);
      initwise(['check', '.', '--fix', '--select', 'IW101,IW102,IW301,IW901'], dir);
      assert.equal(fs.readFileSync(path.join(dir, 'layers.py'), 'utf8'), layers('# initwise: ignore[IW101]'));
    });
  });
});
