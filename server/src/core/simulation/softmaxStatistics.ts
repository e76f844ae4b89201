/**
 * Statistics of attention weights at initialisation. In the infinite-width limit the logits of
 * one query row over its n keys are iid N(0, v) (q·kᵀ sums d_head independent products), so
 * the attention row A = softmax(u) is a random probability vector whose moments decide what
 * the value path does (simulation/attention.ts):
 *
 *   p2  = E Σ_j A_j²          (1/n for uniform attention, 1 for one-hot)
 *   p3  = E Σ_j A_j³
 *   p22 = E (Σ_j A_j²)²
 *
 * Exact for iid logits through the Laplace transform of the denominator D = Σ_j e^{u_j}:
 * 1/D^k = ∫₀^∞ t^{k−1}/(k−1)! e^{−tD} dt, and E[e^{−tD}] factorises over keys, so each
 * moment is a one-dimensional integral over t of products of
 *   L(t) = E[exp(−t e^u)],  M_k(t) = E[t^k e^{ku} exp(−t e^u)]   (u ~ N(0, v)).
 * Both are bounded, so trapezoid rules in z (u = √v·z) and in ln t converge exponentially.
 * Checked against 400,000-row Monte Carlo in test/reference/transformer/components.json.
 */

/** A Gaussian weight below 2e-11 of the total beyond |z| = 7. */
const Z_MAX = 7;

export interface SoftmaxMoments {
  readonly p2: number;
  readonly p3: number;
  readonly p22: number;
}

/** Rows of every length 1..n share one grid in t; only L^{n−1} differs. */
interface Grid {
  readonly dTau: number;
  /** Per node in ln t: L(t) and M_k(t)/k! for k = 1..4 (the t^k/k! of the Laplace kernel folded in). */
  readonly l: Float64Array;
  readonly m2: Float64Array;
  readonly m3: Float64Array;
  readonly m4: Float64Array;
}

/** The grid for rows of minKeys..maxKeys keys (one length, or every length of a causal mask). */
function grid(v: number, minKeys: number, maxKeys: number): Grid {
  const s = Math.sqrt(v);
  // Trapezoid in z: the integrand stays analytic in a strip of half-width ≈ π/(2√v), so the
  // error falls like exp(−π²/(√v·h)): h = 1/√v keeps it near 5e-5.
  const hz = Math.min(0.5, 1 / Math.max(s, 1e-9));
  const nz = Math.ceil((2 * Z_MAX) / hz);
  // e^u at each node: x = t·e^u is then one product per node instead of an exponential.
  const eu = new Float64Array(nz + 1);
  const wz = new Float64Array(nz + 1);
  let wsum = 0;
  for (let i = 0; i <= nz; i++) {
    const z = -Z_MAX + (i * 2 * Z_MAX) / nz;
    eu[i] = Math.exp(s * z);
    wz[i] = Math.exp(-0.5 * z * z);
    wsum += wz[i]!;
  }
  for (let i = 0; i <= nz; i++) wz[i]! /= wsum;
  // ln t from where the integrand has fallen like t² (E[x²e^{−x}] ≈ t²e^{2v}, times n) to where
  // L^{n−1} has, for the shortest row, with a margin of e^{−16}.
  const lo = -Math.log(maxKeys) - v - 8;
  const hi = -Math.log(minKeys) + 7 * s + 5;
  const dTau = 0.5;
  const nt = Math.ceil((hi - lo) / dTau) + 1;
  const l = new Float64Array(nt);
  const m2 = new Float64Array(nt);
  const m3 = new Float64Array(nt);
  const m4 = new Float64Array(nt);
  for (let k = 0; k < nt; k++) {
    const tau = lo + k * dTau;
    let sl = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    const t = Math.exp(tau);
    for (let i = 0; i <= nz; i++) {
      // Beyond x = 800, e^{−x} has long vanished (and x^k would overflow).
      const x = t * eu[i]!;
      if (x > 800) continue;
      const w = wz[i]! * Math.exp(-x);
      sl += w;
      const x2 = x * x;
      s2 += w * x2;
      s3 += w * x2 * x;
      s4 += w * x2 * x2;
    }
    l[k] = sl;
    m2[k] = s2;
    m3[k] = s3 / 2;
    m4[k] = s4 / 6;
  }
  return { dTau, l, m2, m3, m4 };
}

