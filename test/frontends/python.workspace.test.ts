/**
 * The workspace, not one file (issue 11, item 1): a Python document's imports of its own
 * project's modules are read with the same interpreter, through the host's provider
 * (test/support/workspace.ts holds the files in memory). What cannot be read — a missing
 * module, a cycle, a star import of an unknown module — stays unknown.
 */
import * as assert from 'node:assert/strict';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { WeightLayer } from '../../server/src/core/ir';
import { pythonSupport } from '../support/python';
import { MemoryFiles } from '../support/workspace';

const HEADER = 'import torch.nn as nn\n\n';

/** A block whose Glorot init sits before a ReLU: IW101 on the init line once its widths are known. */
const LAYERS = `${HEADER}
class ConvBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.act = nn.ReLU()
        nn.init.xavier_normal_(self.conv.weight)

    def forward(self, x):
        return self.act(self.conv(x))
`;

const net = (imports: string, block: string) => `${HEADER}${imports}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = ${block}
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(self.block(x))
`;

/** A model whose hidden width is the constant `expr`: normal_(std=0.01) under ReLU, judged only when the width is known. */
const widthModel = (imports: string, expr: string) => `${HEADER}${imports}


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(${expr}, ${expr})
        self.act = nn.ReLU()
        self.out = nn.Linear(${expr}, 10)
        nn.init.normal_(self.fc.weight, std=0.01)

    def forward(self, x):
        return self.out(self.act(self.fc(x)))
`;

function layers(result: AnalysisResult): WeightLayer[] {
  return result.networks.flatMap((n) => n.layers);
}

