/**
 * Stochastic depth in a residual branch (frameworks/stochasticDepth.ts, ir.ts DropPathOp): timm's
 * DropPath module and drop_path function, torchvision's StochasticDepth and stochastic_depth. p = 0
 * is the identity; p > 0 is a simulated op (training mode, as dropout: the branch's moments and
 * gradient ×1/(1−p)); a choice between it and nn.Identity the code does not decide, or a p not
 * read, is the op at p = 0 marked assumed (the lower bound), said in hover and report. Forms that
 * are not the op (torchvision's mode 'batch', timm's scale_by_keep=False) keep what feeds what and
 * make the network say why it is not simulated. Before (session 7), every p > 0 and the undecided
 * form left the network unsimulated.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type DropPathOp, type Network, walkOps } from '../../server/src/core/ir';
import { buildSignalReport } from '../../server/src/core/report/model';
import { renderReportText } from '../../server/src/core/report/text';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { LineIndex } from '../../server/src/core/text';
import { textDocumentMap } from '../../server/src/lsp/documentMap';
import { hoverAt } from '../../server/src/lsp/hover';
import { pythonSupport } from '../support/python';

const model = (dropPath: string, rate = '0.1', imports = 'from timm.layers import DropPath') => `import torch
import torch.nn as nn
${imports}


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

/** Each block's drop path as a call in forward (`drop_path(branch, p, training)`). */
const functional = (call: string, imports: string) => `import torch.nn as nn
${imports}


class Block(nn.Module):
    def __init__(self, dim, p=0.2):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc = nn.Linear(dim, dim)
        self.p = p

    def forward(self, x):
        return x + ${call}


class Net(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.blocks = nn.Sequential(Block(dim), Block(dim))
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        return self.head(self.blocks(x))


model = Net()
`;

