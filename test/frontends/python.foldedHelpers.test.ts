/**
 * The file's own small helpers folded to their values (issue 15, real code): vit-pytorch's
 * `pair(t)`, `exists(val)`, `default(val, d)`, `project_out = not (heads == 1 and dim_head == dim)`
 * and `nn.Identity()` chosen through a conditional expression, so its ViT is simulated
 * (interpreter/functionValues.ts, valueLogic.ts). Each width below is what Python computes, or
 * unknown where Python's answer is not certain from the code.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { type Network, walkOps } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';
import { MemoryFiles } from '../support/workspace';

const HELPERS = `import functools
import torch.nn as nn


def pair(t):
    return t if isinstance(t, tuple) else (t, t)


def exists(val):
    return val is not None


def default(val, d):
    return val if exists(val) else d


def cast_tuple(val, length=1):
    """As vit-pytorch writes it."""
    return val if isinstance(val, tuple) else ((val,) * length)


def halved(n):
    half = n // 2
    return half


def branching(n):
    if n > 2:
        return n
    return 2


@functools.lru_cache
def cached(n):
    return n


def forever(n):
    return forever(n)


SWAP_A, SWAP_B = 1, 2
LOOP_A, LOOP_B = LOOP_B, LOOP_A
`;

function model(expression: string, prelude = ''): string {
  return `${HELPERS}${prelude}

class Net(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.fc = nn.Linear(${expression}, 10)

    def forward(self, x):
        return self.fc(x)
`;
}

/** Expression → the width Python gives it (undefined: not certain, so unknown). */
const CASES: readonly (readonly [string, number | undefined])[] = [
  ['pair(224)[0]', 224],
  ['pair((3, 5))[1]', 5],
  // A list is no tuple: pair gives ([3, 5], [3, 5]), whose item is no width.
  ['pair([3, 5])[0]', undefined],
  ['pair(size)[0]', undefined],
  ['default(None, 48)', 48],
  ['default(32, 48)', 32],
  ['default(size, 48)', undefined],
  ['cast_tuple(8, 3)[2]', 8],
  ['len(cast_tuple(8, 3))', 3],
  ['halved(96)', 48],
  ['SWAP_B', 2],
  // `a, b = b, a` reads itself: unknown, and no loop.
  ['LOOP_A', undefined],
  // Short circuit: `a or b` is a when a is true, else b; `a and b` is a when a is false, else b.
  ['None or 48', 48],
  ['16 and 48', 48],
  ['0 or size', undefined],
  ['32 if not (1 == 1 and 2 == 3) else 16', 32],
  ['32 if 1 < 2 < 3 else 16', 32],
  ['32 if 1 < 3 < 2 else 16', 16],
  ['32 if True == 1 else 16', 32],
  // A tuple never equals a list.
  ['32 if (1, 2) == [1, 2] else 16', 16],
  ['32 if "a" in "abc" else 16', 32],
  ['32 if 2 in (1, 2) else 16', 32],
  ['32 if isinstance(2.5, int) else 16', 16],
  // `2.0` and `2` fold to the same number: whether it is an int is not certain.
  ['32 if isinstance(2.0, int) else 16', undefined],
  ['32 if isinstance("a", (int, str)) else 16', 32],
  ['32 if size is None else 16', undefined],
  ['32 if None is None else 16', 32],
  // Functions the folder does not read whole: a branch, a decorator, recursion, too many arguments.
  ['branching(8)', undefined],
  ['cached(8)', undefined],
  ['forever(8)', undefined],
  ['halved(96, 3)', undefined],
];

