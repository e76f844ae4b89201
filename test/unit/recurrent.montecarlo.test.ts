/**
 * The Monte-Carlo pass of recurrent layers (simulation/recurrentMonteCarlo.ts) against the
 * PyTorch oracle (test/reference/recurrent/, the 20-step settings): the same cells drawn at
 * hidden 256 with the same inits, batch 64, 2 seeds. Unlike mean field it draws one recurrent
 * kernel for every step, so it follows the LSTM and GRU gradient through time that the
 * analytic pass underestimates, and the identity kernel of an IRNN, which has no mean field.
 * Every step's E[h_t²] lies in PyTorch's range over its 6 seeds widened by 10%, and every
 * step's E[(dL/dx_t)²] in that range widened by 35% (two seeds of a product over 20 steps).
 */
import * as assert from 'node:assert/strict';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { recurrentConfigs, recurrentLayerOf } from '../support/recurrentNetworks';

describe('recurrent Monte-Carlo vs the recurrent oracle', () => {
  for (const config of recurrentConfigs().filter((c) => c.T === 20)) {
    it(config.id, () => {
      const layer = recurrentLayerOf(config);
      const span = { start: 0, end: 0 };
      const network: Network = { name: config.id, span, nameSpan: span, framework: 'pytorch', inputShape: [config.input], ops: [layer], layers: [layer], pretrained: false };
      const through = simulateMonteCarlo(network, { seed: 1, batch: 64, seeds: 2 }, NEVER_CANCELLED)?.layers[0]?.throughTime;
      assert.ok(through, 'simulated');
      const { hidden_m2: hidden, grad_x_m2: grad } = config.results;
      for (let t = 0; t < config.T; t++) {
        const h = through.hiddenSecondMoment[t]!;
        assert.ok(h >= hidden.min[t]! / 1.1 && h <= hidden.max[t]! * 1.1, `h step ${t + 1}: ${h} outside [${hidden.min[t]}, ${hidden.max[t]}]`);
        const g = through.inputGradient[t]!;
        assert.ok(g >= grad.min[t]! / 1.35 && g <= grad.max[t]! * 1.35, `grad step ${t + 1}: ${g} outside [${grad.min[t]}, ${grad.max[t]}]`);
      }
    });
  }
});
