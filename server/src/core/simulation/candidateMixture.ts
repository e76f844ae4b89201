/**
 * The GRU candidate's pre-activation as what it is: a^n = u + r·v, u = W_in·x + b_in (variance
 * q_u), v = W_hn·h + b_hn (variance q_v), r = σ(a^r) the reset gate, independent of u and v (its
 * own row block). Given r it is Gaussian with variance V(r) = q_u + r²·q_v, so a^n is a scale
 * mixture of Gaussians, not the Gaussian of variance q_u + E[r²]·q_v the pass took before. Where
 * the recurrent part dominates (a per-gate orthogonal W_hh of gain 3: σ_hh² = 9) that put E[h_30²]
 * 27% above the sampled infinite-width process (test/reference/recurrent/tied_limit_strong.json):
 * measured on the process itself, a candidate with r replaced by √E[r²] moves E[h_30²] from 0.212
 * to 0.302, the two-step moment E[n_t·n_s] being the most of it.
 *
 * One-step moments are E over a^r of the tanh moments at V(r) (the caller's tables): Gauss–Hermite
 * in a^r's standard normal (sigmoids are analytic in a strip of half-width π/√q_r: 25·q_r + 8 nodes
 * keep the error near 1e-8), split Gauss–Legendre (quadrature.ts) once q_r is so large (> 4.8) that σ is nearly a step.
 *
 * Two-step moments. For steps t, s with Cov(v_t, v_s) = c_v and Corr(a^r_t, a^r_s) = ρ_r (both
 * through the tied W_hh: σ_hh²·C(t−1, s−1) plus the bias), Mehler's expansion given the two reset
 * gates, E[tanh(a_t)·tanh(a_s) | r_t, r_s] = Σ_k (r_t·r_s·c_v)^k·c_k(V(r_t))·c_k(V(r_s))/(V_t·V_s)^(k/2)
 * (c_k the normalised Hermite coefficients of tanh(μ + √V·Z)), separates per k into a function of
 * r_t times one of r_s; Mehler again over the correlated pair (a^r_t, a^r_s) gives
 *
 *   E[n_t·n_s] = Σ_k ρ_v^k Σ_m ρ_r^m·A_km(t)·A_km(s),   ρ_v = c_v/√(q_v(t)·q_v(s)),
 *   A_km = E[(r²·q_v/V(r))^(k/2)·c_k(V(r))·He_m(z)/√m!],
 *
 * exact for an input bias of variance 0; the input bias b_in (one draw per unit, the same at
 * every step) adds Var(b_in) to the covariance, taken to first order (Price's theorem:
 * + Var(b_in)·E[tanh′(a_t)]·E[tanh′(a_s)]; PyTorch's default bias variance is 1/(3h)).
 * |ρ_v| ≤ 1 and r²·q_v/V(r) ≤ 1, so |ρ_v|^k bounds the k-series; each series stops where its power is below
 * 1e-13 and adds the rest of E[f²] at the next power, as `mehler` does.
 */
import { gaussHermite } from './dualKernel';
import { gaussianRule } from './quadrature';

/** Hermite terms in k (the candidate's) and in m (the reset gate's). */
const K = 24;
const M = 24;
/** Gauss–Hermite nodes for E[tanh(μ + √V·Z)·He_k(Z)]. */
const COEFFICIENT_NODES = 64;

/** E[f(μ + √V·Z)] of tanh, tanh², tanh′, tanh′², Z²·tanh′²: the caller's (tabulated) tanh moments. */
export type TanhMoment = (which: 'phi' | 'phi2' | 'dphi' | 'dphi2' | 'z2dphi2', mean: number, variance: number) => number;

