/**
 * LayerNorm and RMSNorm written out by hand in a forward pass (interpreter/handNorm.ts) are read
 * as the norm op nn.LayerNorm / nn.RMSNorm make: the network built from the hand-written norm
 * equals, op for op and number for number, the same network written with the library module
 * (whose simulation is checked against PyTorch: test/reference/transformer, rmsnorm_silu and the
 * pre-LN configurations), and its findings are the same. Anything that is not the definition
 * (another axis, no keepdim, another tensor's statistic, a large epsilon, a weight not
 * initialised to ones) stays unknown: the network is not simulated, as before. ConvNeXt's
 * channels_first norm over a conv map's channels is a norm for the rules (what feeds it is
 * normalised), and the network says it is not simulated, naming it. Before handNorm.ts every hand-written norm was a call
 * the simulation could not follow.
 */
import * as assert from 'node:assert/strict';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type Network, walkOps } from '../../server/src/core/ir';
import { pythonSupport } from '../support/python';

/** A pre-norm stack over tokens whose norm class is `norm` (its constructor takes the width). */
const stack = (norm: string, use = 'Norm(d)', post = '') => `import math
import torch
import torch.nn as nn
import torch.nn.functional as F


${norm}


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = ${use}
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.down(F.silu(self.up(self.norm(x))))


class Net(nn.Module):
    def __init__(self, vocab=500, d=64, depth=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(depth)])
        self.final = ${use}
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.final(x)${post})
`;

/** The library module with the hand-written norm's epsilon (nn.RMSNorm's own default is float32's machine epsilon). */
const LIBRARY_RMS = (eps: string) => `def Norm(d):
    return nn.RMSNorm(d, eps=${eps})`;
const LIBRARY_LAYER = 'Norm = nn.LayerNorm';

// Root mean square with the module's epsilon and a weight of ones, computed in float32 (LLaMA's spelling).
const RSQRT_RMS = `class Norm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def _normalise(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        return self._normalise(x.float()).type_as(x) * self.weight`;

// The same divided by the root instead, the weight on the left, spelled with ** and torch.mean.
const DIVIDED_RMS = `class Norm(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(width))

    def forward(self, x):
        rms = torch.sqrt(torch.mean(x ** 2, dim=-1, keepdim=True) + 1e-8)
        return self.scale * (x / rms)`;

// The statistic of a float32 copy, the value itself normalised (T5's spelling), the epsilon under another name.
const CAST_RMS = `class Norm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.variance_epsilon = eps

    def forward(self, h):
        variance = h.to(torch.float32).pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(variance + self.variance_epsilon)
        return self.weight * h`;

// Centre, variance of the centred value, divide by its root, then the affine (ConvNeXt's channels_last arithmetic).
const CENTRED_LAYER = `class Norm(nn.Module):
    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        x = (x - mu) / torch.sqrt(var + self.eps)
        return self.weight * x + self.bias`;

// Biased variance from var(), multiplied by the inverse root.
const VAR_LAYER = `class Norm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.g = nn.Parameter(torch.ones(n))
        self.b = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        centred = x - x.mean(dim=-1, keepdim=True)
        inv = (x.var(dim=-1, unbiased=False, keepdim=True) + 1e-5).rsqrt()
        return centred * inv * self.g + self.b`;

// The Annotated Transformer's arithmetic: the unbiased std, the epsilon added to it.
const UNBIASED_STD_LAYER = `class Norm(nn.Module):
    def __init__(self, size, eps=1e-6):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(size))
        self.shift = nn.Parameter(torch.zeros(size))
        self.eps = eps

    def forward(self, x):
        m = x.mean(-1, keepdim=True)
        s = x.std(-1, keepdim=True)
        return self.gain * (x - m) / (s + self.eps) + self.shift`;

/** JSON of a value without source positions and fixes (the two spellings differ there only). */
function positionless(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === 'span' || key === 'kindSpan' || key === 'nameSpan' || key === 'fixes' || key.endsWith('Span') || key.endsWith('Spans')) return undefined;
    return v;
  });
}

