/**
 * Activation moments: against test/reference/moments/activations.json (computed with scipy
 * two independent ways), and the interpolated fast path against direct quadrature
 * over 20 decades of q, including saturation (tanh′² at q = 1e8 is a spike of width 1e-4).
 */
import * as assert from 'node:assert/strict';
import type { Activation } from '../../server/src/core/ir';
import {
  derivativeSecondMoment, exactDerivativeSecondMoment, exactOutputMean, exactOutputSecondMoment, outputMean, outputSecondMoment,
} from '../../server/src/core/simulation/moments';
import { readReference } from '../support/reference';

const REFERENCE_NAMES: Record<string, Activation> = {
  linear: { name: 'linear' }, relu: { name: 'relu' }, 'leaky_relu(0.01)': { name: 'leaky_relu', param: 0.01 },
  'leaky_relu(0.2)': { name: 'leaky_relu', param: 0.2 }, 'elu(1.0)': { name: 'elu', param: 1 }, selu: { name: 'selu' },
  gelu: { name: 'gelu' }, silu: { name: 'silu' }, mish: { name: 'mish' }, softplus: { name: 'softplus' },
  tanh: { name: 'tanh' }, sigmoid: { name: 'sigmoid' }, hardtanh: { name: 'hard_tanh' }, relu6: { name: 'relu6' },
};

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

describe('activation moments', () => {
  const reference = readReference<Record<string, { E_phi2: number; E_dphi2: number }>>('moments/activations.json');

  for (const [label, activation] of Object.entries(REFERENCE_NAMES)) {
    it(`${label}: E[φ²] and E[φ′²] at unit scale match the reference to 1e-9`, () => {
      const r = reference[label];
      assert.ok(r, `reference has no ${label}`);
      assert.ok(rel(outputSecondMoment(activation, 1), r.E_phi2) < 1e-9, `E[φ²] ${outputSecondMoment(activation, 1)} vs ${r.E_phi2}`);
      assert.ok(rel(derivativeSecondMoment(activation, 1), r.E_dphi2) < 1e-9, `E[φ′²] ${derivativeSecondMoment(activation, 1)} vs ${r.E_dphi2}`);
    });

    it(`${label}: the interpolated path agrees with direct quadrature from q = 1e-8 to 1e8`, () => {
      let worst = 0;
      for (let k = 0; k <= 400; k++) {
        const q = 10 ** (-8 + (16 * k) / 400 + 0.0123);
        worst = Math.max(worst, rel(outputSecondMoment(activation, q), exactOutputSecondMoment(activation, q)));
        worst = Math.max(worst, rel(derivativeSecondMoment(activation, q), exactDerivativeSecondMoment(activation, q)));
      }
      assert.ok(worst < 1e-6, `worst relative difference ${worst.toExponential(2)}`);
    });
  }

  it('resolves saturation: E[tanh′(√q z)²] → (4/3)/√(2πq) for large q', () => {
    const q = 1e8;
    const asymptote = 4 / 3 / Math.sqrt(2 * Math.PI * q);
    assert.ok(rel(derivativeSecondMoment({ name: 'tanh' }, q), asymptote) < 1e-3);
  });
});

describe('activation moments at tiny scales (a vanishing stack)', () => {
  for (const activation of [{ name: 'gelu' }, { name: 'tanh' }, { name: 'sigmoid' }, { name: 'softplus' }, { name: 'selu' }, { name: 'elu', param: 0.5 }] as Activation[]) {
    it(`${activation.name}: the linear-regime path agrees with direct quadrature below 1e-8`, () => {
      for (const q of [9e-13, 3e-13, 1e-14, 1e-16, 1e-20]) {
        const m = outputSecondMoment(activation, q);
        const d = derivativeSecondMoment(activation, q);
        const em = exactOutputSecondMoment(activation, q);
        const ed = exactDerivativeSecondMoment(activation, q);
        // Affine in q below 1e-12: exact for smooth φ, off by O(√q) ≈ 1e-6 with a kink at 0 (SELU, ELU).
        assert.ok(rel(m, em) < 1e-5, `E[φ²] at q=${q}: ${m} vs ${em}`);
        assert.ok(rel(d, ed) < 1e-5, `E[φ′²] at q=${q}: ${d} vs ${ed}`);
      }
    });
  }
});

describe('activation means', () => {
  for (const activation of [{ name: 'relu' }, { name: 'gelu' }, { name: 'sigmoid' }, { name: 'selu' }, { name: 'softplus' }] as Activation[]) {
    it(`${activation.name}: E[φ] agrees with direct quadrature from 1e-20 to 1e8 (variance-relevant precision below 1e-12)`, () => {
      for (const q of [1e-20, 1e-14, 1e-9, 1e-3, 0.7, 1, 42, 1e8]) {
        const mean = outputMean(activation, q);
        const exact = exactOutputMean(activation, q);
        // Below 1e-12 only what moves the variance E[φ²] − E[φ]² is kept (the O(q) term of a smooth φ is dropped).
        const scale = q < 1e-12 ? Math.max(Math.abs(exact), Math.sqrt(exactOutputSecondMoment(activation, q))) : Math.abs(exact);
        assert.ok(Math.abs(mean - exact) <= 1e-6 * scale + 1e-300, `E[φ] at q=${q}: ${mean} vs ${exact}`);
      }
    });
  }
});