/** The candidate's one-step moments, and what its two-step moments need. */
export interface CandidateMixture {
  /** E[n], E[n²]; E[tanh′(a^n)], E[tanh′(a^n)²]. */
  readonly n1: number;
  readonly n2: number;
  readonly slope1: number;
  readonly slope2: number;
  /** E[r·tanh′(a^n)], E[r²·tanh′(a^n)²]: the n·r block of W_hh's backward factor. */
  readonly resetSlope1: number;
  readonly resetSlope2: number;
  /** E[σ′(a^r)²·v²·tanh′(a^n)²]: the r block's. */
  readonly resetBlock: number;
  /** q_v; a^r's variance; A_km (k-major), the rest of E[f_k²] past M per k, and past K. */
  readonly scale: number;
  readonly resetVariance: number;
  readonly a: Float64Array;
  readonly tailM: Float64Array;
  readonly tailK: number;
}

const rules = new Map<number, { z: Float64Array; w: Float64Array }>();
function hermite(n: number): { z: Float64Array; w: Float64Array } {
  let rule = rules.get(n);
  if (!rule) rules.set(n, (rule = gaussHermite(n)));
  return rule;
}

/** Nodes z (standard normal) and weights for E over a^r = μ + √q·z of a function of σ(a^r). */
function resetNodes(q: number): { z: Float64Array; w: Float64Array } {
  // Measured on E[(σ′)²·f(σ)] against a 20,001-node trapezoid rule: 24 nodes reach 1e-11 at q = 0.4,
  // 25·q + 8 nodes ~1e-8 up to q ≈ 5 (1e-7 at q = 1 with 24, 4e-5 at q = 2.2).
  const n = Math.ceil(25 * q + 8);
  if (n <= 24) return hermite(24);
  if (n <= 128) return hermite(8 * Math.ceil(n / 8));
  const { x, w } = gaussianRule(q, []);
  const s = Math.sqrt(q);
  return { z: x.map((v) => v / s), w };
}

