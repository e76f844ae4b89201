/**
 * The GRU's forward pass at infinite width with W_hh tied across steps: the two-time kernel
 * C(t, s) = E[h_t·h_s] (issue 15 item e).
 *
 * Why it is needed. At infinite width a recurrent layer that applies the same W_hh (and W_ih,
 * and biases) at every step is a tensor program without transposes, and each unit's trajectory
 * is one sample of a scalar process (Yang 2019, "Wide feedforward or recurrent neural networks
 * of any architecture are Gaussian processes", NeurIPS; arXiv:1910.12478 §3 works the simple RNN
 * and the GRU): per gate block g the recurrent part v^g_t = (W_hg·h_{t−1})_i is Gaussian across
 * the steps with Cov(v^g_t, v^g_s) = σ_hh²·C(t−1, s−1), the blocks are independent of each
 * other, the input part (W_ig·x_t)_i is independent across steps (x_t iid, as the oracle draws
 * it), and a bias is one draw per unit shared by every step. A vanilla RNN's E[h_t²] = E[φ(a_t)²]
 * reads only the marginal of a_t, whose variance the one-time length map already has. The
 * GRU's h_t = (1 − z_t)·n_t + z_t·h_{t−1} reads a joint moment of two steps:
 *
 *   E[h_t²] = E[(1−z_t)²]·E[n_t²] + 2·E[(1−z_t)·z_t]·E[n_t·h_{t−1}] + E[z_t²]·E[h_{t−1}²],
 *
 * and E[n_t·h_{t−1}] is not E[n_t]·E[h_{t−1}]: h_{t−1} = Σ_{s<t} (1−z_s)·Π_{s<j<t} z_j·n_s sums
 * earlier candidates, and n_t's pre-activation W_hn·h_{t−1} shares each row of W_hn with n_s's
 * W_hn·h_{s−1}, so Cov(a^n_t, a^n_s) = E[r_t·r_s]·σ_hh²·C(t−1, s−1) ≠ 0 wherever the state
 * remembers (C(t−1, s−1) ≠ 0, which the update gate's carry ensures). Treating the steps as
 * independent (a fresh W_hh per step) drops exactly this term: measured on the per-unit process
 * itself (test/reference/recurrent/tied_limit.py), the untied forward sits 2–3.5% below the
 * tied one from step ~6 on at hidden 1024–2048, the gap PyTorch showed.
 *
 * What is computed (step by step, causal): with P(t, s) = E[n_t·h_s] and N(t, s) = E[n_t·n_s],
 *   P(t, s) = E[1−z_s]·N(t, s) + E[z_s]·P(t, s−1),           P(t, 0) = 0 (h_0 = 0)
 *   C(t, s) = E[1−z_t]·P(t, s) + E[z_t]·C(t−1, s),            s < t
 *   C(t, t) = E[(1−z_t)²]·E[n_t²] + 2·E[(1−z_t)z_t]·P(t, t−1) + E[z_t²]·C(t−1, t−1)
 * N(t, s) is the candidate's two-time dual kernel: a^n taken Gaussian (as the one-time pass takes
 * it) with Var q_n(t) and Cov vb_in + E[r_t·r_s]·(σ_hh²·C(t−1, s−1) + vb_hn), E[r_t·r_s] the
 * sigmoid's dual kernel at Cov σ_hh²·C(t−1, s−1) + vb_r; both by Mehler's expansion (Price's
 * theorem): E[f(a)·f(b)] = Σ_k ρ^k·c_k(a)·c_k(b), c_k = E[f(μ + √q·Z)·He_k(Z)]/√k!, ρ the
 * correlation of a and b, with the part of E[f²] the truncation drops added at the next power.
 * The approximation: the update gates of different steps are taken independent of each other
 * (their pre-activations correlate through W_hz as the candidates' do, but σ′ ≤ 1/4 makes that
 * second order); against the sampled per-unit process (tied_limit.json) E[h_t²] is within 1%
 * (gru_width, gru_more and the oracle's GRUs; the rest is this approximation).
 * Pairs further apart than `band` steps are taken independent (their moments decay like E[z]^lag).
 */
