/**
 * A convolutional network read from Python is simulated exactly as its `.netdef` spelling
 * (issue 15): the oracle's conv stacks (test/reference/oracle/configs.json: ten 64-channel 3×3
 * convs, zero padding 1, on 16×16 maps) written as PyTorch, Keras and Flax model code that
 * states its input's shape, and as `.netdef`. Analytic: the same per-position maps, so the same
 * numbers to rounding; Monte-Carlo: the same draws (each layer's stream is keyed by its index),
 * so the same measurements. Without a stated spatial size the Python network keeps the dense
 * view and the Monte-Carlo pass declines it (the old behaviour, checked last).
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { Network } from '../../server/src/core/ir';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import type { NetworkSimulation } from '../../server/src/core/simulation/types';
import { pythonSupport } from '../support/python';

const DEPTH = 10;

function only(text: string, languageId: 'python' | 'netdef', python: PythonSupport): { network: Network; analytic: NetworkSimulation } {
  const result = analyze({ text, languageId, python });
  assert.equal(result.networks.length, 1, `one network in\n${text}`);
  const analytic = result.simulations[0];
  assert.ok(analytic, `simulated:\n${text}`);
  return { network: result.networks[0]!, analytic };
}

function monteCarlo(network: Network): NetworkSimulation {
  const simulation = simulateMonteCarlo(network, { seed: 7, batch: 4, gradientAtLogits: false }, NEVER_CANCELLED);
  assert.ok(simulation, `${network.name}: Monte-Carlo runs`);
  return simulation;
}

function assertSame(a: NetworkSimulation, b: NetworkSimulation, relative: number, what: string): void {
  assert.equal(a.layers.length, b.layers.length);
  a.layers.forEach((layer, l) => {
    for (const key of ['forwardVariance', 'gradientVariance'] as const) {
      const x = layer[key];
      const y = b.layers[l]![key];
      assert.ok(Math.abs(x - y) <= relative * Math.abs(y), `${what}, layer ${l + 1} ${key}: ${x} vs ${y}`);
    }
  });
}

const torchStack = (init: string, input: string) => `import torch
import torch.nn as nn


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        for _ in range(${DEPTH}):
            layers += [nn.Conv2d(64, 64, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*layers)
${init}
    def forward(self, x):
        return self.body(x)


model = Stack()
${input}
`;

const HE_INIT = `        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
`;

const netdefStack = (framework: string, options: string) => `network Stack framework=${framework} {
  input 64x16x16
  repeat ${DEPTH} {
    conv2d 64 kernel=3x3 padding=1 activation=relu ${options}
  }
}
`;

describe('Python convolutions simulate as their .netdef spelling', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const cases: { name: string; python: () => string; netdef: string }[] = [
    {
      name: 'PyTorch, kaiming_normal_ (conv_relu_heN_c64_16x16_d10), input from model(torch.randn(...))',
      python: () => torchStack(HE_INIT, 'model(torch.randn(128, 64, 16, 16))'),
      netdef: netdefStack('pytorch', 'init=kaiming_normal(nonlinearity=relu)'),
    },
    {
      name: 'PyTorch defaults (conv_relu_default_c64_16x16_d10), input from a variable and torch.zeros((...))',
      python: () => torchStack('', 'sample = torch.zeros((8, 64, 16, 16))\nout = model(sample)'),
      netdef: netdefStack('pytorch', 'init=default bias=default'),
    },
    {
      name: 'PyTorch, input from torchsummary',
      python: () => torchStack(HE_INIT, '').replace('import torch.nn as nn', 'import torch.nn as nn\nfrom torchsummary import summary') + 'summary(model, (64, 16, 16))\n',
      netdef: netdefStack('pytorch', 'init=kaiming_normal(nonlinearity=relu)'),
    },
    {
      name: 'Keras Sequential with keras.Input (channels last)',
      python: () => `import keras
from keras import layers

model = keras.Sequential([keras.Input(shape=(16, 16, 64))] + [
    layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer="he_normal") for _ in range(${DEPTH})
])
`,
      netdef: netdefStack('keras', 'init=he_normal'),
    },
    {
      name: 'Flax linen, input from model.init',
      python: () => `import jax
import jax.numpy as jnp
import flax.linen as nn


class Stack(nn.Module):
    @nn.compact
    def __call__(self, x):
        for _ in range(${DEPTH}):
            x = nn.relu(nn.Conv(64, (3, 3), padding="SAME", kernel_init=nn.initializers.he_normal())(x))
        return x


model = Stack()
params = model.init(jax.random.PRNGKey(0), jnp.ones((1, 16, 16, 64)))
`,
      netdef: netdefStack('flax', 'init=he_normal'),
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const fromPython = only(c.python(), 'python', python);
      const fromNetdef = only(c.netdef, 'netdef', python);
      assert.ok(fromPython.network.layers.every((layer) => layer.conv), 'every conv has its geometry');
      assertSame(fromPython.analytic, fromNetdef.analytic, 1e-9, 'analytic');
      // The padding is counted: ten layers of 16×16 maps lose ×0.69 at the borders (oracle README).
      const loss = fromPython.analytic.layers[DEPTH - 1]!.forwardVariance / fromPython.analytic.layers[0]!.forwardVariance;
      assert.ok(loss < 0.85, `border loss over ${DEPTH} layers: ×${loss}`);
      assertSame(monteCarlo(fromPython.network), monteCarlo(fromNetdef.network), 1e-6, 'Monte-Carlo');
    });
  }

  it('depthwise (groups = channels) and grouped PyTorch convs keep their groups', () => {
    const code = torchStack(HE_INIT, 'model(torch.randn(2, 64, 16, 16))').replace('nn.Conv2d(64, 64, 3, padding=1)', 'nn.Conv2d(64, 64, 3, padding=1, groups=64)');
    const fromPython = only(code, 'python', python);
    const fromNetdef = only(netdefStack('pytorch', 'groups=64 init=kaiming_normal(nonlinearity=relu)'), 'netdef', python);
    assertSame(fromPython.analytic, fromNetdef.analytic, 1e-9, 'analytic');
    assertSame(monteCarlo(fromPython.network), monteCarlo(fromNetdef.network), 1e-6, 'Monte-Carlo');
  });

  it('without a stated input size: the dense view, and the Monte-Carlo pass declines', () => {
    const fromPython = only(torchStack(HE_INIT, 'batch = load()\nmodel(batch)'), 'python', python);
    assert.ok(fromPython.network.layers.every((layer) => !layer.conv));
    // The dense view: He keeps every layer at 2 (no border loss).
    for (const layer of fromPython.analytic.layers) assert.ok(Math.abs(layer.forwardVariance - 2) < 1e-9);
    assert.equal(simulateMonteCarlo(fromPython.network, { seed: 1, batch: 2 }, NEVER_CANCELLED), undefined);
  });
});
