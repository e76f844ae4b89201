/**
 * The LSTM's forward pass at infinite width with W_hh tied across steps: the two-time kernels of
 * the cell state and of the hidden state (issue 15 item e; gruTwoTime.ts says why the GRU needs
 * them, with the references). The LSTM's carry is the cell state, c_t = f_t·c_{t−1} + i_t·g_t:
 *
 *   E[c_t²] = E[f_t²]·E[c_{t−1}²] + 2·E[f_t]·E[i_t]·E[g_t·c_{t−1}] + E[i_t²]·E[g_t²],
 *
 * and E[g_t·c_{t−1}] is not E[g_t]·E[c_{t−1}]: c_{t−1} sums earlier candidates g_s, whose
 * pre-activations share each row of W_hg with g_t's (Cov = σ_hh²·C_h(t−1, s−1) + Var(b_g)).
 * Measured on the sampled per-unit process (test/reference/recurrent/tied_limit.py, hidden 256,
 * T = 20), the steps taken independent put E[h_t²] 2.1% (PyTorch's default), 4.9% (Keras-like)
 * and 7.5% (forget-gate bias 1, the longest memory) below the tied process, the gap the forward
 * pass showed against PyTorch. With G(t, s) = E[g_t·g_s], Q(t, s) = E[g_t·c_s], D(t, s) = E[c_t·c_s]:
 *   Q(t, s) = E[i_s]·G(t, s) + E[f_s]·Q(t, s−1),   Q(t, 0) = 0
 *   D(t, s) = E[f_t]·D(t−1, s) + E[i_t]·Q(t, s),    s < t
 *   C_h(t, s) = E[o_t·o_s]·E[tanh(c_t)·tanh(c_s)]   (o is independent of c; c Gaussian inside tanh
 *                                                    with its mean: E[tanh²(c_t)] itself, the diagonal,
 *                                                    is the one-time pass's, cellKurtosis.ts)
 * each two-step moment of a gate by Mehler's series (gruTwoTime.ts). The forget and input gates of
 * different steps correlate through W_hf, W_hi too (Σ_f(t, s) = σ_hh²·C_h(t−1, s−1) + Var(b_f));
 * to first order in that covariance, with ∂c_u/∂f_s = Π_{s<j≤u} f_j·c_{s−1} and ∂c_u/∂i_s =
 * Π_{s<j≤u} f_j·g_s,
 *   δE[c_t²] = Σ_{s<t} Σ_f(t, s)·E[σ′_f,s]·(E[(f²)′_t]·2J_f(t−1, s) + 2E[i_t]·E[f′_t]·B_f(t, s))
 *            + Σ_{s<t} Σ_i(t, s)·E[σ′_i,s]·2E[f_t]·E[i′_t]·B_i(t, s),
 *   B_f(t, s) = Π_{s<j<t} E[f_j]·Q(t, s−1),  B_i(t, s) = Π_{s<j<t} E[f_j]·G(t, s),
 *   J_x(u, s) = E[f_u²]·J_x(u−1, s) + E[f_u]·E[i_u]·B_x(u, s),
 *   J_f(s, s) = D(s, s−1),  J_i(s, s) = E[f_s]·Q(s, s−1) + E[i_s]·E[g_s²].
 * Pairs further apart than `band` steps are taken independent.
 */
import { mehler, type HermiteCoefficients } from './gruTwoTime';

/** One step's gate moments, as the LSTM's forward pass has them (σ′ moments for the first-order terms). */
export interface LstmGateMoments {
  readonly i1: number;
  readonly i2: number;
  readonly iSlope: number;
  readonly f1: number;
  readonly f2: number;
  readonly fSlope: number;
  /** E[(f²)′] = 2E[σσ′] of the forget gate. */
  readonly fSquareSlope: number;
  /** E[g_t²] and g's and o's Hermite coefficients. */
  readonly g2: number;
  readonly candidate: HermiteCoefficients;
  readonly output: HermiteCoefficients;
}

/** σ_hh² and each gate's bias variance (ih + hh: one draw per unit for every step). */
export interface LstmSharedVariances {
  readonly recurrentSide: number;
  readonly input: number;
  readonly forget: number;
  readonly cell: number;
  readonly output: number;
}

export class LstmTwoTimeKernel {
  /** Per step, by lag 0..band at (t − 1)·(band + 1) + lag: C_h(t, t − lag), D(t, t − lag), J_f, J_i. */
  private readonly hRows: Float64Array;
  private readonly cRows: Float64Array;
  private readonly jfRows: Float64Array;
  private readonly jiRows: Float64Array;
  private readonly stride: number;
  private hiddenSteps = 0;
  private readonly gates: LstmGateMoments[] = [];
  private readonly cellMeans: number[] = [0];
  private readonly cellTanh: HermiteCoefficients[] = [];
  /** Per lag of the step being run: G(t, s), Q(t, s − 1), Q(t, s). */
  private readonly gByLag: Float64Array;
  private readonly qBefore: Float64Array;
  private readonly qAfter: Float64Array;

