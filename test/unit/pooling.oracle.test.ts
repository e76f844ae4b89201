/**
 * Pooling between convolutions against real PyTorch (test/reference/pooling/): 12 small CNNs
 * (64 channels, 32×32 maps, batch 16, 6 seeds) with MaxPool2d(2) / AvgPool2d(2) between plain
 * convs, ResNet's stem pool MaxPool2d(3, 2, 1) / AvgPool2d(3, 2, 1) after BatchNorm,
 * AdaptiveAvgPool2d(1) before a Linear head, under ReLU (kaiming_normal_) and tanh
 * (xavier_normal_ with tanh's gain), a max pool before its ReLU and PyTorch's default init;
 * each written as PyTorch model code ending with the call on a sample (the JSON's `python`),
 * read by the real Python frontend.
 *
 * - Analytic (poolSignal.ts, poolMoments.ts): every layer's pre-activation second moment and
 *   the gradient at its input agree with PyTorch's seeds (`discrepancy` ≤ 1 with the prediction
 *   exact: three standard errors of PyTorch's mean plus 0.1 in log units), or lie within their
 *   range, or within 3% — except the gaps listed in GAPS, each held to its measured size. They
 *   are all behind BatchNorm after a padded conv whose input has a mean (the max pool's
 *   output, a ReLU's): a border position sums fewer taps, so its per-unit offset differs from
 *   the interior's, and BatchNorm removes only the channel's mean offset; the pass removes
 *   each position's (analytic.ts `norm`). Following that (tried: E[o_p·o_p′] = min(off_p,
 *   off_p′)) brought the forward moments in and pushed the gradients as far out the other
 *   way, so it was left out; BatchNorm's gradient divided by each channel's variance over
 *   positions (SignalState.chan) brought the ReLU stems' gradients in.
 * - Each pool's forward factor (mean E[y²] out over in) agrees the same way with PyTorch's.
 * - Monte-Carlo: every layer agrees with PyTorch as two samples of random networks.
 * - The dense view the pass had before (a pool keeps the mean second moment, the gradient per
 *   position unchanged) misses PyTorch by far: the last test.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import type { NetworkSimulation } from '../../server/src/core/simulation/types';
import { readReference } from '../support/reference';
import { pythonSupport } from '../support/python';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

type Key = 'pre_m2' | 'grad_in_m2' | 'pool_in_m2' | 'pool_out_m2';
interface PoolingConfig {
  readonly id: string;
  readonly python: string;
  readonly modules: readonly string[];
  readonly results: { readonly per_seed: Record<Key, readonly (readonly number[])[]> };
}

const MEASURES = [['pre_m2', 'forwardVariance'], ['grad_in_m2', 'gradientVariance']] as const;
const configs = readReference<{ configs: PoolingConfig[] }>('pooling/pooling_ground_truth.json').configs;

/**
 * Where the analytic pass is known to miss PyTorch (measured here, ours / PyTorch's mean over
 * its 6 seeds): the factor each is held to. All sit behind BatchNorm after a padded conv (above).
 * Measured since (test/reference/pooling/pool_correlation.{py,json}): the pass carries one cross
 * moment per position (the offset, the same for every pair of positions) forward and none for
 * the gradient, and both misses are correlations that are not that. Forward, the overlapping
 * stem pool (3×3, stride 2) makes neighbours share inputs (tanh_bn_avg3s2: correlation 0.34 at
 * lag 1, 0.12 diagonally, 0 beyond); iid conv weights keep a correlation by lag and BatchNorm
 * removes only the channel's mean, so the global pool keeps 2.0–2.6 /P of the energy where the
 * pass has 1/P (pool[1] ×0.45, the head ×0.43). Backward, the global pool hands every position
 * of a sample the same gradient, which stays correlated all the way down (0.28–0.74 at every
 * lag at the stem pool's output), and where the stem's windows overlap their gradients add
 * coherently (grad_in_m2[0] ×0.40–0.66). Closing them needs a correlation by lag carried
 * forward and a gradient cross moment carried backward through every op (poolSignal.ts's
 * stated assumptions); not done.
 */
const GAPS: Record<string, number> = {
  // The first conv's input gradient behind the stem: the per-channel variance BatchNorm divides
  // by (SignalState.chan) is read after the pool's own border structure, which the pass averages.
  'relu_bn_max3s2 grad_in_m2[0]': 1.7, // 0.66
  'relu_bn_avg3s2 grad_in_m2[0]': 1.9, // 0.57
  'tanh_bn_max3s2 grad_in_m2[0]': 2.7, // 0.40
  'tanh_bn_max3s2 pre_m2[2]': 1.3, // 1.22
  'tanh_bn_max3s2 pre_m2[3]': 1.45, // 0.76: the head after the global pool
  'tanh_bn_max3s2 grad_in_m2[1]': 2.1, // 0.51 (1.56 before BatchNorm divided by each channel's variance over positions: SignalState.chan)
  'tanh_bn_avg3s2 pre_m2[3]': 2.6, // 0.43: the head after the global pool
  'tanh_bn_avg3s2 grad_in_m2[0]': 2.2, // 0.51
  // The global pools after them: the border offsets BatchNorm leaves add to what the average keeps.
  'tanh_bn_max3s2 pool[1]': 1.45, // 0.79
  'tanh_bn_avg3s2 pool[1]': 2.6, // 0.45
};

