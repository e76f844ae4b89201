/**
 * The Monte-Carlo simulation against real PyTorch (test/reference/oracle/ground_truth.json): every
 * config at its real widths, compared layer by layer with the oracle's per-seed
 * measurements, as two samples of random networks should be compared: the geometric
 * means over seeds of each layer's forward and gradient second moment must agree within
 *
 *     t · s · √(1/n_mc + 1/n_torch) + 0.1      (in log units)
 *
 * where s is the pooled standard deviation of log m2 across seeds (both sides), n the
 * numbers of seeds and t Student's quantile with the coverage of ±3σ for the degrees of
 * freedom (s comes from few seeds): three standard errors of the difference of two means,
 * plus 0.1 for batch noise. The spread is large where it matters (a GELU stack at width
 * 256 spreads its gradient 200× between seeds), so the criterion has to be statistical; it
 * still rejects mean field (taken as exact, no spread of its own) on the width-256 GELU
 * stack, 12× off, which the last test checks: the comparison can fail.
 * The worst |difference|/tolerance per config is printed with ORACLE_VERBOSE=1.
 *
 * Cost (to keep the suite near half a minute on 2 cores): a subset of seeds, 4 networks per
 * config (2 at width 1024 or depth 50, 1 for orthogonal inits and width 2048, 3 for the
 * batch-512 runs), and smaller batches than the oracle's 1024 / 128: 128 for width <= 256, 32 for
 * width 1024 (512 for GELU/SiLU, whose per-sample gradients are heavy-tailed), 16 for
 * width 2048 (still 16k-33k elements per statistic), 8 for the 64-channel 16x16 conv stacks
 * (2,048 positions per channel).
 * Residual units: pre_m2 is the first branch layer's pre-activation; grad_in_m2 the stream
 * gradient at the block input, accumulated as in the analytic oracle test.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import type { NetworkSimulation } from '../../server/src/core/simulation/types';
import { readReference } from '../support/reference';
import { oracleNetwork, type OracleConfig } from '../support/oracleNetworks';
import { discrepancy } from '../support/seedComparison';

interface PerSeed { pre_m2: number[][]; grad_in_m2: number[][] }
interface GroundTruthEntry extends OracleConfig {
  batch: number;
  input: { shape: number[] };
  results: { pre_m2: { geomean: number[] }; grad_in_m2: { geomean: number[] }; per_seed: PerSeed };
}

function testBatch(config: GroundTruthEntry): number {
  if (config.arch === 'conv2d') return 8;
  const width = Math.max(...config.input.shape);
  // GELU/SiLU at width 1024: the per-sample gradient is heavy-tailed, so a batch mean over
  // 32 samples sits ~2× below PyTorch's over 1024 (measured: 0.0035 at 32, 0.0053 at 256).
  if (width === 1024 && /^(gelu|silu)/.test(config.id)) return 512;
  return width >= 2048 ? 16 : width >= 1024 ? 32 : 128;
}

function testSeeds(config: GroundTruthEntry): number {
  const width = Math.max(...config.input.shape);
  // GELU/SiLU at width 1024: one network's gradient lands anywhere in a 10× range (seeds 7–12
  // give 0.005–0.067 at unit 2 of the GELU stack, PyTorch's five 0.005–0.011), so one seed
  // passes or fails by the luck of its draw; three make it a comparison of two samples.
  if (testBatch(config) >= 512) return 3;
  if (width >= 2048 || config.id.includes('orth')) return 1;
  return width >= 1024 || config.layers.length >= 50 ? 2 : 4;
}

function simulateSeeds(config: GroundTruthEntry): { pre: number[]; grad: number[] }[] {
  const network = oracleNetwork(config);
  const runs = Array.from({ length: testSeeds(config) }, (_, s) => {
    // The oracle's cotangent sits after every unit, a final sigmoid included.
    const sim = simulateMonteCarlo(network, { seed: 7 + s, batch: testBatch(config), gradientAtLogits: false }, NEVER_CANCELLED);
    assert.ok(sim);
    assert.equal(sim.method, 'montecarlo');
    return units(config, sim);
  });
  return config.layers.map((_, l) => ({ pre: runs.map((r) => r[l]!.pre), grad: runs.map((r) => r[l]!.grad) }));
}

/** Per oracle unit: forward and gradient second moments. */
function units(config: OracleConfig, sim: NetworkSimulation): { pre: number; grad: number }[] {
  if (config.arch !== 'resmlp') return sim.layers.map((l) => ({ pre: l.forwardVariance, grad: l.gradientVariance }));
  const out: { pre: number; grad: number }[] = [];
  let stream = sim.layers.length > 0 ? 1 : NaN;
  for (let b = config.layers.length - 1; b >= 0; b--) {
    stream += sim.layers[2 * b]!.gradientVariance;
    out[b] = { pre: sim.layers[2 * b]!.forwardVariance, grad: stream };
  }
  return out;
}

describe('Monte-Carlo simulation vs PyTorch (test/reference/oracle/ground_truth.json)', () => {
  const { configs } = readReference<{ configs: GroundTruthEntry[] }>('oracle/ground_truth.json');

  for (const config of configs) {
    it(config.id, function () {
      this.timeout(60_000);
      const measured = simulateSeeds(config);
      const perSeed = config.results.per_seed;
      let worst = 0;
      const failures: string[] = [];
      measured.forEach((unit, l) => {
        for (const [ours, key] of [[unit.pre, 'pre_m2'], [unit.grad, 'grad_in_m2']] as const) {
          const torch = perSeed[key].map((run) => run[l]!);
          const d = discrepancy(ours, torch);
          worst = Math.max(worst, d);
          if (!(d <= 1)) failures.push(`unit ${l + 1} ${key}: ours ${ours.map((v) => v.toPrecision(3)).join(', ')} vs PyTorch geomean ${config.results[key].geomean[l]!.toPrecision(3)} (${d.toFixed(2)}× the tolerance)`);
        }
      });
      if (process.env.ORACLE_VERBOSE) console.log(`${config.id}: worst |difference|/tolerance ${worst.toFixed(2)}`);
      assert.deepEqual(failures, []);
    });
  }

  // At width 256 PyTorch's gradient is 12× above mean field and 10 seeds pin it down; at
  // wider widths (2×, 4–5 seeds) the oracle's own spread cannot tell the two apart.
  it('rejects mean field on the GELU stack with the same criterion (the comparison can fail)', () => {
    for (const id of ['gelu_heN_relugain_w256_d20']) {
      const config = configs.find((c) => c.id === id)!;
      const sim = simulateAnalytic(oracleNetwork(config), NEVER_CANCELLED, { gradientAtLogits: false });
      assert.ok(sim);
      const rejected = sim.layers.filter((layer, l) =>
        discrepancy([layer.forwardVariance], config.results.per_seed.pre_m2.map((run) => run[l]!), { exact: true }) > 1 ||
        discrepancy([layer.gradientVariance], config.results.per_seed.grad_in_m2.map((run) => run[l]!), { exact: true }) > 1);
      assert.ok(rejected.length > 0, `${id}: mean field should be rejected at some layer`);
    }
  });
});
