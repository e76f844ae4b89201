/**
 * The analytic simulation against shared/oracle/meanfield.json: the infinite-width
 * prediction computed independently (numpy, high-accuracy quadrature) for the same 38
 * networks PyTorch measured. Dense and residual networks: every layer within 1%.
 * Convolutions: the dense view is compared with the no-padding prediction; zero-padding
 * effects belong to the full simulation (oracle README).
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { readShared } from '../support/shared';
import { oracleNetwork, type OracleConfig } from '../support/oracleNetworks';

interface MeanField { pre_m2: number[]; grad_in_m2: number[] }
interface MeanFieldEntry { id: string; mf: MeanField; mf_naive_nopadding?: MeanField }

describe('analytic simulation vs oracle mean field (shared/oracle/meanfield.json)', () => {
  const configs = readShared<OracleConfig[]>('oracle/configs.json');
  const meanfield = new Map(readShared<{ configs: MeanFieldEntry[] }>('oracle/meanfield.json').configs.map((c) => [c.id, c]));

  for (const config of configs) {
    it(config.id, () => {
      const expected = meanfield.get(config.id);
      assert.ok(expected, `no mean-field entry for ${config.id}`);
      const target = config.arch === 'conv2d' ? expected.mf_naive_nopadding! : expected.mf;
      const network = oracleNetwork(config);
      const sim = simulateAnalytic(network, NEVER_CANCELLED);
      assert.ok(sim);
      let worst = 1;
      const check = (actual: number, wanted: number, what: string) => {
        const ratio = actual / wanted;
        if (Math.abs(Math.log(ratio)) > Math.abs(Math.log(worst))) worst = ratio;
        assert.ok(Math.abs(ratio - 1) <= 0.01, `${what}: ${actual} vs mean field ${wanted} (ratio ${ratio})`);
      };
      if (config.arch === 'resmlp') {
        // Units are blocks: pre_m2 is the first branch layer's pre-activation.
        target.pre_m2.forEach((q, unit) => check(sim.layers[2 * unit]!.forwardVariance, q, `block ${unit + 1} pre_m2`));
      } else {
        target.pre_m2.forEach((q, l) => check(sim.layers[l]!.forwardVariance, q, `layer ${l + 1} pre_m2`));
        target.grad_in_m2.forEach((g, l) => check(sim.layers[l]!.gradientVariance, g, `layer ${l + 1} grad_in_m2`));
      }
      if (process.env.ORACLE_VERBOSE) console.log(`${config.id}: worst ratio ${worst.toFixed(6)}`);
    });
  }
});