import { candidatePair, type CandidateMixture } from './candidateMixture';
import { gaussHermite } from './dualKernel';

/** Hermite terms kept: ρ^K·(what is left of E[f²]) is added for the rest. */
const TERMS = 24;
const NODES = 64;
/** Gauss–Hermite nodes, and w_i·He_k(z_i)/√k! at each node (k < TERMS, node-major): one table for every call. */
let rule: { z: Float64Array; weighted: Float64Array } | undefined;

function hermiteRule(): { z: Float64Array; weighted: Float64Array } {
  if (rule) return rule;
  const { z, w } = gaussHermite(NODES);
  const weighted = new Float64Array(NODES * TERMS);
  for (let i = 0; i < NODES; i++) {
    const x = z[i]!;
    let previous = 0;
    let h = 1;
    for (let k = 0; k < TERMS; k++) {
      weighted[i * TERMS + k] = w[i]! * h;
      const next = (x * h - Math.sqrt(k) * previous) / Math.sqrt(k + 1);
      previous = h;
      h = next;
    }
  }
  return (rule = { z, weighted });
}

/** Normalised Hermite coefficients c_k of f(μ + √q·Z), k < TERMS, and what they leave of E[f²]. */
export interface HermiteCoefficients {
  readonly c: Float64Array;
  readonly tail: number;
  readonly q: number;
}

/** The last coefficients per function (a few functions at most): once the state settles, every step asks for the same ones. */
const lastCoefficients: { f: (x: number) => number; mean: number; secondMoment: number; result: HermiteCoefficients }[] = [];

export function hermiteCoefficients(f: (x: number) => number, mean: number, q: number, secondMoment: number): HermiteCoefficients {
  let last = lastCoefficients.find((entry) => entry.f === f);
  // A settled state repeats its q up to rounding: coefficients 1e-10 apart in q differ by ~1e-10.
  if (last && last.mean === mean && Math.abs(last.result.q - q) <= 1e-10 * q && Math.abs(last.secondMoment - secondMoment) <= 1e-10 * secondMoment) return last.result;
  const result = computeCoefficients(f, mean, q, secondMoment);
  if (!last) {
    if (lastCoefficients.length >= 8) lastCoefficients.shift();
    lastCoefficients.push(last = { f, mean, secondMoment, result });
  }
  last.mean = mean;
  last.secondMoment = secondMoment;
  last.result = result;
  return result;
}

function computeCoefficients(f: (x: number) => number, mean: number, q: number, secondMoment: number): HermiteCoefficients {
  const { z, weighted } = hermiteRule();
  const s = Math.sqrt(Math.max(q, 0));
  const c = new Float64Array(TERMS);
  for (let i = 0; i < NODES; i++) {
    const value = f(mean + s * z[i]!);
    const base = i * TERMS;
    for (let k = 0; k < TERMS; k++) c[k] = c[k]! + value * weighted[base + k]!;
  }
  let sum = 0;
  for (let k = 0; k < TERMS; k++) sum += c[k]! * c[k]!;
  return { c, tail: Math.max(0, secondMoment - sum), q };
}

/** E[f(a)·f(b)] for (a, b) Gaussian with the coefficients' means and variances and covariance `cov`. */
export function mehler(a: HermiteCoefficients, b: HermiteCoefficients, cov: number): number {
  const scale = Math.sqrt(a.q * b.q);
  const rho = scale > 0 ? Math.max(-1, Math.min(1, cov / scale)) : 0;
  const ac = a.c;
  const bc = b.c;
  let total = ac[0]! * bc[0]!;
  let power = rho;
  // Terms past |ρ|^k < 1e-13 are below the float64 rounding of the sum (c_k² ≤ E[f²]).
  let k = 1;
  for (; k < TERMS && Math.abs(power) > 1e-13; k++) {
    total += power * ac[k]! * bc[k]!;
    power *= rho;
  }
  return k < TERMS ? total : total + power * Math.sqrt(a.tail * b.tail);
}

