/**
 * Pools are architecture, not initialisation: the depth drift (simulation/drift.ts) divides
 * their factors out as it does width changes, so a VGG-style stack with a 2×2 max pool after
 * every two convs (×2.7 forward after the first pair of ReLU convs, less deeper; ÷4 per position backward: PyTorch,
 * test/reference/pooling/) drifts as the same stack without pools does, while the per-layer
 * second moments (what hover and the report show, what PyTorch measures) keep them. Both
 * passes record the factors (NetworkSimulation.pools).
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { depthDrift } from '../../server/src/core/simulation/drift';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { pythonSupport } from '../support/python';

function vgg(pool: string): string {
  const block = `            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),${pool ? ` ${pool},` : ''}`;
  return [
    'import torch', 'import torch.nn as nn', '', '',
    'class Net(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.features = nn.Sequential(',
    block, block, block, block,
    '        )',
    '        for m in self.modules():',
    '            if isinstance(m, nn.Conv2d):',
    '                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")',
    '                nn.init.zeros_(m.bias)',
    '', '    def forward(self, x):', '        return self.features(x)', '', '',
    'model = Net()', 'model(torch.randn(4, 16, 128, 128))', '',
  ].join('\n');
}

describe('pools in the depth drift', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  it('a max pool every two convs: the raw moments carry the pools, the drift does not', () => {
    const pooled = analyze({ text: vgg('nn.MaxPool2d(2)'), languageId: 'python', python });
    const plain = analyze({ text: vgg(''), languageId: 'python', python });
    const [withPools, without] = [pooled.simulations[0]!, plain.simulations[0]!];
    assert.equal(withPools.pools?.length, 4);
    assert.equal(without.pools, undefined);
    const last = withPools.layers.length - 1;
    // Three pools before the last conv (×2.7, ×1.8, ×1.5 forward as the neighbours grow correlated): the raw second moment shows them.
    assert.ok(withPools.layers[last]!.forwardVariance / without.layers[last]!.forwardVariance > 4);
    // Backward: four pools, each ÷4 per position at least (the gradient reaches one input of four).
    assert.ok(withPools.layers[0]!.gradientVariance / without.layers[0]!.gradientVariance < 1 / 64);
    const band = 100;
    const [a, b] = [depthDrift(pooled.networks[0]!, withPools, band), depthDrift(plain.networks[0]!, without, band)];
    // What is left differs only by the maps' sizes (borders) and the correlation the pools raise.
    assert.ok(Math.abs(Math.log(a.forward.total / b.forward.total)) < Math.log(1.3), `forward ${a.forward.total} vs ${b.forward.total}`);
    assert.ok(Math.abs(Math.log(a.backward.total / b.backward.total)) < Math.log(1.3), `backward ${a.backward.total} vs ${b.backward.total}`);
  });

  it('the Monte-Carlo pass measures the same factors', () => {
    const result = analyze({ text: vgg('nn.MaxPool2d(2)'), languageId: 'python', python });
    const run = simulateMonteCarlo(result.networks[0]!, { seed: 1, batch: 4, gradientAtLogits: false }, NEVER_CANCELLED)!;
    const analytic = result.simulations[0]!.pools!;
    assert.equal(run.pools?.length, 4);
    // The first two (wide maps); deeper, 16 channels drift from mean field in both directions alike.
    run.pools.slice(0, 2).forEach((factor, p) => {
      assert.ok(Math.abs(Math.log(factor.forward / analytic[p]!.forward)) < Math.log(1.25), `pool ${p}: ${factor.forward} vs ${analytic[p]!.forward}`);
    });
  });
});
