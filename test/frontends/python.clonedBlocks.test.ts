/**
 * nn.TransformerEncoder(layer, N) deep-copies one initialised layer: every block starts from the
 * same weights unless init code draws them afresh afterwards (IW404). Checked against PyTorch
 * (test/reference/transformer/cloned_blocks.json): the copied stack differs from an independently
 * drawn one far beyond the seeds' spread, so InitWise must not show the independent numbers for
 * it; with each block re-drawn (IW404's fix) the token-stream pass agrees with PyTorch's
 * independently drawn stack.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { withinSeedSpread } from '../support/seedComparison';

interface Stats { stream_m2: number[]; stream_rho: number[] }
interface Measured {
  id: string; d_model: number; heads: number; ff: number; layers: number; activation: string; norm_first: boolean; tokens: number;
  cloned: { per_seed: Stats[] }; independent: { per_seed: Stats[] }; cloned_in_proj_only: { per_seed: Stats[] };
}

const REDRAW = `        for block in self.encoder.layers:
            for linear in (block.self_attn.out_proj, block.linear1, block.linear2):
                linear.reset_parameters()
            block.self_attn._reset_parameters()
`;

/** What an `apply` over every nn.Linear leaves: out_proj, linear1 and linear2 per block, in_proj_weight shared. */
const REDRAW_LINEARS = `        for block in self.encoder.layers:
            for linear in (block.self_attn.out_proj, block.linear1, block.linear2):
                linear.reset_parameters()
            nn.init.zeros_(block.self_attn.out_proj.bias)
`;

/** The measured stack as a user writes it; `redraw`: the init code after it. */
function encoder(m: Measured, redraw: string): string {
  return `import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(${m.d_model}, ${m.heads}, dim_feedforward=${m.ff}, dropout=0.0, activation="${m.activation}", batch_first=True, norm_first=${m.norm_first ? 'True' : 'False'})
        self.encoder = nn.TransformerEncoder(layer, num_layers=${m.layers})
${redraw}
    def forward(self, x):
        return self.encoder(x)
`;
}


describe('python: nn.TransformerEncoder copies one layer (IW404, against PyTorch)', () => {
  const measured = readReference<{ configs: Measured[] }>('transformer/cloned_blocks.json').configs;
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function network(text: string): { network: Network; codes: string[] } {
    const result = analyze({ text, languageId: 'python', python });
    const found = result.networks.find((n) => n.name === 'Encoder');
    assert.ok(found, 'no network Encoder');
    return { network: found, codes: result.findings.map((f) => f.code) };
  }

  it('PyTorch: the copied stack is far outside the independent stack\'s spread (why the copies are not simulated as independent draws)', () => {
    for (const m of measured) {
      const last = m.layers - 1;
      const cloned = m.cloned.per_seed.map((s) => s.stream_rho[last]!);
      const independent = m.independent.per_seed.map((s) => s.stream_rho[last]!);
      assert.ok(Math.min(...cloned) > 1.5 * Math.max(...independent), `${m.id}: token correlation ${cloned.join(', ')} vs ${independent.join(', ')}`);
      if (!m.norm_first) continue;
      const clonedM2 = m.cloned.per_seed.map((s) => s.stream_m2[last]!);
      const independentM2 = m.independent.per_seed.map((s) => s.stream_m2[last]!);
      assert.ok(Math.min(...clonedM2) > 4 * Math.max(...independentM2), `${m.id}: stream ${clonedM2.join(', ')} vs ${independentM2.join(', ')}`);
    }
  });

  for (const id of ['preln_d512_h8_L12_relu', 'preln_d256_h4_L24_gelu']) {
    it(`${id}: as written, IW404 and no analytic simulation; re-drawn per block, every block's output within PyTorch's spread`, () => {
      const m = measured.find((c) => c.id === id)!;
      const copied = network(encoder(m, ''));
      assert.deepEqual(copied.codes, ['IW404']);
      assert.match(copied.network.monteCarloOnly ?? '', /identical weights/);
      assert.equal(simulateTokenStream(copied.network, NEVER_CANCELLED), undefined);

      const redrawn = network(encoder(m, REDRAW));
      assert.deepEqual(redrawn.codes, []);
      assert.equal(redrawn.network.unsimulable, undefined);
      agrees(redrawn.network, m, m.independent.per_seed);
    });
  }

  it('ties the copies for the Monte-Carlo pass: every later block\'s shared weight draws as the first block\'s (WeightLayer.copyOf)', () => {
    const m = measured.find((c) => c.id === 'preln_d512_h8_L12_relu')!;
    // A block's layers in forward order: q, k, v, out_proj, linear1, linear2.
    const copyOf = (n: Network) => n.layers.map((l) => l.copyOf ?? null);
    const copied = network(encoder(m, '')).network;
    assert.deepEqual(copyOf(copied), copied.layers.map((l) => (l.index < 6 ? null : l.index % 6)));
    assert.deepEqual(copyOf(network(encoder(m, REDRAW)).network), copied.layers.map(() => null));
    // Only in_proj_weight (q, k, v) still shared: tied, although no rule reports it.
    const partly = network(encoder(m, REDRAW_LINEARS)).network;
    assert.equal(partly.monteCarloOnly, undefined);
    assert.deepEqual(copyOf(partly), copied.layers.map((l) => (l.index >= 6 && l.index % 6 < 3 ? l.index % 6 : null)));
  });

  it('preln_d512_h8_L12_relu with only in_proj_weight shared (the Linear layers re-drawn per block): quiet, and within PyTorch\'s spread', () => {
    const m = measured.find((c) => c.id === 'preln_d512_h8_L12_relu')!;
    const partly = network(encoder(m, REDRAW_LINEARS));
    assert.deepEqual(partly.codes, []);
    assert.equal(partly.network.identicalBlocks, undefined);
    agrees(partly.network, m, m.cloned_in_proj_only.per_seed);
  });

  /** Each block's output (the second residual sum of the block) within the seeds' spread. */
  function agrees(n: Network, m: Measured, perSeed: readonly Stats[]): void {
    assert.equal(n.unsimulable, undefined);
    // The measured sequence length (the code does not state one; InitWise would assume 128).
    const s = simulateTokenStream({ ...n, tokens: m.tokens }, NEVER_CANCELLED);
    assert.ok(s, 'the token stream is simulated');
    const sums = s.stream.filter((p) => p.depth === 0);
    assert.equal(sums.length, 2 * m.layers);
    for (let block = 0; block < m.layers; block++) {
      const p = sums[2 * block + 1]!;
      const m2 = perSeed.map((seed) => seed.stream_m2[block]!);
      const rho = perSeed.map((seed) => seed.stream_rho[block]!);
      assert.ok(withinSeedSpread(p.secondMoment, m2, 0.03, false), `block ${block + 1}: ${p.secondMoment} vs PyTorch ${m2.join(', ')}`);
      assert.ok(withinSeedSpread(p.correlation, rho, 0.015, true), `block ${block + 1}: correlation ${p.correlation} vs PyTorch ${rho.join(', ')}`);
    }
  }
});
