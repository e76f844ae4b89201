/**
 * Incremental analysis (core/memory.ts, frontends/python/units/units.ts) must be invisible: after
 * every edit, analysing with the document's memory gives exactly what a fresh analysis of
 * the same text gives — findings with their fixes, networks with their spans, simulations.
 * Edits are random (seeded) and chained, as typing is: insertions, deletions, digit
 * changes, new lines, stray brackets that break the syntax for a while, and undo.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult, locate } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { AnalysisMemory } from '../../server/src/core/memory';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { Random } from '../../server/src/core/simulation/prng';
import { generatePython } from '../../bench/generatePython';
import { pythonFiles, pythonSupport } from '../support/python';
import { folderFiles, MemoryFiles } from '../support/workspace';
import { ModuleCache, MODULE_OFFSET_BASE } from '../../server/src/core/frontends/python/parse';

const root = path.resolve(__dirname, '..', '..');

/**
 * Everything a user sees, as plain data (fix builders are functions: their output is in the
 * findings). An offset in an imported module is shown as what the user sees of it, its file
 * and its offset there (locate()): the module's base is the module cache's bookkeeping.
 */
function visible(result: AnalysisResult): string {
  const placed = (key: string, value: unknown) => {
    if ((key === 'start' || key === 'end') && typeof value === 'number' && value >= MODULE_OFFSET_BASE) {
      const at = locate(result, value);
      return `${at.path}:${at.offset}`;
    }
    return key === 'fixes' && !Array.isArray(value) ? undefined : value;
  };
  return JSON.stringify({
    findings: result.findings,
    networks: result.networks,
    simulations: result.simulations,
    dependencies: result.dependencies,
    imported: result.imported,
  }, placed);
}

const INSERTS = ['1', '0', 'a', 'x', ' ', '\n', '(', ')', ':', ',', '#', '"', '_', '\n    ', 'é', '\u{1F600}', '\r\n', '\t'];

function randomEdit(text: string, random: Random, history: string[]): string {
  const choice = random.nextUint32() % 10;
  const at = random.nextUint32() % (text.length + 1);
  if (choice === 0 && history.length > 1) return history[history.length - 2]!; // undo
  if (choice <= 2) {
    const digits = [...text.matchAll(/\d/g)];
    if (digits.length > 0) {
      const d = digits[random.nextUint32() % digits.length]!.index;
      return text.slice(0, d) + String((Number(text[d]) + 1) % 10) + text.slice(d + 1);
    }
  }
  if (choice <= 4 && text.length > 0) {
    const end = Math.min(text.length, at + 1 + (random.nextUint32() % 3));
    return text.slice(0, at) + text.slice(end);
  }
  return text.slice(0, at) + INSERTS[random.nextUint32() % INSERTS.length]! + text.slice(at);
}