describe('Python: imports of the workspace\'s own modules', function () {
  this.timeout(60_000);
  let support: PythonSupport;
  before(async () => {
    support = await pythonSupport();
  });

  const run = (files: MemoryFiles, document: string) => analyze({ text: files.text(document), languageId: 'python', python: files.python(support, document) });

  it('a relative import: the block\'s layer is a layer of the model, with the widths the model passes, and its finding is in the block\'s file', () => {
    const files = new MemoryFiles({ 'pkg/__init__.py': '', 'pkg/layers.py': LAYERS, 'pkg/net.py': net('from .layers import ConvBlock', 'ConvBlock(3, 64)') });
    const result = run(files, 'pkg/net.py');
    const conv = layers(result).find((l) => l.kind === 'conv2d');
    assert.deepEqual(conv?.fans, { fanIn: 27, fanOut: 576 });
    assert.equal(result.findings.filter((f) => f.code === 'IW101').length, 0, 'nothing is reported on the document\'s lines for the block');
    const imported = result.imported.find((m) => m.path === '/project/pkg/layers.py');
    const finding = imported?.findings.find((f) => f.code === 'IW101');
    assert.ok(finding, JSON.stringify(result.imported));
    assert.equal(LAYERS.slice(finding.span.start, finding.span.end), 'nn.init.xavier_normal_(self.conv.weight)');
    assert.match(finding.message, /reached from model Net in pkg\/net\.py/);
    const edit = finding.fixes.find((f) => f.applicability === 'unsafe')!.edits[0]!;
    assert.equal(LAYERS.slice(edit.span.start, edit.span.end).length > 0, true, 'the fix edits the block\'s file');
    assert.deepEqual(imported!.reachedBy.map((r) => ({ call: files.text('pkg/net.py').slice(r.call.start, r.call.end), network: r.network })), [{ call: 'ConvBlock(3, 64)', network: 'Net' }]);
  });

  it('without the workspace the same document reads the block as unknown (no layer)', () => {
    const text = net('from .layers import ConvBlock', 'ConvBlock(3, 64)');
    const result = analyze({ text, languageId: 'python', python: support });
    assert.equal(layers(result).some((l) => l.kind === 'conv2d'), false);
    assert.deepEqual(result.imported, []);
    assert.deepEqual(result.dependencies, []);
  });

  it('`from ..config import HIDDEN`, `from config import HIDDEN`, `import config as cfg`: the constant is the width', () => {
    const cases: [string, string, string][] = [
      ['pkg/sub/model.py', 'from ..config import HIDDEN', 'HIDDEN'],
      ['model.py', 'from config import HIDDEN', 'HIDDEN'],
      ['model.py', 'import config as cfg', 'cfg.HIDDEN'],
      ['model.py', 'import config', 'config.HIDDEN'],
    ];
    for (const [document, imports, expr] of cases) {
      const config = document.startsWith('pkg/') ? 'pkg/config.py' : 'config.py';
      const files = new MemoryFiles({ 'pkg/__init__.py': '', 'pkg/sub/__init__.py': '', [config]: 'HIDDEN = 512\n', [document]: widthModel(imports, expr) });
      const result = run(files, document);
      assert.deepEqual(layers(result)[0]?.fans, { fanIn: 512, fanOut: 512 }, `${imports}`);
      assert.ok(result.findings.some((f) => f.code === 'IW101'), `${imports}: judged at width 512`);
    }
  });

  it('`import models.resnet as R`, `from models import resnet`, `import models.resnet`: classes and builder functions through the module', () => {
    const resnet = `${LAYERS}\n\ndef block64():\n    return ConvBlock(3, 64)\n`;
    for (const [imports, block] of [
      ['import models.resnet as R', 'R.ConvBlock(3, 64)'],
      ['from models import resnet', 'resnet.ConvBlock(3, 64)'],
      ['import models.resnet', 'models.resnet.ConvBlock(3, 64)'],
      ['from models.resnet import block64', 'block64()'],
    ]) {
      // A namespace package (no __init__.py), as small projects have.
      const files = new MemoryFiles({ 'models/resnet.py': resnet, 'main.py': net(imports!, block!) });
      const result = run(files, 'main.py');
      assert.deepEqual(layers(result).find((l) => l.kind === 'conv2d')?.fans, { fanIn: 27, fanOut: 576 }, imports);
    }
  });

  it('src/ layouts and the package directories pyproject.toml names (setuptools, Poetry, Hatch)', () => {
    const layouts: Record<string, string>[] = [
      { 'src/blocks/__init__.py': '', 'src/blocks/layers.py': LAYERS },
      { 'pyproject.toml': '[tool.setuptools]\npackage-dir = {"" = "lib"}\n', 'lib/blocks/__init__.py': '', 'lib/blocks/layers.py': LAYERS },
      { 'pyproject.toml': '[tool.setuptools.packages.find]\nwhere = ["code"]\n', 'code/blocks/layers.py': LAYERS },
      { 'pyproject.toml': '[tool.poetry]\npackages = [{ include = "blocks", from = "python" }]\n', 'python/blocks/layers.py': LAYERS },
      { 'pyproject.toml': '[tool.hatch.build.targets.wheel]\npackages = ["pkgs/blocks"]\n', 'pkgs/blocks/layers.py': LAYERS },
      { 'pyproject.toml': '[tool.setuptools]\npackage-dir = {"blocks" = "elsewhere/b"}\n', 'elsewhere/b/layers.py': LAYERS },
    ];
    for (const layout of layouts) {
      const files = new MemoryFiles({ ...layout, 'scripts/train.py': net('from blocks.layers import ConvBlock', 'ConvBlock(3, 64)') });
      const result = run(files, 'scripts/train.py');
      assert.ok(layers(result).some((l) => l.kind === 'conv2d'), JSON.stringify(Object.keys(layout)));
    }
  });

  it('a missing module, an import cycle and a star import of an unknown module leave the width unknown (no finding, no hang)', () => {
    const cycle = new MemoryFiles({
      'a.py': 'from b import DEPTH\nWIDTH = DEPTH * 64\n',
      'b.py': 'from a import WIDTH\nDEPTH = WIDTH // 64\n',
      'model.py': widthModel('from a import WIDTH', 'WIDTH'),
    });
    const missing = new MemoryFiles({ 'model.py': widthModel('from config import HIDDEN', 'HIDDEN') });
    const star = new MemoryFiles({ 'model.py': widthModel('from unknown_library import *\nfrom config import *', 'HIDDEN') });
    // The document imports itself back through a module: the cycle ends at the document.
    const back = new MemoryFiles({ 'c.py': 'from model import HIDDEN\nWIDTH = HIDDEN\n', 'model.py': widthModel('from c import WIDTH\nHIDDEN = 512', 'WIDTH') });
    for (const [files, name] of [[cycle, 'cycle'], [missing, 'missing'], [star, 'star'], [back, 'cycle through the document']] as const) {
      const result = run(files, 'model.py');
      assert.equal(layers(result)[0]?.fans, undefined, name);
      assert.equal(result.findings.some((f) => f.code === 'IW101' || f.code === 'IW105'), false, name);
    }
  });

  it('a star import of a workspace package (kuangliu\'s `from models import *`) binds its public names', () => {
    const files = new MemoryFiles({
      'models/__init__.py': 'from .vgg import *\n',
      'models/vgg.py': `${LAYERS}\n\ndef VGG():\n    return nn.Sequential(ConvBlock(3, 64), nn.Flatten(), nn.Linear(64, 10))\n\n\ndef _private():\n    return nn.Sequential(ConvBlock(3, 8), nn.Flatten(), nn.Linear(8, 10))\n`,
      'main.py': `${HEADER}from models import *\n\nnet = VGG()\nother = _private()\n`,
    });
    const result = run(files, 'main.py');
    assert.deepEqual(result.networks.map((n) => n.name), ['net']);
    const vgg = result.imported.find((m) => m.path === '/project/models/vgg.py');
    assert.ok(vgg?.findings.some((f) => f.code === 'IW101' && f.message.includes('reached from model net in main.py')), JSON.stringify(vgg));
  });

  it('a base class from another module: its constructor (through super().__init__), helpers, init method and forward pass, in that module\'s own names', () => {
    const base = `import torch.nn as nn
import torch.nn.init as I

DEPTH = 3


class BaseNet(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.body = self._make_layers(width)
        self.head = nn.Linear(width, 10)

    def _make_layers(self, width):
        layers = []
        for _ in range(DEPTH):
            layers += [nn.Linear(width, width), nn.ReLU()]
        return nn.Sequential(*layers)

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                I.normal_(m.weight, std=0.01)

    def forward(self, x):
        return self.head(self.body(x))
`;
    const net = `from models.base import BaseNet
from config import HIDDEN


class Net(BaseNet):
    def __init__(self):
        super().__init__(HIDDEN)
        self._init_weights()
`;
    const files = new MemoryFiles({ 'models/__init__.py': '', 'models/base.py': base, 'config.py': 'HIDDEN = 512\n', 'net.py': net });
    const result = run(files, 'net.py');
    assert.deepEqual(result.networks.map((n) => n.name), ['Net']);
    assert.deepEqual(layers(result).map((l) => l.fans), [{ fanIn: 512, fanOut: 512 }, { fanIn: 512, fanOut: 512 }, { fanIn: 512, fanOut: 512 }, { fanIn: 512, fanOut: 10 }]);
    const imported = result.imported.find((m) => m.path === '/project/models/base.py');
    const finding = imported?.findings.find((f) => f.code === 'IW101');
    assert.ok(finding, JSON.stringify(result.imported));
    assert.equal(base.slice(finding.span.start, finding.span.end), 'I.normal_(m.weight, std=0.01)');
    assert.match(finding.message, /reached from model Net in net\.py/);
    assert.deepEqual(imported!.reachedBy.map((r) => ({ call: net.slice(r.call.start, r.call.end), network: r.network })), [{ call: 'BaseNet', network: 'Net' }]);
  });

  it('a method no readable class defines, where a base comes from a module that is not found, is unknown (no finding on the init it may replace)', () => {
    const net = `import torch.nn as nn
from missing_package import InitMixin


class Net(nn.Module, InitMixin):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(512, 512)
        self.act = nn.ReLU()
        self.out = nn.Linear(512, 10)
        nn.init.normal_(self.fc.weight, std=0.01)
        self.init_weights()

    def forward(self, x):
        return self.out(self.act(self.fc(x)))
`;
    const files = new MemoryFiles({ 'net.py': net });
    const result = run(files, 'net.py');
    assert.equal(layers(result).length, 2);
    assert.deepEqual(result.findings.filter((f) => f.code === 'IW101' || f.code === 'IW105'), []);
    // The same without the mixin's call: the init is the file's own, and judged.
    const judged = run(new MemoryFiles({ 'net.py': net.replace('        self.init_weights()\n', '') }), 'net.py');
    assert.ok(judged.findings.some((f) => f.code === 'IW101'));
  });

  it('a method the importer calls on an instance of an imported class is not run (nanoGPT sample.py: model.generate(x, 500) would replay its loop past the budget)', () => {
    const model = `${HEADER}
class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 64)

    def forward(self, x):
        return self.fc(x)

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            for _ in range(max_new_tokens):
                idx = self(idx)
        return idx
`;
    const sample = 'from model import GPT\n\nmodel = GPT()\ny = model.generate(x, 1000)\n';
    const result = run(new MemoryFiles({ 'model.py': model, 'sample.py': sample }), 'sample.py');
    assert.deepEqual([...result.findings, ...result.imported.flatMap((m) => m.findings)].filter((f) => f.code === 'IW003'), []);
    assert.deepEqual(result.networks.map((n) => n.name), ['model']);
  });

  it('names every file it read or looked for, with its version (a result cache keys on them)', () => {
    // `EXTRA` is used (its module is looked for and not found); `unused` is never needed, so its module is never read.
    const files = new MemoryFiles({ 'config.py': 'HIDDEN = 512\n', 'model.py': widthModel('from config import HIDDEN\nfrom helpers import EXTRA\nfrom other import unused\nDEPTH = EXTRA', 'HIDDEN').replace('self.act = nn.ReLU()', 'self.act = nn.ReLU()\n        self.depth = nn.Linear(DEPTH, 4)') });
    const result = run(files, 'model.py');
    const read = new Map(result.dependencies.map((d) => [d.path, d.version]));
    assert.equal(read.get('/project/config.py'), '/project/config.py@1');
    assert.ok(read.has('/project/helpers.py') && read.get('/project/helpers.py') === undefined, 'a module looked for and not found is named too');
    assert.equal([...read.keys()].some((p) => p.includes('other')), false, 'a module whose names are never used is not read');
    files.set('config.py', 'HIDDEN = 64\n');
    const again = run(files, 'model.py');
    assert.equal(new Map(again.dependencies.map((d) => [d.path, d.version])).get('/project/config.py'), '/project/config.py@2');
    assert.deepEqual(layers(again)[0]?.fans, { fanIn: 64, fanOut: 64 });
  });

  it('reads at most MAX_MODULES modules along a chain of 200 imports, and each module once per version (the cache)', () => {
    const chain: Record<string, string> = {};
    for (let i = 0; i < 200; i++) chain[`m${i}.py`] = i === 199 ? 'HIDDEN = 512\n' : `from m${i + 1} import HIDDEN\n`;
    const files = new MemoryFiles({ ...chain, 'model.py': widthModel('from m0 import HIDDEN', 'HIDDEN') });
    const result = run(files, 'model.py');
    assert.equal(layers(result)[0]?.fans, undefined, 'the end of the chain is past the budget: unknown');
    const short = new MemoryFiles({ ...Object.fromEntries(Object.entries(chain).slice(190)), 'model.py': widthModel('from m190 import HIDDEN', 'HIDDEN') });
    assert.deepEqual(layers(run(short, 'model.py'))[0]?.fans, { fanIn: 512, fanOut: 512 });
  });
});
