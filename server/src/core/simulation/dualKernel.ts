/**
 * Dual kernels of an activation: what it does to the correlation between two tokens.
 * For (u, u′) jointly Gaussian with variance q each and covariance c = r·q,
 *
 *   K(q, c)  = E[φ(u)·φ(u′)]      (the token cross moment after the activation)
 *   K′(q, c) = E[φ′(u)·φ′(u′)]    (the same for the gradient, backward)
 *
 * Closed forms for the piecewise-linear family (the arc-cosine kernel of Cho & Saul 2009,
 * ReLU: (q/2π)(sin θ + (π − θ)cos θ), θ = arccos r); tensor-product Gauss–Hermite quadrature
 * otherwise (GELU and SiLU are smooth, so it converges fast; saturating ones split the outer axis). Checked against 240-node
 * quadrature in test/reference/transformer/components.json.
 */
import type { Activation } from '../ir';
import { activationFunctions, negativeSlope } from '../knowledge/activations';
import { outputSecondMoment, derivativeSecondMoment } from './moments';
import { gaussianExpectation } from './quadrature';

const NODES = 64;

/** Probabilists' Gauss–Hermite nodes and weights (weights sum to 1), by Newton on the orthonormal recurrence. */
export function gaussHermite(n: number): { z: Float64Array; w: Float64Array } {
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const PIM4 = 0.7511255444649425; // π^(−1/4)
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -0.16667);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0]!;
    else if (i === 3) z = 1.91 * z - 0.91 * x[1]!;
    else z = 2 * z - x[i - 2]!;
    let pp = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      let p1 = PIM4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const previous = z;
      z = previous - p1 / pp;
      if (Math.abs(z - previous) <= 1e-14) break;
    }
    x[i] = z;
    x[n - 1 - i] = -z;
    w[i] = 2 / (pp * pp);
    w[n - 1 - i] = w[i]!;
  }
  const SQRT_PI = Math.sqrt(Math.PI);
  return { z: x.map((v) => v * Math.SQRT2), w: w.map((v) => v / SQRT_PI) };
}

let rule: { z: Float64Array; w: Float64Array } | undefined;

/** E[f(u)·f(u′)] by tensor-product quadrature: u′ = √q(r·z₁ + √(1−r²)·z₂). */
function quadrature(f: (x: number) => number, q: number, r: number): number {
  rule ??= gaussHermite(NODES);
  const { z, w } = rule;
  const s = Math.sqrt(q);
  const across = Math.sqrt(Math.max(0, 1 - r * r));
  let total = 0;
  for (let i = 0; i < NODES; i++) {
    let inner = 0;
    const base = s * r * z[i]!;
    for (let j = 0; j < NODES; j++) inner += w[j]! * f(base + s * across * z[j]!);
    total += w[i]! * f(s * z[i]!) * inner;
  }
  return total;
}

/**
 * Saturating activations (tanh′² is a spike of width 1/√q at large q) need the outer integral
 * split at their scale points, as the 1-D moments are (quadrature.ts); the inner one, over the
 * part of u′ independent of u, keeps Gauss–Hermite.
 */
const SATURATING = new Set(['tanh', 'sigmoid', 'hard_tanh']);

function splitQuadrature(f: (x: number) => number, kinks: readonly number[], q: number, r: number): number {
  rule ??= gaussHermite(NODES);
  const { z, w } = rule;
  const spread = Math.sqrt(q * Math.max(0, 1 - r * r));
  return gaussianExpectation((x) => {
    let inner = 0;
    for (let j = 0; j < NODES; j++) inner += w[j]! * f(r * x + spread * z[j]!);
    return f(x) * inner;
  }, q, kinks);
}

/**
 * Smooth activations whose Hermite expansion converges fast: φ(√q z) = Σ c_k h_k(z) in the
 * orthonormal Hermite basis gives K(r) = Σ c_k² r^k (Mehler's formula) and, from
 * d/dz φ(√q z) = Σ c_k √k h_{k−1}, K′(r) = Σ (c_k² k/q) r^{k−1}: one 1-D quadrature serves
 * every correlation and both kernels, ~100× cheaper than the tensor rule. The tail the
 * truncation drops is known exactly (E[φ²] − Σ c_k²) and added at the next power; where it
 * is not negligible (large q, where GELU nears ReLU's kink) the tensor rule is used instead.
 */
const HERMITE_SMOOTH = new Set(['gelu', 'silu', 'mish', 'softplus']);
const HERMITE_TERMS = 60;
const HERMITE_NODES = 96;
const HERMITE_TAIL = 1e-7;

interface HermiteSeries { readonly c2: Float64Array; readonly tail: number; readonly tailPrime: number }

