/**
 * The moments of one max-pooling window for the analytic pass (analytic.ts, poolSignal.ts).
 *
 * The window's inputs are x_i = α + β·φ(u_i) with β > 0 and the pre-activations jointly
 * Gaussian in the mean-field form: u_i = ν_i + √C_i·s + √V_i·e_i, s and e_i independent
 * N(0, 1). s is the per-channel offset every position of a channel shares (the part of the
 * second moment a layer puts in per-unit offsets; mean field's cross-position covariance,
 * Xiao et al. 2018, https://arxiv.org/abs/1806.05393, which is the same for every pair of
 * distinct positions when the network input is iid over positions), e_i the part of its own.
 *
 * For a non-decreasing φ the window's maximum is φ(max u_i), so only M = max u_i is needed.
 * Given s the u_i are independent, and the maximum of independent, non-identical variables has
 * the density f_M(t) = Σ_i f_i(t)·Π_{j≠i} F_j(t) (David & Nagaraja, Order Statistics, 3rd ed.
 * 2003, §5.2); the position i is the maximum with the density f_i(t)·Π_{j≠i} F_j(t). So
 *
 *   E[φ(M)^n | s] = ∫ φ(t)^n f_M(t) dt,    E[1(argmax = i)·φ′(u_i)² | s] = ∫ φ′(t)² f_i(t) Π_{j≠i} F_j(t) dt,
 *
 * by composite Gauss–Legendre in t (panels of twice the smallest √V_i but at most 1 wide, where tanh′ changes; split at φ's kinks) and
 * Gauss–Hermite in s. Check: four iid N(0, 1) give E[M] = 1.029375 (Harter 1961's table of
 * normal order statistics) and E[M²] = 1 + √3/π = 1.551329 (the closed form for n = 4, David &
 * Nagaraja 2003, exercise 3.2.x; also test/reference/pooling/components.json, scipy).
 *
 * φ not monotone (GELU, SiLU, Mish dip below zero for negative inputs): max φ(u_i) is read as
 * φ(max u_i). They differ only when every u_i lies left of φ's minimum (GELU: below −0.75,
 * probability Φ(−0.75)^k = 0.3% for k = 4, on values |φ| < 0.17), a relative error under 1e-4.
 */
import { gaussHermite } from './dualKernel';

/** One input of a window: u = mean + √common·s + √own·e. */
export interface WindowInput {
  readonly mean: number;
  readonly common: number;
  readonly own: number;
}

/** φ, φ′ and the points where φ is not smooth. */
export interface WindowActivation {
  readonly phi: (x: number) => number;
  readonly dphi: (x: number) => number;
  readonly kinks: readonly number[];
}

export interface MaxWindowMoments {
  /** E[φ(M)]. */
  readonly first: number;
  /** E[φ(M)²]. */
  readonly second: number;
  /** Var_s(E[φ(M) | s]): the part of the output's second moment that is a per-channel offset. */
  readonly commonVariance: number;
  /**
   * Per input: E[1(argmax = i)·φ′(u_i)²] / E[φ′(u_i)²]. The backward pass multiplies the
   * gradient the window routes to position i by this, then by E[φ′(u_i)²] at the activation,
   * so the product is the joint expectation: the position that wins is the one with a large
   * pre-activation (after ReLU: P(max > 0) = 1 − 2^−k, not the ½ that independence would give).
   */
  readonly routing: Float64Array;
}

const GL_NODES = [
  -0.9602898564975363, -0.7966664774136267, -0.525532409916329, -0.1834346424956498,
  0.1834346424956498, 0.525532409916329, 0.7966664774136267, 0.9602898564975363,
];
const GL_WEIGHTS = [
  0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.362683783378362,
  0.362683783378362, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
];
/** Beyond 8 standard deviations the normal density is below 1e-14 of its peak. */
const REACH = 8;
const MAX_PANELS = 240;
const S_NODES = 12;
const INV_SQRT_2PI = 0.3989422804014327;

let sRule: { z: Float64Array; w: Float64Array } | undefined;

/**
 * Φ(x) to ~1e-7 relative, by erfc's Chebyshev fit (Press et al., Numerical Recipes, 2nd ed.,
 * §6.2, erfcc): one exp per call, where the moments need tens of thousands per window.
 */
function phiCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** The moments of max(φ(u_1), …, φ(u_k)) over one window (k ≥ 1). */
export function maxWindowMoments(activation: WindowActivation, inputs: readonly WindowInput[]): MaxWindowMoments {
  const k = inputs.length;
  const shared = inputs.some((input) => input.common > 0);
  sRule ??= gaussHermite(S_NODES);
  const sNodes = shared ? sRule.z : Float64Array.of(0);
  const sWeights = shared ? sRule.w : Float64Array.of(1);
  const sd = inputs.map((input) => Math.sqrt(Math.max(input.own, 0)));
  // A position with no variance of its own is a step: give it a width far below the others'.
  const widest = Math.max(...sd, 0);
  const floor = widest > 0 ? widest * 1e-6 : 1e-12;
  for (let i = 0; i < k; i++) sd[i] = Math.max(sd[i]!, floor);
  const narrowest = Math.min(...sd);
  const identical = inputs.every((input, i) => input.mean === inputs[0]!.mean && input.common === inputs[0]!.common && sd[i] === sd[0]);
  const routeRaw = new Float64Array(k);
  const derivative = new Float64Array(k);
  const F = new Float64Array(k);
  const f = new Float64Array(k);
  const before = new Float64Array(k + 1);
  const after = new Float64Array(k + 1);
  let first = 0;
  let second = 0;
  let firstSquared = 0;
  for (let a = 0; a < sNodes.length; a++) {
    const s = sNodes[a]!;
    const centres = inputs.map((input) => input.mean + Math.sqrt(Math.max(input.common, 0)) * s);
    // M ≥ every u_i, so P(M < t) ≤ min_i P(u_i < t): below max_i(centre_i − REACH·sd_i) nothing is left.
    let lo = -Infinity;
    let hi = -Infinity;
    for (let i = 0; i < k; i++) {
      lo = Math.max(lo, centres[i]! - REACH * sd[i]!);
      hi = Math.max(hi, centres[i]! + REACH * sd[i]!);
    }
    const breaks = [lo, hi, ...activation.kinks.filter((x) => x > lo && x < hi)].sort((x, y) => x - y);
    let e1 = 0;
    let e2 = 0;
    for (let b = 0; b + 1 < breaks.length; b++) {
      const from = breaks[b]!;
      const to = breaks[b + 1]!;
      const panels = Math.min(MAX_PANELS, Math.max(1, Math.ceil((to - from) / Math.min(2 * narrowest, 1))));
      const h = (to - from) / panels;
      for (let p = 0; p < panels; p++) {
        const mid = from + (p + 0.5) * h;
        for (let j = 0; j < 8; j++) {
          const t = mid + 0.5 * h * GL_NODES[j]!;
          const w = 0.5 * h * GL_WEIGHTS[j]!;
          const value = activation.phi(t);
          const slope = activation.dphi(t);
          let density = 0;
          if (identical) {
            const z = (t - centres[0]!) / sd[0]!;
            const cdf = phiCdf(z);
            const pdf = (INV_SQRT_2PI * Math.exp(-0.5 * z * z)) / sd[0]!;
            const rest = cdf ** (k - 1);
            density = k * pdf * rest;
            routeRaw[0] = routeRaw[0]! + sWeights[a]! * w * slope * slope * pdf * rest;
            derivative[0] = derivative[0]! + sWeights[a]! * w * slope * slope * pdf;
          } else {
            before[0] = 1;
            for (let i = 0; i < k; i++) {
              const z = (t - centres[i]!) / sd[i]!;
              F[i] = phiCdf(z);
              f[i] = (INV_SQRT_2PI * Math.exp(-0.5 * z * z)) / sd[i]!;
              before[i + 1] = before[i]! * F[i]!;
            }
            after[k] = 1;
            for (let i = k - 1; i >= 0; i--) after[i] = after[i + 1]! * F[i]!;
            for (let i = 0; i < k; i++) {
              const others = before[i]! * after[i + 1]!;
              density += f[i]! * others;
              routeRaw[i] = routeRaw[i]! + sWeights[a]! * w * slope * slope * f[i]! * others;
              derivative[i] = derivative[i]! + sWeights[a]! * w * slope * slope * f[i]!;
            }
          }
          e1 += w * value * density;
          e2 += w * value * value * density;
        }
      }
    }
    first += sWeights[a]! * e1;
    second += sWeights[a]! * e2;
    firstSquared += sWeights[a]! * e1 * e1;
  }
  const routing = new Float64Array(k);
  if (identical) routing.fill(derivative[0]! > 0 ? routeRaw[0]! / derivative[0]! : 1 / k);
  else for (let i = 0; i < k; i++) routing[i] = derivative[i]! > 0 ? routeRaw[i]! / derivative[i]! : 0;
  return { first, second, commonVariance: Math.max(0, firstSquared - first * first), routing };
}
