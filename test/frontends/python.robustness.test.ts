/**
 * Bad input never crashes or hangs the Python frontend: syntax errors (the rest is still
 * analysed), notebooks exported as .py, tabs, non-ASCII identifiers, 10,000-line files,
 * seeded mutations of every fixture, and pathological code (deep nesting, self-instantiating
 * classes, huge loops). No timing assertions: the interpreter has a step budget, and these
 * tests only finish if it holds.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits } from '../../server/src/core/fixes/applyEdits';
import { LineIndex } from '../../server/src/core/text';
import { analyzePython, codes, loadPython } from './pythonSupport';

const MLP = `
class Mlp(nn.Module):
    def __init__(self, width=256):
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))
`;
const HEADER = 'import torch.nn as nn\nimport torch.nn.functional as F\n';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertWellFormed(text: string): void {
  const result = analyzePython(text);
  for (const f of result.findings) {
    assert.ok(f.span.start >= 0 && f.span.end <= text.length && f.span.start <= f.span.end, `${f.code} span out of range`);
    for (const fix of f.fixes) assert.ok(applyEdits(text, fix.edits) !== undefined, `${f.code}: fix edits overlap`);
  }
}

describe('python frontend robustness', () => {
  before(loadPython);

  it('analyses what parses around a syntax error', () => {
    const text = `${HEADER}${MLP}\ndef broken(:\n    x = = 1\n${MLP.replace('Mlp', 'Other')}`;
    // tree-sitter wraps the rest of the file in an ERROR node; the intact class before the error is still read.
    assert.deepEqual(codes(analyzePython(text)), ['IW301']);
  });

  it('reads a notebook exported as .py (cell markers, shell escapes, magics)', () => {
    const text = `#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\n!pip install torch\n%matplotlib inline\nget_ipython().run_line_magic('load_ext', 'autoreload')\n${HEADER}\n\n# In[2]:\n\n${MLP}\n\n# In[3]:\n\n\nmodel = Mlp()\nmodel\n`;
    assert.deepEqual(codes(analyzePython(text)), ['IW301']);
  });

  it('reads tab-indented code and fixes it with the same tabs', () => {
    const text = HEADER + MLP.replace(/ {4}/g, '\t');
    const result = analyzePython(text);
    assert.deepEqual(codes(result), ['IW301']);
    const fix = result.findings[0]!.fixes.find((f) => f.title.startsWith('Use'))!;
    const fixed = applyEdits(text, fix.edits)!;
    assert.match(fixed, /\n\t\tnn\.init\.kaiming_normal_\(self\.fc1\.weight, nonlinearity="relu"\)\n/);
    assert.deepEqual(codes(analyzePython(fixed)), []);
  });

  it('keeps UTF-16 positions right with non-ASCII identifiers and astral characters', () => {
    const text = `${HEADER}# 模型 𝒳 ✓\nclass Réseau(nn.Module):\n    def __init__(self, größe=128):\n        super().__init__()\n        self.couche_é = nn.Linear(größe, größe)\n        self.sortie = nn.Linear(größe, 2)\n\n    def forward(self, x):\n        return self.sortie(F.relu(self.couche_é(x)))\n`;
    const result = analyzePython(text);
    assert.equal(result.networks[0]!.name, 'Réseau');
    const finding = result.findings.find((f) => f.code === 'IW301')!;
    assert.equal(text.slice(finding.span.start, finding.span.end), 'nn.Linear');
    const at = new LineIndex(text).positionAt(finding.span.start);
    assert.equal(text.split('\n')[at.line]!.slice(at.character, at.character + 9), 'nn.Linear');
  });

  it('analyses a 10,000-line file', () => {
    const parts = [HEADER];
    let lines = 2;
    for (let i = 0; lines < 10_000; i++) {
      const block = MLP.replace('class Mlp', `class Mlp${i}`);
      parts.push(block);
      lines += block.split('\n').length - 1;
    }
    const text = parts.join('');
    const result = analyzePython(text);
    assert.ok(result.networks.length > 900, `${result.networks.length} networks`);
    assert.equal(result.findings.filter((f) => f.code === 'IW301').length, result.networks.length);
  });

  it('survives pathological code: deep nesting, self-instantiating classes, huge loops, long chains', () => {
    const deep = `${HEADER}x = ${'('.repeat(2000)}1${')'.repeat(2000)}\nnet = nn.Sequential(nn.Linear(${'('.repeat(500)}4${')'.repeat(500)}, 4))\n`;
    assertWellFormed(deep);
    const recursive = `${HEADER}class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.a = A()\n        self.b = A()\n        self.fc = nn.Linear(4, 4)\n    def forward(self, x):\n        return self.fc(self.b(self.a(x)))\n`;
    assertWellFormed(recursive);
    const huge = `${HEADER}layers = []\nfor i in range(10 ** 9):\n    layers.append(nn.Linear(4, 4))\nnet = nn.Sequential(*layers)\nwhile True:\n    pass\n`;
    assertWellFormed(huge);
    const chain = `${HEADER}n = 1\n${'n = n + 1\n'.repeat(5000)}net = nn.Sequential(nn.Linear(n, 4), nn.ReLU())\n`;
    assertWellFormed(chain);
    const mutual = `${HEADER}def f(x):\n    return g(x)\ndef g(x):\n    return f(x)\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n    def forward(self, x):\n        return f(self.fc(x))\n`;
    assertWellFormed(mutual);
    // A layer pending on both sides of a sum (`x + norm(x)`) once doubled a list per block:
    // 32 blocks ran out of memory (found by the seeded mutations below).
    const doubling = `import keras\nfrom keras import layers\n\ndef build():\n    inputs = keras.Input(shape=(128,))\n    x = layers.Dense(64)(inputs)\n    for _ in range(32):\n        x = x + layers.LayerNormalization()(x)\n    return keras.Model(inputs, layers.Dense(10)(x))\n`;
    assertWellFormed(doubling);
    const doublingTorch = `${HEADER}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n        self.norm = nn.LayerNorm(4)\n    def forward(self, x):\n        x = self.fc(x)\n        for _ in range(40):\n            x = x + self.norm(x)\n        return x\n`;
    assertWellFormed(doublingTorch);
  });

  it('never throws on seeded mutations of the Python fixtures', function () {
    // 25 mutations of every Python fixture: the work grows with the fixture count (about 10 s of
    // CPU for 65 fixtures), and on the shared 2-core machine the wall clock is 2–4× that. Not a
    // speed assertion (bench/ measures speed): a limit that only stops a hang.
    this.timeout(180000);
    const root = path.resolve(__dirname, '..', 'fixtures', 'rules');
    const files = fs.readdirSync(root).flatMap((dir) => fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.py')).map((f) => path.join(root, dir, f)));
    assert.ok(files.length >= 10);
    const next = random(20261129);
    const tokens = ['(', ')', ':', '\n', '    ', 'nn.Linear(', 'self.', ',', '=', '"', "'", '#', '\t', 'return ', 'for _ in range(3):\n'];
    for (const file of files) {
      const original = fs.readFileSync(file, 'utf8');
      for (let i = 0; i < 25; i++) {
        let text = original;
        for (let k = 0; k < 1 + Math.floor(next() * 4); k++) {
          const at = Math.floor(next() * text.length);
          text = next() < 0.5
            ? text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 20))
            : text.slice(0, at) + tokens[Math.floor(next() * tokens.length)]! + text.slice(at);
        }
        assertWellFormed(text);
      }
    }
  });
});