function momentsFromGrid(g: Grid, n: number): SoftmaxMoments {
  if (n <= 1) return { p2: 1, p3: 1, p22: 1 };
  // With dt = t·dτ: E Σ A² = n ∫ E[x² e^{−x}] L^{n−1} dτ, x = t·e^u (grid() folds in t^k/(k−1)!).
  let p2 = 0;
  let p3 = 0;
  let p22 = 0;
  for (let k = 0; k < g.l.length; k++) {
    const lk = g.l[k]!;
    const ln1 = lk > 0 ? Math.pow(lk, n - 2) : 0;
    const ln = ln1 * lk;
    p2 += g.m2[k]! * ln;
    p3 += g.m3[k]! * ln;
    // E (Σ A²)² = E Σ A⁴ + E Σ_{j≠l} A_j² A_l²: 1/D⁴ = ∫ t³/3! e^{−tD} dt.
    const m2k = g.m2[k]!;
    p22 += g.m4[k]! * ln + ((n - 1) * m2k * m2k * ln1) / 6;
  }
  return { p2: n * p2 * g.dTau, p3: n * p3 * g.dTau, p22: n * p22 * g.dTau };
}

/**
 * momentsFromGrid for several lengths (ascending) in one pass over the grid: L^{n−2} by
 * multiplication from the previous length where it is a few steps on, else as exp((n−2)·ln L),
 * which is what makes a causal row average cost about one bidirectional row (the 96-block bench).
 */
function momentsAtLengths(g: Grid, lengths: readonly number[]): SoftmaxMoments[] {
  const count = lengths.length;
  const p2 = new Float64Array(count);
  const p3 = new Float64Array(count);
  const p22 = new Float64Array(count);
  for (let k = 0; k < g.l.length; k++) {
    const lk = g.l[k]!;
    const logL = lk > 0 ? Math.log(lk) : -Infinity;
    const m2k = g.m2[k]!;
    const m3k = g.m3[k]!;
    const m4k = g.m4[k]!;
    let power = 1;
    let exponent = 0;
    for (let j = 0; j < count; j++) {
      const n = lengths[j]!;
      if (n <= 1) continue;
      if (n - 2 - exponent <= 4) {
        for (; exponent < n - 2; exponent++) power *= lk;
      } else {
        power = lk > 0 ? Math.exp((n - 2) * logL) : 0;
        exponent = n - 2;
      }
      const ln = power * lk;
      p2[j]! += m2k * ln;
      p3[j]! += m3k * ln;
      p22[j]! += m4k * ln + ((n - 1) * m2k * m2k * power) / 6;
    }
  }
  return lengths.map((n, j) => (n <= 1 ? { p2: 1, p3: 1, p22: 1 } : { p2: n * p2[j]! * g.dTau, p3: n * p3[j]! * g.dTau, p22: n * p22[j]! * g.dTau }));
}

/**
 * Beyond logit std 10 a row is already mostly one key (p2 = 0.74 at 128 keys): larger variances
 * are computed at this one, which keeps the grid small; what the rules need is that it saturates.
 */
export const SATURATED_VARIANCE_CAP = 100;

/** p2, p3, p22 of one softmax row over n keys with iid N(0, v) logits (v capped at SATURATED_VARIANCE_CAP). */
export function softmaxMoments(v: number, n: number): SoftmaxMoments {
  if (n <= 1) return { p2: 1, p3: 1, p22: 1 };
  if (!(v > 1e-12)) return { p2: 1 / n, p3: 1 / (n * n), p22: 1 / (n * n) };
  return momentsFromGrid(grid(Math.min(v, SATURATED_VARIANCE_CAP), n, n), n);
}

/** Row averages a causal mask needs (attention.ts): the moments over rows of 1..n keys and the rows' overlap. */
export interface CausalRows extends SoftmaxMoments {
  /** Mean over pairs of rows of E Σ_j A_aj·A_bj. */
  readonly pik: number;
}

/**
 * Causal attention: row i sees i keys. Averages p2, p3, p22 over rows 1..n and the overlap of
 * two rows (lengths a < b share a keys: E Σ_j A_aj·A_bj ≈ (a·p2(a))^r / b, exact at r = 0 and
 * r = 1, as crossRowOverlap). Lengths up to 16 are computed exactly, longer ones at lengths 50%
 * apart with the scale-free n·p2, n²·p3, n²·p22 interpolated in ln n between them (they change
 * slowly with the length); the interpolation's weights per computed length depend on n alone
 * (causalWeights), so a call costs the computed lengths, not the rows.
 */