  constructor(private readonly shared: LstmSharedVariances, private readonly band: number, steps: number) {
    this.stride = band + 1;
    this.hRows = new Float64Array(steps * this.stride);
    this.cRows = new Float64Array(steps * this.stride);
    this.jfRows = new Float64Array(steps * this.stride);
    this.jiRows = new Float64Array(steps * this.stride);
    this.gByLag = new Float64Array(band + 1);
    this.qBefore = new Float64Array(band + 1);
    this.qAfter = new Float64Array(band + 1);
  }

  /** C_h(t − 1, t − 2) for the next step t: what the gates' pre-activations of consecutive steps share through W_hh (/ σ_hh²). */
  hiddenLagOne(): number {
    return this.hiddenSteps > 1 && this.band > 0 ? this.hRows[(this.hiddenSteps - 1) * this.stride + 1]! : 0;
  }

  /** E[h_{t−1}²] for the next step's gates. */
  previousHidden(): number {
    return this.hiddenSteps > 0 ? this.hRows[(this.hiddenSteps - 1) * this.stride]! : 0;
  }

  /** rows(t, s) for s ≤ t, 1-based (0 at the zero initial state and beyond the band). */
  private lagged(rows: Float64Array, t: number, s: number): number {
    if (t < 1 || s < 1 || t - s > this.band) return 0;
    return rows[(t - 1) * this.stride + t - s]!;
  }

  /** Step t's cell state: E[c_t²] with the two-time terms (cellMean is E[c_t], from the caller's recursion). */
  cell(gates: LstmGateMoments, cellMean: number): number {
    const t = this.gates.length + 1;
    this.gates.push(gates);
    const { recurrentSide, input, forget, cell } = this.shared;
    const lowest = Math.max(1, t - this.band);
    // Below the band, g_t meets c_s only through the means.
    let q = gates.candidate.c[0]! * this.cellMeans[lowest - 1]!;
    for (let s = lowest; s < t; s++) {
      const earlier = this.gates[s - 1]!;
      const g = mehler(gates.candidate, earlier.candidate, recurrentSide * this.lagged(this.hRows, t - 1, s - 1) + cell);
      this.gByLag[t - s] = g;
      this.qBefore[t - s] = q;
      q = earlier.i1 * g + earlier.f1 * q;
      this.qAfter[t - s] = q;
    }
    const withPrevious = t > 1 ? q : 0;
    const { i1, i2, f1, f2 } = gates;
    const at = (t - 1) * this.stride;
    let correlatedGates = 0;
    let carried = 1;
    for (let s = t - 1; s >= lowest; s--) {
      const lag = t - s;
      const bf = carried * this.qBefore[lag]!;
      const bi = carried * this.gByLag[lag]!;
      const through = recurrentSide * this.lagged(this.hRows, t - 1, s - 1);
      const earlier = this.gates[s - 1]!;
      const jf = this.lagged(this.jfRows, t - 1, s);
      const ji = this.lagged(this.jiRows, t - 1, s);
      correlatedGates += (through + forget) * earlier.fSlope * (gates.fSquareSlope * 2 * jf + 2 * i1 * gates.fSlope * bf) +
        (through + input) * earlier.iSlope * 2 * f1 * gates.iSlope * bi;
      this.jfRows[at + lag] = f2 * jf + f1 * i1 * bf;
      this.jiRows[at + lag] = f2 * ji + f1 * i1 * bi;
      carried *= earlier.f1;
    }
    const previous = t > 1 ? this.cRows[at - this.stride]! : 0;
    const secondMoment = f2 * previous + 2 * f1 * i1 * withPrevious + i2 * gates.g2 + correlatedGates;
    for (let s = lowest; s < t; s++) this.cRows[at + t - s] = f1 * this.lagged(this.cRows, t - 1, s) + i1 * this.qAfter[t - s]!;
    this.cRows[at] = secondMoment;
    this.jfRows[at] = t > 1 ? this.cRows[at + 1]! : 0;
    this.jiRows[at] = f1 * withPrevious + i1 * gates.g2;
    this.cellMeans.push(cellMean);
    return secondMoment;
  }

  /**
   * Step t's hidden state, after `cell`: E[h_t²] (the caller's one-time moment) and tanh(c_t)'s
   * Hermite coefficients (c_t's mean and variance), giving C_h(t, s) for the next steps' gates.
   */
  hidden(secondMoment: number, cellTanh: HermiteCoefficients): void {
    const t = ++this.hiddenSteps;
    this.cellTanh.push(cellTanh);
    const { recurrentSide, output } = this.shared;
    const lowest = Math.max(1, t - this.band);
    const gates = this.gates[t - 1]!;
    const at = (t - 1) * this.stride;
    this.hRows[at] = secondMoment;
    for (let s = lowest; s < t; s++) {
      const oo = mehler(gates.output, this.gates[s - 1]!.output, recurrentSide * this.lagged(this.hRows, t - 1, s - 1) + output);
      const cc = this.lagged(this.cRows, t, s) - this.cellMeans[t]! * this.cellMeans[s]!;
      this.hRows[at + t - s] = oo * mehler(cellTanh, this.cellTanh[s - 1]!, cc);
    }
  }
}
