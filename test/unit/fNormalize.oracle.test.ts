/**
 * `F.normalize(x, dim=…)` (x / max(‖x‖₂, eps) over one axis) read exactly (interpreter/handNorm.ts
 * l2Normalized, issue 15): over the features axis an RMSNorm without gain or epsilon times 1/√d,
 * the network the hand-written `x / x.norm(dim=-1, keepdim=True)` gives, op for op; before, it was
 * read as a LayerNorm (unit second moment where PyTorch has 1/d: the Linear after it ×512 too large
 * forward and back in the MLP below). Its analytic numbers against PyTorch 1.13
 * (test/reference/normalize/f_normalize.{py,json}): an MLP with the norm between two Linears, and
 * a pre-norm stack x + down(silu(up(F.normalize(x)))); each Linear's output and the gradient it
 * sends back, the stack's sums and their gradient, within PyTorch's seed spread or a floor (3% of a
 * second moment, 8% of a gradient, as the hand-written-norm oracle test). Over any other axis the
 * rules still see a norm and the network is not simulated, naming the call.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network, Op } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { withinSeedSpread } from '../support/seedComparison';

interface Seed { linear_fwd: number[]; linear_grad: number[]; emb_m2?: number; stream_m2?: number[]; stream_grad?: number[] }
interface Measured { id: 'mlp' | 'stack'; tokens?: number; d_model?: number; n_layer?: number; vocab?: number; per_seed: Seed[] }

/** The measured MLP; `norm` the step between fc2 and fc3 (dim=-1 and PyTorch's default dim=1 are one axis of its (batch, 512) value). */
const mlp = (norm: string) => `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 512)
        self.fc2 = nn.Linear(512, 512)
        self.fc3 = nn.Linear(512, 512)
        self.fc4 = nn.Linear(512, 10)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        h = self.fc2(h)
        h = ${norm}
        h = torch.tanh(self.fc3(h))
        return self.fc4(h)
`;

const stack = (m: Measured) => `import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.down(F.silu(self.up(F.normalize(x, dim=-1))))


class Net(nn.Module):
    def __init__(self, vocab=${m.vocab}, d=${m.d_model}, depth=${m.n_layer}):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(depth)])
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(F.normalize(x, dim=-1))
`;

/** The ops without their source positions (the two spellings sit at different places). */
function shapeOf(ops: readonly Op[]): unknown[] {
  return ops.map((op) => (op.op === 'layer' ? ['layer', op.kind, op.fans] : op.op === 'norm' ? ['norm', op.kind, op.epsilon] : op.op === 'scale' ? ['scale', op.factor] : [op.op]));
}

describe('F.normalize read as the L2 norm it computes, vs PyTorch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('normalize/f_normalize.json').results;
  const net = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  };

  it('gives the network the hand-written x / x.norm(dim=-1, keepdim=True) gives: an RMSNorm without ε, then × 1/√d', () => {
    const called = net(mlp('F.normalize(h, dim=-1)'));
    const written = net(mlp('h / h.norm(dim=-1, keepdim=True)'));
    assert.equal(called.unsimulable, undefined);
    assert.deepEqual(shapeOf(called.ops), shapeOf(written.ops));
    assert.deepEqual(shapeOf(called.ops).slice(3, 5), [['norm', 'rmsnorm', 0], ['scale', 1 / Math.sqrt(512)]]);
  });

  const check = (failures: string[], what: string, predicted: number, seeds: number[], floor: number) => {
    if (!withinSeedSpread(predicted, seeds, floor, false)) failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${seeds.map((v) => v.toPrecision(4)).join(', ')}`);
  };

  it('MLP: every Linear forward and back within PyTorch\'s seed spread', () => {
    const m = measured.find((r) => r.id === 'mlp')!;
    const s = simulateTokenStream(net(mlp('F.normalize(h, dim=-1)')), NEVER_CANCELLED, { gradientAtLogits: false });
    assert.ok(s, 'simulated');
    const failures: string[] = [];
    for (let i = 0; i < 4; i++) {
      check(failures, `fc${i + 1} forward`, s.simulation.layers[i]!.forwardVariance, m.per_seed.map((p) => p.linear_fwd[i]!), 0.03);
      check(failures, `fc${i + 1} gradient`, s.simulation.layers[i]!.gradientVariance, m.per_seed.map((p) => p.linear_grad[i]!), 0.08);
    }
    assert.deepEqual(failures, []);
  });

  it('pre-norm stack: the sums, their gradient and every Linear within PyTorch\'s seed spread', () => {
    const m = measured.find((r) => r.id === 'stack')!;
    const n = { ...net(stack(m)), tokens: m.tokens! };
    assert.equal(n.unsimulable, undefined);
    const s = simulateTokenStream(n, NEVER_CANCELLED, { gradientAtLogits: false });
    assert.ok(s, 'simulated');
    const failures: string[] = [];
    const seeds = (f: (p: Seed) => number) => m.per_seed.map(f);
    const sums = s.stream.filter((p) => p.depth === 0);
    assert.equal(sums.length, m.n_layer);
    check(failures, 'stream input', sums[0]!.before, seeds((p) => p.emb_m2!), 0.01);
    sums.forEach((p, i) => {
      check(failures, `sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2![i]!), 0.03);
      check(failures, `sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad![i]!), 0.08);
    });
    for (let i = 0; i < 2 * m.n_layer! + 1; i++) {
      const layer = s.simulation.layers[i + 1]!;
      check(failures, `linear ${i + 1} forward`, layer.forwardVariance, seeds((p) => p.linear_fwd[i]!), 0.03);
      check(failures, `linear ${i + 1} gradient`, layer.gradientVariance, seeds((p) => p.linear_grad[i]!), 0.08);
    }
    assert.deepEqual(failures, []);
  });

  it('over the channels of a conv map (SSD\'s L2Norm, default dim=1) a norm for the rules, not simulated, the call named', () => {
    const text = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 3, padding=1)
        self.head = nn.Conv2d(64, 10, 3, padding=1)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.normalize(x)
        return self.head(x)


model = Net()
model(torch.randn(1, 3, 32, 32))
`;
    const n = net(text);
    assert.equal(n.layers.length, 2);
    assert.equal(n.layers[0]!.normalizedAfterActivation, true, 'the norm resets the scale the conv passed on');
    assert.match(n.unsimulable ?? '', /`F\.normalize\(x\)` normalises each position of a map over its channels/);
  });

  it('over an axis it cannot tell is the features\' (dim=1 of a value of unknown rank), or p ≠ 2: not simulated', () => {
    assert.match(net(mlp('F.normalize(h, dim=1)')).unsimulable ?? '', /`F\.normalize\(h, dim=1\)` normalises over dim=1/);
    const l1 = net(mlp('F.normalize(h, p=1, dim=-1)'));
    assert.notEqual(l1.unsimulable, undefined);
    assert.equal(l1.layers[1]!.consumer, 'unknown');
  });
});
