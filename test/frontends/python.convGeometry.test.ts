/**
 * Python convolutions get their spatial geometry where the input's size is known (issue 15):
 * Keras and Flax from the shapes they track, PyTorch from a sample the file passes the model.
 * Pooling between convolutions is an op the Monte-Carlo pass runs. Where the size is unknown the
 * layer keeps the dense view, and the Monte-Carlo pass declines with the reason stated.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type Network, type PoolOp, walkOps } from '../../server/src/core/ir';
import { whyNoMonteCarlo } from '../../server/src/core/report/simulability';
import { defaultBatch, simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { pythonSupport } from '../support/python';

function network(text: string, python: PythonSupport, name?: string): Network {
  const result = analyze({ text, languageId: 'python', python });
  const found = name ? result.networks.find((n) => n.name === name) : result.networks[0];
  assert.ok(found, `a network${name ? ` named ${name}` : ''} in\n${text}`);
  return found;
}

const geometries = (n: Network) => n.layers.map((layer) => {
  const g = layer.conv ?? layer.transposed?.adjoint;
  return g ? `${g.inputSpatial.join('x')}>${g.outputSpatial.join('x')}` : layer.kind;
});
const pools = (n: Network) => [...walkOps(n.ops)].filter((op): op is PoolOp => op.op === 'pool')
  .map((op) => `${op.kind}:${op.geometry.inputSpatial.join('x')}>${op.geometry.outputSpatial.join('x')}${op.flat ? ':flat' : ''}`);

function runsMonteCarlo(n: Network): void {
  const simulation = simulateMonteCarlo(n, { seed: 1, batch: 2 }, NEVER_CANCELLED);
  assert.ok(simulation, `Monte-Carlo declined: ${whyNoMonteCarlo(n, 2) ?? 'no stated reason'}`);
  assert.equal(simulation.layers.length, n.layers.length);
  for (const layer of simulation.layers) assert.ok(layer.forwardVariance > 0 && layer.gradientVariance > 0);
}

const LENET = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


net = Net()
`;

describe('Python convolutions: spatial geometry from the code', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  it('PyTorch: a sample passed to the model gives every conv and pool its geometry', () => {
    const n = network(`${LENET}out = net(torch.randn(4, 3, 32, 32))\n`, python);
    assert.deepEqual(n.inputShape, [3, 32, 32]);
    assert.deepEqual(geometries(n), ['32x32>28x28', '14x14>10x10', 'dense', 'dense']);
    assert.deepEqual(pools(n), ['max:28x28>14x14', 'average:10x10>5x5']);
    runsMonteCarlo(n);
  });

  it('PyTorch without a sample: the convs keep the dense view, and a pool over a map of unknown size makes the network not simulated', () => {
    const n = network(LENET, python);
    assert.deepEqual(geometries(n), ['conv2d', 'conv2d', 'dense', 'dense']);
    // Read as a step keeping the scale, a pool gave wrong numbers (pytorch-cifar's LeNet: the input
    // gradient ×2.6e-4 of the output's, PyTorch 2.4e-6): the network says why it is not simulated.
    assert.match(n.unsimulable ?? '', /^`MaxPool2d` pools a map whose size InitWise does not know \(a sample call such as `model\(torch\.randn\(1, 3, 32, 32\)\)` states it\)/);
    assert.equal(simulateMonteCarlo(n, { seed: 1, batch: 2 }, NEVER_CANCELLED), undefined);
    assert.notEqual(whyNoMonteCarlo(n, 2), undefined);
  });

  it('PyTorch without a sample and without pools: the dense view, and the Monte-Carlo pass says why it declines', () => {
    const n = network(LENET.replace('self.pool(F.relu(self.conv1(x)))', 'F.relu(self.conv1(x))').replace('F.avg_pool2d(F.relu(self.conv2(x)), 2)', 'F.relu(self.conv2(x))'), python);
    assert.deepEqual(geometries(n), ['conv2d', 'conv2d', 'dense', 'dense']);
    assert.equal(n.unsimulable, undefined);
    assert.equal(simulateMonteCarlo(n, { seed: 1, batch: 2 }, NEVER_CANCELLED), undefined);
    assert.match(whyNoMonteCarlo(n, 2)!, /the file passes the model no sample such as `model\(torch\.randn\(1, 3, 32, 32\)\)`/);
  });

  it('PyTorch: a sample whose channels do not match the first conv gives no geometry', () => {
    const n = network(`${LENET}out = net(torch.randn(4, 1, 32, 32))\n`, python);
    assert.deepEqual(geometries(n), ['conv2d', 'conv2d', 'dense', 'dense']);
  });

  it('PyTorch transposed convs (a DCGAN generator from a 100x1x1 code): the adjoint convolution of each', () => {
    const n = network(`import torch
import torch.nn as nn

netG = nn.Sequential(
    nn.ConvTranspose2d(100, 64, 4, 1, 0, bias=False),
    nn.BatchNorm2d(64),
    nn.ReLU(True),
    nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False),
    nn.BatchNorm2d(32),
    nn.ReLU(True),
    nn.ConvTranspose2d(32, 3, 4, 2, 1, bias=False),
    nn.Tanh(),
)
fake = netG(torch.randn(16, 100, 1, 1))
`, python);
    assert.deepEqual(geometries(n), ['4x4>1x1', '8x8>4x4', '16x16>8x8']);
    runsMonteCarlo(n);
  });

  it('PyTorch dilated and reflect-padded convs keep the dense view, and later layers their shapes', () => {
    const n = network(`import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=2, dilation=2),
    nn.ReLU(),
    nn.Conv2d(8, 8, 3, padding=1, padding_mode="reflect"),
    nn.ReLU(),
    nn.Conv2d(8, 8, 3, stride=2, padding=1),
)
model(torch.zeros(1, 3, 16, 16))
`, python);
    assert.deepEqual(geometries(n), ['conv2d', 'conv2d', '16x16>8x8']);
    assert.match(whyNoMonteCarlo(n, 2)!, /the spatial size at layer 1 is unknown/);
  });

  it('Keras functional: Input(shape=...) through convs, max pooling and global average pooling', () => {
    const n = network(`import keras
from keras import layers

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer="he_normal")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
`, python);
    assert.deepEqual(geometries(n), ['32x32>32x32', '16x16>7x7', 'dense']);
    assert.deepEqual(pools(n), ['max:32x32>16x16', 'average:7x7>1x1:flat']);
    runsMonteCarlo(n);
  });

  it('Keras DepthwiseConv2D and SeparableConv2D (input_shape=): grouped by channel, the pointwise kernel 1x1', () => {
    const n = network(`from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Conv2D(16, 3, padding="same", activation="relu", input_shape=(24, 24, 3)),
    layers.DepthwiseConv2D(3, padding="same", activation="relu"),
    layers.SeparableConv2D(32, 3, strides=2, padding="same", activation="relu"),
    layers.Flatten(),
    layers.Dense(10),
])
`, python);
    assert.deepEqual(geometries(n), ['24x24>24x24', '24x24>24x24', '24x24>12x12', '12x12>12x12', 'dense']);
    assert.equal(n.layers[1]!.conv!.groups, 16);
    assert.equal(n.layers[2]!.conv!.groups, 16);
    runsMonteCarlo(n);
  });

  it('Keras Conv2DTranspose and Flax ConvTranspose: the adjoint convolution', () => {
    const keras = network(`import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(7, 7, 64)),
    layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu"),
    layers.Conv2DTranspose(1, 3, strides=2, padding="valid"),
])
`, python);
    assert.deepEqual(geometries(keras), ['14x14>7x7', '29x29>14x14']);
    assert.deepEqual(keras.layers.map((l) => l.transposed!.adjoint!.padBefore), [[1, 1], [0, 0]]);
    runsMonteCarlo(keras);
    const flax = network(`import jax
import jax.numpy as jnp
import flax.linen as nn


class Decoder(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.ConvTranspose(32, (4, 4), strides=(2, 2))(x))
        return nn.ConvTranspose(1, (4, 4), strides=(2, 2))(x)


params = Decoder().init(jax.random.PRNGKey(0), jnp.ones((1, 7, 7, 64)))
`, python);
    assert.deepEqual(geometries(flax), ['14x14>7x7', '28x28>14x14']);
    runsMonteCarlo(flax);
  });

  it('an ImageNet-sized network is declined by its memory estimate, with the estimate stated', () => {
    const convs = Array.from({ length: 13 }, (_, i) => `    nn.Conv2d(${i === 0 ? 3 : 64}, 64, 3, padding=1),\n    nn.ReLU(),\n`).join('');
    const n = network(`import torch
import torch.nn as nn

model = nn.Sequential(
${convs})
model(torch.randn(1, 3, 224, 224))
`, python);
    assert.ok(n.layers.every((layer) => layer.conv));
    const batch = defaultBatch(n);
    assert.match(whyNoMonteCarlo(n, batch)!, /it would hold about \d+\.\d GiB at batch 32 \(the limit is 4 GiB\): run it with a smaller batch/);
    assert.equal(simulateMonteCarlo(n, { seed: 1, batch }, NEVER_CANCELLED), undefined);
  });
});
