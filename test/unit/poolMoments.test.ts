/**
 * One max-pooling window's moments (simulation/poolMoments.ts) against values computed
 * independently with scipy (test/reference/pooling/components.json: adaptive quadrature of the
 * order-statistics integrals, Gauss–Hermite over the shared offset) and against the closed
 * forms for the maximum of n iid standard normals: E[M₂²] = 1, E[M₃²] = 1 + √3/(2π),
 * E[M₄²] = 1 + √3/π (David & Nagaraja, Order Statistics, 2003), E[M₄] = 1.029375 (Harter 1961).
 */
import * as assert from 'node:assert/strict';
import { maxWindowMoments, type WindowActivation } from '../../server/src/core/simulation/poolMoments';
import { readReference } from '../support/reference';

interface Window {
  readonly id: string;
  readonly activation: 'identity' | 'relu' | 'tanh';
  readonly common: readonly number[];
  readonly own: readonly number[];
  readonly first: number;
  readonly second: number;
  readonly common_variance: number;
  readonly routing: readonly number[];
}

const ACTIVATIONS: Record<Window['activation'], WindowActivation> = {
  identity: { phi: (x) => x, dphi: () => 1, kinks: [] },
  relu: { phi: (x) => Math.max(0, x), dphi: (x) => (x > 0 ? 1 : 0), kinks: [0] },
  tanh: { phi: Math.tanh, dphi: (x) => 1 - Math.tanh(x) ** 2, kinks: [] },
};

const windows = readReference<{ windows: Window[] }>('pooling/components.json').windows;

function close(actual: number, expected: number, relative: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= relative * Math.abs(expected) + 1e-9, `${what}: ${actual} vs ${expected}`);
}

describe('max-pooling window moments (poolMoments.ts)', () => {
  it('the maximum of n iid standard normals: the closed forms', () => {
    const iid = (n: number) => maxWindowMoments(ACTIVATIONS.identity, Array.from({ length: n }, () => ({ mean: 0, common: 0, own: 1 })));
    close(iid(2).second, 1, 1e-7, 'E[M2²]');
    close(iid(3).second, 1 + Math.sqrt(3) / (2 * Math.PI), 1e-7, 'E[M3²]');
    close(iid(4).second, 1 + Math.sqrt(3) / Math.PI, 1e-7, 'E[M4²]');
    close(iid(4).first, 1.029375, 1e-6, 'E[M4]');
  });

  for (const window of windows) {
    it(`${window.id}: within 1e-5 of scipy`, () => {
      const inputs = window.own.map((own, i) => ({ mean: 0, common: window.common[i]!, own }));
      const moments = maxWindowMoments(ACTIVATIONS[window.activation], inputs);
      close(moments.first, window.first, 1e-5, 'E[φ(M)]');
      close(moments.second, window.second, 1e-5, 'E[φ(M)²]');
      assert.ok(Math.abs(moments.commonVariance - window.common_variance) <= 1e-5 * window.second, `offset variance ${moments.commonVariance} vs ${window.common_variance}`);
      window.routing.forEach((r, i) => close(moments.routing[i]!, r, 1e-5, `routing ${i}`));
    });
  }

  it('after ReLU the winner is active with probability 1 − 2^−k: routing (1 − 2^−k)/k over E[φ′²] = ½', () => {
    for (const k of [2, 4, 9]) {
      const moments = maxWindowMoments(ACTIVATIONS.relu, Array.from({ length: k }, () => ({ mean: 0, common: 0, own: 1 })));
      close(moments.routing[0]!, ((1 - 2 ** -k) / k) / 0.5, 1e-6, `k = ${k}`);
    }
  });
});
