/**
 * The Monte-Carlo pass of copied transformer stacks (IW404, issue 15 item a) against PyTorch
 * (test/reference/transformer/cloned_blocks.json, decoder_cloned_blocks.json: PyTorch 1.13, 6
 * seeds each). `nn.TransformerEncoder(layer, N)` and `nn.TransformerDecoder(layer, N)` deep-copy
 * one initialised layer; the analytic pass assumes independent blocks and declines such a network
 * (Network.monteCarloOnly), while the Monte-Carlo pass draws the shared weights once
 * (WeightLayer.copyOf) and must give PyTorch's numbers: the stream's second moment and token
 * correlation after every block within PyTorch's seed spread of the copied stack, and, at the
 * last block, outside the spread of independently drawn blocks (so the copies are really
 * shared). With IW404's own fix applied (each block drawn afresh), the same pass agrees with
 * PyTorch's independent blocks.
 *
 * Cost: a d_model-512 12-block stack is ~5 s of CPU per seed; the suite runs two seeds per case
 * (their mean is compared); ORACLE_FULL=1 adds the 24-block d_model-256 stack and the post-LN
 * d_model-512 stack's fixed form.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { applyEdits } from '../../server/src/core/fixes/applyEdits';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { withinSeedSpread } from '../support/seedComparison';

interface Stats { stream_m2: number[]; stream_rho: number[] }
interface Measured {
  id: string; d_model: number; heads: number; ff: number; layers: number; activation: string; norm_first: boolean; tokens: number; batch: number;
  cloned: { per_seed: Stats[] }; independent: { per_seed: Stats[] };
}

const FULL = process.env.ORACLE_FULL === '1';
const SEEDS = 2;
/** The transformer tests' floors (seedComparison.ts withinSeedSpread): 3% of a second moment, 0.015 of a correlation. */
const MOMENT_FLOOR = 0.03;
const CORRELATION_FLOOR = 0.015;

/** The measured stack as a user writes it (python.clonedBlocks.test.ts, python.decoderClonedBlocks.test.ts). */
function encoder(m: Measured): string {
  return `import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(${m.d_model}, ${m.heads}, dim_feedforward=${m.ff}, dropout=0.0, activation="${m.activation}", batch_first=True, norm_first=${m.norm_first ? 'True' : 'False'})
        self.encoder = nn.TransformerEncoder(layer, num_layers=${m.layers})

    def forward(self, x):
        return self.encoder(x)
`;
}

function decoder(m: Measured): string {
  return `import torch.nn as nn


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerDecoderLayer(${m.d_model}, ${m.heads}, dim_feedforward=${m.ff}, dropout=0.0, activation="${m.activation}", batch_first=True, norm_first=${m.norm_first ? 'True' : 'False'})
        self.decoder = nn.TransformerDecoder(layer, num_layers=${m.layers})

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.decoder(tgt, memory, tgt_mask=mask)
`;
}

/** `full`: only with ORACLE_FULL=1; `fixedInFull`: the fixed network's check only then. */
interface Case { readonly file: string; readonly id: string; readonly code: (m: Measured) => string; readonly full?: true; readonly fixedInFull?: true }
const CASES: readonly Case[] = [
  { file: 'cloned_blocks.json', id: 'preln_d512_h8_L12_relu', code: encoder },
  { file: 'cloned_blocks.json', id: 'postln_d512_h8_L12_relu', code: encoder, fixedInFull: true },
  { file: 'cloned_blocks.json', id: 'preln_d256_h4_L24_gelu', code: encoder, full: true },
  { file: 'decoder_cloned_blocks.json', id: 'dec_preln_d256_h4_L12_relu', code: decoder },
  { file: 'decoder_cloned_blocks.json', id: 'dec_postln_d256_h4_L12_relu', code: decoder },
];

/**
 * Each block's output as PyTorch measures it: the block's last residual sum (post-LN: after its
 * norm), the mean over SEEDS networks drawn (one draw lands outside the range of PyTorch's six
 * about as often as a seventh PyTorch seed would: ~2% per number).
 */
function blockOutputs(network: Network, m: Measured): { m2: number; rho: number }[] {
  const run = simulateTokenMonteCarlo({ ...network, tokens: m.tokens }, { seed: 1, seeds: SEEDS, batch: m.batch }, NEVER_CANCELLED);
  assert.ok(run, `${m.id}: the Monte-Carlo pass declined`);
  const sums = run.stream.filter((p) => p.depth === 0);
  const perBlock = sums.length / m.layers;
  assert.ok(Number.isInteger(perBlock), `${m.id}: ${sums.length} residual sums for ${m.layers} blocks`);
  return Array.from({ length: m.layers }, (_, block) => {
    const point = sums[(block + 1) * perBlock - 1]!;
    const after = point.normalized ?? point;
    return { m2: after.secondMoment, rho: after.correlation };
  });
}

