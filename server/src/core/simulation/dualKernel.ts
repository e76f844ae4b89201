/**
 * Dual kernels of an activation: what it does to the correlation between two tokens.
 * For (u, u′) jointly Gaussian with variance q each and covariance c = r·q,
 *
 *   K(q, c)  = E[φ(u)·φ(u′)]      (the token cross moment after the activation)
 *   K′(q, c) = E[φ′(u)·φ′(u′)]    (the same for the gradient, backward)
 *
 * Closed forms for the piecewise-linear family (the arc-cosine kernel of Cho & Saul 2009,
 * ReLU: (q/2π)(sin θ + (π − θ)cos θ), θ = arccos r); otherwise a Hermite series where its
 * truncation is provably small, else nested split quadrature. Checked against independent
 * composite quadrature of every activation in test/reference/dual_kernels/dual_kernels.json.
 */
import type { Activation } from '../ir';
import { activationFunctions, negativeSlope } from '../knowledge/activations';
import { outputSecondMoment, derivativeSecondMoment } from './moments';
import { gaussianExpectation, gaussianRule } from './quadrature';

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

/** Conditional spreads up to this (in units of x) take the fixed inner rule. */
const NARROW_SPREAD = 0.5;
/** A kink farther than this many spreads from the conditional mean is outside the rule's nodes (|z| ≤ 9.3 for 32 nodes). */
const KINK_REACH = 10;
const INNER_NODES = 32;
let innerRule: { z: Float64Array; w: Float64Array } | undefined;

/**
 * The general rule: E[f(u)·f(u′)] = E_u[f(u)·E[f(u′) | u]], u′ | u ~ N(r·u, q(1 − r²)), each
 * integral by the split composite rule of the 1-D moments (quadrature.ts): the outer one split
 * at f's kinks and scale points, the inner one at the kinks as seen from r·u. A tensor
 * Gauss–Hermite rule (this file's rule until issue 16) cannot see a kink: it was 2% off for
 * ReLU6 and 0.1% for SELU at q = 20 against test/reference/dual_kernels/dual_kernels.json.
 */
function nestedQuadrature(f: (x: number) => number, kinks: readonly number[], q: number, r: number): number {
  const spread = Math.sqrt(q * Math.max(0, 1 - r * r));
  const outer = gaussianRule(q, kinks);
  // Where the conditional law is narrow next to φ's own scale (~1: tanh's poles are π/2 off
  // the real axis) and no kink lies within its reach, a fixed Gauss–Hermite rule is exact to
  // rounding; the split rule is kept for the rest. This is the common case (r near 1).
  const narrow = spread <= NARROW_SPREAD;
  innerRule ??= gaussHermite(INNER_NODES);
  const shifted = new Array<number>(kinks.length);
  let total = 0;
  for (let i = 0; i < outer.x.length; i++) {
    const x = outer.x[i]!;
    const fx = f(x);
    if (fx === 0) continue;
    const centre = r * x;
    let clear = narrow;
    for (let k = 0; k < kinks.length; k++) {
      shifted[k] = kinks[k]! - centre;
      if (Math.abs(shifted[k]!) < KINK_REACH * spread) clear = false;
    }
    let inner = 0;
    if (clear) {
      for (let j = 0; j < INNER_NODES; j++) inner += innerRule.w[j]! * f(centre + spread * innerRule.z[j]!);
    } else {
      inner = gaussianExpectation((y) => f(centre + y), spread * spread, shifted);
    }
    total += outer.w[i]! * fx * inner;
  }
  return total;
}

/**
 * Every other activation through its Hermite expansion: φ(√q z) = Σ c_k h_k(z) in the
 * orthonormal Hermite basis gives K(r) = Σ c_k² r^k (Mehler's formula) and, from
 * d/dz φ(√q z) = Σ c_k √k h_{k−1}, K′(r) = Σ (c_k² k/q) r^{k−1}: one 1-D quadrature serves
 * every correlation and both kernels. The coefficients come from the split rule of the 1-D
 * moments, so kinks (ELU, SELU, ReLU6, hard tanh) and saturation are integrated as exactly as
 * E[φ²] is. What the truncation drops is known exactly (E[φ²] − Σ c_k², and likewise for φ′)
 * and weighs at most |r|^K of it at correlation r: the series is used wherever that bound is
 * below SERIES_TOLERANCE of the kernel's scale, which covers the per-unit offsets of the
 * analytic pass (r well below 1) for every activation; near r = 1 and for sharp kinks the
 * nested rule above is used instead. Only the terms the correlation needs are computed
 * (termsFor). Issue 16: the tensor rule per layer was ~45% of a .netdef analysis with
 * BatchNorm (300 lines 8 → 17 ms).
 */
const HERMITE_TERMS = 60;
const SERIES_TOLERANCE = 1e-7;

interface HermiteSeries {
  /** c_k² for k < terms. */
  readonly c2: Float64Array;
  readonly terms: number;
  /** What the truncation drops: E[φ²] − Σ c_k², E[φ′²] − Σ k·c_k²/q. */
  readonly tail: number;
  readonly tailPrime: number;
  readonly total: number;
  readonly totalPrime: number;
}

/** √k for the orthonormal recurrence h_{k+1} = (z·h_k − √k·h_{k−1})/√(k+1). */
const SQRT = Float64Array.from({ length: HERMITE_TERMS + 1 }, (_, k) => Math.sqrt(k));
const INV_SQRT = SQRT.map((v) => 1 / v);
/**
 * Recent series: a pass asks for both kernels, and the token stream for several r, at one q;
 * re-analysis after an edit asks again for every layer the edit did not touch (256 series of
 * 60 terms: 120 KiB).
 */
const SERIES_CACHE = new Map<string, HermiteSeries>();
const SERIES_CACHE_SIZE = 256;

