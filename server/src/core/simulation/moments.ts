/**
 * The two activation moments the mean-field simulation needs at pre-activation
 * second moment q: E[φ(√q z)²] (forward length map) and E[φ′(√q z)²] (backward
 * multiplier); Poole et al. 2016 (https://arxiv.org/abs/1606.05340).
 *
 * Positively homogeneous activations (linear, ReLU, leaky, PReLU) have closed forms:
 * q·E[φ(z)²] and a constant. The others go through split Gauss–Legendre quadrature
 * (quadrature.ts), interpolated on a grid in ln q (momentTable.ts) so a 1,000-layer
 * pass costs microseconds per layer instead of hundreds of function evaluations.
 */
import type { Activation } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { normalCdf, normalPdf } from '../math/special';
import { MomentTable } from './momentTable';
import { gaussianExpectation } from './quadrature';

interface ActivationMoments {
  /** E[φ(√q z)²] / q, interpolated. */
  readonly outputOverQ: MomentTable;
  readonly derivative: MomentTable;
  /** E[φ(√q z)] / √q, interpolated. */
  readonly meanOverRootQ: MomentTable;
}

const TABLES = new Map<string, ActivationMoments>();

/** Activation objects are immutable IR values: their tables hang off them (one lookup per position of a map). */
const TABLES_BY_OBJECT = new WeakMap<Activation, ActivationMoments>();

function tablesFor(activation: Activation): ActivationMoments {
  const known = TABLES_BY_OBJECT.get(activation);
  if (known) return known;
  const key = `${activation.name}:${activation.param ?? ''}`;
  let tables = TABLES.get(key);
  if (!tables) {
    tables = {
      outputOverQ: new MomentTable((q) => exactOutputSecondMoment(activation, q) / q),
      derivative: new MomentTable((q) => exactDerivativeSecondMoment(activation, q)),
      meanOverRootQ: new MomentTable((q) => exactOutputMean(activation, q) / Math.sqrt(q)),
    };
    TABLES.set(key, tables);
  }
  TABLES_BY_OBJECT.set(activation, tables);
  return tables;
}

/** E[φ(√q z)²] by direct quadrature (the reference the tables interpolate). */
export function exactOutputSecondMoment(activation: Activation, q: number): number {
  const fns = activationFunctions(activation);
  return gaussianExpectation((x) => fns.phi(x) ** 2, q, fns.kinks);
}

/** E[φ(√q z)] by direct quadrature. */
export function exactOutputMean(activation: Activation, q: number): number {
  const fns = activationFunctions(activation);
  return gaussianExpectation((x) => fns.phi(x), q, fns.kinks);
}

/**
 * E[φ(√q z)]: the mean of the activation's output (ReLU: √q/√(2π)). BatchNorm divides by
 * the variance E[x²] − E[x]², not the second moment, so the mean matters there.
 */
export function outputMean(activation: Activation, q: number): number {
  if (!(q > 0)) return exactOutputMean(activation, q);
  const tables = tablesFor(activation);
  if (activationFunctions(activation).homogeneous) return Math.sqrt(q) * tables.meanOverRootQ.value(1);
  if (q < Q_SMALL) {
    // Linear regime: φ(0) plus the kink's √q term; the smooth O(q) term is dropped, which
    // moves the variance E[φ²] − E[φ]² by O(q²) relative to O(q): nothing at q < 1e-12.
    const fns = activationFunctions(activation);
    return fns.phi(0) + (Math.sqrt(q) * (fns.dphi(1e-300) - fns.dphi(-1e-300))) / Math.sqrt(2 * Math.PI);
  }
  return Math.sqrt(q) * tables.meanOverRootQ.value(q);
}

/** E[φ′(√q z)²] by direct quadrature. */
export function exactDerivativeSecondMoment(activation: Activation, q: number): number {
  const fns = activationFunctions(activation);
  return gaussianExpectation((x) => fns.dphi(x) ** 2, q, fns.kinks);
}

/**
 * Below this scale every activation is in its linear regime (to ~1e-6 relative even with a
 * kink at 0, where the correction is O(√q)): both
 * moments are affine in q between q = 0 (where they are φ(0)² and the mean of the squared
 * one-sided slopes at 0) and Q_SMALL. A vanishing stack reaches 1e-300 after a few hundred
 * layers; this keeps it exact without walking the table down there.
 */
