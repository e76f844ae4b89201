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

/** E[f(μ + √V·Z)] of tanh, tanh², tanh′, tanh′², Z²·tanh′²: exact (split quadrature), to fill the tables below. */
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
  /** What `candidatePair` reads. */
  readonly series: PairSeries;
}

/**
 * A_km = Σ_j f_k(z_j)·w_j·He_m(z_j)/√m! (k-major), its columns m computed as a pair first needs them
 * (a weak reset-gate correlation needs a few: 8 where ρ_r ≈ 0.025, PyTorch's default GRU), and
 * what the truncations leave: of E[f_k²] past M (once all M columns are in), of Σ_k past K.
 */
interface PairSeries {
  /** q_v and a^r's variance: the scales of ρ_v and ρ_r. */
  readonly scale: number;
  readonly resetVariance: number;
  readonly a: Float64Array;
  columns: number;
  /** f_k at each node (node-major), how many k each node carries, the rule's Hermite weights. */
  readonly f: Float64Array;
  readonly terms: Uint8Array;
  readonly weighted: Float64Array;
  /** Σ_j w_j·f_k(z_j)² = E[f_k²] ≥ Σ_m A_km²; its square root, and the root's largest value from k on (the bounds that stop the series). */
  readonly square: Float64Array;
  readonly root: Float64Array;
  readonly rootFrom: Float64Array;
  tailM: Float64Array | undefined;
  readonly tailK: number;
}

/** A reset-gate rule: nodes z, weights w, and w_j·He_m(z_j)/√m! (node-major, m < M). */
interface ResetRule { readonly z: Float64Array; readonly w: Float64Array; readonly weighted: Float64Array }

/** w_j·He_m(z_j)/√m!, m < terms, node-major. */
function hermiteWeights(z: Float64Array, w: Float64Array, terms: number): Float64Array {
  const weighted = new Float64Array(z.length * terms);
  for (let j = 0; j < z.length; j++) {
    let previous = 0;
    let h = 1;
    for (let m = 0; m < terms; m++) {
      weighted[j * terms + m] = w[j]! * h;
      const next = (z[j]! * h - Math.sqrt(m) * previous) / Math.sqrt(m + 1);
      previous = h;
      h = next;
    }
  }
  return weighted;
}

function withHermite(z: Float64Array, w: Float64Array): ResetRule {
  return { z, w, weighted: hermiteWeights(z, w, M) };
}

const hermiteRules = new Map<number, ResetRule>();
function hermite(n: number): ResetRule {
  let rule = hermiteRules.get(n);
  if (!rule) {
    const { z, w } = gaussHermite(n);
    hermiteRules.set(n, (rule = withHermite(z, w)));
  }
  return rule;
}

/** Nodes (standard normal), weights and Hermite weights for E over a^r = μ + √q·z of a function of σ(a^r). */
function resetNodes(q: number): ResetRule {
  // Measured on E[(σ′)²·f(σ)] against a 20,001-node trapezoid rule: 16 nodes reach 4e-9 at q = 0.4,
  // 25·q + 8 nodes ~1e-8 up to q ≈ 5 (1e-7 at q = 1 with 24, 4e-5 at q = 2.2).
  const n = Math.ceil(25 * q + 8);
  if (n <= 16) return hermite(16);
  if (n <= 24) return hermite(24);
  if (n <= 128) return hermite(8 * Math.ceil(n / 8));
  const { x, w } = gaussianRule(q, []);
  const s = Math.sqrt(q);
  return withHermite(x.map((v) => v / s), w);
}

/** w_i·He_k(z_i)/√k! at the coefficient nodes (node-major, k < K). */
let coefficientRule: { z: Float64Array; weighted: Float64Array } | undefined;
function coefficientNodes(): { z: Float64Array; weighted: Float64Array } {
  if (!coefficientRule) {
    const { z, w } = gaussHermite(COEFFICIENT_NODES);
    coefficientRule = { z, weighted: hermiteWeights(z, w, K) };
  }
  return coefficientRule;
}

/**
 * Per candidate mean, tanh(μ + √V·Z)'s Hermite coefficients c_0..c_{K−1}, what they leave of E[tanh²],
 * and E[tanh], E[tanh²], E[tanh′], E[tanh′²], E[Z²·tanh′²], tabulated on a grid in ln V (step 0.05,
 * 4-point Lagrange interpolation, as momentTable.ts: ~1e-8) and filled as the steps ask: one step's
 * reset-gate nodes then cost an interpolation each instead of 64 tanh evaluations and 1,500
 * multiply-adds (a 100-step GRU went from 37 ms to a few).
 */
const ENTRY = K + 6;
const TAIL = K;
const N1 = K + 1;
const N2 = K + 2;
const SLOPE1 = K + 3;
const SLOPE2 = K + 4;
const Z2SLOPE2 = K + 5;
const STEP = 0.05;
const MAX_INDEX = Math.ceil((13 * Math.LN10) / STEP);