/**
 * Terms enough at correlation r whatever the coefficients: the dropped part of K is at most
 * E[φ²]·|r|^K (Σ c_k² = E[φ²]) and of K′ at most E[φ′²]·|r|^(K−1) (Σ k·c_k²/q = E[φ′²]), so
 * |r|^K ≤ SERIES_TOLERANCE (one term more for K′) suffices (r = 0.3: 14 terms). Beyond
 * HERMITE_TERMS the computed tail decides.
 */
function termsFor(r: number, derivative: boolean): number {
  const a = Math.abs(r);
  if (!(a < 1)) return HERMITE_TERMS;
  const extra = derivative ? 1 : 0;
  if (a < 1e-300) return 1 + extra;
  return Math.min(HERMITE_TERMS, Math.max(1, Math.ceil(Math.log(SERIES_TOLERANCE) / Math.log(a))) + extra);
}

function hermiteSeries(activation: Activation, q: number, terms: number): HermiteSeries {
  // Keyed by the number of terms too: a longer series would give a (slightly) different
  // value, and a result must not depend on what was asked before it.
  const key = `${activation.name}:${activation.param ?? ''}:${q}:${terms}`;
  const cached = SERIES_CACHE.get(key);
  if (cached) return cached;
  const fns = activationFunctions(activation);
  // h_k(z) oscillates on a scale of ~3/√k: past ~30 terms the coefficients need panels of
  // half the 1-D rule's width.
  const { x, w } = gaussianRule(q, fns.kinks, terms > 30 ? 0.5 : 1);
  const s = Math.sqrt(q);
  const c = new Float64Array(terms);
  for (let i = 0; i < x.length; i++) {
    const z = x[i]! / s;
    const weighted = w[i]! * fns.phi(x[i]!);
    if (weighted === 0) continue;
    let previous = 0;
    let h = 1;
    for (let k = 0; k < terms; k++) {
      c[k] = c[k]! + weighted * h;
      const next = (z * h - SQRT[k]! * previous) * INV_SQRT[k + 1]!;
      previous = h;
      h = next;
    }
  }
  const c2 = c.map((v) => v * v);
  let sum = 0;
  let sumPrime = 0;
  for (let k = 0; k < terms; k++) {
    sum += c2[k]!;
    sumPrime += (c2[k]! * k) / q;
  }
  const total = outputSecondMoment(activation, q);
  const totalPrime = derivativeSecondMoment(activation, q);
  const series = { c2, terms, tail: Math.max(0, total - sum), tailPrime: Math.max(0, totalPrime - sumPrime), total, totalPrime };
  if (SERIES_CACHE.size >= SERIES_CACHE_SIZE) SERIES_CACHE.delete(SERIES_CACHE.keys().next().value!);
  SERIES_CACHE.set(key, series);
  return series;
}

/**
 * K(r) or K′(r) from the series, or undefined where the truncation's bound is above
 * SERIES_TOLERANCE of the kernel's scale.
 */
function seriesKernel(activation: Activation, q: number, r: number, derivative: boolean): number | undefined {
  const series = hermiteSeries(activation, q, termsFor(r, derivative));
  const { terms } = series;
  const reach = Math.abs(r) ** (derivative ? terms - 1 : terms);
  if (derivative ? series.tailPrime * reach > SERIES_TOLERANCE * series.totalPrime : series.tail * reach > SERIES_TOLERANCE * series.total) return undefined;
  let total = 0;
  let power = 1;
  if (!derivative) {
    for (let k = 0; k < terms; k++) {
      total += series.c2[k]! * power;
      power *= r;
    }
    return total + series.tail * power;
  }
  for (let k = 1; k < terms; k++) {
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
  // A non-finite moment has nothing to integrate; the pass reports the network unsimulated.
  if (!Number.isFinite(q) || !Number.isFinite(c)) return Number.NaN;
  const r = correlation(q, c);
  if (r >= 1 - 1e-12) return outputSecondMoment(activation, q);
  const slope = activation.name === 'linear' ? 1 : negativeSlope(activation);
  if (slope !== undefined) {
    const theta = Math.acos(r);
    const relu = (q / (2 * Math.PI)) * (Math.sin(theta) + (Math.PI - theta) * Math.cos(theta));
    // φ(x) = a·x + (1 − a)·relu(x), and E[u′·relu(u)] = c/2.
    return slope * slope * c + slope * (1 - slope) * c + (1 - slope) ** 2 * relu;
  }
  const fromSeries = seriesKernel(activation, q, r, false);
  if (fromSeries !== undefined) return fromSeries;
  const fns = activationFunctions(activation);
  return nestedQuadrature((x) => fns.phi(x), fns.kinks, q, r);
}

/** E[φ′(u)φ′(u′)] for Var u = Var u′ = q, Cov = c. */
export function dualDerivativeKernel(activation: Activation, q: number, c: number): number {
  if (!Number.isFinite(q) || !Number.isFinite(c)) return Number.NaN;
  const r = correlation(q, c);
  if (r >= 1 - 1e-12) return derivativeSecondMoment(activation, q);
  const slope = activation.name === 'linear' ? 1 : negativeSlope(activation);
  if (slope !== undefined) {
    // φ′ = a + (1 − a)·1[x > 0]; P(u > 0, u′ > 0) = (π − θ)/2π.
    const theta = Math.acos(r);
    return slope * slope + slope * (1 - slope) + (1 - slope) ** 2 * ((Math.PI - theta) / (2 * Math.PI));
  }
  const fromSeries = seriesKernel(activation, q, r, true);
  if (fromSeries !== undefined) return fromSeries;
  const fns = activationFunctions(activation);
  return nestedQuadrature((x) => fns.dphi(x), fns.kinks, q, r);
}