/** One step's one-time moments, as the GRU's forward pass has them. */
export interface GruStepMoments {
  /** E[z_t], E[z_t²], and the update gate's slopes E[σ′(a^z_t)], E[(σ²)′(a^z_t)] = 2E[σσ′]. */
  readonly z1: number;
  readonly z2: number;
  readonly zSlope: number;
  readonly zSquareSlope: number;
  /** n_t = tanh(a^n_t): its one-step moments (E[n_t] = candidate.n1, E[n_t²] = candidate.n2) and what its two-step moments need. */
  readonly candidate: CandidateMixture;
}

/** σ_hh², and the covariances that do not come through the state: the biases, one draw per unit for every step. */
export interface GruSharedVariances {
  /** σ_hh² = h·Var(W_hh). */
  readonly recurrentSide: number;
  /** Var(b_ir) + Var(b_hr); Var(b_iz) + Var(b_hz). */
  readonly reset: number;
  readonly update: number;
  /** Var(b_in) (outside r) and Var(b_hn) (inside r). */
  readonly candidateInput: number;
  readonly candidateHidden: number;
}

/**
 * The two-time kernel, one step at a time: `step(moments)` takes step t's one-time moments
 * (built from C(t−1, t−1) = `previousSecondMoment()`) and returns E[h_t²] and E[n_t·h_{t−1}].
 *
 * The update gates of different steps correlate through W_hz as the candidates do (Cov(a^z_t,
 * a^z_s) = Σ_z(t, s) = σ_hh²·C(t−1, s−1) + Var(b_z)); measured on the sampled process, leaving
 * that out puts E[h_t²] 0.6–0.8% above the tied limit with an orthogonal kernel (σ_hh² = 1) and
 * nothing else does (a process with a fresh W_hz per step and W_hr, W_hn tied agrees with the
 * recursion above to 0.04%). It enters to first order in Σ_z (the derivative of a Gaussian
 * expectation in an off-diagonal covariance is the expectation of the mixed derivative):
 *   δC(t, t) = Σ_{s<t} Σ_z(t, s)·E[σ′(a^z_s)]·(E[(z²)′_t]·2J(t−1, s) + E[((1−z)z)′_t]·2B(t, s)),
 * with ∂h_u/∂z_s = Π_{s<j≤u} z_j·(h_{s−1} − n_s), B(t, s) = E[n_t·∂h_{t−1}/∂z_s] ≈
 * Π_{s<j<t} E[z_j]·(P(t, s−1) − N(t, s)) and J(u, s) = E[h_u·∂h_u/∂z_s]:
 *   J(u, s) = E[(1−z_u)z_u]·B(u, s) + E[z_u²]·J(u−1, s),   J(s, s) = C(s, s−1) − E[h_s·n_s],
 *   E[h_s·n_s] = E[1−z_s]·E[n_s²] + E[z_s]·P(s, s−1).
 * With it the recursion is within 0.05% of the sampled process on average over steps ≥ 6 (0.3%
 * at most, the sampling's own noise; hidden 1024 and 2048, default and orthogonal kernels).
 */
export class GruTwoTimeKernel {
  /** C(t, t − lag) and J(t, t − lag), lag = 0..band, at (t − 1)·(band + 1) + lag. */
  private readonly rows: Float64Array;
  private readonly jRows: Float64Array;
  private readonly stride: number;
  private readonly steps: GruStepMoments[] = [];
  private readonly means: number[] = [0];
  /** Per lag t − s of the step being run: P(t, s − 1), P(t, s), N(t, s), B(t, s). */
  private readonly pBefore: Float64Array;
  private readonly pAfter: Float64Array;
  private readonly nByLag: Float64Array;
  private readonly bByLag: Float64Array;

  constructor(private readonly shared: GruSharedVariances, private readonly band: number, steps: number) {
    this.stride = band + 1;
    this.rows = new Float64Array(steps * this.stride);
    this.jRows = new Float64Array(steps * this.stride);
    this.pBefore = new Float64Array(band + 1);
    this.pAfter = new Float64Array(band + 1);
    this.nByLag = new Float64Array(band + 1);
    this.bByLag = new Float64Array(band + 1);
  }

