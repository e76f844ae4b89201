/**
 * The LSTM's cell state after step 1 is not Gaussian, and not heavy-tailed either: c_1 = i·g
 * with i = σ(a_i) near 1/2 and g = tanh(a_g) bounded is lighter-tailed than the Gaussian of its
 * variance (kurtosis 2.49–2.55 in PyTorch's default and Keras-like LSTMs), and c_t = f·c_{t−1} +
 * i·g sums a few such terms, so its kurtosis climbs towards 3 only over the forget gate's memory
 * (2.73 at step 2, 2.79 from step 5 for PyTorch's default; 2.95 with a forget-gate bias of 1).
 * tanh is concave in c² where c is not small: taken Gaussian, E[tanh²(c_t)] came out 0.8–1.3%
 * low at steps 2–3 and 0.3–0.8% later (measured on the sampled per-unit process of
 * test/reference/recurrent/tied_limit.py, 400,000 paths: lstm_kurtosis.json).
 *
 * The fourth cumulant is carried: the raw moments E[c^k], k ≤ 4, by the recursion with the
 * step's gates independent of c_{t−1} (the same step's i, f, g read different row blocks of the
 * kernels: independent at infinite width),
 *   E[c_t^k] = Σ_j C(k, j)·E[f^j]·E[c_{t−1}^j]·E[(i·g)^{k−j}],  E[(i·g)^n] = E[i^n]·E[g^n],
 * and its excess kurtosis κ = μ4/μ2² − 3 is put on the variance the two-time kernel gives
 * (lstmTwoTime.ts: W_hh tied across steps moves E[c_t²] by 2–7%, the shape of the law much less).
 * Each tanh moment is then the Gram–Charlier series to the fourth cumulant,
 *   E[φ(c)] = E[φ(μ + s·z)·(1 + κ/24·He₄(z))],  He₄(z) = z⁴ − 6z² + 3,
 * which the sampled process confirms to 0.1% of E[tanh²(c_t)] at every step (κ from this
 * recursion; the symmetric fourth-cumulant term is all that matters: the third is ~0).
 */
import type { CellTanhMoments } from './cellProduct';
import { gaussianRule } from './quadrature';


/**
 * One rule in z for every variance, its nodes scaled by √variance: the integrands here are smooth
 * (σ, tanh and their powers, times He₄), and against the rule built per variance (split at its
 * scale points) it is within 1e-8 for variances up to 25; building one per step cost more than
 * the rest of the step.
 */
let unitRule: ReturnType<typeof gaussianRule> | undefined;

function standardRule(): ReturnType<typeof gaussianRule> {
  unitRule ??= gaussianRule(1, []);
  return unitRule;
}

/** E[φ(a)^k], k = 1..4, for a ~ N(mean, variance). */
export function powerMoments(phi: (x: number) => number, mean: number, variance: number): readonly [number, number, number, number] {
  const rule = standardRule();
  const s = Math.sqrt(Math.max(variance, 0));
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let j = 0; j < rule.x.length; j++) {
    const v = phi(mean + s * rule.x[j]!);
    const w = rule.w[j]!;
    out[0] += w * v;
    out[1] += w * v * v;
    out[2] += w * v * v * v;
    out[3] += w * v * v * v * v;
  }
  return out;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export const sigmoidPowers = (mean: number, variance: number) => powerMoments(sigmoid, mean, variance);
export const tanhPowers = (mean: number, variance: number) => powerMoments(Math.tanh, mean, variance);

const BINOMIAL = [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1]] as const;

/** The cell state's raw moments E[c^1..4] step by step (c_0 = 0), for its excess kurtosis. */
export class CellKurtosis {
  private raw = [1, 0, 0, 0, 0];

  /** One step: c ← f·c + i·g, given each gate's E[·^1..4]. */
  step(forget: readonly number[], input: readonly number[], candidate: readonly number[]): void {
    const f = [1, ...forget];
    const ig = [1, ...input.map((v, k) => v * candidate[k]!)];
    const next = [1, 0, 0, 0, 0];
    for (let k = 1; k <= 4; k++) {
      let sum = 0;
      for (let j = 0; j <= k; j++) sum += BINOMIAL[k]![j]! * f[j]! * this.raw[j]! * ig[k - j]!;
      next[k] = sum;
    }
    this.raw = next;
  }

  /** μ4/μ2² − 3 of the current c; 0 where the variance vanishes. */
  excess(): number {
    const [, m1, m2, m3, m4] = this.raw as [number, number, number, number, number];
    const mu2 = m2 - m1 * m1;
    if (!(mu2 > 0)) return 0;
    const mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 ** 4;
    return mu4 / (mu2 * mu2) - 3;
  }
}

/** tanh(c)'s moments for c of this mean, variance and excess kurtosis (Gram–Charlier to the fourth cumulant). */
export function kurticCellMoments(mean: number, variance: number, excess: number): CellTanhMoments {
  // Unit panels in z: the polynomial He₄ in the integrand moves the result by under 2e-9 against half-width ones.
  const rule = standardRule();
  const s = Math.sqrt(Math.max(variance, 0));
  const k = s > 0 ? excess : 0;
  let phi2 = 0;
  let phi = 0;
  let dphi = 0;
  let dphi2 = 0;
  for (let j = 0; j < rule.x.length; j++) {
    const z = rule.x[j]!;
    const x = s * z;
    const z2 = z * z;
    const w = rule.w[j]! * (1 + (k / 24) * (z2 * z2 - 6 * z2 + 3));
    const t = Math.tanh(mean + x);
    const slope = 1 - t * t;
    phi2 += w * t * t;
    phi += w * t;
    dphi += w * slope;
    dphi2 += w * slope * slope;
  }
  return { phi2, phi, dphi, dphi2 };
}
