/**
 * The dual kernels K(q, r) = E[φ(u)φ(u′)] and K′(q, r) = E[φ′(u)φ′(u′)] of every activation
 * the engine simulates, against test/reference/dual_kernels/dual_kernels.json: independent
 * composite quadrature in numpy (panels of 0.1 standard deviations split at the kinks; its own
 * error, meta.resolution_gap, is far below the tolerance here).
 *
 * Why this test exists (issue 16): the kernels feed the per-unit offsets that BatchNorm removes
 * and the token correlations of the transformer pass. The engine moved from a 64×64
 * Gauss–Hermite tensor rule, which cannot see a kink (2% off for ReLU6, 0.1% for SELU at
 * q = 20, 0.5% for GELU at q = 100), to a Hermite series with a bounded tail and nested split
 * quadrature near r = 1.
 */
import * as assert from 'node:assert/strict';
import type { Activation, ActivationName } from '../../server/src/core/ir';
import { dualDerivativeKernel, dualKernel } from '../../server/src/core/simulation/dualKernel';
import { readReference } from '../support/reference';

interface KernelEntry { activation: ActivationName; param?: number; q: number; r: number; k: number; kprime: number }

const reference = readReference<{ meta: { resolution_gap: number }; kernels: KernelEntry[] }>('dual_kernels/dual_kernels.json');

/**
 * Relative to the kernel's scale at r = 1 (E[φ²], E[φ′²]): where K crosses zero a relative
 * error of the value itself means nothing.
 */
const TOLERANCE = 1e-6;

function scaleAt(entries: readonly KernelEntry[], e: KernelEntry, key: 'k' | 'kprime'): number {
  // The largest |K| over r at this (activation, q): the kernel at r ≈ 1 bounds it.
  return Math.max(...entries.filter((o) => o.activation === e.activation && o.param === e.param && o.q === e.q).map((o) => Math.abs(o[key])));
}

describe('dual kernels against independent quadrature (test/reference/dual_kernels)', () => {
  it('the reference resolves itself far below the tolerance', () => {
    assert.ok(reference.meta.resolution_gap < TOLERANCE / 10, `resolution gap ${reference.meta.resolution_gap}`);
  });

  const activations = [...new Set(reference.kernels.map((e) => `${e.activation}:${e.param ?? ''}`))];
  for (const name of activations) {
    it(`${name}: K and K′ within ${TOLERANCE} of the scale at every q and r`, () => {
      const entries = reference.kernels.filter((e) => `${e.activation}:${e.param ?? ''}` === name);
      const failures: string[] = [];
      for (const e of entries) {
        const activation: Activation = { name: e.activation, ...(e.param !== undefined ? { param: e.param } : {}) };
        const c = e.r * e.q;
        const k = dualKernel(activation, e.q, c);
        const kp = dualDerivativeKernel(activation, e.q, c);
        const errK = Math.abs(k - e.k) / scaleAt(entries, e, 'k');
        const errKp = Math.abs(kp - e.kprime) / scaleAt(entries, e, 'kprime');
        if (errK > TOLERANCE) failures.push(`K q=${e.q} r=${e.r}: ${k} vs ${e.k} (${errK.toExponential(2)})`);
        if (errKp > TOLERANCE) failures.push(`K′ q=${e.q} r=${e.r}: ${kp} vs ${e.kprime} (${errKp.toExponential(2)})`);
      }
      assert.deepEqual(failures, []);
    });
  }
});