/** Failures of every block against PyTorch's seeds (withinSeedSpread); empty when all agree. */
function disagreements(ours: readonly { m2: number; rho: number }[], torch: readonly Stats[]): string[] {
  return ours.flatMap(({ m2, rho }, block) => {
    const m2s = torch.map((s) => s.stream_m2[block]!);
    const rhos = torch.map((s) => s.stream_rho[block]!);
    const out: string[] = [];
    if (!withinSeedSpread(m2, m2s, MOMENT_FLOOR, false)) out.push(`block ${block + 1}: stream ${m2.toPrecision(4)} vs PyTorch ${m2s.map((v) => v.toPrecision(4)).join(', ')}`);
    if (!withinSeedSpread(rho, rhos, CORRELATION_FLOOR, true)) out.push(`block ${block + 1}: correlation ${rho.toFixed(3)} vs PyTorch ${rhos.map((v) => v.toFixed(3)).join(', ')}`);
    return out;
  });
}

describe('Monte-Carlo of copied transformer stacks vs PyTorch (IW404: cloned_blocks.json, decoder_cloned_blocks.json)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function analysed(text: string) {
    const result = analyze({ text, languageId: 'python', python });
    const network = result.networks.find((n) => n.name === 'Encoder' || n.name === 'Decoder');
    assert.ok(network, 'no network');
    return { result, network };
  }

  for (const c of CASES) {
    if (c.full && !FULL) continue;
    const checkFixed = FULL || !c.fixedInFull;
    it(`${c.id}: the copies drawn once give PyTorch's copied stack${checkFixed ? '; IW404\'s fix gives its independent blocks' : ''}`, function () {
      this.timeout(240_000);
      const m = readReference<{ configs: Measured[] }>(`transformer/${c.file}`).configs.find((x) => x.id === c.id)!;
      const text = c.code(m);
      const { result, network } = analysed(text);
      // The analytic pass declines the copies (it draws blocks independently); Monte-Carlo runs them.
      assert.equal(network.unsimulable, undefined);
      assert.match(network.monteCarloOnly ?? '', new RegExp(`its ${m.layers} blocks start from identical weights`));
      assert.equal(simulateTokenStream(network, NEVER_CANCELLED), undefined);
      const copied = blockOutputs(network, m);
      assert.deepEqual(disagreements(copied, m.cloned.per_seed), []);
      // The last block is far from independent blocks (what sharing the draws changes).
      const last = m.layers - 1;
      const independentLast = { m2: m.independent.per_seed.map((s) => s.stream_m2[last]!), rho: m.independent.per_seed.map((s) => s.stream_rho[last]!) };
      assert.ok(copied[last]!.rho > Math.max(...independentLast.rho) + 0.1, `correlation ${copied[last]!.rho} vs independent ${independentLast.rho.join(', ')}`);
      if (m.norm_first) assert.ok(copied[last]!.m2 > 3 * Math.max(...independentLast.m2), `stream ${copied[last]!.m2} vs independent ${independentLast.m2.join(', ')}`);

      // IW404's fix as the user applies it: every block drawn afresh.
      const finding = result.findings.find((f) => f.code === 'IW404');
      const fix = finding?.fixes[0];
      assert.ok(fix, 'IW404 offers its fix');
      if (!checkFixed) return;
      const fixed = applyEdits(text, fix.edits);
      assert.ok(fixed !== undefined);
      const redrawn = analysed(fixed);
      assert.equal(redrawn.network.monteCarloOnly, undefined);
      assert.ok(redrawn.network.layers.every((l) => l.copyOf === undefined));
      assert.deepEqual(disagreements(blockOutputs(redrawn.network, m), m.independent.per_seed), []);
    });
  }

  it('the comparison can fail: the copied stack drawn independently is outside PyTorch\'s copied spread', function () {
    this.timeout(240_000);
    const m = readReference<{ configs: Measured[] }>('transformer/decoder_cloned_blocks.json').configs.find((x) => x.id === 'dec_preln_d256_h4_L12_relu')!;
    const { network } = analysed(decoder(m));
    const untied: Network = { ...network, layers: network.layers.map((l) => ({ ...l, copyOf: undefined })) };
    // The ops hold the layers too: untie them there as well (walk and replace by index).
    const byIndex = new Map(untied.layers.map((l) => [l.index, l]));
    const untie = (ops: Network['ops']): Network['ops'] => ops.map((op) => {
      if (op.op === 'layer') return byIndex.get(op.index)!;
      if (op.op === 'residual' || op.op === 'memory') return { ...op, body: untie(op.body) };
      if (op.op === 'attention') return { ...op, query: byIndex.get(op.query.index)!, key: byIndex.get(op.key.index)!, value: byIndex.get(op.value.index)!, output: byIndex.get(op.output!.index)! };
      return op;
    });
    const failures = disagreements(blockOutputs({ ...untied, ops: untie(network.ops) }, m), m.cloned.per_seed);
    assert.ok(failures.some((f) => f.startsWith(`block ${m.layers}:`)), failures.join('\n'));
  });
});
