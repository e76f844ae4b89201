/**
 * The analytic token-stream pass of a post-LN or pre-LN stack of nn.TransformerEncoderLayer blocks
 * held to a PyTorch reference measured as test/reference/transformer/embedding_scale.py measures
 * it (transformer_subclass.py too): the stream entering the first block, every residual sum's
 * second moment, token correlation and gradient, the feed-forward Linears' and the head's forward
 * and gradient, and the embedding's — each within PyTorch's seed spread or a floor (3% of a second
 * moment, 0.015 of a correlation, 8% of a gradient, whose attention statistics are approximate).
 */
import * as assert from 'node:assert/strict';
import type { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { withinSeedSpread } from './seedComparison';

/** One seed's record, the fields both scripts write. */
export interface EncoderStackSeed {
  readonly emb_m2: number;
  readonly input_m2: number;
  readonly stream_m2: readonly number[];
  readonly stream_rho: readonly number[];
  readonly stream_grad: readonly number[];
  readonly onehot_grad: number;
  readonly linear_fwd: readonly number[];
  readonly linear_grad: readonly number[];
}

/** Each quantity outside PyTorch's seed spread, as "what: ours vs PyTorch's seeds"; empty when all agree. */
export function encoderStackMismatches(
  s: NonNullable<ReturnType<typeof simulateTokenStream>>,
  m: { readonly n_layer: number; readonly per_seed: readonly EncoderStackSeed[] },
): string[] {
  const failures: string[] = [];
  const check = (what: string, predicted: number, seeds: number[], floor: number, absolute = false) => {
    if (!withinSeedSpread(predicted, seeds, floor, absolute)) failures.push(`${what}: ${predicted.toPrecision(4)} vs PyTorch ${seeds.map((v) => v.toPrecision(4)).join(', ')}`);
  };
  const seeds = (f: (p: EncoderStackSeed) => number) => m.per_seed.map(f);
  const stream = s.stream.filter((p) => p.depth === 0);
  assert.equal(stream.length, 2 * m.n_layer);
  check('stream input', stream[0]!.before, seeds((p) => p.input_m2), 0.01);
  stream.forEach((p, i) => {
    check(`sum ${i + 1}`, p.secondMoment, seeds((q) => q.stream_m2[i]!), 0.03);
    check(`sum ${i + 1} correlation`, p.correlation, seeds((q) => q.stream_rho[i]!), 0.015, true);
    check(`sum ${i + 1} gradient`, p.gradient, seeds((q) => q.stream_grad[i]!), 0.08);
  });
  // network.layers: the embedding, per block q, k, v, out, linear1, linear2, then the head.
  const linears = [...Array.from({ length: m.n_layer }, (_, b) => [1 + 6 * b + 4, 1 + 6 * b + 5]).flat(), 1 + 6 * m.n_layer];
  linears.forEach((index, i) => {
    const layer = s.simulation.layers[index]!;
    check(`linear ${i + 1} forward`, layer.forwardVariance, seeds((p) => p.linear_fwd[i]!), 0.03);
    check(`linear ${i + 1} gradient`, layer.gradientVariance, seeds((p) => p.linear_grad[i]!), 0.08);
  });
  check('embedding forward', s.simulation.layers[0]!.forwardVariance, seeds((p) => p.emb_m2), 0.01);
  check('embedding gradient (one-hot ids)', s.simulation.layers[0]!.gradientVariance, seeds((p) => p.onehot_grad), 0.08);
  return failures;
}
