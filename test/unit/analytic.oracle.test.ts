/**
 * The analytic simulation against the oracle (test/reference/oracle/):
 * 1. meanfield.json, the infinite-width prediction computed independently (numpy,
 *    high-accuracy quadrature, exact zero-padding position map for conv): every layer's
 *    forward and gradient second moment within 1%.
 * 2. ground_truth.json, real PyTorch at finite width: the geometric mean over seeds lies
 *    inside InitWise's finite-width band, except where the simulation itself says mean
 *    field is unreliable (GELU/SiLU/Mish/ELU stacks; it carries a caveat there and the
 *    Monte-Carlo mode is tested against PyTorch instead).
 * The worst ratio per config is printed with ORACLE_VERBOSE=1.
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import type { NetworkSimulation } from '../../server/src/core/simulation/types';
import { readReference } from '../support/reference';
import { oracleNetwork, type OracleConfig } from '../support/oracleNetworks';

interface UnitSeries { pre_m2: number[]; grad_in_m2: number[] }
interface MeanFieldEntry { id: string; mf: UnitSeries }
interface GroundTruthEntry extends OracleConfig {
  results: { pre_m2: { geomean: number[] }; grad_in_m2: { geomean: number[] }; per_seed: UnitSeries & Record<string, number[][]> };
}

/** Per oracle unit (a layer, or a residual block): forward and gradient second moments with bands. */
interface UnitPrediction { pre: number; grad: number; preBand?: readonly [number, number]; gradBand?: readonly [number, number] }

/**
 * Maps the simulation's per-layer results onto the oracle's units. A residual unit's
 * pre_m2 is its first branch layer's pre-activation; its grad_in_m2 is the stream gradient
 * at the block input, g_x = g_y + (gradient entering the branch), accumulated backward.
 */
function units(config: OracleConfig, sim: NetworkSimulation): UnitPrediction[] {
  if (config.arch !== 'resmlp') {
    return sim.layers.map((l) => ({ pre: l.forwardVariance, grad: l.gradientVariance, preBand: l.forwardBand, gradBand: l.gradientBand }));
  }
  const blocks = config.layers.length;
  const out: UnitPrediction[] = new Array<UnitPrediction>(blocks);
  let stream = 1;
  for (let b = blocks - 1; b >= 0; b--) {
    stream += sim.layers[2 * b]!.gradientVariance;
    out[b] = { pre: sim.layers[2 * b]!.forwardVariance, grad: stream, preBand: sim.layers[2 * b]!.forwardBand };
  }
  return out;
}

describe('analytic simulation vs the oracle', () => {
  const configs = readReference<{ configs: GroundTruthEntry[] }>('oracle/ground_truth.json');
  const meanfield = new Map(readReference<{ configs: MeanFieldEntry[] }>('oracle/meanfield.json').configs.map((c) => [c.id, c]));

  for (const config of configs.configs) {
    describe(config.id, () => {
      // The oracle's cotangent is applied after the last unit, sigmoid included.
      const sim = simulateAnalytic(oracleNetwork(config), NEVER_CANCELLED, { gradientAtLogits: false });

      it('matches the mean-field prediction within 1% at every layer', () => {
        const expected = meanfield.get(config.id)!.mf;
        assert.ok(sim);
        const predicted = units(config, sim);
        let worst = 1;
        const check = (actual: number, wanted: number, what: string) => {
          const ratio = actual / wanted;
          if (Math.abs(Math.log(ratio)) > Math.abs(Math.log(worst))) worst = ratio;
          assert.ok(Math.abs(ratio - 1) <= 0.01, `${what}: ${actual} vs mean field ${wanted} (ratio ${ratio})`);
        };
        expected.pre_m2.forEach((q, l) => check(predicted[l]!.pre, q, `unit ${l + 1} pre_m2`));
        expected.grad_in_m2.forEach((g, l) => check(predicted[l]!.grad, g, `unit ${l + 1} grad_in_m2`));
        if (process.env.ORACLE_VERBOSE) console.log(`${config.id}: worst ratio to mean field ${worst.toFixed(6)}`);
      });

      it('brackets PyTorch at finite width with its band (or says mean field is unreliable)', () => {
        assert.ok(sim);
        const measured = config.results;
        const predicted = units(config, sim);
        const smoothStack = /^(gelu|silu|mish|elu)_heN/.test(config.id);
        if (smoothStack && config.id !== 'elu_heN_relugain_w256_d20') {
          assert.ok(sim.caveat, 'a GELU/SiLU stack at He scale must carry the mean-field caveat');
          return;
        }
        let worst = 1;
        predicted.forEach((p, l) => {
          for (const [value, band, what] of [
            [measured.pre_m2.geomean[l]!, p.preBand, 'pre_m2'],
            [measured.grad_in_m2.geomean[l]!, p.gradBand, 'grad_in_m2'],
          ] as const) {
            if (!band) continue;
            const ratio = value / (what === 'pre_m2' ? p.pre : p.grad);
            if (Math.abs(Math.log(ratio)) > Math.abs(Math.log(worst))) worst = ratio;
            assert.ok(value >= band[0] && value <= band[1], `unit ${l + 1} ${what}: PyTorch ${value} outside [${band[0]}, ${band[1]}]`);
          }
        });
        if (process.env.ORACLE_VERBOSE) console.log(`${config.id}: worst PyTorch/analytic ratio ${worst.toFixed(3)}`);
      });
    });
  }
});
