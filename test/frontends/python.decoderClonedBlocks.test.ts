/**
 * nn.TransformerDecoder(layer, N) deep-copies one initialised layer exactly as
 * nn.TransformerEncoder does (IW404, python.clonedBlocks.test.ts). Checked against PyTorch
 * (test/reference/transformer/decoder_cloned_blocks.json): the copied decoder differs from an
 * independently drawn one far beyond the seeds' spread, so InitWise reports it and does not
 * simulate it; with each block re-drawn (IW404's fix, cross-attention included) the token-stream
 * pass agrees with PyTorch's independently drawn decoder, and with only the two attentions'
 * in_proj_weight left copied (PyTorch: within the spread of independent layers) it is quiet.
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

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Stats { stream_m2: number[]; stream_rho: number[] }
interface Measured {
  id: string; d_model: number; heads: number; ff: number; layers: number; activation: string; norm_first: boolean; tokens: number;
  cloned: { per_seed: Stats[] }; independent: { per_seed: Stats[] }; cloned_in_proj_only: { per_seed: Stats[] };
}

/** IW404's fix as it writes it for a decoder (test/golden/fixtures/rules/IW404/fires_decoder_pytorch.py.golden). */
const REDRAW = `        for block in self.decoder.layers:
            for linear in (block.self_attn.out_proj, block.multihead_attn.out_proj, block.linear1, block.linear2):
                linear.reset_parameters()
            block.self_attn._reset_parameters()
            block.multihead_attn._reset_parameters()
`;

/** The measurement's "cloned_in_proj_only": every Linear re-drawn per block, both in_proj_weights copied. */
const REDRAW_LINEARS = `        for block in self.decoder.layers:
            for linear in (block.self_attn.out_proj, block.multihead_attn.out_proj, block.linear1, block.linear2):
                linear.reset_parameters()
            nn.init.zeros_(block.self_attn.out_proj.bias)
            nn.init.zeros_(block.multihead_attn.out_proj.bias)
`;

/** The measured decoder as a user writes it; `redraw`: the init code after it. */
function decoder(m: Measured, redraw: string): string {
  return `import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerDecoderLayer(${m.d_model}, ${m.heads}, dim_feedforward=${m.ff}, dropout=0.0, activation="${m.activation}", batch_first=True, norm_first=${m.norm_first ? 'True' : 'False'})
        self.decoder = nn.TransformerDecoder(layer, num_layers=${m.layers})
${redraw}
    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.decoder(tgt, memory, tgt_mask=mask)
`;
}


describe('python: nn.TransformerDecoder copies one layer (IW404, against PyTorch)', () => {
  const measured = readReference<{ configs: Measured[] }>('transformer/decoder_cloned_blocks.json').configs;
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function network(text: string): { network: Network; codes: string[] } {
    const result = analyze({ text, languageId: 'python', python });
    const found = result.networks.find((n) => n.name === 'Decoder');
    assert.ok(found, 'no network Decoder');
    return { network: found, codes: result.findings.map((f) => f.code) };
  }

  it('PyTorch: the copied decoder is far outside the independent decoder\'s spread; in_proj_weight alone copied is not', () => {
    for (const m of measured) {
      const last = m.layers - 1;
      const at = (runs: readonly Stats[], key: keyof Stats) => runs.map((s) => s[key][last]!);
      assert.ok(Math.min(...at(m.cloned.per_seed, 'stream_rho')) > 1.5 * Math.max(...at(m.independent.per_seed, 'stream_rho')), `${m.id}: token correlation`);
      if (m.norm_first) assert.ok(Math.min(...at(m.cloned.per_seed, 'stream_m2')) > 4 * Math.max(...at(m.independent.per_seed, 'stream_m2')), `${m.id}: stream`);
      for (const key of ['stream_m2', 'stream_rho'] as const) {
        assert.ok(withinSeedSpread(mean(at(m.cloned_in_proj_only.per_seed, key)), at(m.independent.per_seed, key), key === 'stream_m2' ? 0.03 : 0.015, key === 'stream_rho'), `${m.id}: ${key} with in_proj_weight copied`);
      }
    }
  });

  for (const id of ['dec_preln_d256_h4_L12_relu', 'dec_postln_d256_h4_L12_relu']) {
    it(`${id}: as written, IW404 and no simulation; re-drawn per block, every block's output within PyTorch's spread`, () => {
      const m = measured.find((c) => c.id === id)!;
      const copied = network(decoder(m, ''));
      assert.deepEqual(copied.codes, ['IW404']);
      assert.match(copied.network.monteCarloOnly ?? '', /identical weights/);
      assert.deepEqual(copied.network.identicalBlocks?.map((b) => b.weights.length), [6]);
      assert.equal(simulateTokenStream(copied.network, NEVER_CANCELLED), undefined);

      const redrawn = network(decoder(m, REDRAW));
      assert.deepEqual(redrawn.codes, []);
      assert.equal(redrawn.network.identicalBlocks, undefined);
      agrees(redrawn.network, m, m.independent.per_seed);
    });
  }

  it('dec_preln_d256_h4_L12_relu with only the in_proj_weights copied (every Linear re-drawn per block): quiet, and within PyTorch\'s spread', () => {
    const m = measured.find((c) => c.id === 'dec_preln_d256_h4_L12_relu')!;
    const partly = network(decoder(m, REDRAW_LINEARS));
    assert.deepEqual(partly.codes, []);
    assert.equal(partly.network.identicalBlocks, undefined);
    agrees(partly.network, m, m.cloned_in_proj_only.per_seed);
  });

  /**
   * Each block's output (the third residual sum of the block) within the seeds' spread. Post-LN:
   * the sum is recorded before norm3, whose output PyTorch measures at E[x²] = 1, so only the
   * token correlation (which a LayerNorm of zero-mean tokens keeps) is compared.
   */
  function agrees(n: Network, m: Measured, perSeed: readonly Stats[]): void {
    assert.equal(n.unsimulable, undefined);
    // The measured sequence lengths (the code states none; InitWise would assume 128 for both).
    const s = simulateTokenStream({ ...n, tokens: m.tokens }, NEVER_CANCELLED);
    assert.ok(s, 'the token stream is simulated');
    const sums = s.stream.filter((p) => p.depth === 0);
    assert.equal(sums.length, 3 * m.layers);
    for (let block = 0; block < m.layers; block++) {
      const p = sums[3 * block + 2]!;
      const m2 = perSeed.map((seed) => seed.stream_m2[block]!);
      const rho = perSeed.map((seed) => seed.stream_rho[block]!);
      if (m.norm_first) assert.ok(withinSeedSpread(p.secondMoment, m2, 0.03, false), `block ${block + 1}: ${p.secondMoment} vs PyTorch ${m2.join(', ')}`);
      assert.ok(withinSeedSpread(p.correlation, rho, 0.015, true), `block ${block + 1}: correlation ${p.correlation} vs PyTorch ${rho.join(', ')}`);
    }
  }
});
