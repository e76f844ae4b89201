/**
 * timm's DropPath (stochastic depth) in a residual branch (frameworks/catalog.ts TIMM_DROP_PATH):
 * p = 0 is the identity, so the network is simulated; any other rate, or a choice between it and
 * nn.Identity the code does not decide, keeps what feeds what (the branch's last layer is known)
 * and makes the network say it is not simulated, naming the drop path. Before, DropPath was a
 * call InitWise could not read: the branch's structure was lost and the network unsimulated
 * without a reason.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network } from '../../server/src/core/ir';
import { pythonSupport } from '../support/python';

const model = (dropPath: string, rate = '0.1') => `import torch.nn as nn
from timm.layers import DropPath


class Block(nn.Module):
    def __init__(self, dim, drop_path=${rate}):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(4 * dim, dim)
        self.drop_path = ${dropPath}

    def forward(self, x):
        return x + self.drop_path(self.fc2(self.act(self.fc1(self.norm(x)))))


class Net(nn.Module):
    def __init__(self, dim=64, depth=3, rates=None):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(dim) for _ in range(depth)])
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        return self.head(self.blocks(x))


model = Net()
`;

describe('Python: timm DropPath in a residual branch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const network = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  };

  it('DropPath(0.) is the identity: the network is simulated, three residual blocks', () => {
    const n = network(model('DropPath(drop_path)', '0.'));
    assert.equal(n.unsimulable, undefined);
    assert.equal(n.ops.filter((op) => op.op === 'residual').length, 3);
  });

  it('DropPath(0.1): not simulated, the drop path and its rate named; the branch\'s last layer known', () => {
    const n = network(model('DropPath(drop_path)'));
    assert.match(n.unsimulable ?? '', /stochastic depth \(timm's DropPath, p = 0\.1\)/);
    const fc2 = n.layers.filter((l) => l.fans?.fanIn === 256);
    assert.equal(fc2.length, 3);
    assert.ok(fc2.every((l) => l.isLastInBranch), 'fc2 ends its branch');
    assert.ok(n.layers.filter((l) => l.fans?.fanOut === 256).every((l) => l.inNormalisedBranch), 'fc1 follows the branch\'s norm');
  });

  it('`DropPath(p) if p > 0. else nn.Identity()` with p not known: a drop path whose presence is not known', () => {
    const text = model('DropPath(drop_path) if drop_path > 0. else nn.Identity()').replace('Block(dim) for _', 'Block(dim, rates[i]) for i').replace('range(depth)', 'range(depth)');
    const n = network(text);
    assert.match(n.unsimulable ?? '', /timm's DropPath, its rate or presence not known/);
    assert.ok(n.layers.filter((l) => l.fans?.fanIn === 256).every((l) => l.isLastInBranch));
  });
});
