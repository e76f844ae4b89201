/**
 * The Monte-Carlo pass of encoder–decoder transformers (the memory drawn and run through the
 * encoder, cross-attention over its rows, the gradient every cross-attention sends it carried
 * back) against real PyTorch (test/reference/transformer/decoder_ground_truth.json), compared as
 * tokenMonteCarlo.oracle.test.ts compares: per seed, as two samples of random networks
 * (test/support/seedComparison.ts: three standard errors of the difference of the means plus 3%
 * in log units for second moments, 0.01 for a correlation). Per sublayer of the encoder and the
 * decoder: the stream's second moment (pre-LN) and token correlation, the gradient at its input,
 * each attention's logit variance and Σ_j A_ij²; the memory's second moment, correlation and
 * gradient. The configs with identical deep copies are not drawn (the pass draws each layer
 * independently: decoderStream.oracle.test.ts).
 * The worst |difference|/tolerance per config is printed with ORACLE_VERBOSE=1.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateTokenMonteCarlo, type TokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { decoderNetwork } from '../support/decoderNetworks';
import { readReference } from '../support/reference';
import { discrepancy } from '../support/seedComparison';
import type { DecoderTruth } from './decoderStream.oracle.test';

type Key = 'stream_m2' | 'stream_rho' | 'grad_in_m2' | 'logit_var' | 'attn_pii';
type Rows = Record<Key, (number | null)[]>;
interface Measured { encoder: Rows; decoder: Rows; memory: { m: number; rho: number; g: number } }

const VERBOSE = process.env.ORACLE_VERBOSE === '1';
const SEEDS: Record<string, number> = { transformer_post_d128: 2, transformer_pre_d128: 2, decoder_layer_post_d128: 2, decoder_layer_pre_d256_rho: 1 };
const MOMENT_FLOOR = 0.03;
const CORRELATION_FLOOR = 0.01;

function rowsOf(run: TokenMonteCarlo, memory: boolean, truth: DecoderTruth['results']['decoder'] | null, attention: { next: number }, postLN: boolean): Rows {
  const points = run.stream.filter((p) => p.depth === 0 && !!p.memory === memory);
  // Post-LN: PyTorch's stream after a sublayer is the normalised sum; pre-LN: the sum itself (a final norm comes later).
  const after = (p: (typeof points)[number]) => (postLN ? p.normalized ?? p : p);
  const rows: Rows = {
    stream_m2: points.map((p) => after(p).secondMoment),
    stream_rho: points.map((p) => after(p).correlation),
    grad_in_m2: points.map((p) => p.gradient),
    logit_var: points.map(() => null),
    attn_pii: points.map(() => null),
  };
  truth?.per_seed.logit_var[0]!.forEach((value, i) => {
    if (value === null) return;
    const a = run.attention[attention.next++]!;
    rows.logit_var[i] = a.logitVariance;
    rows.attn_pii[i] = a.p2;
  });
  return rows;
}

function measure(config: DecoderTruth, seeds: number, memoryCorrelation = config.input.rho_src): Measured[] {
  const network = decoderNetwork(config);
  return Array.from({ length: seeds }, (_, s) => {
    const run = simulateTokenMonteCarlo(network, {
      seed: 11 + s, batch: config.batch, gradientAtLogits: false, inputCorrelation: config.input.rho_tgt, memoryCorrelation,
    }, NEVER_CANCELLED);
    assert.ok(run?.memory, `${config.id}: the Monte-Carlo pass declined`);
    const attention = { next: 0 };
    const encoder = rowsOf(run, true, config.results.encoder, attention, !config.norm_first);
    const decoder = rowsOf(run, false, config.results.decoder, attention, !config.norm_first);
    assert.equal(attention.next, run.attention.length);
    return { encoder, decoder, memory: { m: run.memory.secondMoment, rho: run.memory.correlation, g: run.memory.gradient } };
  });
}

function compare(config: DecoderTruth, ours: Measured[]): { failures: string[]; worst: number } {
  const failures: string[] = [];
  let worst = 0;
  const check = (label: string, mine: number[], torch: number[], linear: boolean) => {
    const d = discrepancy(mine, torch, { scale: linear ? 'linear' : 'log', floor: linear ? CORRELATION_FLOOR : MOMENT_FLOOR });
    worst = Math.max(worst, d);
    if (!(d <= 1)) failures.push(`${label}: ours ${mine.map((v) => v.toPrecision(4)).join(', ')} vs PyTorch ${torch.map((v) => v.toPrecision(4)).join(', ')} (${d.toFixed(2)}×)`);
  };
  for (const part of ['encoder', 'decoder'] as const) {
    const truth = config.results[part];
    if (!truth) {
      assert.equal(ours[0]![part].stream_m2.length, 0);
      continue;
    }
    const keys: Key[] = config.norm_first ? ['stream_m2', 'stream_rho', 'grad_in_m2', 'logit_var', 'attn_pii'] : ['stream_rho', 'grad_in_m2', 'logit_var', 'attn_pii'];
    for (const key of keys) {
      const torchRuns: (number | null)[][] = truth.per_seed[key];
      assert.equal(ours[0]![part][key].length, torchRuns[0]!.length, `${config.id} ${part} ${key}: sublayer count`);
      torchRuns[0]!.forEach((first, i) => {
        if (first === null) return;
        check(`${part}.${key}[${i}]`, ours.map((run) => run[part][key][i]!), torchRuns.map((run) => run[i]!), key === 'stream_rho');
      });
    }
  }
  check('memory.m2', ours.map((o) => o.memory.m), config.results.memory_m2.per_seed, false);
  check('memory.rho', ours.map((o) => o.memory.rho), config.results.memory_rho.per_seed, true);
  check('memory.grad', ours.map((o) => o.memory.g), config.results.memory_grad_m2.per_seed, false);
  return { failures, worst };
}

describe('Monte-Carlo encoder–decoder vs PyTorch (decoder_ground_truth.json)', () => {
  const { configs } = readReference<{ configs: DecoderTruth[] }>('transformer/decoder_ground_truth.json');

  for (const config of configs) {
    const seeds = SEEDS[config.id];
    if (seeds === undefined) continue;
    it(`${config.id}: encoder, memory, decoder and cross-attention per sublayer`, function () {
      this.timeout(240_000);
      const { failures, worst } = compare(config, measure(config, seeds));
      if (VERBOSE) console.log(`${config.id}: worst |difference|/tolerance ${worst.toFixed(2)}`);
      assert.deepEqual(failures, []);
    });
  }

  it('rejects a memory drawn without its token correlation (the comparison can fail)', function () {
    this.timeout(60_000);
    const config = configs.find((c) => c.id === 'decoder_layer_pre_d256_rho')!;
    const { failures } = compare(config, measure(config, 1, 0));
    assert.ok(failures.some((f) => f.startsWith('memory.rho')), failures.join('\n'));
    assert.ok(failures.some((f) => f.startsWith('decoder.stream_rho')), failures.join('\n'));
  });
});
