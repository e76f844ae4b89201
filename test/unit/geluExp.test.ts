/**
 * geluFloat32.ts's expNonPositive: the exp(−z²) that GELU's JavaScript loop and the WebAssembly
 * kernel (wasmKernels.ts gelu, inline) both compute, against Math.exp: within 1 float64 ulp over
 * the range it serves, and its edges (0, the underflow cut, −∞, NaN). The kernel's agreement with
 * the JavaScript loop, bit for bit, is kernelEngine.test.ts's and rowKernels.test.ts's.
 */
import * as assert from 'node:assert/strict';
import { expNonPositive } from '../../server/src/core/simulation/geluFloat32';
import { Random } from '../../server/src/core/simulation/prng';

const view = new DataView(new ArrayBuffer(16));

function ulps(a: number, b: number): number {
  view.setFloat64(0, a);
  view.setFloat64(8, b);
  return Math.abs(Number(view.getBigInt64(0) - view.getBigInt64(8)));
}

describe('GELU exp(−z²) (geluFloat32.ts expNonPositive)', () => {
  it('is within 1 ulp of Math.exp from 0 down to −708', () => {
    const rng = new Random(7);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      // Half the draws where GELU's z² lies (z < 6), half over the whole range.
      const x = -(i % 2 === 0 ? 36 : 707.99) * rng.uniform();
      worst = Math.max(worst, ulps(expNonPositive(x), Math.exp(x)));
    }
    for (const x of [0, -0, -1e-300, -Math.LN2 / 2, -Math.LN2, -1, -707.99]) worst = Math.max(worst, ulps(expNonPositive(x), Math.exp(x)));
    assert.ok(worst <= 1, `worst ${worst} ulps`);
  });

  it('is 0 below −708 and at −∞, and keeps NaN', () => {
    assert.equal(expNonPositive(-708.5), 0);
    assert.equal(expNonPositive(-1e6), 0);
    assert.equal(expNonPositive(-Infinity), 0);
    assert.ok(Number.isNaN(expNonPositive(NaN)));
  });
});