  previousSecondMoment(): number {
    const t = this.steps.length;
    return t > 0 ? this.rows[(t - 1) * this.stride]! : 0;
  }

  /** C(t, s) for s ≤ t (1-based steps; C(·, 0) = 0), 0 beyond the band. */
  private kernel(t: number, s: number): number {
    if (t < 1 || s < 1) return 0;
    const lag = t - s;
    return lag <= this.band ? this.rows[(t - 1) * this.stride + lag]! : 0;
  }

  /**
   * `updateLagOne`: Σ_z(t, t − 1), the covariance of the update gate's pre-activations at this step
   * and the one before, which the first-order term above is linear in (recurrent.ts CARRY_CORRELATION).
   */
  step(moments: GruStepMoments): { secondMoment: number; withPrevious: number; updateLagOne: number } {
    const t = this.steps.length + 1;
    this.steps.push(moments);
    const { recurrentSide, reset, update, candidateInput, candidateHidden } = this.shared;
    const lowest = Math.max(1, t - this.band);
    // Below the band, n_t meets h_s only through the means.
    let p = moments.candidate.n1 * this.means[lowest - 1]!;
    for (let s = lowest; s < t; s++) {
      const earlier = this.steps[s - 1]!;
      const through = recurrentSide * this.kernel(t - 1, s - 1);
      const n = candidatePair(moments.candidate, earlier.candidate, through + candidateHidden, through + reset, candidateInput);
      this.pBefore[t - s] = p;
      this.nByLag[t - s] = n;
      p = (1 - earlier.z1) * n + earlier.z1 * p;
      this.pAfter[t - s] = p;
    }
    const withPrevious = t > 1 ? p : 0;
    // B(t, s), from s = t − 1 down: the carry Π_{s<j<t} E[z_j] grows one factor per step.
    let carried = 1;
    for (let s = t - 1; s >= lowest; s--) {
      this.bByLag[t - s] = carried * (this.pBefore[t - s]! - this.nByLag[t - s]!);
      carried *= this.steps[s - 1]!.z1;
    }
    const { z1, z2 } = moments;
    const { n1, n2 } = moments.candidate;
    // J(t − 1, s) sits at jAt + t − 1 − s (t − 1 − s < band: s ≥ lowest).
    const jAt = (t - 2) * this.stride;
    let correlatedGates = 0;
    for (let s = lowest; s < t; s++) {
      const sigmaZ = recurrentSide * this.kernel(t - 1, s - 1) + update;
      const j = t > 1 ? this.jRows[jAt + t - 1 - s]! : 0;
      correlatedGates += sigmaZ * this.steps[s - 1]!.zSlope * (moments.zSquareSlope * 2 * j + (moments.zSlope - moments.zSquareSlope) * 2 * this.bByLag[t - s]!);
    }
    const at = (t - 1) * this.stride;
    const previous = t > 1 ? this.rows[at - this.stride]! : 0;
    const secondMoment = (1 - 2 * z1 + z2) * n2 + 2 * (z1 - z2) * withPrevious + z2 * previous + correlatedGates;
    for (let s = lowest; s < t; s++) {
      this.rows[at + t - s] = (1 - z1) * this.pAfter[t - s]! + z1 * this.kernel(t - 1, s);
      this.jRows[at + t - s] = (z1 - z2) * this.bByLag[t - s]! + z2 * (t > 1 ? this.jRows[jAt + t - 1 - s]! : 0);
    }
    this.rows[at] = secondMoment;
    this.jRows[at] = (t > 1 ? this.rows[at + 1]! : 0) - ((1 - z1) * n2 + z1 * withPrevious);
    this.means.push((1 - z1) * n1 + z1 * this.means[t - 1]!);
    return { secondMoment, withPrevious, updateLagOne: t > 1 ? recurrentSide * this.kernel(t - 1, t - 2) + update : 0 };
  }
}