describe('python: the file\'s own helpers folded (pair, exists, default, project_out)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function networks(text: string): readonly Network[] {
    return analyze({ text, languageId: 'python', python }).networks;
  }

  for (const [expression, width] of CASES) {
    it(`${expression} → ${width ?? 'unknown'}`, () => {
      const net = networks(model(expression)).find((n) => n.name === 'Net');
      assert.ok(net, 'no network Net');
      assert.equal(net.layers[0]!.fans?.fanIn, width);
    });
  }

  it('a builtin type name the file rebinds is not the builtin', () => {
    const net = networks(model('pair(224)[0]', '\ntuple = list\n')).find((n) => n.name === 'Net');
    assert.equal(net!.layers[0]!.fans?.fanIn, undefined);
  });

  const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW401', 'fires_pytorch_vit_helpers.py');
  const vit = fs.readFileSync(FIXTURE, 'utf8');

  it('vit-pytorch\'s ViT through its helpers: widths, the output projection kept, 197 tokens, simulated', () => {
    const net = networks(vit).find((n) => n.name === 'ViT')!;
    assert.equal(net.unsimulable, undefined);
    assert.equal(net.tokens, 197);
    assert.equal(net.tokensFrom, 'num_patches + num_cls');
    // Patch embedding 16·16·3 → 512, then per block q, k, v, the output projection and the MLP's two.
    assert.equal(net.layers.length, 1 + 6 * 6);
    assert.deepEqual([net.layers[0]!.fans?.fanIn, net.layers[0]!.fans?.fanOut], [768, 512]);
    assert.equal(walkOps(net.ops).filter((op) => op.op === 'attention').length, 6);
  });

  it('project_out false (one head as wide as the model): nn.Identity() is chosen, so there is no output projection (an attention op without one, simulated)', () => {
    const text = vit.replace('heads=8, mlp_dim=1024, head_width=64)', 'heads=1, mlp_dim=1024, head_width=512)');
    const net = networks(text).find((n) => n.name === 'ViT')!;
    assert.equal(net.layers.length, 1 + 6 * 5);
    assert.equal(net.unsimulable, undefined);
    const attentions = walkOps(net.ops).filter((op) => op.op === 'attention');
    assert.deepEqual(attentions.map((op) => op.op === 'attention' && [op.heads, op.headDim, op.output]), Array(6).fill([1, 512, undefined]));
    // The fixture's forgotten self.scale on Xavier queries and keys: one head of 512 saturates its softmax as the eight of 64 do.
    assert.deepEqual(analyze({ text, languageId: 'python', python }).findings.map((f) => f.code), ['IW401']);
  });

  it('a patch size given as a list stays unknown (pair() keeps a list whole)', () => {
    const text = vit.replace('patch_size=(16, 16)', 'patch_size=[16, 16]');
    const net = networks(text).find((n) => n.name === 'ViT')!;
    assert.equal(net.layers[0]!.fans?.fanIn, undefined);
    assert.ok(net.unsimulable);
  });

  it('the same ViT imported from a package and built by a test (vit-pytorch\'s tests/test_vit.py): its nn.Softmax read in its own module\'s text', () => {
    const model = vit.slice(0, vit.indexOf('\nmodel = ViT('));
    const files = new MemoryFiles({
      'vit_pkg/__init__.py': 'from vit_pkg.vit import ViT\n',
      'vit_pkg/vit.py': model,
      'tests/test_vit.py': 'import torch\nfrom vit_pkg import ViT\n\n\ndef test_vit():\n    v = ViT(image_size=224, patch_size=16, dim=512, depth=6, heads=8, mlp_dim=1024, head_width=64)\n    img = torch.randn(1, 3, 224, 224)\n    assert v(img).shape == (1, 512)\n',
    });
    const result = analyze({ text: files.text('tests/test_vit.py'), languageId: 'python', python: files.python(python, 'tests/test_vit.py') });
    const net = result.networks.find((n) => n.name === 'v')!;
    assert.equal(net.unsimulable, undefined);
    assert.equal(walkOps(net.ops).filter((op) => op.op === 'attention').length, 6);
  });

  it('a nest of loops whose passes multiply past 1,024 (a training loop over known epochs and batches) is not unrolled: the script\'s models are kept', () => {
    const text = `import torch.nn as nn

epochs, batches = 1000, 1000
model = nn.Sequential(nn.Linear(8, 8), nn.ReLU())


def step(m, i):
    return m


for epoch in range(epochs):
    for i in range(batches):
        step(model, i)
`;
    const result = analyze({ text, languageId: 'python', python });
    assert.deepEqual(result.networks.map((n) => n.name), ['model']);
    assert.deepEqual(result.findings.map((f) => f.code), []);
  });
});

