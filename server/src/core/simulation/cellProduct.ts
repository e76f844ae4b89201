/**
 * The LSTM's first cell state exactly: c_1 = σ(a_i)·tanh(a_g) (c_0 = 0), a product of functions
 * of two independent Gaussians (the input and candidate gates read different row blocks of W_ih;
 * h_0 = 0 leaves W_hh out). The pass takes every later c_t by its mean, variance and excess
 * kurtosis (cellKurtosis.ts); taken Gaussian inside tanh, at step 1 it put E[h_1²] 1.5% (PyTorch's default LSTM) to 2.6% (Keras-like) below PyTorch
 * and the sampled per-unit process alike (test/reference/recurrent/tied_limit.json): a product is
 * more peaked at 0 and heavier-tailed than the Gaussian of its variance.
 *
 * E[F(s·tanh(a_g))] is a smooth function of s = σ(a_i) ∈ (0, 1) (|s·tanh| < 1 keeps it away
 * from tanh's poles at ±iπ/2), so it is taken at 16 Chebyshev points of [0, 1] (each a sum over
 * the candidate gate's quadrature nodes) and the input gate's expectation sums its interpolant:
 * ~4,000 tanh evaluations instead of the ~50,000 of the two rules' product.
 */
import { activationFunctions } from '../knowledge/activations';
import { gaussianRule } from './quadrature';

/** E[tanh(c)²], E[tanh(c)], E[tanh′(c)], E[tanh′(c)²]: what the forward and backward passes read of the cell state. */
export interface CellTanhMoments {
  readonly phi2: number;
  readonly phi: number;
  readonly dphi: number;
  readonly dphi2: number;
}

const POINTS = 16;
const SIGMOID = activationFunctions({ name: 'sigmoid' });
const sigmoid = (x: number): number => SIGMOID.phi(x);

/** Moments of tanh(σ(a_i)·tanh(a_g)), a_i ~ N(iMean, iVariance), a_g ~ N(gMean, gVariance) independent. */
export function productCellMoments(iMean: number, iVariance: number, gMean: number, gVariance: number): CellTanhMoments {
  const g = gaussianRule(gVariance, []);
  const candidates = g.x.map((x) => Math.tanh(gMean + x));
  // Per Chebyshev point s_m: the four inner sums; then their Chebyshev coefficients.
  const values = [new Float64Array(POINTS), new Float64Array(POINTS), new Float64Array(POINTS), new Float64Array(POINTS)] as const;
  for (let m = 0; m < POINTS; m++) {
    const s = 0.5 + 0.5 * Math.cos((Math.PI * (m + 0.5)) / POINTS);
    let phi2 = 0;
    let phi = 0;
    let dphi = 0;
    let dphi2 = 0;
    for (let j = 0; j < candidates.length; j++) {
      const t = Math.tanh(s * candidates[j]!);
      const w = g.w[j]!;
      const slope = 1 - t * t;
      phi2 += w * t * t;
      phi += w * t;
      dphi += w * slope;
      dphi2 += w * slope * slope;
    }
    values[0][m] = phi2;
    values[1][m] = phi;
    values[2][m] = dphi;
    values[3][m] = dphi2;
  }
  const coefficients = values.map(chebyshevCoefficients);
  const i = gaussianRule(iVariance, []);
  const totals = [0, 0, 0, 0];
  for (let j = 0; j < i.x.length; j++) {
    // s ∈ [0, 1] → u ∈ [−1, 1].
    const u = 2 * sigmoid(iMean + i.x[j]!) - 1;
    for (let k = 0; k < 4; k++) totals[k]! += i.w[j]! * clenshaw(coefficients[k]!, u);
  }
  const [phi2, phi, dphi, dphi2] = totals as [number, number, number, number];
  return { phi2, phi, dphi, dphi2 };
}

/** Coefficients a_k of Σ a_k·T_k(u) through the values at the Chebyshev points u_m = cos(π(m + ½)/n). */
function chebyshevCoefficients(values: Float64Array): Float64Array {
  const n = values.length;
  const a = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sum = 0;
    for (let m = 0; m < n; m++) sum += values[m]! * Math.cos((Math.PI * k * (m + 0.5)) / n);
    a[k] = ((k === 0 ? 1 : 2) * sum) / n;
  }
  return a;
}

function clenshaw(a: Float64Array, u: number): number {
  let b1 = 0;
  let b2 = 0;
  for (let k = a.length - 1; k >= 1; k--) {
    const b0 = 2 * u * b1 - b2 + a[k]!;
    b2 = b1;
    b1 = b0;
  }
  return u * b1 - b2 + a[0]!;
}