describe('Python: incremental analysis gives what a fresh analysis gives', function () {
  this.timeout(300_000);
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const files = [...pythonFiles(path.join(root, 'examples')), ...pythonFiles(path.join(root, 'test', 'fixtures'))];
  const sources: [string, string, number][] = [
    ...files.map((f): [string, string, number] => [path.relative(root, f), fs.readFileSync(f, 'utf8'), 25]),
    ['generated 400-line file (bench/generatePython.ts)', generatePython(400), 100],
  ];

  for (const [name, original, edits] of sources) {
    it(`${name}: ${edits} chained random edits`, () => {
      const memory = new AnalysisMemory();
      const random = new Random(name.length * 7919 + original.length);
      const history = [original];
      try {
        let text = original;
        analyze({ text, languageId: 'python', python, memory });
        for (let step = 0; step < edits; step++) {
          text = randomEdit(text, random, history);
          history.push(text);
          const incremental = visible(analyze({ text, languageId: 'python', python, memory }, DEFAULT_SETTINGS));
          const fresh = visible(analyze({ text, languageId: 'python', python }, DEFAULT_SETTINGS));
          assert.equal(incremental, fresh, `edit ${step + 1} of ${name} differs from a fresh analysis`);
        }
      } finally {
        memory.dispose();
      }
    });
  }

  it('reuses the units an edit did not touch (the edit of one class runs that class again, not the file)', () => {
    const memory = new AnalysisMemory();
    try {
      const text = generatePython(400);
      const first = analyze({ text, languageId: 'python', python, memory });
      const at = text.indexOf('nn.Linear(dim, dim * expansion)');
      const edited = `${text.slice(0, at)}nn.Linear(dim, dim * expansion + 1)${text.slice(at + 'nn.Linear(dim, dim * expansion)'.length)}`;
      const second = analyze({ text: edited, languageId: 'python', python, memory });
      const units = memory.python.lastAnalysis.unitsReused + memory.python.lastAnalysis.unitsRun;
      assert.ok(first.networks.length > 4 && units > 10, `${units} units`);
      // Block0 is not a unit (Net0 builds it, so it is no root); Net0 reads it and runs again;
      // every other unit (the module script too: it names no class) is reused.
      assert.deepEqual(memory.python.lastAnalysis, { unitsReused: units - 1, unitsRun: 1 });
      assert.equal(visible(second), visible(analyze({ text: edited, languageId: 'python', python })));
    } finally {
      memory.dispose();
    }
  });

  it('an edit of a base class runs its subclass again (the subclass reads the base it names)', () => {
    const memory = new AnalysisMemory();
    const text = [
      'import torch.nn as nn', '', '',
      'class Base(nn.Module):',
      '    def __init__(self, width):',
      '        super().__init__()',
      '        self.fc = nn.Linear(width, width)',
      '        self.act = nn.ReLU()',
      '        self.out = nn.Linear(width, 10)',
      '        nn.init.normal_(self.fc.weight, std=0.01)', '',
      '    def forward(self, x):',
      '        return self.out(self.act(self.fc(x)))', '', '',
      'class Net(Base):',
      '    def __init__(self):',
      '        super().__init__(512)', '',
    ].join('\n');
    try {
      const first = analyze({ text, languageId: 'python', python, memory }, DEFAULT_SETTINGS);
      assert.ok(first.findings.some((f) => f.message.includes('0.0512')), visible(first));
      const edited = text.replace('std=0.01', 'std=0.02');
      const second = analyze({ text: edited, languageId: 'python', python, memory }, DEFAULT_SETTINGS);
      assert.equal(visible(second), visible(analyze({ text: edited, languageId: 'python', python }, DEFAULT_SETTINGS)));
      assert.ok(second.findings.some((f) => f.message.includes('0.205')), visible(second));
    } finally {
      memory.dispose();
    }
  });

  it('runs a reused unit again when another unit stops sharing one of its layers (the fix it may offer changes)', () => {
    const block = 'import torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass Block(nn.Module):\n    def __init__(self, dim):\n        super().__init__()\n        self.fc = nn.Linear(dim, dim)\n\n    def forward(self, x):\n        return F.relu(self.fc(x))\n';
    const net = (name: string, body: string) => `\n\nclass ${name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ${body}\n\n    def forward(self, x):\n        return self.head(self.block(x))\n`;
    const shared = block + net('NetA', 'self.block = Block(64)\n        self.head = nn.Linear(64, 10)') + net('NetB', 'self.block = Block(64)\n        self.head = nn.Linear(64, 10)');
    const alone = block + net('NetA', 'self.block = Block(64)\n        self.head = nn.Linear(64, 10)') + net('NetB', 'self.block = nn.Identity()\n        self.head = nn.Linear(64, 10)');
    const insertsInit = (result: AnalysisResult) => result.findings.some((f) => f.code === 'IW301' && f.fixes.some((fix) => fix.edits.some((e) => e.newText.includes('kaiming_normal_(self.fc.weight'))));
    const memory = new AnalysisMemory();
    try {
      // Built by two models, the block's layer is two layers: an inserted init line would change both.
      assert.equal(insertsInit(analyze({ text: shared, languageId: 'python', python, memory })), false);
      const edited = analyze({ text: alone, languageId: 'python', python, memory });
      assert.equal(insertsInit(edited), true, 'NetA (unchanged text) must be run again: Block is now built once');
      assert.equal(visible(edited), visible(analyze({ text: alone, languageId: 'python', python })));
    } finally {
      memory.dispose();
    }
  });

  it('keeps a document\'s memory a small multiple of its size: 300 models on one chain of 200 classes', () => {
    const classes = ['import torch.nn as nn', '', '', 'class C0(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(8, 8)\n\n    def forward(self, x):\n        return self.fc(x)\n'];
    for (let i = 1; i < 200; i++) {
      classes.push(`class C${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.inner = C${i - 1}()\n        self.fc = nn.Linear(8, 8)\n\n    def forward(self, x):\n        return self.fc(self.inner(x))\n`);
    }
    // Each model reads the whole chain: keyed by its text alone, 300 keys would hold 300 copies of it.
    for (let i = 0; i < 300; i++) {
      classes.push(`class Model${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.body = C199()\n\n    def forward(self, x):\n        return self.body(x)\n`);
    }
    const text = classes.join('\n\n');
    const memory = new AnalysisMemory();
    try {
      analyze({ text, languageId: 'python', python, memory });
      const keyText = [...memory.python.units.keys()].reduce((sum, key) => sum + key.length, 0);
      assert.ok(keyText <= 8 * text.length + (1 << 20), `${keyText} characters of keys for a ${text.length}-character file`);
      const edited = text.replace('nn.Linear(8, 8)', 'nn.Linear(8, 9)');
      assert.equal(visible(analyze({ text: edited, languageId: 'python', python, memory })), visible(analyze({ text: edited, languageId: 'python', python })));
    } finally {
      memory.dispose();
    }
  });

  it('replays what a reused unit learnt for later units (the input shape a module-level init call showed)', () => {
    const text = [
      'import flax.linen as nn', 'import jax', 'import jax.numpy as jnp', '', '',
      'class MLP(nn.Module):', '    @nn.compact', '    def __call__(self, x):', '        x = nn.relu(nn.Dense(64)(x))', '        return nn.Dense(10)(x)', '', '',
      'class Other(nn.Module):', '    @nn.compact', '    def __call__(self, x):', '        return nn.Dense(4)(x)', '', '',
      'variables = MLP().init(jax.random.PRNGKey(0), jnp.ones((1, 32)))', '', '',
      'def build():', '    model = MLP()', '    return model', '',
    ].join('\n');
    const firstDense = text.indexOf('nn.Dense(64)');
    const judged = (result: AnalysisResult) => result.findings.some((f) => f.code === 'IW301' && f.span.start === firstDense);
    const memory = new AnalysisMemory();
    try {
      assert.equal(judged(analyze({ text, languageId: 'python', python, memory })), true, 'the shape from init reaches the builder\'s model');
      const edited = text.replace('nn.Dense(4)', 'nn.Dense(5)');
      const incremental = analyze({ text: edited, languageId: 'python', python, memory });
      assert.ok(memory.python.lastAnalysis.unitsReused >= 1, 'the module script is reused');
      assert.equal(judged(incremental), true);
      assert.equal(visible(incremental), visible(analyze({ text: edited, languageId: 'python', python })));
    } finally {
      memory.dispose();
    }
  });

  it('follows a file-wide style change: the first CRLF anywhere makes every inserted line end in CRLF', () => {
    const text = `${fs.readFileSync(path.join(root, 'examples', 'pytorch_default_mlp.py'), 'utf8')}\n\nclass Other(nn.Module):\n    pass\n`;
    const memory = new AnalysisMemory();
    try {
      analyze({ text, languageId: 'python', python, memory });
      // A CRLF typed into another class: the Classifier's unit text is unchanged.
      const edited = text.replace('    pass\n', '    pass\r\n');
      const incremental = analyze({ text: edited, languageId: 'python', python, memory });
      const inserts = incremental.findings.flatMap((f) => f.fixes).flatMap((fix) => fix.edits).filter((e) => e.newText.includes('nn.init.'));
      assert.ok(inserts.length > 0 && inserts.every((e) => e.newText.startsWith('\r\n')), 'inserted lines follow the CRLF style');
      assert.equal(visible(incremental), visible(analyze({ text: edited, languageId: 'python', python })));
    } finally {
      memory.dispose();
    }
  });
});

