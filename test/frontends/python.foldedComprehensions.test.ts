/**
 * List comprehensions, `sum` and `torch.linspace` folded to their values (interpreter/values.ts):
 * timm's, ConvNeXt's and Swin's per-block stochastic-depth rates
 * `dpr = [x.item() for x in torch.linspace(0, drop_path_rate, sum(depths))]`, so that
 * `DropPath(dpr[i]) if dpr[i] > 0. else nn.Identity()` is decided (at rate 0 the identity; above
 * it the simulated drop path with the block's own rate, ir.ts DropPathOp), and widths written
 * `[2 * d for d in dims]`. A comprehension with a condition, or a `sum` the file redefines, stays
 * unknown: the drop paths' rates are not known (simulated at 0, marked assumed).
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type DropPathOp, type Network, walkOps } from '../../server/src/core/ir';
import { pythonSupport } from '../support/python';

const model = (rate: string, rates = '[x.item() for x in torch.linspace(0, drop_path_rate, sum(depths))]', prelude = '') => `import torch
import torch.nn as nn
from timm.layers import DropPath
${prelude}

class Block(nn.Module):
    def __init__(self, dim, drop_path=0.):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)
        self.drop_path = DropPath(drop_path) if drop_path > 0. else nn.Identity()

    def forward(self, x):
        return x + self.drop_path(self.fc(self.norm(x)))


class Net(nn.Module):
    def __init__(self, depths=(2, 2), dims=(32, 64), drop_path_rate=${rate}):
        super().__init__()
        dpr = ${rates}
        widths = [2 * d for d in dims]
        self.stem = nn.Linear(16, widths[0])
        self.blocks = nn.Sequential(*[Block(widths[0], drop_path=dpr[i]) for i in range(depths[0])])
        self.head = nn.Linear(widths[0], widths[1])

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


model = Net()
`;

describe('Python: folded comprehensions and linspace (stochastic-depth rates)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const network = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  };

  it('drop_path_rate 0: every rate 0., each drop path nn.Identity, the network simulated; widths [2 * d for d in dims]', () => {
    const n = network(model('0.'));
    assert.equal(n.unsimulable, undefined);
    assert.deepEqual(n.layers.map((l) => l.fans), [{ fanIn: 16, fanOut: 64 }, { fanIn: 64, fanOut: 64 }, { fanIn: 64, fanOut: 64 }, { fanIn: 64, fanOut: 128 }]);
  });

  const dropPaths = (n: Network) => walkOps(n.ops).filter((op): op is DropPathOp => op.op === 'dropPath');

  it('drop_path_rate 0.3 over 4 blocks: the first block\'s rate 0 (identity), the second\'s 0.1 a simulated drop path', () => {
    const n = network(model('0.3'));
    assert.equal(n.unsimulable, undefined);
    const ops = dropPaths(n);
    assert.equal(ops.length, 1);
    assert.ok(Math.abs(ops[0]!.rate - 0.1) < 1e-12 && ops[0]!.assumed === undefined, `${ops[0]!.rate}`);
  });

  it('a comprehension with a condition is not folded: the drop paths\' rates are not known (assumed 0)', () => {
    const n = network(model('0.', '[x.item() for x in torch.linspace(0, drop_path_rate, sum(depths)) if x >= 0]'));
    assert.deepEqual(dropPaths(n).map((op) => [op.rate, op.assumed]), [[0, true], [0, true]]);
  });

  it('a `sum` the file defines is not Python\'s: the rates are not folded (assumed 0)', () => {
    const n = network(model('0.', undefined, '\n\ndef sum(xs):\n    return 0\n'));
    assert.deepEqual(dropPaths(n).map((op) => [op.rate, op.assumed]), [[0, true], [0, true]]);
  });
});
