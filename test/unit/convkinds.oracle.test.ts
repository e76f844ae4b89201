/**
 * Depthwise, separable and transposed convolution stacks (issue 15) against real PyTorch
 * (test/reference/convkinds/): each config's network, written as PyTorch model code (the JSON's
 * `python`), read by the real Python frontend and simulated analytically.
 *
 * What the analytic pass gets right and what it does not, measured:
 * - the first layer within 15% (forward) of PyTorch: the fans PyTorch's init really uses
 *   (depthwise fan_out ignores groups: kaiming fan_out gives σ² = 2·9/576, pytorch#23854;
 *   a transposed kernel's layout swaps fan_in and fan_out) and the biases the code zeroes;
 * - every layer within ×1.6 of PyTorch, forward and gradient. The rest is structure the dense
 *   mean field leaves out: PyTorch shapes are not followed, so the borders a transposed conv's
 *   padding crops (×0.88 at 16×16) and a padded conv loses are not counted, and a depthwise
 *   stack never mixes channels, so neighbouring positions stay correlated and the 9-tap sums of
 *   a deep stack grow faster (PyTorch 3.13 at depth 4 vs 2.00, kaiming fan_in).
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { readReference } from '../support/reference';
import { pythonSupport } from '../support/python';

interface Aggregate { readonly mean: readonly number[]; readonly min: readonly number[]; readonly max: readonly number[] }
interface ConvKindConfig {
  readonly id: string;
  readonly python: string;
  readonly layers: readonly unknown[];
  readonly results: { readonly pre_m2: Aggregate; readonly grad_in_m2: Aggregate };
}

describe('depthwise, separable and transposed convs vs PyTorch', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  for (const config of readReference<{ configs: ConvKindConfig[] }>('convkinds/convkinds_ground_truth.json').configs) {
    it(config.id, () => {
      const result = analyze({ text: config.python, languageId: 'python', python });
      const simulation = result.simulations[0];
      assert.ok(simulation, `${config.id} is simulated`);
      assert.equal(simulation.layers.length, config.layers.length);
      const ratio = (a: number, b: number) => Math.abs(Math.log(a / b));
      const first = simulation.layers[0]!.forwardVariance;
      assert.ok(ratio(first, config.results.pre_m2.mean[0]!) < Math.log(1.15), `first layer: ${first} vs ${config.results.pre_m2.mean[0]}`);
      simulation.layers.forEach((layer, l) => {
        assert.ok(ratio(layer.forwardVariance, config.results.pre_m2.mean[l]!) < Math.log(1.6),
          `layer ${l + 1} forward: ${layer.forwardVariance} vs ${config.results.pre_m2.mean[l]}`);
        assert.ok(ratio(layer.gradientVariance, config.results.grad_in_m2.mean[l]!) < Math.log(1.6),
          `layer ${l + 1} gradient: ${layer.gradientVariance} vs ${config.results.grad_in_m2.mean[l]}`);
      });
    });
  }
});