describe('Python: incremental analysis with the workspace (a unit\'s key includes the modules it read)', function () {
  this.timeout(300_000);
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const project = folderFiles(path.join(root, 'test', 'fixtures', 'workspace', 'project'));

  it('an edit of an imported module changes the importer\'s result although its own text is unchanged', () => {
    const files = new MemoryFiles(project);
    const modules = new ModuleCache();
    const memory = new AnalysisMemory();
    try {
      const text = files.text('main.py');
      const before = analyze({ text, languageId: 'python', python: files.python(python, 'main.py', modules), memory });
      assert.ok(before.findings.some((f) => f.code === 'IW105' && f.message.includes('fan_in 512')));
      files.set('config.py', files.text('config.py').replace('HIDDEN = 512', 'HIDDEN = 64'));
      const after = analyze({ text, languageId: 'python', python: files.python(python, 'main.py', modules), memory });
      assert.ok(after.findings.some((f) => f.code === 'IW105' && f.message.includes('fan_in 64')), 'the width read from config.py follows its edit');
      assert.equal(visible(after), visible(analyze({ text, languageId: 'python', python: files.python(python, 'main.py') })));
    } finally {
      memory.dispose();
      modules.dispose();
    }
  });

  for (const document of ['main.py', 'train.py']) {
    it(`${document}: 60 chained random edits of the document and of the modules it imports`, () => {
      const files = new MemoryFiles(project);
      const editable = [document, 'config.py', 'src/blocks/layers.py', 'src/blocks/heads.py', 'models/tiny.py', 'models/__init__.py'];
      const random = new Random(document.length * 104729);
      const histories = new Map(editable.map((name) => [name, [files.text(name)]]));
      const modules = new ModuleCache();
      const memory = new AnalysisMemory();
      try {
        analyze({ text: files.text(document), languageId: 'python', python: files.python(python, document, modules), memory });
        for (let step = 0; step < 60; step++) {
          const name = editable[random.nextUint32() % editable.length]!;
          const history = histories.get(name)!;
          const next = randomEdit(files.text(name), random, history);
          history.push(next);
          files.set(name, next);
          const text = files.text(document);
          const incremental = visible(analyze({ text, languageId: 'python', python: files.python(python, document, modules), memory }, DEFAULT_SETTINGS));
          const fresh = visible(analyze({ text, languageId: 'python', python: files.python(python, document) }, DEFAULT_SETTINGS));
          assert.equal(incremental, fresh, `edit ${step + 1} (of ${name}) differs from a fresh analysis`);
        }
      } finally {
        memory.dispose();
        modules.dispose();
      }
    });
  }
});