describe('Python: stochastic depth (DropPath) in a residual branch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const network = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  };
  const dropPaths = (n: Network) => walkOps(n.ops).filter((op): op is DropPathOp => op.op === 'dropPath');

  it('DropPath(0.) is the identity: the network is simulated, three residual blocks, no op', () => {
    const n = network(model('DropPath(drop_path)', '0.'));
    assert.equal(n.unsimulable, undefined);
    assert.equal(n.ops.filter((op) => op.op === 'residual').length, 3);
    assert.equal(dropPaths(n).length, 0);
  });

  it('DropPath(0.1): a simulated op at the end of each branch; the branch\'s last layer known', () => {
    const n = network(model('DropPath(drop_path)'));
    assert.equal(n.unsimulable, undefined);
    const ops = dropPaths(n);
    assert.deepEqual(ops.map((op) => [op.rate, op.assumed, op.label]), [[0.1, undefined, 'DropPath'], [0.1, undefined, 'DropPath'], [0.1, undefined, 'DropPath']]);
    for (const op of n.ops.filter((o) => o.op === 'residual')) assert.equal(op.op === 'residual' && op.body[op.body.length - 1]!.op, 'dropPath');
    const fc2 = n.layers.filter((l) => l.fans?.fanIn === 256);
    assert.equal(fc2.length, 3);
    assert.ok(fc2.every((l) => l.isLastInBranch), 'fc2 ends its branch');
    assert.ok(n.layers.filter((l) => l.fans?.fanOut === 256).every((l) => l.inNormalisedBranch), 'fc1 follows the branch\'s norm');
  });

  it('DropPath(0.1) grows the simulated stream and the gradient over p = 0, by the branch\'s ×1/(1−p); Monte-Carlo follows it too', () => {
    const at = (rate: string) => simulateAnalytic(network(model('DropPath(drop_path)', rate)), NEVER_CANCELLED, { gradientAtLogits: false })!;
    const none = at('0.');
    const some = at('0.1');
    const streamNone = none.layers[3]!.streamForward!;
    const streamSome = some.layers[3]!.streamForward!;
    // Block 2's stream: the input and block 1's sum, each branch's E[x²] ×1/0.9.
    const branch = (streamNone - none.layers[1]!.streamForward!);
    assert.ok(Math.abs(streamSome - streamNone - (2 * branch) / 0.9 + 2 * branch) < 0.02 * streamSome, `${streamSome} vs ${streamNone}`);
    assert.ok(some.inputGradientVariance > none.inputGradientVariance);
    const mc = simulateMonteCarlo(network(model('DropPath(drop_path)', '0.3')), { seed: 3, batch: 256, gradientAtLogits: false }, NEVER_CANCELLED);
    assert.ok(mc, 'the Monte-Carlo pass runs a network with drop paths');
  });

  it('`DropPath(p) if p > 0. else nn.Identity()` with p not known: the op at p = 0, marked assumed, simulated', () => {
    const text = model('DropPath(drop_path) if drop_path > 0. else nn.Identity()').replace('Block(dim) for _', 'Block(dim, rates[i]) for i');
    const n = network(text);
    assert.equal(n.unsimulable, undefined);
    const ops = dropPaths(n);
    assert.equal(ops.length, 3);
    assert.ok(ops.every((op) => op.rate === 0 && op.assumed === true));
    assert.ok(n.layers.filter((l) => l.fans?.fanIn === 256).every((l) => l.isLastInBranch));
    const simulation = simulateAnalytic(n, NEVER_CANCELLED);
    assert.ok(simulation, 'simulated');
    const index = new LineIndex(text);
    const report = renderReportText(buildSignalReport(n, simulation, { lineOf: (o) => index.positionAt(o).line + 1, band: 4 }));
    assert.match(report, /stochastic depth \(DropPath\): 3 branches whose rate is not known, simulated at p = 0 \(the lower bound\)/);
  });

  it('timm\'s schedule `[x.item() for x in torch.linspace(0, rate, depth)]`: each block its own rate, the first (p = 0) the identity', () => {
    const text = model('DropPath(drop_path) if drop_path > 0. else nn.Identity()')
      .replace('Block(dim) for _ in range(depth)', 'Block(dim, dpr[i]) for i in range(depth)')
      .replace('        self.blocks =', '        dpr = [x.item() for x in torch.linspace(0, 0.2, depth)]\n        self.blocks =');
    const n = network(text);
    assert.equal(n.unsimulable, undefined);
    const rates = dropPaths(n).map((op) => op.rate);
    assert.equal(rates.length, 2);
    assert.ok(Math.abs(rates[0]! - 0.1) < 1e-12 && Math.abs(rates[1]! - 0.2) < 1e-12, rates.join(', '));
  });

  it('hover on DropPath(...) gives the rates of the blocks it builds and the training-mode factor', () => {
    const text = model('DropPath(drop_path)', '0.2');
    const result = analyze({ text, languageId: 'python', python });
    const index = new LineIndex(text);
    const uri = 'file:///droppath.py';
    const hover = hoverAt({ uri, version: 1, text, index, result, map: textDocumentMap(uri, index) }, text.indexOf('DropPath(drop_path)') + 2);
    assert.ok(hover, 'a hover');
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /^\*\*stochastic depth\*\* `DropPath` · in `Net`/);
    assert.match(value, /p = 0\.2, simulated in training mode: each sample's branch kept with probability 0\.8 and scaled by 1\/\(1−p\), so its E\[x²\], cross moments within a sample \(token pairs\) and gradient ×1\.25/);
    assert.match(value, /builds 3 drop paths \(p = 0\.2\)/);
  });

  it('timm\'s drop_path(x, p, self.training) and torchvision\'s stochastic_depth(x, p, \'row\') are the op; training=False the identity', () => {
    const timm = network(functional('drop_path(self.fc(self.norm(x)), self.p, self.training)', 'from timm.models.layers import drop_path'));
    assert.equal(timm.unsimulable, undefined);
    assert.deepEqual(dropPaths(timm).map((op) => [op.rate, op.label]), [[0.2, 'drop_path'], [0.2, 'drop_path']]);
    const vision = network(functional('stochastic_depth(self.fc(self.norm(x)), self.p, \'row\', self.training)', 'from torchvision.ops import stochastic_depth'));
    assert.equal(vision.unsimulable, undefined);
    assert.deepEqual(dropPaths(vision).map((op) => op.rate), [0.2, 0.2]);
    // timm's function defaults to training=False: nothing is dropped.
    const off = network(functional('drop_path(self.fc(self.norm(x)), self.p)', 'from timm.layers import drop_path'));
    assert.equal(off.unsimulable, undefined);
    assert.equal(dropPaths(off).length, 0);
  });

  it('torchvision\'s StochasticDepth(p, \'row\') is the op; mode \'batch\' (one draw for the batch) is named and not simulated', () => {
    const row = network(model('StochasticDepth(drop_path, "row")', '0.1', 'from torchvision.ops import StochasticDepth'));
    assert.equal(row.unsimulable, undefined);
    assert.deepEqual(dropPaths(row).map((op) => op.rate), [0.1, 0.1, 0.1]);
    const batch = network(model('StochasticDepth(drop_path, "batch")', '0.1', 'from torchvision.ops import StochasticDepth'));
    assert.match(batch.unsimulable ?? '', /StochasticDepth with mode 'batch': one draw for the whole batch/);
    assert.ok(batch.layers.filter((l) => l.fans?.fanIn === 256).every((l) => l.isLastInBranch));
  });

  it('DropPath(p, scale_by_keep=False) does not keep the mean: named and not simulated', () => {
    const n = network(model('DropPath(drop_path, scale_by_keep=False)'));
    assert.match(n.unsimulable ?? '', /without scale_by_keep/);
  });
});
