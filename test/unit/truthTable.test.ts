/**
 * Per-layer figures of test/reference/moments/truth_table.json (computed independently with
 * numpy/scipy): Var(W) from each initializer's real semantics, and the per-layer forward
 * and backward gains fan·Var(W)·E[φ²] / E[φ′²]. Exact to 1e-6 relative.
 */
import * as assert from 'node:assert/strict';
import type { Activation, Fans, InitSemantics } from '../../server/src/core/ir';
import { frameworkDefaultInit } from '../../server/src/core/knowledge/defaults';
import { weightVariance } from '../../server/src/core/knowledge/initializers';
import { derivativeSecondMoment, outputSecondMoment } from '../../server/src/core/simulation/moments';
import { readReference } from '../support/reference';

interface TruthCase {
  framework: string;
  layer: string;
  initializer: string;
  activation: string;
  fan_in: number;
  fan_out: number;
  effective_fan_in: number;
  effective_fan_out: number;
  weight_variance: number;
  per_layer_forward_gain: number;
  per_layer_backward_gain: number;
}

const kaiming = (mode: 'fan_in' | 'fan_out', nonlinearity: string, a: number, distribution: 'normal' | 'uniform'): InitSemantics => ({
  kind: 'kaiming', mode, nonlinearity, a, distribution, written: { nonlinearity: true, a: true },
});
const vs = (scale: number, mode: 'fan_in' | 'fan_out' | 'fan_avg', distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform'): InitSemantics => ({
  kind: 'variance_scaling', scale, mode, distribution,
});
const PT_DEFAULT = frameworkDefaultInit('pytorch', 'dense').semantics;
const KERAS_DEFAULT = frameworkDefaultInit('keras', 'dense').semantics;
const FLAX_DEFAULT = frameworkDefaultInit('flax', 'dense').semantics;

/** Each case's initializer as InitWise models it, keyed by the case's own description. */
const SEMANTICS: Record<string, InitSemantics> = {
  'nn.Linear default (init.kaiming_uniform_(w, a=math.sqrt(5)))': PT_DEFAULT,
  'nn.Conv2d default (init.kaiming_uniform_(w, a=math.sqrt(5)))': PT_DEFAULT,
  "nn.init.kaiming_normal_(w, nonlinearity='relu')": kaiming('fan_in', 'relu', 0, 'normal'),
  "nn.init.kaiming_uniform_(w, nonlinearity='relu')": kaiming('fan_in', 'relu', 0, 'uniform'),
  'nn.init.kaiming_normal_(w)': kaiming('fan_in', 'leaky_relu', 0, 'normal'),
  "nn.init.kaiming_normal_(w, a=0.2, nonlinearity='leaky_relu')": kaiming('fan_in', 'leaky_relu', 0.2, 'normal'),
  "nn.init.kaiming_normal_(w, mode='fan_out', nonlinearity='relu')": kaiming('fan_out', 'relu', 0, 'normal'),
  'nn.init.xavier_uniform_(w)': { kind: 'xavier', gain: 1, distribution: 'uniform' },
  "nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain('relu'))": { kind: 'xavier', gain: Math.SQRT2, distribution: 'uniform' },
  'nn.init.xavier_normal_(w)': { kind: 'xavier', gain: 1, distribution: 'normal' },
  "nn.init.kaiming_normal_(w, nonlinearity='linear')": kaiming('fan_in', 'linear', 0, 'normal'),
  'nn.init.normal_(w, std=0.02)': { kind: 'normal', mean: 0, std: 0.02 },
  'nn.init.trunc_normal_(w, std=0.02)': { kind: 'truncated_normal', mean: 0, std: 0.02, low: -2, high: 2 },
  'nn.init.orthogonal_(w)': { kind: 'orthogonal', gain: 1 },
  "nn.init.orthogonal_(w, gain=nn.init.calculate_gain('relu'))": { kind: 'orthogonal', gain: Math.SQRT2 },
  'nn.init.normal_(w, std=512 ** -0.5)': { kind: 'normal', mean: 0, std: 512 ** -0.5 },
  "Dense(512, activation='relu')  # default kernel_initializer='glorot_uniform'": KERAS_DEFAULT,
  "kernel_initializer='he_normal'": vs(2, 'fan_in', 'truncated_normal'),
  "kernel_initializer='he_uniform'": vs(2, 'fan_in', 'uniform'),
  "Dense(512, activation='tanh')  # default glorot_uniform": KERAS_DEFAULT,
  "kernel_initializer='lecun_normal'": vs(1, 'fan_in', 'truncated_normal'),
  "Conv2D(64, 3, activation='relu')  # default glorot_uniform": KERAS_DEFAULT,
  "kernel_initializer=VarianceScaling(scale=2/(1+0.2**2), mode='fan_in', distribution='untruncated_normal')":
    vs(2 / (1 + 0.2 ** 2), 'fan_in', 'untruncated_normal'),
  'nn.Dense(512, kernel_init=nn.initializers.he_normal())': vs(2, 'fan_in', 'truncated_normal'),
  'nn.Dense(512)  # default kernel_init=lecun_normal()': FLAX_DEFAULT,
  "nn.Conv(64, (3, 3), kernel_init=nn.initializers.variance_scaling(2.0, 'fan_in', 'truncated_normal'))": vs(2, 'fan_in', 'truncated_normal'),
};

function parseActivation(text: string): Activation {
  const m = /^([a-z_0-9]+)(?:\(([\d.]+)\))?$/.exec(text);
  assert.ok(m, `cannot read activation ${text}`);
  return m[2] === undefined ? { name: m[1] as Activation['name'] } : { name: m[1] as Activation['name'], param: Number(m[2]) };
}

function receptiveField(layer: string): number {
  const conv = /Conv2[dD]\([^)]*?(\d+)(?:, groups=\d+)?\)$/.exec(layer) ?? /Conv\(\d+, \((\d+), \d+\)\)/.exec(layer);
  return conv ? Number(conv[1]) ** 2 : 1;
}

function relClose(actual: number, expected: number, what: string): void {
  const rel = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(rel <= 1e-6, `${what}: got ${actual}, expected ${expected} (relative error ${rel.toExponential(2)})`);
}

describe('truth table (test/reference/moments/truth_table.json)', () => {
  const cases = readReference<TruthCase[]>('moments/truth_table.json');

  it('has a model for every case', () => {
    const missing = cases.filter((c) => !SEMANTICS[c.initializer]).map((c) => c.initializer);
    assert.deepEqual(missing, []);
    assert.ok(cases.length >= 32);
  });

  for (const c of cases) {
    it(`${c.framework} ${c.layer} ${c.activation}: ${c.initializer}`, () => {
      const semantics = SEMANTICS[c.initializer]!;
      const frameworkFans: Fans = { fanIn: c.fan_in, fanOut: c.fan_out };
      const v = weightVariance(semantics, frameworkFans, receptiveField(c.layer));
      relClose(v, c.weight_variance, 'weight_variance');
      const activation = parseActivation(c.activation);
      relClose(c.effective_fan_in * v * outputSecondMoment(activation, 1), c.per_layer_forward_gain, 'per_layer_forward_gain');
      relClose(c.effective_fan_out * v * derivativeSecondMoment(activation, 1), c.per_layer_backward_gain, 'per_layer_backward_gain');
    });
  }
});