const Q_SMALL = 1e-12;

/** φ′ just right and just left of 0 (they differ at a kink: SELU, ELU with α ≠ 1). */
function slopesAtZero(activation: Activation): number {
  const fns = activationFunctions(activation);
  const right = fns.dphi(1e-300);
  const left = fns.dphi(-1e-300);
  return (right * right + left * left) / 2;
}

/** E[φ(√q z)²]: the second moment of the activation's output. */
export function outputSecondMoment(activation: Activation, q: number): number {
  if (!(q > 0)) return exactOutputSecondMoment(activation, q);
  const tables = tablesFor(activation);
  if (activationFunctions(activation).homogeneous) return q * tables.outputOverQ.value(1);
  if (q < Q_SMALL) {
    const atZero = activationFunctions(activation).phi(0) ** 2;
    return atZero + ((Q_SMALL * tables.outputOverQ.value(Q_SMALL) - atZero) * q) / Q_SMALL;
  }
  return q * tables.outputOverQ.value(q);
}

/** E[φ′(√q z)²]: the factor the activation applies to the gradient's second moment. */
export function derivativeSecondMoment(activation: Activation, q: number): number {
  const tables = tablesFor(activation);
  if (activationFunctions(activation).homogeneous) return tables.derivative.value(1);
  if (q >= 0 && q < Q_SMALL) {
    const atZero = slopesAtZero(activation);
    return atZero + ((tables.derivative.value(Q_SMALL) - atZero) * q) / Q_SMALL;
  }
  return tables.derivative.value(q);
}

/** The three moments of φ(x) for a pre-activation x with a mean (shiftedMoments). */
export interface ShiftedMoments {
  /** E[φ(x)]. */
  readonly mean: number;
  /** E[φ(x)²]. */
  readonly second: number;
  /** E[φ′(x)²]. */
  readonly derivative: number;
}

/**
 * The moments of φ(x) for x ~ N(μ, m − μ²): an activation applied to a value that has a mean,
 * such as ResNet's ReLU after `out += identity`, whose identity side is itself a ReLU output (mean
 * 0.56 at unit scale). Reading it as zero-mean with second moment m, as the other functions here
 * do, halves E[relu(x)²] where PyTorch keeps ~0.8 of it (test/reference/resnet/: 0.295 vs 0.501
 * at the conv after a block). Piecewise-linear activations (ReLU, leaky, PReLU, linear) in closed
 * form, with t = μ/σ: E[relu(x)] = μΦ(t) + σφ(t), E[relu(x)²] = (μ² + σ²)Φ(t) + μσφ(t),
 * E[1{x>0}] = Φ(t); the negative side is the same for −x. Others by quadrature around μ.
 */
export function shiftedMoments(activation: Activation, mu: number, m: number): ShiftedMoments {
  const variance = Math.max(0, m - mu * mu);
  const fns = activationFunctions(activation);
  if (!(variance > 0)) return { mean: fns.phi(mu), second: fns.phi(mu) ** 2, derivative: fns.dphi(mu) ** 2 };
  if (fns.homogeneous) {
    // φ(x) = relu(x) − s·relu(−x), s the slope below 0 (1: linear).
    const s = fns.dphi(-1);
    const sigma = Math.sqrt(variance);
    const t = mu / sigma;
    const above = normalCdf(t);
    const below = normalCdf(-t);
    const density = normalPdf(t);
    const meanUp = mu * above + sigma * density;
    const meanDown = -mu * below + sigma * density;
    const squareUp = (mu * mu + variance) * above + mu * sigma * density;
    const squareDown = (mu * mu + variance) * below - mu * sigma * density;
    return { mean: meanUp - s * meanDown, second: squareUp + s * s * squareDown, derivative: above + s * s * below };
  }
  const kinks = fns.kinks.map((k) => k - mu);
  return {
    mean: gaussianExpectation((x) => fns.phi(mu + x), variance, kinks),
    second: gaussianExpectation((x) => fns.phi(mu + x) ** 2, variance, kinks),
    derivative: gaussianExpectation((x) => fns.dphi(mu + x) ** 2, variance, kinks),
  };
}