function agrees(ours: number, seeds: readonly number[]): boolean {
  return discrepancy([ours], seeds, { exact: true }) <= 1 || withinSeedSpread(ours, seeds, 0.03, false);
}

function meanOf(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe('pooling between convs vs PyTorch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const simulate = (text: string) => {
    const result = analyze({ text, languageId: 'python', python });
    return { network: result.networks[0]!, simulation: result.simulations[0] };
  };

  for (const config of configs) {
    describe(config.id, () => {
      it('analytic: every layer within PyTorch\'s seed spread, or within its stated gap', () => {
        const { network, simulation } = simulate(config.python);
        assert.ok(simulation, `${config.id} is simulated`);
        assert.ok(network.layers.every((layer) => layer.kind === 'dense' || layer.conv), 'every conv has its spatial geometry');
        const misses: string[] = [];
        for (const [key, field] of MEASURES) {
          config.results.per_seed[key][0]!.forEach((_, l) => {
            const seeds = config.results.per_seed[key].map((seed) => seed[l]!);
            const ours = simulation.layers[l]![field];
            const where = `${config.id} ${key}[${l}]`;
            const ratio = ours / meanOf(seeds);
            const gap = GAPS[where];
            if (gap !== undefined) {
              assert.ok(!agrees(ours, seeds), `${where} agrees now (×${ratio.toFixed(3)}): take it off GAPS`);
              assert.ok(ratio <= gap && ratio >= 1 / gap, `${where}: ×${ratio.toFixed(3)} of PyTorch, held to ×${gap}`);
            } else if (!agrees(ours, seeds)) {
              misses.push(`${where}: ${ours.toPrecision(4)} vs PyTorch ${seeds.map((v) => v.toPrecision(4)).join(', ')} (×${ratio.toFixed(3)})`);
            }
          });
        }
        assert.deepEqual(misses, []);
      });

      // The commuted max pool (before its ReLU) is simulated after it (analytic.ts commuteMaxPools): its factor is another pool's.
      if (!config.id.includes('before_activation')) {
        it('analytic: each pool\'s forward factor within PyTorch\'s seed spread', () => {
          const { simulation } = simulate(config.python);
          const pools = simulation!.pools!;
          const measured = config.results.per_seed;
          assert.equal(pools.length, measured.pool_in_m2[0]!.length);
          pools.forEach((factor, p) => {
            const seeds = measured.pool_out_m2.map((seed, s) => seed[p]! / measured.pool_in_m2[s]![p]!);
            const where = `${config.id} pool[${p}]`;
            const ratio = factor.forward / meanOf(seeds);
            const gap = GAPS[where];
            if (gap !== undefined) {
              assert.ok(!agrees(factor.forward, seeds), `${where} agrees now (×${ratio.toFixed(3)}): take it off GAPS`);
              assert.ok(ratio <= gap && ratio >= 1 / gap, `${where}: ×${ratio.toFixed(3)} of PyTorch, held to ×${gap}`);
              return;
            }
            assert.ok(agrees(factor.forward, seeds), `pool ${p}: ${factor.forward.toPrecision(4)} vs PyTorch ${seeds.map((v) => v.toPrecision(4)).join(', ')}`);
          });
        });
      }

      it('Monte-Carlo: agrees with PyTorch as two samples of random networks', () => {
        const { network } = simulate(config.python);
        const runs: NetworkSimulation[] = [1, 2].map((seed) => {
          const run = simulateMonteCarlo(network, { seed, batch: 8, gradientAtLogits: false }, NEVER_CANCELLED);
          assert.ok(run, `${config.id}: Monte-Carlo runs`);
          return run;
        });
        for (const [key, field] of MEASURES) {
          config.results.per_seed[key][0]!.forEach((_, l) => {
            const seeds = config.results.per_seed[key].map((seed) => seed[l]!);
            const ours = runs.map((run) => run.layers[l]![field]);
            const d = discrepancy(ours, seeds);
            assert.ok(d <= 1, `${key}[${l}]: ${ours.map((v) => v.toPrecision(4)).join(', ')} vs PyTorch mean ${meanOf(seeds).toPrecision(4)} (discrepancy ${d.toFixed(2)})`);
          });
        }
      });
    });
  }

  it('the comparison can fail: the dense view (a pool keeps E[x²] and the gradient per position) is far off', () => {
    const config = configs.find((c) => c.id === 'relu_max2')!;
    const { simulation } = simulate(config.python);
    const factors = simulation!.pools!;
    // The dense view: undo each pool's factors on the layers after it (forward) and before it (backward).
    const layersAfterPool = [1, 2, 3];
    const forwardBefore = factors.slice(0, 2).reduce((p, f) => p * f.forward, 1);
    const dense = simulation!.layers[2]!.forwardVariance / forwardBefore;
    const seeds = config.results.per_seed.pre_m2.map((seed) => seed[2]!);
    assert.ok(layersAfterPool.length === 3 && !agrees(dense, seeds), `dense view ${dense} vs PyTorch ${seeds.join(', ')}`);
    const gradient = simulation!.layers[0]!.gradientVariance / factors.reduce((p, f) => p * f.backward, 1);
    assert.ok(!agrees(gradient, config.results.per_seed.grad_in_m2.map((seed) => seed[0]!)));
  });
});