describe('Python: hand-written LayerNorm and RMSNorm', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const run = (text: string): { result: AnalysisResult; net: Network; index: number } => {
    const result = analyze({ text, languageId: 'python', python });
    const index = result.networks.findIndex((n) => n.name === 'Net');
    assert.ok(index >= 0, 'no network Net');
    return { result, net: result.networks[index]!, index };
  };
  const findings = (result: AnalysisResult) => result.findings.map((f) => `${f.code} ${f.message}`);

  for (const [what, hand, library, epsilon] of [
    ['LLaMA-style x * rsqrt(mean(x²) + eps) · weight', RSQRT_RMS, LIBRARY_RMS('1e-6'), 1e-6],
    ['x / sqrt(mean(x**2) + eps), the weight first', DIVIDED_RMS, LIBRARY_RMS('1e-8'), 1e-8],
    ['h * rsqrt(mean(h.to(float32)²) + eps)', CAST_RMS, LIBRARY_RMS('1e-6'), 1e-6],
    ['(x − μ) / sqrt(mean((x − μ)²) + eps) · weight + bias', CENTRED_LAYER, LIBRARY_LAYER, 1e-5],
    ['(x − μ) · rsqrt(var(unbiased=False) + eps)', VAR_LAYER, LIBRARY_LAYER, 1e-5],
  ] as const) {
    it(`${what}: the same ops (epsilon ${epsilon}), simulation and findings as ${library.includes('RMSNorm') ? 'nn.RMSNorm' : 'nn.LayerNorm'}`, () => {
      const mine = run(stack(hand));
      const theirs = run(stack(library));
      assert.equal(mine.net.unsimulable, undefined, `not simulated: ${mine.net.unsimulable}`);
      const norms = walkOps(mine.net.ops).filter((op) => op.op === 'norm');
      assert.equal(norms.length, 4);
      for (const op of norms) assert.ok(op.op === 'norm' && op.epsilon === epsilon, `epsilon ${op.op === 'norm' ? op.epsilon : ''}`);
      assert.equal(positionless(mine.net.ops), positionless(theirs.net.ops));
      const simulation = mine.result.simulations[mine.index];
      assert.ok(simulation, 'no simulation');
      assert.equal(positionless(simulation), positionless(theirs.result.simulations[theirs.index]));
      assert.deepEqual(findings(mine.result), findings(theirs.result));
    });
  }

  it('a norm at the output: the layer before it ends the network as it does before nn.RMSNorm (its consumer restored)', () => {
    const model = (norm: string) => `import torch
import torch.nn as nn


${norm}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(32, 64)
        self.norm = Norm(64)

    def forward(self, x):
        return self.norm(self.fc(x))


net = Net()
y = net(torch.randn(8, 32))
`;
    const mine = run(model(RSQRT_RMS));
    const theirs = run(model(LIBRARY_RMS('1e-6')));
    assert.equal(mine.net.unsimulable, undefined, `not simulated: ${mine.net.unsimulable}`);
    assert.equal(positionless(mine.net.layers), positionless(theirs.net.layers));
    assert.equal(mine.net.layers[0]!.isLastInBranch, true);
  });

  it('the unbiased std plus ε (the Annotated Transformer) is the LayerNorm with ε² times √((d−1)/d), d = 64', () => {
    const mine = run(stack(UNBIASED_STD_LAYER));
    // ε added to the std: (σ + ε)² read as σ² + ε², the 2εσ left out (handNorm.ts withEpsilon).
    const theirs = run(stack('', 'nn.LayerNorm(d, eps=1e-12)', ' * math.sqrt(63 / 64)'));
    assert.equal(mine.net.unsimulable, undefined, `not simulated: ${mine.net.unsimulable}`);
    // Every norm, the three blocks' and the final one, is followed by the factor.
    const norms = walkOps(mine.net.ops).flatMap((op, i, all) => (op.op === 'norm' ? [all[i + 1]] : []));
    assert.equal(norms.length, 4);
    for (const next of norms) assert.ok(next?.op === 'scale' && Math.abs(next.factor - Math.sqrt(63 / 64)) < 1e-12, `after a norm: ${next?.op}`);
    // The final norm and its factor are those of nn.LayerNorm(d) * math.sqrt(63 / 64).
    const ending = (n: Network) => positionless(n.ops.slice(-3).map((op) => (op.op === 'scale' ? { ...op, label: '' } : op)));
    assert.equal(ending(mine.net), ending(theirs.net));
  });

  // Each is not the definition: the network stays unknown, as before.
  const rms = (weight: string, normalise: string) => `class Norm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(${weight})

    def forward(self, x):
        y = x.detach()
        return (${normalise}) * self.weight`;
  for (const [what, norm] of [
    ['the mean over the tokens (axis 1), not the features', rms('torch.ones(dim)', 'x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + self.eps)')],
    ['the mean without keepdim', rms('torch.ones(dim)', 'x * torch.rsqrt(x.pow(2).mean(-1) + self.eps)')],
    ['another tensor\'s statistic', rms('torch.ones(dim)', 'x * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps)')],
    ['an epsilon of 0.1', rms('torch.ones(dim)', 'x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 0.1)')],
    ['the cube, not the square', rms('torch.ones(dim)', 'x * torch.rsqrt(x.pow(3).mean(-1, keepdim=True) + self.eps)')],
    ['the square root where the inverse is needed', rms('torch.ones(dim)', 'x * torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)')],
    ['a weight drawn from randn', rms('torch.randn(dim)', 'x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)')],
    ['a weight of 0.5', rms('0.5 * torch.ones(dim)', 'x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)')],
    ['the statistic added to the signal', rms('torch.ones(dim)', 'x + x.pow(2).mean(-1, keepdim=True)')],
    ['centred by the mean, divided by the root mean square', rms('torch.ones(dim)', '(x - x.mean(-1, keepdim=True)) / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)')],
  ] as const) {
    it(`${what}: not read, the network not simulated`, () => {
      const { net } = run(stack(norm));
      assert.match(net.unsimulable ?? '', /^a concatenation or a call the simulation cannot follow/);
    });
  }

  it('a norm over the last axis of a Conv1d\'s (channels, length) output is not read: that axis is the positions', () => {
    const text = `import torch
import torch.nn as nn


${RSQRT_RMS}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(8, 32, 3, padding=1)
        self.norm = Norm(16)
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        return self.fc(self.norm(self.conv(x)))


net = Net()
y = net(torch.randn(2, 8, 16))
`;
    const { net } = run(text);
    assert.match(net.unsimulable ?? '', /^a concatenation or a call the simulation cannot follow/);
  });

  it('ConvNeXt\'s channels_first norm over dim 1 of a conv map is a norm for the rules, not simulated (a per-position norm over channels)', () => {
    const text = `import torch
import torch.nn as nn


class ChannelNorm(nn.Module):
    def __init__(self, channels, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x):
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 32, 4, stride=4)
        self.norm = ChannelNorm(32)
        self.conv = nn.Conv2d(32, 32, 3, padding=1)

    def forward(self, x):
        return self.conv(self.norm(self.stem(x)))


net = Net()
y = net(torch.randn(2, 3, 32, 32))
`;
    const { net } = run(text);
    assert.match(net.unsimulable ?? '', /^`\(x - u\) \/ torch\.sqrt\(s \+ self\.eps\)` normalises each position of a map over its channels, a norm the simulation does not compute$/);
    assert.equal(net.ops.length, 0);
    // What feeds what is known: the stem's output is normalised, then read linearly by the conv (the affine `weight[:, None, None]` of ones and zeros is the identity).
    const stem = net.layers[0]!;
    assert.equal(stem.normalizedBeforeActivation, true);
    assert.equal(stem.consumer !== 'unknown' && stem.consumer.name, 'linear');
    // A weight not initialised to ones is no identity: the conv after it reads an unknown value.
    const scaled = run(text.replace('torch.ones(channels)', 'torch.full((channels,), 0.5)')).net;
    assert.equal(scaled.layers[0]!.consumer, 'unknown');
  });
});