/** Normalised Hermite coefficients c_k of tanh(μ + √V·Z), k < K, and E[tanh²] − Σ c_k². */
function tanhCoefficients(mean: number, variance: number, out: Float64Array, offset: number): number {
  const { z, w } = hermite(COEFFICIENT_NODES);
  const s = Math.sqrt(Math.max(variance, 0));
  for (let k = 0; k < K; k++) out[offset + k] = 0;
  let square = 0;
  for (let i = 0; i < z.length; i++) {
    const x = z[i]!;
    const value = Math.tanh(mean + s * x) * w[i]!;
    square += value * Math.tanh(mean + s * x);
    let previous = 0;
    let h = 1;
    for (let k = 0; k < K; k++) {
      out[offset + k]! += value * h;
      const next = (x * h - Math.sqrt(k) * previous) / Math.sqrt(k + 1);
      previous = h;
      h = next;
    }
  }
  let sum = 0;
  for (let k = 0; k < K; k++) sum += out[offset + k]! ** 2;
  return Math.max(0, square - sum);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export interface CandidateInputs {
  /** The reset gate's bias mean and pre-activation variance. */
  readonly resetMean: number;
  readonly resetVariance: number;
  /** The candidate's bias mean (outside r), q_u (input side and b_in), q_v (W_hn·h and b_hn, inside r). */
  readonly candidateMean: number;
  readonly inputVariance: number;
  readonly recurrentVariance: number;
}

export function candidateMixture(inputs: CandidateInputs, moment: TanhMoment): CandidateMixture {
  const { resetMean, resetVariance, candidateMean: mu, inputVariance: qu, recurrentVariance: qv } = inputs;
  const { z, w } = resetNodes(resetVariance);
  const sr = Math.sqrt(Math.max(resetVariance, 0));
  const nodes = z.length;
  const r = new Float64Array(nodes);
  for (let j = 0; j < nodes; j++) {
    r[j] = sigmoid(resetMean + sr * z[j]!);
  }
  const scale = qv;
  let n1 = 0;
  let n2 = 0;
  let slope1 = 0;
  let slope2 = 0;
  let resetSlope1 = 0;
  let resetSlope2 = 0;
  let resetBlock = 0;
  const a = new Float64Array(K * M);
  const square = new Float64Array(K);
  const coefficients = new Float64Array(K);
  let tailK = 0;
  for (let j = 0; j < nodes; j++) {
    const rj = r[j]!;
    const wj = w[j]!;
    const v = qu + rj * rj * qv;
    const d2 = moment('dphi2', mu, v);
    const d1 = moment('dphi', mu, v);
    n1 += wj * moment('phi', mu, v);
    n2 += wj * moment('phi2', mu, v);
    slope1 += wj * d1;
    slope2 += wj * d2;
    resetSlope1 += wj * rj * d1;
    resetSlope2 += wj * rj * rj * d2;
    // E[v²·g(a)] given r: (q_v − r²q_v²/V)·E[g] + (r²q_v²/V)·E[Z²·g] (v's regression on a).
    const ds = rj * (1 - rj);
    resetBlock += wj * ds * ds * ((qv - (rj * rj * qv * qv) / v) * d2 + ((rj * rj * qv * qv) / v) * moment('z2dphi2', mu, v));
    if (!(v > 0)) continue;
    const rest = tanhCoefficients(mu, v, coefficients, 0);
    // (r²·q_v/V)^(k/2) ≤ 1.
    const ratio = Math.sqrt((rj * rj * qv) / v);
    let power = 1;
    let h = 1;
    let hPrevious = 0;
    const zj = z[j]!;
    // He_m(z)/√m! at this node, m < M.
    const hermiteAt = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      hermiteAt[m] = h;
      const next = (zj * h - Math.sqrt(m) * hPrevious) / Math.sqrt(m + 1);
      hPrevious = h;
      h = next;
    }
    for (let k = 0; k < K; k++) {
      const f = power * coefficients[k]!;
      square[k]! += wj * f * f;
      const wf = wj * f;
      const row = k * M;
      for (let m = 0; m < M; m++) a[row + m]! += wf * hermiteAt[m]!;
      power *= ratio;
    }
    tailK += wj * power * power * rest;
  }
  const tailM = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let sum = 0;
    for (let m = 0; m < M; m++) sum += a[k * M + m]! ** 2;
    tailM[k] = Math.max(0, square[k]! - sum);
  }
  return { n1, n2, slope1, slope2, resetSlope1, resetSlope2, resetBlock, scale, resetVariance, a, tailM, tailK };
}

/**
 * E[n_t·n_s] for two steps' candidates: `recurrentCovariance` = Cov(v_t, v_s) (σ_hh²·C(t−1, s−1) +
 * Var(b_hn)), `resetCovariance` = Cov(a^r_t, a^r_s), `inputBias` = Var(b_in).
 */
export function candidatePair(t: CandidateMixture, s: CandidateMixture, recurrentCovariance: number, resetCovariance: number, inputBias: number): number {
  const vScale = Math.sqrt(t.scale * s.scale);
  const rScale = Math.sqrt(t.resetVariance * s.resetVariance);
  const rhoV = vScale > 0 ? Math.max(-1, Math.min(1, recurrentCovariance / vScale)) : 0;
  const rhoR = rScale > 0 ? Math.max(-1, Math.min(1, resetCovariance / rScale)) : 0;
  const at = t.a;
  const as = s.a;
  let total = 0;
  let powerV = 1;
  let k = 0;
  for (; k < K && (k === 0 || Math.abs(powerV) > 1e-13); k++) {
    const row = k * M;
    let inner = at[row]! * as[row]!;
    let powerR = rhoR;
    let m = 1;
    for (; m < M && Math.abs(powerR) > 1e-13; m++) {
      inner += powerR * at[row + m]! * as[row + m]!;
      powerR *= rhoR;
    }
    if (m === M) inner += powerR * Math.sqrt(t.tailM[k]! * s.tailM[k]!);
    total += powerV * inner;
    powerV *= rhoV;
  }
  if (k === K) total += powerV * Math.sqrt(t.tailK * s.tailK);
  return total + inputBias * t.slope1 * s.slope1;
}
