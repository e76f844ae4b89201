/**
 * The two activation moments the mean-field simulation needs at pre-activation
 * second moment q: E[φ(√q z)²] (forward length map) and E[φ′(√q z)²] (backward
 * multiplier); Poole et al. 2016 (https://arxiv.org/abs/1606.05340).
 */
import type { Activation } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { gaussianExpectation } from './quadrature';

const UNIT_CACHE = new Map<string, { m2: number; d2: number }>();

function unitMoments(activation: Activation): { m2: number; d2: number } {
  const key = `${activation.name}:${activation.param ?? ''}`;
  let cached = UNIT_CACHE.get(key);
  if (!cached) {
    const fns = activationFunctions(activation);
    cached = {
      m2: gaussianExpectation((x) => fns.phi(x) ** 2, 1, fns.kinks),
      d2: gaussianExpectation((x) => fns.dphi(x) ** 2, 1, fns.kinks),
    };
    UNIT_CACHE.set(key, cached);
  }
  return cached;
}

/** E[φ(√q z)²]: the second moment of the activation's output. */
export function outputSecondMoment(activation: Activation, q: number): number {
  const fns = activationFunctions(activation);
  if (fns.homogeneous) return q * unitMoments(activation).m2;
  return gaussianExpectation((x) => fns.phi(x) ** 2, q, fns.kinks);
}

/** E[φ′(√q z)²]: the factor the activation applies to the gradient's second moment. */
export function derivativeSecondMoment(activation: Activation, q: number): number {
  const fns = activationFunctions(activation);
  if (fns.homogeneous) return unitMoments(activation).d2;
  return gaussianExpectation((x) => fns.dphi(x) ** 2, q, fns.kinks);
}
