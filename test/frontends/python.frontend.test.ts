/**
 * The Python frontend's reading of model code: which layers exist, their fans, the
 * activation each one feeds, their initializer's semantics, loaded weights, and what
 * stays unknown. Rules are tested by the fixtures; this is what the rules stand on.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { analyzePython, codes, consumerOf, loadPython } from './pythonSupport';

describe('python frontend', () => {
  before(loadPython);

  it('without a parser, Python text yields nothing (the engine never loads WebAssembly itself)', () => {
    const result = analyze({ text: 'import torch.nn as nn\nnet = nn.Sequential(nn.Linear(2, 2))\n', languageId: 'python' });
    assert.equal(result.networks.length, 0);
  });

  it('reads an nn.Module: widths from defaults and module constants, consumers from forward', () => {
    const { networks } = analyzePython(`
import torch
from torch import nn
import torch.nn.functional as F
HIDDEN = 128 * 2

class Net(nn.Module):
    def __init__(self, d_in=784, hidden=HIDDEN):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.drop = nn.Dropout(0.1)
        self.fc2 = nn.Linear(hidden, hidden // 2)
        self.bn = nn.BatchNorm1d(hidden // 2)
        self.fc3 = nn.Linear(hidden // 2, 10)

    def forward(self, x):
        x = self.drop(F.relu(self.fc1(x)))
        x = torch.tanh(self.bn(self.fc2(x)))
        return F.log_softmax(self.fc3(x), dim=1)
`);
    assert.equal(networks.length, 1);
    const [fc1, fc2, fc3] = networks[0]!.layers;
    assert.deepEqual(fc1!.fans, { fanIn: 784, fanOut: 256 });
    assert.deepEqual(fc2!.fans, { fanIn: 256, fanOut: 128 });
    assert.equal(consumerOf(fc1!), 'relu');
    assert.equal(consumerOf(fc2!), 'tanh');
    assert.equal(fc2!.normalizedBeforeActivation, true);
    assert.equal(consumerOf(fc3!), 'softmax');
    assert.equal(fc3!.isLastInBranch, true);
    assert.equal(networks[0]!.framework, 'pytorch');
    assert.deepEqual(networks[0]!.ops.map((op) => op.op), ['layer', 'activation', 'dropout', 'layer', 'norm', 'activation', 'layer', 'activation']);
  });

  it('reads conv geometry: groups, PyTorch fan_out, kernel tuples and strides', () => {
    const { networks } = analyzePython(`
import torch.nn as nn
net = nn.Sequential(
    nn.Conv2d(32, 64, kernel_size=(3, 5), stride=2),
    nn.ReLU(),
    nn.Conv2d(64, 64, 3, groups=64, padding=1),
    nn.ReLU6(),
)
`);
    const [a, b] = networks[0]!.layers;
    assert.deepEqual(a!.fans, { fanIn: 32 * 15, fanOut: 64 * 15 });
    assert.equal(a!.strideProduct, 4);
    assert.deepEqual(b!.fans, { fanIn: 9, fanOut: 9 });
    assert.deepEqual(b!.frameworkFans, { fanIn: 9, fanOut: 64 * 9 });
    assert.equal(consumerOf(b!), 'relu6');
  });

  it('reads nn.init calls, apply(fn) with isinstance and class-name tests, and the legacy He fan_out formula', () => {
    const { networks } = analyzePython(`
import math
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3)
        self.fc = nn.Linear(16, 16)
        self.out = nn.Linear(16, 2)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / n))
        self.apply(self.init_linear)

    def init_linear(self, m):
        name = m.__class__.__name__
        if name.find('Linear') != -1:
            nn.init.trunc_normal_(m.weight, std=0.02)

    def forward(self, x):
        return self.out(nn.functional.relu(self.fc(self.conv(x).relu().flatten(1))))
`);
    const [conv, fc] = networks[0]!.layers;
    // std = sqrt(2/n), n = 3·3·16 = the conv's fan_out: He in fan_out mode, as kaiming_normal_(mode="fan_out").
    assert.deepEqual(conv!.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_out', distribution: 'untruncated_normal' });
    assert.equal(conv!.init.scaleFollows, 'fan_out');
    assert.equal(conv!.init.explicit, true);
    assert.deepEqual(fc!.init.semantics, { kind: 'truncated_normal', mean: 0, std: 0.02, low: -2, high: 2 });
  });

  it('reads a std computed from the layer\'s fan through variables as following that fan; fixed stds stay fixed', () => {
    const { networks } = analyzePython(`
import math
import numpy as np
import torch.nn as nn

STD = 0.02

class MLP(nn.Module):
    def __init__(self, in_features=256, hidden=512, out_features=10, init_std=0.02, omega_0=30.0):
        super().__init__()
        self.in_features = in_features
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, hidden)
        self.fc4 = nn.Linear(hidden, hidden)
        self.fc5 = nn.Linear(hidden, hidden)
        self.fc6 = nn.Linear(hidden, out_features)
        std = math.sqrt(2.0 / self.in_features)
        nn.init.normal_(self.fc1.weight, 0.0, std)
        bound = np.sqrt(6 / hidden) / omega_0
        self.fc2.weight.data.uniform_(-bound, bound)
        nn.init.normal_(self.fc3.weight, 0.0, STD)
        nn.init.normal_(self.fc4.weight, std=init_std)
        nn.init.normal_(self.fc5.weight, std=1.0 / math.sqrt(hidden))
        s = 0.02
        nn.init.trunc_normal_(self.fc6.weight, std=s, a=-2 * s, b=2 * s)

    def forward(self, x):
        return self.fc6(self.fc5(self.fc4(self.fc3(self.fc2(self.fc1(x).relu()).relu()).relu()).relu()).relu())
`);
    const [fc1, fc2, fc3, fc4, fc5, fc6] = networks[0]!.layers;
    assert.equal(fc1!.init.scaleFollows, 'fan_in');
    assert.deepEqual(fc1!.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'untruncated_normal' });
    // `hidden` names no one fan: the init follows the width, its numbers are kept as read.
    assert.equal(fc2!.init.scaleFollows, 'width');
    assert.deepEqual(fc2!.init.semantics, { kind: 'uniform', low: -Math.sqrt(6 / 512) / 30, high: Math.sqrt(6 / 512) / 30 });
    assert.equal(fc3!.init.scaleFollows, undefined, 'a module constant is a fixed std');
    assert.deepEqual(fc3!.init.semantics, { kind: 'normal', mean: 0, std: 0.02 });
    assert.equal(fc4!.init.scaleFollows, undefined, 'a parameter passed through as it is is a fixed std');
    assert.equal(fc5!.init.scaleFollows, 'width');
    assert.equal(fc6!.init.scaleFollows, undefined, "trunc_normal_'s cut-offs computed from a fixed std do not make it follow the width");
  });

  it('reads the legacy He fan_out formula in a modules() loop as He fan_out on every conv it sets', () => {
    const { networks } = analyzePython(`
import math
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 3, padding=1)
        self.conv3 = nn.Conv2d(128, 10, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / n))

    def forward(self, x):
        x = self.conv1(x).relu()
        x = self.conv2(x).relu()
        return self.conv3(x)
`);
    const layers = networks[0]!.layers;
    assert.equal(layers.length, 3);
    for (const layer of layers) {
      assert.equal(layer.init.scaleFollows, 'fan_out');
      assert.deepEqual(layer.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_out', distribution: 'untruncated_normal' });
    }
  });

  it("follows the file's own module classes, ModuleList loops and identity shortcuts into residual ops", () => {
    const { networks } = analyzePython(`
import torch.nn as nn
import torch.nn.functional as F

class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.fc(F.gelu(x))

class Model(nn.Module):
    def __init__(self, dim=32, depth=3):
        super().__init__()
        self.blocks = nn.ModuleList([Block(dim) for _ in range(depth)])

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        return x
`);
    assert.equal(networks.length, 1, 'Block is part of Model, not a network of its own');
    const model = networks[0]!;
    assert.equal(model.layers.length, 3);
    assert.ok(model.layers.every((l) => l.isLastInBranch && l.fans?.fanIn === 32));
    assert.deepEqual(model.ops.map((op) => op.op), ['residual', 'residual', 'residual']);
  });

  it('simulates a projection shortcut as the residual op\'s second side, and judges it as before', () => {
    const result = analyzePython(`
import torch.nn as nn
import torch.nn.functional as F

class Down(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(64, 128, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(128, 128, 3, padding=1)
        self.proj = nn.Conv2d(64, 128, 1, stride=2)

    def forward(self, x):
        out = self.conv2(F.relu(self.conv1(x)))
        return F.relu(out + self.proj(x))
`);
    const [network] = result.networks;
    assert.equal(network!.unsimulable, undefined);
    const [residual] = network!.ops.filter((op) => op.op === 'residual');
    assert.ok(residual?.op === 'residual');
    assert.deepEqual(residual.body.flatMap((op) => (op.op === 'layer' ? [op.index] : [])), [0, 1]);
    assert.deepEqual(residual.shortcut?.flatMap((op) => (op.op === 'layer' ? [op.index] : [])), [2]);
    assert.ok(result.simulations[0]);
    assert.deepEqual(network!.layers.map(consumerOf), ['relu', 'relu', 'relu']);
    // conv2 and proj end their branches (a small last layer is deliberate): only conv1 is reported.
    assert.deepEqual(codes(result), ['IW301']);
  });

  it('reads Keras strings, objects, config dicts, variables and fused activations with Keras defaults', () => {
    const { networks } = analyzePython(`
import tensorflow as tf
from tensorflow.keras import layers, initializers
vs = initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform")
model = tf.keras.Sequential([
    layers.Dense(64, activation="relu", kernel_initializer="he_uniform", input_shape=(10,)),
    layers.Dense(64, kernel_initializer=vs),
    layers.LeakyReLU(),
    layers.Dense(64, activation="leaky_relu", kernel_initializer=initializers.TruncatedNormal(stddev=0.1)),
    layers.Dense(1, kernel_initializer={"class_name": "RandomUniform", "config": {"minval": -0.1, "maxval": 0.1}}),
])
`);
    const [a, b, c, d] = networks[0]!.layers;
    assert.deepEqual(a!.fans, { fanIn: 10, fanOut: 64 });
    assert.deepEqual(a!.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'uniform' });
    assert.deepEqual(b!.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_out', distribution: 'uniform' });
    assert.deepEqual(b!.consumer, { name: 'leaky_relu', param: 0.3, explicit: true, span: (b!.consumer as { span: { start: number; end: number } }).span });
    assert.equal(c!.activation !== 'unknown' && c!.activation.param, 0.2, "keras.activations.leaky_relu defaults to 0.2");
    assert.deepEqual(c!.init.semantics, { kind: 'truncated_normal', mean: 0, std: 0.1, low: -0.2, high: 0.2 });
    assert.deepEqual(d!.init.semantics, { kind: 'uniform', low: -0.1, high: 0.1 });
  });

  it('reads the Keras functional API with shapes through conv, pooling and flatten, and layers.add residuals', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers
inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
y = layers.Conv2D(16, 3, padding="same")(x)
x = layers.add([x, y])
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
`);
    const [c1, c2, dense] = networks[0]!.layers;
    assert.deepEqual(c1!.fans, { fanIn: 27, fanOut: 144 });
    assert.equal(c2!.isLastInBranch, true);
    assert.deepEqual(dense!.fans, { fanIn: 16 * 16 * 16, fanOut: 10 });
  });

  it('reads Keras shape-only layers: preprocessing keeps the shape, padding, cropping, upsampling and resizing change only spatial sizes', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers
inputs = keras.Input(shape=(64, 64, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
x = layers.Normalization()(x)
x = layers.RandomFlip("horizontal")(x)
x = layers.Cropping2D(((2, 2), (4, 4)))(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
x = layers.Resizing(32, 32)(x)
x = layers.Conv2D(8, 3, activation="relu")(x)
x = layers.CenterCrop(20, 20)(x)
x = layers.ZeroPadding2D(padding=((1, 0), 2))(x)
x = layers.UpSampling2D(size=(2, 3))(x)
x = layers.Conv2D(4, 1, activation="relu")(x)
outputs = layers.Dense(2)(layers.Flatten()(x))
model = keras.Model(inputs, outputs)

seq1d = keras.Sequential([
    keras.Input(shape=(100, 4)),
    layers.ZeroPadding1D((1, 2)),
    layers.Cropping1D(),
    layers.UpSampling1D(),
    layers.Conv1D(8, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(3),
])
seq3d = keras.Sequential([
    keras.Input(shape=(8, 8, 8, 2)),
    layers.ZeroPadding3D(),
    layers.Cropping3D(cropping=(0, 1, 2)),
    layers.UpSampling3D(size=2),
    layers.Conv3D(8, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(3),
])
declared = keras.Sequential([
    layers.Rescaling(1.0 / 255, input_shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
])
channels_first = keras.Sequential([
    keras.Input(shape=(1, 28, 28)),
    layers.ZeroPadding2D(2, data_format="channels_first"),
    layers.Conv2D(8, 3, activation="relu"),
])
convs_first = keras.Sequential([
    keras.Input(shape=(3, 32, 32)),
    layers.Conv2D(16, 3, activation="relu", data_format="channels_first"),
    layers.MaxPooling2D(data_format="channels_first"),
    layers.GlobalAveragePooling2D(data_format="channels_first"),
    layers.Dense(8, activation="relu"),
])
`);
    const byName = (name: string) => networks.find((n) => n.name === name)!.layers;
    const [c1, c2, c3, dense] = byName('model');
    // 64×64×3 cropped to 60×56×3; the channel count is what the conv's fans need.
    assert.deepEqual(c1!.fans, { fanIn: 27, fanOut: 144 });
    assert.deepEqual(c2!.fans, { fanIn: 144, fanOut: 72 });
    assert.deepEqual(c3!.fans, { fanIn: 8, fanOut: 4 });
    // Resizing → 32×32, conv → 30×30, crop → 20×20, pad (1+0, 2+2) → 21×24, upsample (2, 3) → 42×72.
    assert.deepEqual(dense!.fans, { fanIn: 42 * 72 * 4, fanOut: 2 });
    // 100 + 1 + 2 − 2 (Cropping1D's default (1, 1)) = 101, ×2 = 202, valid conv → 200.
    const [conv1d, dense1d] = byName('seq1d');
    assert.deepEqual(conv1d!.fans, { fanIn: 12, fanOut: 24 });
    assert.deepEqual(dense1d!.fans, { fanIn: 200 * 8, fanOut: 3 });
    // 8 + 2 = 10 per axis, cropped by (0, 1, 2) per side → 10, 8, 6, ×2 → 20, 16, 12, conv → 18, 14, 10.
    const [conv3d, dense3d] = byName('seq3d');
    assert.deepEqual(conv3d!.fans, { fanIn: 27 * 2, fanOut: 27 * 8 });
    assert.deepEqual(dense3d!.fans, { fanIn: 18 * 14 * 10 * 8, fanOut: 3 });
    assert.deepEqual(byName('declared')[0]!.fans, { fanIn: 9, fanOut: 72 });
    assert.equal(byName('channels_first')[0]!.fans, undefined, 'channels_first: the channel axis is not last, so nothing is guessed');
    // Not 32 (the last axis) × 9: a conv, pooling or global pooling on channels_first reads no channel count.
    assert.deepEqual(byName('convs_first').map((l) => l.fans), [undefined, undefined]);
  });

  it('adds and repeats constant tuples and lists as Python does (a shape written as `image_size + (3,)`)', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers
image_size = (180, 180)
inputs = keras.Input(shape=image_size + (3,))
x = layers.Conv2D(32, (3,) * 2, activation="relu")(inputs)
x = layers.Conv2D(16, 2 * [1], activation="relu")(x)
outputs = layers.Dense(2)(layers.Flatten()(x))
model = keras.Model(inputs, outputs)
`);
    const [c1, c2, dense] = networks[0]!.layers;
    assert.deepEqual(c1!.fans, { fanIn: 27, fanOut: 288 });
    assert.deepEqual(c2!.fans, { fanIn: 32, fanOut: 16 });
    assert.deepEqual(dense!.fans, { fanIn: 178 * 178 * 16, fanOut: 2 });
    // A tuple plus an int is a TypeError in Python: no shape.
    const broken = analyzePython(`
import keras
from keras import layers
image_size = (180, 180)
bad = keras.Input(shape=image_size + 3)
y = layers.Conv2D(8, 3, activation="relu")(bad)
broken = keras.Model(bad, layers.Dense(2)(layers.Flatten()(y)))
`);
    assert.equal(broken.networks[0]!.layers[0]!.fans, undefined);
  });

  it('unrolls loops over constant lists and tuples with the loop variable bound (Keras functional and PyTorch)', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers
import torch.nn as nn

inputs = keras.Input(shape=(32, 32, 64))
x = inputs
for size in [128, 256]:
    x = layers.Conv2D(size, 3, padding="same", activation="relu")(x)
outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)

WIDTHS = (64, 32)

class Pairs(nn.Module):
    def __init__(self):
        super().__init__()
        layers = []
        for d_in, d_out in [(784, 256), (256, 128)]:
            layers.append(nn.Linear(d_in, d_out))
            layers.append(nn.Tanh())
        self.body = nn.Sequential(*layers)
        self.blocks = nn.ModuleList([nn.Linear(w, w) for w in WIDTHS])

    def forward(self, x):
        x = self.body(x)
        for block in self.blocks:
            x = block(x).relu()
        return x
`);
    const [k1, k2, head] = networks.find((n) => n.name === 'model')!.layers;
    assert.deepEqual(k1!.fans, { fanIn: 9 * 64, fanOut: 9 * 128 });
    assert.deepEqual(k2!.fans, { fanIn: 9 * 128, fanOut: 9 * 256 });
    assert.deepEqual(head!.fans, { fanIn: 256, fanOut: 2 });
    const [t1, t2, b1, b2] = networks.find((n) => n.name === 'Pairs')!.layers;
    assert.deepEqual(t1!.fans, { fanIn: 784, fanOut: 256 });
    assert.deepEqual(t2!.fans, { fanIn: 256, fanOut: 128 });
    assert.equal(consumerOf(t1!), 'tanh');
    assert.deepEqual(b1!.fans, { fanIn: 64, fanOut: 64 });
    assert.deepEqual(b2!.fans, { fanIn: 32, fanOut: 32 });
  });

  it('ModuleList.extend adds its modules, and an item it cannot read keeps the network from looking complete', () => {
    const { networks, simulations } = analyzePython(`
import torch.nn as nn

class Extended(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.extend([nn.Linear(64, 64), nn.ReLU()])
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(x)

class Unread(nn.Module):
    def __init__(self, blocks):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(64, 64)])
        self.layers.extend(blocks)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.head(x)

Extended()(torch.randn(8, 64))
Unread(make_blocks())(torch.randn(8, 64))
`);
    const extended = networks.find((n) => n.name === 'Extended')!;
    assert.equal(extended.layers.length, 3, 'two extended Linears and the head');
    assert.ok(simulations[networks.indexOf(extended)], 'Extended is simulated');
    const unread = networks.find((n) => n.name === 'Unread')!;
    assert.equal(simulations[networks.indexOf(unread)], undefined, 'a list extended by something unread is not simulated as if it were complete');
  });

  it("follows a width a loop carries from one pass to the next, and never reads the wrong pass's value", () => {
    const { networks } = analyzePython(`
import torch.nn as nn

class Carried(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        d = 784
        for w in [512, 256]:
            self.layers.append(nn.Linear(d, w))
            d = w
        self.head = nn.Linear(d, 10)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return self.head(x)

class Previous(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        for i, w in enumerate([64, 128, 256]):
            if i > 0:
                self.layers.append(nn.Linear(prev, w))
            prev = w

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return x

class Swapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        a, b = 8, 16
        for _ in range(2):
            self.layers.append(nn.Linear(a, b))
            a, b = b, a

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return x

class Fresh(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList()
        for w in (128, 64):
            h = w * 2
            self.layers.append(nn.Linear(h, w))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return x

class Augmented(nn.Module):
    def __init__(self):
        super().__init__()
        c = 64
        c *= 2
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        return self.fc(x)
`);
    const layersOf = (name: string) => networks.find((n) => n.name === name)!.layers;
    // d is 784 on the first pass and 512 on the second (not the body's `d = w` on every pass). After
    // the loop d holds what the last pass assigned, 256: a name assigned at two sites is followed in
    // execution order (followedNames.ts).
    assert.deepEqual(layersOf('Carried').map((l) => l.fans), [{ fanIn: 784, fanOut: 512 }, { fanIn: 512, fanOut: 256 }, { fanIn: 256, fanOut: 10 }]);
    assert.deepEqual(layersOf('Previous').map((l) => l.fans), [{ fanIn: 64, fanOut: 128 }, { fanIn: 128, fanOut: 256 }]);
    // A swap through a tuple is followed pass by pass as Python runs it (the right side read whole
    // before binding): 8→16, then 16→8.
    assert.deepEqual(layersOf('Swapped').map((l) => l.fans), [{ fanIn: 8, fanOut: 16 }, { fanIn: 16, fanOut: 8 }]);
    // A name the body assigns before reading it is the same on every pass.
    assert.deepEqual(layersOf('Fresh').map((l) => l.fans), [{ fanIn: 256, fanOut: 128 }, { fanIn: 128, fanOut: 64 }]);
    // `c *= 2` changes c: 128, never the 64 before it.
    assert.deepEqual(layersOf('Augmented')[0]!.fans, { fanIn: 128, fanOut: 10 });
  });

  it('reads Flax linen dataclass fields, setup() and nnx constructors', () => {
    const { networks } = analyzePython(`
import flax.linen as nn
from flax import nnx
import jax

class Mlp(nn.Module):
    hidden: int = 64

    def setup(self):
        self.a = nn.Dense(self.hidden)
        self.b = nn.Dense(self.hidden * 2, kernel_init=jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal"))

    def __call__(self, x):
        return self.b(jax.nn.gelu(self.a(x)))

class Lin(nnx.Module):
    def __init__(self, din: int = 8, dout: int = 4, *, rngs):
        self.l = nnx.Linear(din, dout, rngs=rngs)

    def __call__(self, x):
        return nnx.sigmoid(self.l(x))
`);
    const mlp = networks.find((n) => n.name === 'Mlp')!;
    assert.equal(mlp.layers[0]!.fans, undefined, 'linen input width is unknown');
    assert.deepEqual(mlp.layers[1]!.fans, { fanIn: 64, fanOut: 128 });
    assert.deepEqual(mlp.layers[1]!.init.semantics, { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'untruncated_normal' });
    assert.equal(consumerOf(mlp.layers[0]!), 'gelu');
    const lin = networks.find((n) => n.name === 'Lin')!;
    assert.deepEqual(lin.layers[0]!.fans, { fanIn: 8, fanOut: 4 });
    assert.equal(lin.layers[0]!.init.label, 'Flax default lecun_normal');
    assert.equal(consumerOf(lin.layers[0]!), 'sigmoid');
  });

  it('finds models built by helper functions that only call other builders', () => {
    const { networks } = analyzePython(`
import torch.nn as nn

def block(width):
    return [nn.Linear(width, width), nn.ReLU()]

def tower(width=64):
    return make(width)

def make(width):
    return nn.Sequential(*block(width), *block(width))

def train(model, data):
    for x in data:
        model(x)
`);
    assert.deepEqual(networks.map((n) => [n.name, n.layers.length]), [['tower', 2], ['make', 2]]);
  });

  it('marks loaded weights: load_state_dict, from_pretrained, load_weights', () => {
    const { networks } = analyzePython(`
import torch.nn as nn
from tensorflow import keras

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x).relu()

a = Net()
a.load_state_dict(state)
b = Net.from_pretrained("ckpt")
k = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(4,))])
k.load_weights("w.h5")
`);
    assert.deepEqual(networks.map((n) => [n.name, n.pretrained]), [['a', true], ['b', true], ['k', true]]);
  });

  it('says nothing about layers whose activation, width or initializer it cannot know', () => {
    const result = analyzePython(`
import torch.nn as nn
from mylib import Block, make_act
ACTS = {"relu": nn.ReLU}

class Net(nn.Module):
    def __init__(self, width, act="relu"):
        super().__init__()
        self.fc1 = nn.Linear(64, 64)
        self.act = ACTS[act]()
        self.fc2 = nn.Linear(64, width)
        self.block = Block(64)
        self.fc3 = nn.Linear(64, 64)
        self.out = nn.Linear(64, 1)

    def forward(self, x):
        x = self.act(self.fc1(x))
        x = make_act()(self.fc2(x))
        x = self.out(self.block(self.fc3(x)))
        return x
`);
    const layers = result.networks[0]!.layers;
    assert.deepEqual(layers.map(consumerOf), ['unknown', 'unknown', 'unknown', 'linear']);
    assert.equal(layers[1]!.fans, undefined);
    assert.deepEqual(codes(result), []);
  });

  it('takes building blocks for parts, not models, and helpers returning one layer for no model', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Block(nn.Module):
    """Used by Net below; a docstring naming Net does not make Net a part."""
    def __init__(self, planes=64):
        super().__init__()
        self.conv = nn.Conv2d(planes, planes, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))

class Net(nn.Module):
    def __init__(self, block, depth=2):
        super().__init__()
        self.blocks = nn.Sequential(*[block() for _ in range(depth)])

    def forward(self, x):
        return self.blocks(x)

class Head(nn.Module):
    def __init__(self, use_aux=True):
        super().__init__()
        if some_flag():
            self.aux = Aux()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(x)

class Aux(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 64)

    def forward(self, x):
        return torch.relu(self.fc(x))

def conv3x3(planes):
    return nn.Conv2d(planes, planes, 3, padding=1)

def net():
    return Net(Block)
`);
    // Block is passed as a value, Aux built in a branch InitWise cannot decide: neither runs alone.
    assert.deepEqual(networks.map((n) => n.name).sort(), ['Head', 'net']);
  });

  it('keeps models built by separate builder calls apart, and reports each once, at its builder (issue 13)', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers

def get_discriminator():
    inp = layers.Input(shape=(64,))
    x = layers.Dense(128, activation="tanh")(inp)
    return keras.Model(inp, layers.Dense(1)(x))

def get_generator(latent=16):
    z = layers.Input(shape=(latent,))
    x = layers.Dense(128, activation="tanh")(z)
    return keras.Model(z, layers.Dense(64)(x))

def unused_builder():
    return keras.Sequential([layers.Input(shape=(8,)), layers.Dense(4)])

d_model = get_discriminator()
g_model = get_generator(latent=32)
`);
    const byName = new Map(networks.map((n) => [n.name, n]));
    // Named and anchored after the builder that defines each; where the script builds it is related information.
    assert.deepEqual([...byName.keys()].sort(), ['get_discriminator', 'get_generator', 'unused_builder']);
    assert.deepEqual(byName.get('get_discriminator')!.layers.map((l) => l.fans), [{ fanIn: 64, fanOut: 128 }, { fanIn: 128, fanOut: 1 }]);
    assert.equal(byName.get('get_discriminator')!.instantiation?.name, 'd_model');
    // The script's argument, not the builder's default.
    assert.deepEqual(byName.get('get_generator')!.layers.map((l) => l.fans), [{ fanIn: 32, fanOut: 128 }, { fanIn: 128, fanOut: 64 }]);
    assert.equal(byName.get('get_generator')!.instantiation?.name, 'g_model');
  });

  it('passes modules into constructors: arguments, module defaults and conditional expressions', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Block(nn.Module):
    def __init__(self, dim, act=nn.ReLU(), norm=None):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.act = act
        self.norm = norm if norm is not None else nn.Identity()

    def forward(self, x):
        return self.act(self.norm(self.fc(x)))

class Wrapper(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.body(x))

class Net(nn.Module):
    def __init__(self, act_from_caller=None):
        super().__init__()
        self.b1 = Block(64, act=nn.Tanh())
        self.b2 = Block(64, nn.GELU())
        self.b3 = Block(64)
        self.b4 = Block(64, norm=nn.LayerNorm(64))
        self.b5 = Block(64, act=act_from_caller)
        self.w = Wrapper(nn.Sequential(nn.Linear(64, 64), nn.ReLU()))

    def forward(self, x):
        return self.w(self.b5(self.b4(self.b3(self.b2(self.b1(x))))))
`);
    const layers = networks.find((n) => n.name === 'Net')!.layers;
    assert.deepEqual(layers.map(consumerOf), ['tanh', 'gelu', 'relu', 'relu', 'unknown', 'relu', 'linear']);
    assert.deepEqual(layers.map((l) => l.normalizedBeforeActivation), [false, false, false, true, false, false, false]);
  });

  it('reads an activation class passed as a value and called (`act()(x)`)', () => {
    const { networks } = analyzePython(`
import keras
from keras import layers

def block(x, filters, act=layers.ReLU):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return act()(x)

def unknown_block(x, filters, act):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return act()(x)

inputs = keras.Input((32, 32, 3))
x = block(inputs, 64)
x = block(x, 64, act=layers.ELU)
x = unknown_block(x, 64, make_activation())
outputs = layers.Dense(10)(layers.GlobalAveragePooling2D()(x))
model = keras.Model(inputs, outputs)
`);
    assert.deepEqual(networks.find((n) => n.name === 'model')!.layers.map(consumerOf), ['relu', 'elu', 'unknown', 'linear']);
  });

  it('reads a local name assigned a framework class and called, unless a branch it cannot decide may assign it', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        norm = nn.BatchNorm1d
        maybe = nn.Identity
        if some_flag():
            maybe = nn.BatchNorm1d
        later = nn.Identity
        self.fc1 = nn.Linear(512, 512)
        self.n1 = norm(512)
        self.fc2 = nn.Linear(512, 512)
        self.n2 = maybe(512)
        self.fc3 = nn.Linear(512, 512)

    def forward(self, x):
        x = torch.relu(self.n1(self.fc1(x)))
        x = torch.relu(self.n2(self.fc2(x)))
        return torch.relu(self.fc3(x))
`);
    const [fc1, fc2, fc3] = networks[0]!.layers;
    assert.equal(fc1!.normalizedBeforeActivation, true);
    assert.equal(consumerOf(fc2!), 'unknown');
    assert.equal(consumerOf(fc3!), 'relu');
  });

  it('reads the None-default idiom: `if x is None: x = value` on a parameter', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, norm_layer=None, width=None, init_weights=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm1d
        if width is None:
            width = 256
        if init_weights is None:
            init_weights = True
        self.fc = nn.Linear(784, width)
        self.norm = norm_layer(width)
        self.out = nn.Linear(width, 10)
        if init_weights:
            nn.init.zeros_(self.out.weight)

    def forward(self, x):
        return self.out(torch.relu(self.norm(self.fc(x))))

class Unknown(nn.Module):
    def __init__(self, width, **kwargs):
        super().__init__()
        if width is None:
            width = 256
        self.fc = nn.Linear(784, width)

    def forward(self, x):
        return torch.relu(self.fc(x))
`);
    const [fc, out] = networks.find((n) => n.name === 'Net')!.layers;
    assert.deepEqual(fc!.fans, { fanIn: 784, fanOut: 256 });
    assert.equal(consumerOf(fc!), 'relu');
    assert.equal(out!.init.label, 'zeros_()');
    // A parameter without a known value keeps the assignment's usual meaning: unknown.
    assert.equal(networks.find((n) => n.name === 'Unknown')!.layers[0]!.fans, undefined);
  });

  it('reads a Flax field holding an activation function: its default, a constructor override, an unknown one', () => {
    const { networks } = analyzePython(`
from typing import Callable
import jax
import jax.numpy as jnp
from flax import linen as nn

class MLP(nn.Module):
  hidden: int = 256
  activation: Callable = nn.relu

  @nn.compact
  def __call__(self, x):
    h = nn.Dense(self.hidden)(x)
    h = self.activation(h)
    return nn.Dense(10)(h)

def with_default():
  return MLP()

def overridden():
  return MLP(activation=nn.gelu)

def passed_along(act=jax.nn.tanh):
  return MLP(activation=act)

def unknown(act):
  return MLP(activation=act)

params = MLP().init(jax.random.PRNGKey(0), jnp.ones((1, 64)))
`);
    const read = (name: string) => networks.find((n) => n.name === name)!.layers;
    const [hidden, head] = read('with_default');
    assert.equal(consumerOf(hidden!), 'relu');
    // The head keeps its fans: the activation passes the hidden layer's shape on.
    assert.deepEqual(head!.fans, { fanIn: 256, fanOut: 10 });
    assert.equal(consumerOf(read('overridden')[0]!), 'gelu');
    assert.equal(consumerOf(read('passed_along')[0]!), 'tanh');
    // A parameter without a value may be any function: the layer is not judged.
    assert.equal(consumerOf(read('unknown')[0]!), 'unknown');
  });

  it('unpacks a tuple a submodule returns: each part flows on, later submodules keep their layers', () => {
    const flax = analyzePython(`
import jax
import jax.numpy as jnp
from flax import linen as nn

class Encoder(nn.Module):
  @nn.compact
  def __call__(self, x):
    x = nn.relu(nn.Dense(500)(x))
    return nn.Dense(20)(x), nn.Dense(20)(x)

class Decoder(nn.Module):
  @nn.compact
  def __call__(self, z):
    z = nn.relu(nn.Dense(500)(z))
    return nn.Dense(784)(z)

class VAE(nn.Module):
  def setup(self):
    self.encoder = Encoder()
    self.decoder = Decoder()

  def __call__(self, x, rng):
    mean, logvar = self.encoder(x)
    z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(rng, (1, 20))
    return self.decoder(z), mean, logvar

params = VAE().init(jax.random.PRNGKey(0), jnp.ones((1, 784)), jax.random.PRNGKey(1))
`).networks[0]!;
    assert.equal(flax.layers.length, 5);
    const [, mean, logvar, decoded, out] = flax.layers;
    assert.equal(consumerOf(mean!), 'linear', "mean feeds the decoder's first layer through z");
    assert.equal(consumerOf(logvar!), 'unknown', 'exp is not followed');
    assert.equal(consumerOf(decoded!), 'relu');
    assert.deepEqual(decoded!.fans, { fanIn: 20, fanOut: 500 });
    assert.deepEqual(out!.fans, { fanIn: 500, fanOut: 784 });
    assert.equal(flax.unsimulable, 'several outputs');

    const torch = analyzePython(`
import torch
from torch import nn

class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 400)
        self.mu = nn.Linear(400, 20)
        self.logvar = nn.Linear(400, 20)

    def forward(self, x):
        h = torch.relu(self.fc(x))
        return self.mu(h), self.logvar(h)

class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = Encoder()
        self.dec = nn.Linear(20, 400)

    def forward(self, x):
        mu, logvar = self.enc(x)
        return torch.tanh(self.dec(mu)), logvar
`).networks[0]!;
    const [, mu, lv, dec] = torch.layers;
    assert.equal(consumerOf(mu!), 'linear');
    assert.equal(consumerOf(dec!), 'tanh');
    // logvar is one of the model's outputs: a linear head ending its branch.
    assert.equal(consumerOf(lv!), 'linear');
    assert.equal(lv!.isLastInBranch, true);
  });

  it('binds keyword arguments to the file\'s functions like positional ones', () => {
    const keras = analyzePython(`
import keras
from keras import layers

def block(x, filters, activation):
    x = layers.Dense(filters)(x)
    return activation(x)

def build():
    inp = layers.Input(shape=(64,))
    x = block(inp, 128, activation=layers.LeakyReLU(0.2))
    x = block(x=x, activation=layers.ReLU(), filters=32)
    return keras.Model(inp, layers.Dense(1)(x))
`).networks.find((n) => n.name === 'build')!;
    const [first, second, head] = keras.layers;
    assert.equal(consumerOf(first!), 'leaky_relu');
    assert.equal(first!.consumer !== 'unknown' && first!.consumer.param, 0.2);
    assert.deepEqual(second!.fans, { fanIn: 128, fanOut: 32 });
    assert.equal(consumerOf(second!), 'relu');
    assert.deepEqual(head!.fans, { fanIn: 32, fanOut: 1 });

    // A framework class passed by position is read through the caller's expression, as by keyword.
    const torch = analyzePython(`
import torch
import torch.nn as nn

def block(x, width, norm, act=None):
    return act(norm(width)(x))

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 64)

    def forward(self, x):
        return block(self.fc(x), 64, nn.BatchNorm1d, act=torch.relu)
`).networks[0]!;
    assert.equal(consumerOf(torch.layers[0]!), 'relu');
    assert.equal(torch.layers[0]!.normalizedBeforeActivation, true);
  });

  it('reports IW001 only when a syntax error leaves no model readable', () => {
    const text = 'import torch.nn as nn\n)))] net = [[[ nn.Linear(\n';
    const broken = analyzePython(text);
    assert.deepEqual(broken.findings.map((f) => f.code), ['IW001']);
    assert.ok(broken.findings[0]!.span.end <= text.indexOf('\n', broken.findings[0]!.span.start), 'one line at most');
    const partly = analyzePython(`
import torch.nn as nn
net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
def broken(:
    pass
`);
    assert.deepEqual(codes(partly), ['IW301']);
    const plain = analyzePython('def f(:\n  pass\n');
    assert.deepEqual(plain.findings, [], 'a file that is not model code is not ours to report');
  });

  it('unpacks a ModuleList of ModuleLists in a for loop (`for attn, ff in self.layers`)', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, dim=256, depth=3):
        super().__init__()
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(nn.ModuleList([nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)]))
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        for up, down in self.layers:
            x = x + down(torch.relu(up(x)))
        return self.head(x)
`);
    const layers = networks[0]!.layers;
    assert.equal(layers.length, 7);
    assert.deepEqual(layers.map(consumerOf), ['relu', 'linear', 'relu', 'linear', 'relu', 'linear', 'linear']);
  });

  it('reads widths from a config dataclass passed in (defaults, keyword and positional overrides)', () => {
    const { networks } = analyzePython(`
from dataclasses import dataclass
import torch
import torch.nn as nn

@dataclass(frozen=True)
class Config:
    d_in: int = 784
    hidden: int = 256
    n_layers: int = 2
    scale = 3

class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Linear(cfg.d_in, cfg.hidden)
        self.hidden = nn.ModuleList([nn.Linear(cfg.hidden, cfg.hidden) for _ in range(cfg.n_layers)])
        self.out = nn.Linear(self.cfg.hidden, 10 * cfg.scale)

    def forward(self, x):
        x = torch.relu(self.inp(x))
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.out(x)

model = MLP(Config(hidden=512))
small = MLP(Config(100, 64, 1))
unknown = MLP(Config(**overrides))
`);
    const fans = (name: string) => networks.find((n) => n.name === name)!.layers.map((l) => l.fans && [l.fans.fanIn, l.fans.fanOut]);
    assert.deepEqual(fans('model'), [[784, 512], [512, 512], [512, 512], [512, 30]]);
    assert.deepEqual(fans('small'), [[100, 64], [64, 64], [64, 30]]);
    // **overrides may set any field: none is assumed (the loop count too, so no hidden layers are built).
    assert.ok(fans('unknown').every((f) => f === undefined));
  });

  it('reports the nn.Sequential parts of a module class that has no forward pass (RL agents)', () => {
    const { networks } = analyzePython(`
import numpy as np
import torch
import torch.nn as nn

def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer

class Agent(nn.Module):
    def __init__(self, n_actions=6):
        super().__init__()
        self.network = nn.Sequential(
            layer_init(nn.Linear(128, 256)),
            nn.ReLU(),
            layer_init(nn.Linear(256, 256)),
            nn.ReLU(),
        )
        self.actor = layer_init(nn.Linear(256, n_actions), std=0.01)

    def get_value(self, x):
        return self.actor(self.network(x))
`);
    assert.deepEqual(networks.map((n) => [n.name, n.layers.length]), [['Agent.network', 2]]);
    assert.deepEqual(networks[0]!.layers.map(consumerOf), ['relu', 'relu']);
    assert.equal(networks[0]!.layers[0]!.init.label, 'orthogonal_(std)');
  });

  it('follows nn.ModuleDict entries: attributes, keys, .values() loops and modules()', () => {
    const { networks } = analyzePython(`
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self, d=256):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            inp=nn.Linear(784, d),
            h=nn.ModuleList([nn.Linear(d, d) for _ in range(2)]),
        ))
        self.heads = nn.ModuleDict({"cls": nn.Linear(d, 10), "aux": nn.Linear(d, 2)})
        self.extra = nn.ModuleDict({"a": nn.Linear(d, d), "b": nn.Linear(d, d)})
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

    def forward(self, x):
        x = torch.relu(self.transformer.inp(x))
        for layer in self.transformer.h:
            x = torch.relu(layer(x))
        for block in self.extra.values():
            x = torch.relu(block(x))
        return self.heads["cls"](x)
`);
    const layers = networks[0]!.layers;
    assert.deepEqual(layers.map((l) => [l.fans?.fanIn, l.fans?.fanOut]), [[784, 256], [256, 256], [256, 256], [256, 256], [256, 256], [256, 10]]);
    assert.deepEqual(layers.map(consumerOf), ['relu', 'relu', 'relu', 'relu', 'relu', 'linear']);
    assert.ok(layers.every((l) => l.init.label.startsWith('kaiming_normal_')), 'modules() reaches the entries');
  });

  it("reads keras.applications' Functional(inputs, outputs) like keras.Model", () => {
    const { networks } = analyzePython(`
from keras import layers
from keras.src.models import Functional

inputs = layers.Input(shape=(784,))
x = layers.Dense(256, activation="relu")(inputs)
outputs = layers.Dense(10, activation="softmax")(x)
model = Functional(inputs, outputs, name="mlp")
`);
    assert.deepEqual(networks.map((n) => [n.name, n.layers.length]), [['model', 2]]);
    assert.deepEqual(networks[0]!.layers[0]!.fans, { fanIn: 784, fanOut: 256 });
  });

  it('places a model built under `if __name__ == "__main__":` at its class, the instantiation as related information (issue 13)', () => {
    const text = `import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc(x)

if __name__ == "__main__":
    with torch.no_grad():
        model = Net()
`;
    const { networks } = analyzePython(text);
    assert.equal(networks.length, 1);
    assert.equal(networks[0]!.name, 'Net');
    assert.equal(text.slice(networks[0]!.span.start, networks[0]!.span.end), 'class Net');
    assert.equal(text.slice(networks[0]!.nameSpan.start, networks[0]!.nameSpan.end), 'Net');
    const built = networks[0]!.instantiation!;
    assert.equal(built.name, 'model');
    assert.equal(text.slice(built.span.start, built.span.end), 'model');
  });

  it('keeps a class the script builds twice apart, under each variable', () => {
    const text = `import torch.nn as nn

class Net(nn.Module):
    def __init__(self, width=256):
        super().__init__()
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        return self.fc(x)

small = Net(64)
large = Net(1024)
`;
    const { networks } = analyzePython(text);
    assert.deepEqual(networks.map((n) => [n.name, n.layers[0]!.fans?.fanIn, n.instantiation]), [['small', 64, undefined], ['large', 1024, undefined]]);
  });

  it('points findings at what the user wrote', () => {
    const text = `import torch.nn as nn
net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
nn.init.xavier_normal_(net[0].weight)
`;
    const { findings } = analyzePython(text);
    assert.deepEqual(findings.filter((f) => f.code === 'IW101').map((f) => text.slice(f.span.start, f.span.end)), ['nn.init.xavier_normal_(net[0].weight)']);
  });
});
