/**
 * Pre-norm stacks whose norm is written out by hand (interpreter/handNorm.ts), read from the code
 * and simulated analytically, against PyTorch 1.13 (test/reference/transformer/hand_norm.{py,json}):
 * an embedding, three blocks x + down(silu(up(norm(x)))) at d 128, a final norm and a head, the
 * norm LLaMA's `x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight` or a
 * centred LayerNorm `(x - mu) / torch.sqrt(var + self.eps)` with a ones weight and zeros bias.
 * Every residual sum's second moment and the gradient entering it, each Linear's output and the
 * gradient it sends back, within PyTorch's seed spread or a floor (3% of a second moment, 8% of a
 * gradient, as the other transformer oracle tests). Before handNorm.ts neither network was simulated.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { withinSeedSpread } from '../support/seedComparison';

interface Seed { emb_m2: number; stream_m2: number[]; stream_grad: number[]; linear_fwd: number[]; linear_grad: number[] }
interface Measured { id: 'rms' | 'layer'; tokens: number; d_model: number; n_layer: number; vocab: number; per_seed: Seed[] }

const NORMS: Record<Measured['id'], string> = {
  rms: `class Norm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight`,
  layer: `class Norm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        return self.weight * ((x - mu) / torch.sqrt(var + self.eps)) + self.bias`,
};

/** The measured model as code. */
const codeOf = (m: Measured) => `import torch
import torch.nn as nn
import torch.nn.functional as F


${NORMS[m.id]}


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.norm = Norm(d)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)

    def forward(self, x):
        return x + self.down(F.silu(self.up(self.norm(x))))


class Net(nn.Module):
    def __init__(self, vocab=${m.vocab}, d=${m.d_model}, depth=${m.n_layer}):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList([Block(d) for _ in range(depth)])
        self.final = Norm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.final(x))
`;

describe('hand-written RMSNorm / LayerNorm pre-norm stacks vs PyTorch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/hand_norm.json').results;

  function network(m: Measured): Network {
    const found = analyze({ text: codeOf(m), languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    assert.equal(found.unsimulable, undefined, `not simulated: ${found.unsimulable}`);
    // The code states no sequence length: the measured one.
    return { ...found, tokens: m.tokens };
  }

  for (const id of ['rms', 'layer'] as const) {
    it(`${id}: analytic pass within PyTorch's seed spread (stream, its gradient, the Linears forward and back)`, () => {
      const m = measured.find((r) => r.id === id);
      assert.ok(m, `no measurement ${id}`);
      const n = network(m);
      assert.deepEqual(n.ops.filter((op) => op.op === 'norm').map((op) => op.op === 'norm' && op.kind), [id === 'rms' ? 'rmsnorm' : 'layernorm']);
      const s = simulateTokenStream(n, NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(s, 'the token stream is simulated');
      const failures: string[] = [];
      const check = (what: string, predicted: number, seeds: number[], floor: number) => {
        if (!withinSeedSpread(predicted, seeds, floor, false)) failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${seeds.map((v) => v.toPrecision(4)).join(', ')}`);
      };
      const seeds = (f: (p: Seed) => number) => m.per_seed.map(f);
      const stream = s.stream.filter((p) => p.depth === 0);
      assert.equal(stream.length, m.n_layer);
      check('stream input', stream[0]!.before, seeds((p) => p.emb_m2), 0.01);
      stream.forEach((p, i) => {
        check(`sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2[i]!), 0.03);
        check(`sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad[i]!), 0.08);
      });
      // network.layers: the embedding, per block up and down, then the head.
      for (let i = 0; i < 2 * m.n_layer + 1; i++) {
        const layer = s.simulation.layers[i + 1]!;
        check(`linear ${i + 1} forward`, layer.forwardVariance, seeds((p) => p.linear_fwd[i]!), 0.03);
        check(`linear ${i + 1} gradient`, layer.gradientVariance, seeds((p) => p.linear_grad[i]!), 0.08);
      }
      assert.deepEqual(failures, []);
    });
  }
});