class TanhTable {
  private readonly nodes = new Map<number, Float64Array>();
  constructor(private readonly mean: number, private readonly moment: TanhMoment) {}

  /** The entry at V, into `out`. */
  at(variance: number, out: Float64Array): void {
    const u = Math.log(variance) / STEP;
    const i = Math.floor(u);
    if (!(variance > 0) || i - 1 < -MAX_INDEX || i + 2 > MAX_INDEX) {
      this.exact(variance, out);
      return;
    }
    const t = u - i;
    const w0 = (-t * (t - 1) * (t - 2)) / 6;
    const w1 = ((t + 1) * (t - 1) * (t - 2)) / 2;
    const w2 = (-(t + 1) * t * (t - 2)) / 2;
    const w3 = ((t + 1) * t * (t - 1)) / 6;
    const a = this.node(i - 1);
    const b = this.node(i);
    const c = this.node(i + 1);
    const d = this.node(i + 2);
    for (let k = 0; k < ENTRY; k++) out[k] = w0 * a[k]! + w1 * b[k]! + w2 * c[k]! + w3 * d[k]!;
  }

  private node(i: number): Float64Array {
    let entry = this.nodes.get(i);
    if (!entry) {
      entry = new Float64Array(ENTRY);
      this.exact(Math.exp(i * STEP), entry);
      this.nodes.set(i, entry);
    }
    return entry;
  }

  private exact(variance: number, out: Float64Array): void {
    const { z, weighted } = coefficientNodes();
    const s = Math.sqrt(Math.max(variance, 0));
    for (let k = 0; k < K; k++) out[k] = 0;
    for (let i = 0; i < z.length; i++) {
      const value = Math.tanh(this.mean + s * z[i]!);
      const base = i * K;
      for (let k = 0; k < K; k++) out[k]! += value * weighted[base + k]!;
    }
    const m = this.moment;
    out[N2] = m('phi2', this.mean, variance);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[k]! * out[k]!;
    out[TAIL] = Math.max(0, out[N2] - sum);
    out[N1] = m('phi', this.mean, variance);
    out[SLOPE1] = m('dphi', this.mean, variance);
    out[SLOPE2] = m('dphi2', this.mean, variance);
    out[Z2SLOPE2] = m('z2dphi2', this.mean, variance);
  }
}

/** Bounded: a file with many distinct candidate means drops the tables and refills. */
const tables = new Map<TanhMoment, Map<number, TanhTable>>();
let tableCount = 0;
function tanhTable(mean: number, moment: TanhMoment): TanhTable {
  let byMean = tables.get(moment);
  if (!byMean) tables.set(moment, (byMean = new Map<number, TanhTable>()));
  let table = byMean.get(mean);
  if (!table) {
    if (tableCount >= 64) {
      tables.clear();
      tableCount = 0;
      tables.set(moment, (byMean = new Map<number, TanhTable>()));
    }
    byMean.set(mean, (table = new TanhTable(mean, moment)));
    tableCount++;
  }
  return table;
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
  const { z, w, weighted } = resetNodes(resetVariance);
  const table = tanhTable(mu, moment);
  const sr = Math.sqrt(Math.max(resetVariance, 0));
  const entry = new Float64Array(ENTRY);
  let n1 = 0;
  let n2 = 0;
  let slope1 = 0;
  let slope2 = 0;
  let resetSlope1 = 0;
  let resetSlope2 = 0;
  let resetBlock = 0;
  const nodes = z.length;
  const square = new Float64Array(K);
  const f = new Float64Array(nodes * K);
  const termsAt = new Uint8Array(nodes);
  let tailK = 0;
  for (let j = 0; j < z.length; j++) {
    const rj = sigmoid(resetMean + sr * z[j]!);
    const wj = w[j]!;
    const v = qu + rj * rj * qv;
    table.at(v, entry);
    const d1 = entry[SLOPE1]!;
    const d2 = entry[SLOPE2]!;
    n1 += wj * entry[N1]!;
    n2 += wj * entry[N2]!;
    slope1 += wj * d1;
    slope2 += wj * d2;
    resetSlope1 += wj * rj * d1;
    resetSlope2 += wj * rj * rj * d2;
    // E[v²·g(a)] given r: (q_v − r²q_v²/V)·E[g] + (r²q_v²/V)·E[Z²·g] (v's regression on a).
    const ds = rj * (1 - rj);
    const explained = v > 0 ? (rj * rj * qv * qv) / v : 0;
    resetBlock += wj * ds * ds * ((qv - explained) * d2 + explained * entry[Z2SLOPE2]!);
    if (!(v > 0)) continue;
    // (r²·q_v/V)^(k/2) ≤ 1.
    const ratio = Math.sqrt((rj * rj * qv) / v);
    let power = 1;
    // Terms below 1e-16 (|tanh| ≤ 1) add nothing a float64 sum keeps: a weak recurrent part (ratio ≪ 1) stops early.
    let terms = 0;
    for (let k = 0; k < K; k++) {
      const fk = power * entry[k]!;
      f[j * K + k] = fk;
      square[k]! += wj * fk * fk;
      if (Math.abs(fk) > 1e-16) terms = k + 1;
      power *= ratio;
    }
    termsAt[j] = terms;
    // The interpolated tail can dip below 0 by rounding where it is ~0.
    tailK += wj * power * power * Math.max(0, entry[TAIL]!);
  }
  const root = square.map(Math.sqrt);
  const rootFrom = new Float64Array(K);
  for (let k = K - 1, largest = 0; k >= 0; k--) rootFrom[k] = largest = Math.max(largest, root[k]!);
  const series: PairSeries = { scale: qv, resetVariance, a: new Float64Array(K * M), columns: 0, f, terms: termsAt, weighted, square, root, rootFrom, tailM: undefined, tailK };
  return { n1, n2, slope1, slope2, resetSlope1, resetSlope2, resetBlock, series };
}