let hermiteRule: { z: Float64Array; w: Float64Array } | undefined;
/** √k for the orthonormal recurrence h_{k+1} = (z·h_k − √k·h_{k−1})/√(k+1). */
const SQRT = Float64Array.from({ length: HERMITE_TERMS + 1 }, (_, k) => Math.sqrt(k));
let lastSeries: { key: string; series: HermiteSeries | undefined } | undefined;

function hermiteSeries(activation: Activation, q: number): HermiteSeries | undefined {
  const key = `${activation.name}:${activation.param ?? ''}:${q}`;
  if (lastSeries?.key === key) return lastSeries.series;
  hermiteRule ??= gaussHermite(HERMITE_NODES);
  const { z, w } = hermiteRule;
  const fns = activationFunctions(activation);
  const s = Math.sqrt(q);
  const c = new Float64Array(HERMITE_TERMS);
  for (let i = 0; i < HERMITE_NODES; i++) {
    const x = z[i]!;
    const weighted = w[i]! * fns.phi(s * x);
    let previous = 0;
    let h = 1;
    for (let k = 0; k < HERMITE_TERMS; k++) {
      c[k] = c[k]! + weighted * h;
      const next = (x * h - SQRT[k]! * previous) / SQRT[k + 1]!;
      previous = h;
      h = next;
    }
  }
  const c2 = c.map((v) => v * v);
  let sum = 0;
  let sumPrime = 0;
  for (let k = 0; k < HERMITE_TERMS; k++) {
    sum += c2[k]!;
    sumPrime += (c2[k]! * k) / q;
  }
  const total = outputSecondMoment(activation, q);
  const totalPrime = derivativeSecondMoment(activation, q);
  const tail = total - sum;
  const tailPrime = totalPrime - sumPrime;
  const good = Math.abs(tail) <= HERMITE_TAIL * total && Math.abs(tailPrime) <= HERMITE_TAIL * 100 * totalPrime;
  const series = good ? { c2, tail: Math.max(0, tail), tailPrime: Math.max(0, tailPrime) } : undefined;
  lastSeries = { key, series };
  return series;
}

function seriesKernel(series: HermiteSeries, r: number, derivative: boolean, q: number): number {
  let total = 0;
  let power = 1;
  if (!derivative) {
    for (let k = 0; k < HERMITE_TERMS; k++) {
      total += series.c2[k]! * power;
      power *= r;
    }
    return total + series.tail * power;
  }
  for (let k = 1; k < HERMITE_TERMS; k++) {
    total += ((series.c2[k]! * k) / q) * power;
    power *= r;
  }
  return total + series.tailPrime * power;
}

function correlation(q: number, c: number): number {
  return q > 0 ? Math.min(1, Math.max(-1, c / q)) : 1;
}

/** E[φ(u)φ(u′)] for Var u = Var u′ = q, Cov = c. */
export function dualKernel(activation: Activation, q: number, c: number): number {
  const r = correlation(q, c);
  if (r >= 1 - 1e-12) return outputSecondMoment(activation, q);
  const slope = activation.name === 'linear' ? 1 : negativeSlope(activation);
  if (slope !== undefined) {
    const theta = Math.acos(r);
    const relu = (q / (2 * Math.PI)) * (Math.sin(theta) + (Math.PI - theta) * Math.cos(theta));
    // φ(x) = a·x + (1 − a)·relu(x), and E[u′·relu(u)] = c/2.
    return slope * slope * c + slope * (1 - slope) * c + (1 - slope) ** 2 * relu;
  }
  const series = HERMITE_SMOOTH.has(activation.name) ? hermiteSeries(activation, q) : undefined;
  if (series) return seriesKernel(series, r, false, q);
  const fns = activationFunctions(activation);
  return SATURATING.has(activation.name) ? splitQuadrature((x) => fns.phi(x), fns.kinks, q, r) : quadrature((x) => fns.phi(x), q, r);
}

/** E[φ′(u)φ′(u′)] for Var u = Var u′ = q, Cov = c. */
export function dualDerivativeKernel(activation: Activation, q: number, c: number): number {
  const r = correlation(q, c);
  if (r >= 1 - 1e-12) return derivativeSecondMoment(activation, q);
  const slope = activation.name === 'linear' ? 1 : negativeSlope(activation);
  if (slope !== undefined) {
    // φ′ = a + (1 − a)·1[x > 0]; P(u > 0, u′ > 0) = (π − θ)/2π.
    const theta = Math.acos(r);
    return slope * slope + slope * (1 - slope) + (1 - slope) ** 2 * ((Math.PI - theta) / (2 * Math.PI));
  }
  const series = HERMITE_SMOOTH.has(activation.name) ? hermiteSeries(activation, q) : undefined;
  if (series) return seriesKernel(series, r, true, q);
  const fns = activationFunctions(activation);
  return SATURATING.has(activation.name) ? splitQuadrature((x) => fns.dphi(x), fns.kinks, q, r) : quadrature((x) => fns.dphi(x), q, r);
}
