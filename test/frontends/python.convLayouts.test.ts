/**
 * Depthwise and transposed convolutions (issue 4): their fans against the worked examples
 * of shared/reference/init-math.md §(c), the output shapes the interpreter tracks, how
 * they are judged and simulated, and the fan mode their fixes write.
 */
import * as assert from 'node:assert/strict';
import {
  kerasDepthwiseFans, kerasTransposedFans, flaxTransposedFans, torchTransposedFans, transposedLength,
} from '../../server/src/core/frontends/python/frameworks/convFans';
import { layoutInit } from '../../server/src/core/frontends/python/frameworks/kernelLayout';
import type { WeightLayer } from '../../server/src/core/ir';
import { assessInit } from '../../server/src/core/knowledge/assess';
import { judgingFans, weightVariance } from '../../server/src/core/knowledge/initializers';
import { widthFactors } from '../../server/src/core/simulation/drift';
import { analyzePython, consumerOf, loadPython } from './pythonSupport';

function close(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${actual} ≉ ${expected}`);
}

function only<T>(xs: readonly T[] | undefined): T {
  assert.equal(xs?.length, 1);
  return xs[0]!;
}

describe('python frontend: depthwise and transposed convolutions', () => {
  before(loadPython);

  describe('fans (init-math.md §c)', () => {
    it('ConvTranspose2d(128, 64, 4, stride=2): PyTorch fan_in 64·16 = 1024, each output sums 128·2·2 = 512 terms', () => {
      const c = torchTransposedFans(128, 64, [4, 4], [2, 2], 1)!;
      assert.deepEqual(c.frameworkFans, { fanIn: 1024, fanOut: 2048 });
      assert.equal(c.fans.fanIn / c.transposed!.upsampling, 512);
      // Backward: each input position feeds out·∏k = 1024 outputs, exactly.
      assert.equal(c.fans.fanOut, 1024);
      assert.equal(c.strideProduct, 1);
      assert.equal(c.transposed!.layoutSwapped, true);
    });

    it('grouped PyTorch transposed conv: fan_in per group, fan_out over every input channel', () => {
      const c = torchTransposedFans(64, 32, [3], [1], 4)!;
      assert.deepEqual(c.frameworkFans, { fanIn: 8 * 3, fanOut: 64 * 3 });
      assert.deepEqual(c.fans, { fanIn: 16 * 3, fanOut: 8 * 3 });
      assert.equal(torchTransposedFans(64, 30, [3], [1], 4), undefined);
    });

    it('Keras DepthwiseConv: fan_in ∏k·in is `in` times the true ∏k (keras#11773); fan_out ∏k·depth_multiplier is right', () => {
      const c = kerasDepthwiseFans(256, 2, [3, 3], [2, 2]);
      assert.deepEqual(c.frameworkFans, { fanIn: 9 * 256, fanOut: 18 });
      assert.deepEqual(c.fans, { fanIn: 9, fanOut: 18 });
      assert.equal(c.strideProduct, 4);
      assert.equal(c.transposed, undefined);
    });

    it('Keras Conv*Transpose (*k, filters, in) swaps fans; Flax ConvTranspose (*k, in, features) does not unless transpose_kernel', () => {
      assert.deepEqual(kerasTransposedFans(128, 64, [4, 4], [2, 2]).frameworkFans, { fanIn: 1024, fanOut: 2048 });
      const flax = flaxTransposedFans(128, 64, [4, 4], [2, 2], false);
      assert.deepEqual(flax.frameworkFans, { fanIn: 2048, fanOut: 1024 });
      assert.deepEqual(flax.transposed, { upsampling: 4, layoutSwapped: false });
      assert.deepEqual(flaxTransposedFans(128, 64, [4, 4], [2, 2], true).frameworkFans, { fanIn: 1024, fanOut: 2048 });
    });

    it('transposed output lengths: same → n·s, valid → n·s + max(k − s, 0), output_padding → (n−1)·s + k − 2·pad + p', () => {
      assert.equal(transposedLength(8, 3, 2, 'same'), 16);
      assert.equal(transposedLength(8, 3, 2, 'valid'), 17);
      assert.equal(transposedLength(8, 2, 3, 'valid'), 24);
      assert.equal(transposedLength(8, 3, 2, 'same', 1), 16);
      assert.equal(transposedLength(8, 4, 2, 'valid', 0), 18);
      assert.ok(Number.isNaN(transposedLength(8, 3, 2, 'full')));
    });
  });

  describe('judging and simulation', () => {
    const decoder = (init: string) => `
import torch
import torch.nn as nn

class Up(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1)
        ${init}
        self.head = nn.Conv2d(64, 3, 1)

    def forward(self, x):
        return self.head(torch.relu(self.up(x)))
`;

    it('kaiming fan_in on the swapped layout is He on the true fan_out: judged σ² = 2, no finding', () => {
      const result = analyzePython(decoder('nn.init.kaiming_normal_(self.up.weight, nonlinearity="relu")'));
      const network = only(result.networks);
      const up = network.layers[0]!;
      assert.equal(up.kind, 'conv2d');
      assert.deepEqual(up.fans, { fanIn: 2048, fanOut: 1024 });
      assert.deepEqual(up.frameworkFans, { fanIn: 1024, fanOut: 2048 });
      const assessment = assessInit(up, false)!;
      close(assessment.variance!, 2 / 1024);
      close(assessment.scale, 2);
      assert.equal(assessment.verdict, 'ok');
      assert.deepEqual(result.findings.filter((f) => f.span.start === up.kindSpan.start).map((f) => f.code), []);
    });

    it('only fan-scaled initializers are judged on swapped fans; a fixed std on the forward fan_in', () => {
      const up = analyzePython(decoder('nn.init.normal_(self.up.weight, std=0.02)')).networks[0]!.layers[0]!;
      assert.deepEqual(judgingFans(up, up.init.semantics!), { fanIn: 2048, fanOut: 1024 });
      assert.deepEqual(judgingFans(up, { kind: 'kaiming', mode: 'fan_in', nonlinearity: 'relu', a: 0, distribution: 'normal', written: { nonlinearity: true, a: false } }), { fanIn: 1024, fanOut: 2048 });
      close(assessInit(up, false)!.scale, 2048 * 0.02 ** 2);
    });

    it('simulates the true forward fan (512·Var(W)) and the exact backward fan; the stride is a one-off width factor', () => {
      const result = analyzePython(decoder('nn.init.kaiming_normal_(self.up.weight, nonlinearity="relu")'));
      const up = result.networks[0]!.layers[0]!;
      const simulation = result.simulations[0]!;
      // Unit-variance input: q = 512 · 2/1024 = 1 (He on fan_in 2048 would give 2), plus the
      // default bias U(±1/√1024) on PyTorch's fan_in: 1/(3·1024).
      close(simulation.layers[0]!.forwardVariance, 1 + 1 / 3072);
      const factors = widthFactors(up);
      close(factors.forward, 0.5);
      close(factors.backward, 1);
    });

    it('the PyTorch default (kaiming_uniform_, a=√5) fires IW301; its fix writes mode="fan_out", the forward fan on this layout', () => {
      const text = decoder('');
      const result = analyzePython(text);
      const up = result.networks[0]!.layers[0]!;
      const finding = result.findings.find((f) => f.code === 'IW301' && f.span.start === up.kindSpan.start)!;
      assert.ok(finding);
      const fix = finding.fixes.find((f) => f.applicability !== 'display-only' && !f.title.startsWith('Suppress'))!;
      assert.match(fix.edits[0]!.newText, /torch\.nn\.init\.kaiming_normal_\(self\.up\.weight, mode="fan_out", nonlinearity="relu"\)/);
      // What the fix writes: Var = 2/(in·∏k) = 2/2048, judged on the forward fan 2048: σ² = 2.
      const fixed: WeightLayer = { ...up, init: { ...up.init, semantics: { kind: 'kaiming', mode: 'fan_out', nonlinearity: 'relu', a: 0, distribution: 'normal', written: { nonlinearity: true, a: false } } } };
      close(weightVariance(fixed.init.semantics!, fixed.frameworkFans!), 2 / 2048);
      close(assessInit(fixed, false)!.scale, 2);
    });

    it('Keras DepthwiseConv2D: depthwise_initializer="he_normal" is in× too small; the fix writes VarianceScaling(mode="fan_out")', () => {
      const result = analyzePython(`
from tensorflow import keras
from tensorflow.keras import layers
model = keras.Sequential([
    keras.Input(shape=(16, 16, 256)),
    layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu", depthwise_initializer="he_normal"),
    layers.Flatten(),
    layers.Dense(10),
])
`);
      const [depthwise, dense] = only(result.networks).layers;
      assert.deepEqual(depthwise!.fans, { fanIn: 9, fanOut: 18 });
      assert.deepEqual(depthwise!.frameworkFans, { fanIn: 2304, fanOut: 18 });
      assert.equal(consumerOf(depthwise!), 'relu');
      assert.equal(dense!.fans?.fanIn, 16 * 16 * 512);
      const finding = result.findings.find((f) => f.code === 'IW101')!;
      // fan_in·Var(W) with the true fans 9 (3×3, one channel per group): in× too small.
      assert.match(finding.message, /fan_in·Var\(W\) = 0\.00781 on this 9→18 relu layer/);
      const fix = finding.fixes.find((f) => !f.title.startsWith('Suppress'))!;
      assert.equal(fix.edits[0]!.newText, 'keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")');
      // The counterfactual simulates what the fix writes, not a plain he_normal.
      assert.deepEqual(depthwise!.fixes.semanticsOf?.({ family: 'he_normal' }), { kind: 'variance_scaling', scale: 2, mode: 'fan_out', distribution: 'truncated_normal' });
    });

    it('Keras Conv2DTranspose and Flax ConvTranspose carry output shapes to the next layer', () => {
      const keras = analyzePython(`
from tensorflow import keras
from tensorflow.keras import layers
model = keras.Sequential([
    keras.Input(shape=(8, 8, 64)),
    layers.Conv2DTranspose(32, 3, strides=2, padding="valid", activation="relu", kernel_initializer="he_normal"),
    layers.Conv2DTranspose(16, 3, strides=2, padding="same", output_padding=1, activation="relu", kernel_initializer="he_normal"),
    layers.Conv2DTranspose(8, 2, strides=2, output_padding=(0, 0), activation="relu", kernel_initializer="he_normal"),
    layers.Flatten(),
    layers.Dense(10),
])
`);
      const [a, b, c, dense] = only(keras.networks).layers;
      assert.deepEqual(a!.fans, { fanIn: 576, fanOut: 288 });
      assert.deepEqual(b!.fans, { fanIn: 288, fanOut: 144 });
      assert.deepEqual(c!.fans, { fanIn: 64, fanOut: 32 });
      // 8 → 17 (valid: 8·2 + 1) → 34 ((17−1)·2 + 3 − 2 + 1) → 68 ((34−1)·2 + 2 + 0).
      assert.equal(dense!.fans?.fanIn, 68 * 68 * 8);
      const flax = analyzePython(`
from flax import nnx
class Up(nnx.Module):
    def __init__(self, rngs=None):
        self.up = nnx.ConvTranspose(8, 4, (3, 3), strides=(2, 2), padding="VALID", rngs=rngs)
        self.out = nnx.Linear(4, 1, rngs=rngs)
    def __call__(self, x):
        return self.out(nnx.relu(self.up(x)))
`);
      const up = only(flax.networks).layers[0]!;
      assert.deepEqual(up.fans, { fanIn: 72, fanOut: 36 });
      assert.deepEqual(up.frameworkFans, { fanIn: 72, fanOut: 36 });
      assert.deepEqual(up.transposed, { upsampling: 4, layoutSwapped: false });
    });

    it('isinstance: nn.Conv2d does not match ConvTranspose2d, _ConvNd and nn.ConvTranspose2d do', () => {
      const result = analyzePython(`
import torch.nn as nn

def init_plain(m):
    if isinstance(m, nn.Conv2d):
        nn.init.zeros_(m.weight)

def init_transposed(m):
    if isinstance(m, (nn.ConvTranspose2d,)):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")

def init_any(m):
    if isinstance(m, nn.modules.conv._ConvNd):
        nn.init.orthogonal_(m.weight)

a = nn.Sequential(nn.ConvTranspose2d(8, 8, 2, stride=2), nn.ReLU(), nn.Conv2d(8, 1, 1))
a.apply(init_plain)
b = nn.Sequential(nn.ConvTranspose2d(8, 8, 2, stride=2), nn.ReLU(), nn.Conv2d(8, 1, 1))
b.apply(init_transposed)
c = nn.Sequential(nn.ConvTranspose2d(8, 8, 2, stride=2), nn.ReLU(), nn.Conv2d(8, 1, 1))
c.apply(init_any)
`);
      const labels = result.networks.map((n) => n.layers[0]!.init.label);
      assert.equal(labels.length, 3);
      assert.match(labels[0]!, /default/);
      assert.match(labels[1]!, /kaiming_normal_/);
      assert.match(labels[2]!, /orthogonal/);
    });

    it('SeparableConv is two kernels: depthwise (on kernel_size, linear consumer) then pointwise (the activation), linked through a normalisation', () => {
      const text = `
from tensorflow import keras
from tensorflow.keras import layers
model = keras.Sequential([
    keras.Input(shape=(16, 16, 32)),
    layers.Conv2D(32, 3),
    layers.SeparableConv2D(64, 3, activation="relu", depth_multiplier=2),
    layers.SeparableConv2D(64, 3),
    layers.BatchNormalization(),
    layers.ReLU(),
    layers.Flatten(),
    layers.Dense(10),
])
`;
      const network = only(analyzePython(text).networks);
      assert.deepEqual(network.layers.map((l) => text.slice(l.kindSpan.start, l.kindSpan.end)), ['layers.Conv2D', '3', 'layers.SeparableConv2D', '3', 'layers.SeparableConv2D', 'layers.Dense']);
      const [conv, depthwise, pointwise, depthwise2, pointwise2] = network.layers;
      assert.equal(consumerOf(conv!), 'linear');
      // Depthwise: true fans ∏k and ∏k·m; Keras counts fan_in ∏k·in (keras#11773).
      assert.deepEqual(depthwise!.fans, { fanIn: 9, fanOut: 18 });
      assert.deepEqual(depthwise!.frameworkFans, { fanIn: 9 * 32, fanOut: 18 });
      assert.equal(consumerOf(depthwise!), 'linear');
      // Pointwise 1×1: in·m → filters, and the layer's activation.
      assert.deepEqual(pointwise!.fans, { fanIn: 64, fanOut: 64 });
      assert.equal(consumerOf(pointwise!), 'relu');
      // A BatchNormalization after the second layer normalises both of its kernels.
      assert.equal(pointwise2!.normalizedBeforeActivation, true);
      assert.equal(depthwise2!.normalizedBeforeActivation, true);
      assert.equal(depthwise!.normalizedBeforeActivation, false);
    });
  });

  describe('fix modes per layout (kernelLayout.ts)', () => {
    it('swapped layouts swap the mode; grouped ones get only He in fan_in', () => {
      assert.deepEqual(layoutInit({ family: 'he_normal' }, { kind: 'swapped', groups: 1 }), { scale: 2, mode: 'fan_out', distribution: 'truncated_normal', plainGlorot: false });
      assert.equal(layoutInit({ family: 'glorot_uniform' }, { kind: 'swapped', groups: 1 })!.plainGlorot, true);
      assert.equal(layoutInit({ family: 'variance_scaling', scale: 0.5, mode: 'fan_out', distribution: 'uniform' }, { kind: 'swapped', groups: 1 })!.mode, 'fan_in');
      // Grouped (PyTorch): only He in the framework's fan_in, exact on the backward pass.
      assert.equal(layoutInit({ family: 'he_normal' }, { kind: 'swapped', groups: 2 })!.mode, 'fan_in');
      assert.equal(layoutInit({ family: 'lecun_normal' }, { kind: 'swapped', groups: 2 }), undefined);
      assert.equal(layoutInit({ family: 'glorot_uniform' }, { kind: 'swapped', groups: 2 }), undefined);
      assert.equal(layoutInit({ family: 'he_normal' }, { kind: 'swapped', groups: NaN }), undefined);
    });

    it('depthwise writes fan_out; a forward-only equivalent needs depth_multiplier 1', () => {
      assert.equal(layoutInit({ family: 'he_normal' }, { kind: 'depthwise', depthMultiplier: 4 })!.mode, 'fan_out');
      assert.equal(layoutInit({ family: 'lecun_normal' }, { kind: 'depthwise', depthMultiplier: 1 })!.mode, 'fan_out');
      assert.equal(layoutInit({ family: 'lecun_normal' }, { kind: 'depthwise', depthMultiplier: 4 }), undefined);
      assert.equal(layoutInit({ family: 'variance_scaling', scale: 0.1, mode: 'fan_in', distribution: 'untruncated_normal' }, { kind: 'depthwise', depthMultiplier: 2 }), undefined);
      assert.equal(layoutInit({ family: 'framework_default' }, { kind: 'depthwise', depthMultiplier: 1 }), undefined);
    });
  });
});