/** A's columns up to `needed` (and the tails past M once all are in). */
function ensureColumns(series: PairSeries, needed: number): void {
  if (series.columns >= needed) return;
  const { a, f, terms, weighted } = series;
  const from = series.columns;
  for (let j = 0; j < terms.length; j++) {
    const base = j * M;
    for (let k = 0; k < terms[j]!; k++) {
      const fk = f[j * K + k]!;
      const row = k * M;
      for (let m = from; m < needed; m++) a[row + m]! += fk * weighted[base + m]!;
    }
  }
  series.columns = needed;
  if (needed === M) {
    const tailM = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let m = 0; m < M; m++) sum += a[k * M + m]! ** 2;
      tailM[k] = Math.max(0, series.square[k]! - sum);
    }
    series.tailM = tailM;
  }
}

/**
 * E[n_t·n_s] for two steps' candidates: `recurrentCovariance` = Cov(v_t, v_s) (σ_hh²·C(t−1, s−1) +
 * Var(b_hn)), `resetCovariance` = Cov(a^r_t, a^r_s), `inputBias` = Var(b_in).
 */
export function candidatePair(first: CandidateMixture, second: CandidateMixture, recurrentCovariance: number, resetCovariance: number, inputBias: number): number {
  const t = first.series;
  const s = second.series;
  const vScale = Math.sqrt(t.scale * s.scale);
  const rScale = Math.sqrt(t.resetVariance * s.resetVariance);
  const rhoV = vScale > 0 ? Math.max(-1, Math.min(1, recurrentCovariance / vScale)) : 0;
  const rhoR = rScale > 0 ? Math.max(-1, Math.min(1, resetCovariance / rScale)) : 0;
  // Steps far apart (the state's memory decayed): only the product of the means is left.
  if (Math.abs(rhoV) <= 1e-16 && Math.abs(rhoR) <= 1e-16) return first.n1 * second.n1 + inputBias * first.slope1 * second.slope1;
  // The m-series stops where |ρ_r|^m ≤ 1e-13 (below, as `mehler` does): that many columns, or all and the tails.
  const needed = Math.abs(rhoR) <= 1e-13 ? 2 : Math.abs(rhoR) >= 0.999 ? M : Math.min(M, 1 + Math.ceil(Math.log(1e-13) / Math.log(Math.abs(rhoR))));
  ensureColumns(t, needed);
  ensureColumns(s, needed);
  const at = t.a;
  const as = s.a;
  let total = 0;
  let powerV = 1;
  let k = 0;
  // The rest of the k-series is below |ρ_v|^k·√(max E[f_k²]·max E[f_k²])/(1 − |ρ_v|) (Cauchy–Schwarz per term):
  // stop once that is under 1e-15, or |ρ_v|^k under 1e-13 (as `mehler`).
  const geometric = 1 / Math.max(1 - Math.abs(rhoV), 1e-3);
  const geometricR = 1 / Math.max(1 - Math.abs(rhoR), 1e-3);
  for (; k < K && (k === 0 || (Math.abs(powerV) > 1e-13 && Math.abs(powerV) * t.rootFrom[k]! * s.rootFrom[k]! * geometric > 1e-15)); k++) {
    const row = k * M;
    let inner = at[row]! * as[row]!;
    let powerR = rhoR;
    let m = 1;
    // The same bound for the m-series of this k: Σ_m A_km² ≤ E[f_k²].
    const scale = t.root[k]! * s.root[k]! * geometricR;
    for (; m < M && Math.abs(powerR) > 1e-13 && Math.abs(powerR) * scale > 1e-16; m++) {
      inner += powerR * at[row + m]! * as[row + m]!;
      powerR *= rhoR;
    }
    if (m === M) inner += powerR * Math.sqrt(t.tailM![k]! * s.tailM![k]!);
    total += powerV * inner;
    powerV *= rhoV;
  }
  if (k === K) total += powerV * Math.sqrt(t.tailK * s.tailK);
  return total + inputBias * first.slope1 * second.slope1;
}
