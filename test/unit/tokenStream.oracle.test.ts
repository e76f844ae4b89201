/**
 * The token-stream simulation (attention, residual streams, token correlation) against the
 * transformer oracle (test/reference/transformer/):
 * 1. components.json, computed independently with numpy: the softmax moments of one attention
 *    row (400,000-row Monte Carlo) within 1% (p2, p3, p22; the cross-row overlap within 1.5%
 *    where the softmax is not saturated, v ≤ 1, and within 20% where it is), and the dual
 *    kernels of ReLU/GELU/SiLU/tanh (240-node quadrature) within 1e-3.
 * 2. ground_truth.json, real PyTorch 1.13 at d_model 512–768, 64 tokens: per sublayer the
 *    residual stream's second moment, the gradient at its input, the token correlation, and
 *    each attention's logit variance and Σ A², within PyTorch's spread over its seeds.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { dualDerivativeKernel, dualKernel } from '../../server/src/core/simulation/dualKernel';
import { crossRowOverlap, softmaxMoments } from '../../server/src/core/simulation/softmaxStatistics';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { readReference } from '../support/reference';
import { type TransformerConfig, transformerNetwork } from '../support/transformerNetworks';

interface SoftmaxEntry { n: number; v: number; r: number; p2: number; p3: number; p22: number; pik: number }
interface KernelEntry { activation: string; q: number; r: number; k: number; kprime: number }
interface Aggregate { mean: (number | null)[]; min: (number | null)[]; max: (number | null)[] }
interface GroundTruthEntry extends TransformerConfig {
  results: Record<'stream_m2' | 'stream_rho' | 'grad_in_m2' | 'logit_var' | 'attn_pii', Aggregate>;
}

const verbose = process.env.ORACLE_VERBOSE === '1';
const relative = (a: number, b: number) => Math.abs(a / b - 1);

describe('token-stream components vs independent numpy values', () => {
  const components = readReference<{ softmax: SoftmaxEntry[]; kernels: KernelEntry[] }>('transformer/components.json');

  it('softmax moments of one row (Laplace transform) within 1% of Monte Carlo', () => {
    for (const e of components.softmax) {
      const m = softmaxMoments(e.v, e.n);
      for (const key of ['p2', 'p3', 'p22'] as const) {
        assert.ok(relative(m[key], e[key]) < 0.01, `${key} n=${e.n} v=${e.v}: ${m[key]} vs ${e[key]}`);
      }
    }
  });

  it('cross-row overlap within 1.5% unsaturated (v ≤ 1), 20% saturated', () => {
    for (const e of components.softmax) {
      const pik = crossRowOverlap(softmaxMoments(e.v, e.n).p2, e.n, e.r);
      const tolerance = e.v <= 1 ? 0.015 : 0.2;
      assert.ok(relative(pik, e.pik) < tolerance, `pik n=${e.n} v=${e.v} r=${e.r}: ${pik} vs ${e.pik}`);
    }
  });

  it('dual kernels within 1e-3', () => {
    for (const e of components.kernels) {
      const activation = { name: e.activation as 'relu' };
      const k = dualKernel(activation, e.q, e.r * e.q);
      const kp = dualDerivativeKernel(activation, e.q, e.r * e.q);
      assert.ok(relative(k, e.k) < 1e-3 || Math.abs(k - e.k) < 1e-9, `K ${e.activation} q=${e.q} r=${e.r}: ${k} vs ${e.k}`);
      assert.ok(relative(kp, e.kprime) < 1e-3, `K′ ${e.activation} q=${e.q} r=${e.r}: ${kp} vs ${e.kprime}`);
    }
  });
});

/**
 * Agreement with PyTorch: each number lies within the spread of PyTorch's 4 seeds around their
 * mean (|predicted − mean| ≤ max − min over the seeds), or within a floor where the seeds agree
 * more closely than the infinite-width limit can: 3% for second moments (8% for the gradient
 * behind saturated logits, whose softmax statistics are approximate), 0.015 for a correlation.
 * The worst ratio |predicted − mean| / allowed is printed with ORACLE_VERBOSE=1.
 */
const MOMENT_FLOOR = 0.03;
const SATURATED_GRADIENT_FLOOR = 0.08;
const CORRELATION_FLOOR = 0.015;

function excess(predicted: number, aggregate: Aggregate, i: number, floor: number, absolute: boolean): number {
  const mean = aggregate.mean[i]!;
  const spread = aggregate.max[i]! - aggregate.min[i]!;
  const allowed = Math.max(spread, absolute ? floor : floor * Math.abs(mean));
  return Math.abs(predicted - mean) / allowed;
}

describe('token-stream simulation vs PyTorch (transformer oracle)', () => {
  const truth = readReference<{ configs: GroundTruthEntry[] }>('transformer/ground_truth.json');

  for (const config of truth.configs) {
    it(`${config.id}: stream, gradient, token correlation and attention per sublayer`, () => {
      const sim = simulateTokenStream(transformerNetwork(config), NEVER_CANCELLED, { gradientAtLogits: false, inputCorrelation: config.input.rho });
      assert.ok(sim);
      const stream = sim.stream.filter((p) => p.depth === 0);
      const r = config.results;
      assert.equal(stream.length, r.stream_m2.mean.length);
      const saturated = sim.attention.some((a) => a.logitVariance > 4);
      const worst = { m: 0, g: 0, rho: 0, v: 0, p2: 0 };
      let attention = 0;
      stream.forEach((point, i) => {
        // Post-LN normalises the sum: the stream PyTorch sees after the sublayer has E[x²] = 1.
        const m = config.norm === 'post' ? 1 : point.secondMoment;
        worst.m = Math.max(worst.m, excess(m, r.stream_m2, i, MOMENT_FLOOR, false));
        worst.g = Math.max(worst.g, excess(point.gradient, r.grad_in_m2, i, saturated ? SATURATED_GRADIENT_FLOOR : MOMENT_FLOOR, false));
        worst.rho = Math.max(worst.rho, excess(point.correlation, r.stream_rho, i, CORRELATION_FLOOR, true));
        if (r.logit_var.mean[i] !== null) {
          const a = sim.attention[attention++]!;
          // PyTorch takes each row's population variance over its keys: E = v·(n−1)/n per row.
          const rows = config.attention.causal ? Array.from({ length: config.tokens }, (_, k) => k + 1) : [config.tokens];
          const sampleFactor = rows.reduce((s, n) => s + (n - 1) / n, 0) / rows.length;
          worst.v = Math.max(worst.v, excess(a.logitVariance * sampleFactor, r.logit_var, i, MOMENT_FLOOR, false));
          worst.p2 = Math.max(worst.p2, excess(a.p2, r.attn_pii, i, MOMENT_FLOOR, false));
        }
      });
      if (verbose) console.log(config.id, JSON.stringify(worst));
      for (const [quantity, ratio] of Object.entries(worst)) assert.ok(ratio <= 1, `${quantity}: ${ratio.toFixed(2)}× the allowed deviation`);
    });
  }
});