export function causalRows(v: number, n: number, r: number): CausalRows {
  const rr = Math.min(1, Math.max(0, r));
  const g = v > 1e-12 ? grid(Math.min(v, SATURATED_VARIANCE_CAP), 1, n) : undefined;
  const weights = causalWeights(n);
  const moments = g ? momentsAtLengths(g, weights.lengths) : weights.lengths.map((k) => ({ p2: 1 / k, p3: 1 / (k * k), p22: 1 / (k * k) }));
  let p2 = 0;
  let p3 = 0;
  let p22 = 0;
  let pairs = 0;
  weights.lengths.forEach((k, j) => {
    const m = moments[j]!;
    p2 += k * m.p2 * weights.perKey[j]!;
    p3 += k * k * m.p3 * weights.perKeySquared[j]!;
    p22 += k * k * m.p22 * weights.perKeySquared[j]!;
    pairs += Math.pow(k * m.p2, rr) * weights.perTail[j]!;
  });
  const pairCount = (n * (n - 1)) / 2;
  return { p2: p2 / n, p3: p3 / n, p22: p22 / n, pik: pairCount > 0 ? pairs / pairCount : p2 / n };
}

/**
 * The lengths computed exactly for rows of 1..n keys, and what each contributes to the row
 * averages once interpolated in ln n: Σ_k f(k)/k, Σ_k f(k)/k² and Σ_k f(k)·Σ_{b>k} 1/b are
 * linear in the computed values, so their weights depend on n alone and are summed once per n
 * (O(n) logarithms then, O(lengths) arithmetic per attention: the 96-block causal bench).
 */
interface CausalWeights {
  readonly lengths: readonly number[];
  readonly perKey: Float64Array;
  readonly perKeySquared: Float64Array;
  readonly perTail: Float64Array;
}

const CAUSAL_WEIGHTS = new Map<number, CausalWeights>();
/** Distinct sequence lengths kept (a file has a handful; the bound keeps memory flat on any input). */
const CAUSAL_WEIGHTS_KEPT = 64;

function causalWeights(n: number): CausalWeights {
  const cached = CAUSAL_WEIGHTS.get(n);
  if (cached) return cached;
  const lengths: number[] = [];
  for (let k = 1; k <= Math.min(n, 16); k++) lengths.push(k);
  for (let k = 16; k < n;) {
    k = Math.min(n, Math.ceil(k * 1.5));
    lengths.push(k);
  }
  const perKey = new Float64Array(lengths.length);
  const perKeySquared = new Float64Array(lengths.length);
  const perTail = new Float64Array(lengths.length);
  // Row k takes (1 − w)·value(lo) + w·value(hi), w = ln(k/lo)/ln(hi/lo); Σ_{b>k} 1/b accumulated from the longest row down.
  let tail = 0;
  let j = lengths.length - 1;
  for (let k = n; k >= 1; k--) {
    while (j > 0 && lengths[j]! > k) j--;
    const lo = lengths[j]!;
    const upper = Math.min(j + 1, lengths.length - 1);
    const hi = lengths[upper]!;
    const w = hi === lo ? 0 : Math.log(k / lo) / Math.log(hi / lo);
    perKey[j]! += (1 - w) / k;
    perKey[upper]! += w / k;
    perKeySquared[j]! += (1 - w) / (k * k);
    perKeySquared[upper]! += w / (k * k);
    perTail[j]! += (1 - w) * tail;
    perTail[upper]! += w * tail;
    tail += 1 / k;
  }
  const weights = { lengths, perKey, perKeySquared, perTail };
  if (CAUSAL_WEIGHTS.size >= CAUSAL_WEIGHTS_KEPT) CAUSAL_WEIGHTS.delete(CAUSAL_WEIGHTS.keys().next().value!);
  CAUSAL_WEIGHTS.set(n, weights);
  return weights;
}

/**
 * E Σ_j A_j·B_j for two rows over the same n keys whose logits at each key correlate by r:
 * exact at r = 0 (1/n: independent rows) and r = 1 (p2), interpolated geometrically between,
 * which is the large-n limit exactly (e^{r·v}/n). Against Monte Carlo: within 1% for v ≤ 1,
 * within 17% where the softmax saturates (v ≥ 4), where only the order of magnitude matters.
 */
export function crossRowOverlap(p2: number, n: number, r: number): number {
  const rr = Math.min(1, Math.max(0, r));
  return Math.pow(n * p2, rr) / n;
}
