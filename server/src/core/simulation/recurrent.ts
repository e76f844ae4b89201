/**
 * The gradient through time of one recurrent layer at init, mean field (issue 15).
 *
 * The layer sees a stationary input of second moment m_x at every step, starts from h_0 = 0
 * (and c_0 = 0), and the loss reads its last state only (loss = Σ h_T·v, v ~ N(0,1), as
 * test/reference/recurrent/recurrent_oracle.py measures): the gradient that reaches the input
 * of step t has crossed T − t recurrent steps. Per gate, with s_ih = n_in·Var(W_ih) and
 * s_hh = h·Var(W_hh), each gate's pre-activation is Gaussian with
 *
 *   q_t = s_ih·m_x + s_hh·E[h_{t−1}²] + Var(b),   mean = the bias's mean (LSTM forget gate: 1),
 *
 * (Poole et al. 2016's length map per step; Chen, Pennington & Schoenholz 2018 for the
 * gated cells). That marginal is all a vanilla cell's E[h_t²] reads; a gated cell mixes its carry
 * with a new candidate whose pre-activation shares W_hh's rows with the candidates already in
 * the carry, so its forward pass carries the state's two-time kernel E[h_t·h_s] (gruTwoTime.ts,
 * lstmTwoTime.ts: at infinite width each unit is one sample of a Gaussian process over the
 * steps, Yang 2019). Backward, the vanilla cell multiplies per step by h·Var(W_hh) times the
 * activation's derivative moment (the gradient-independence assumption: factors of a product
 * taken independent; exact for an orthogonal kernel in the linear regime, while the powers of an
 * iid tied matrix grow faster, which the Monte-Carlo pass and the PyTorch oracle measure). The
 * gated cells carry a cotangent past the kernel (the LSTM's cell state, the GRU's update gate),
 * so cotangents of different steps meet in one step's gradient, and with the same W_hh at every
 * step they pair through it: the LSTM's backward pass carries the cross moments of every pair of
 * steps (lstmTiedBackward; the state c inside tanh by its mean, variance and kurtosis: cellKurtosis.ts), the GRU's the paths of the
 * cotangent's two copies step by step (gruTiedBackward).
 * A scaled-identity kernel (IRNN) is no mean-field matrix at all: its units never mix, so
 * this returns undefined for it.
 */
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import type { Activation, GateBias, RecurrentSpec, WeightLayer } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { weightVariance } from '../knowledge/initializers';
import { recurrentSpectrum, recurrentVariance } from '../knowledge/recurrent';
import { CellKurtosis, kurticCellMoments, sigmoidPowers, tanhPowers } from './cellKurtosis';
import { productCellMoments, type CellTanhMoments } from './cellProduct';
import { MomentTable } from './momentTable';
import { candidateMixture, type CandidateMixture, type TanhMoment } from './candidateMixture';
import { GruTwoTimeKernel, hermiteCoefficients } from './gruTwoTime';
import { LstmTwoTimeKernel } from './lstmTwoTime';
import { gaussianExpectation } from './quadrature';

/** What one recurrent layer does to the signal over its sequence. */
export interface ThroughTime {
  /** Steps simulated (the sequence length). */
  readonly steps: number;
  readonly stepsFromCode: boolean;
  /** E[h_t²], t = 1..T. */
  readonly hiddenSecondMoment: readonly number[];
  /** E[h_T]: a ReLU RNN's state has a mean (the next layer's input). */
  readonly hiddenMean: number;
  /** E[(dL/dx_t)²], t = 1..T, unit-variance gradient at h_T. */
  readonly inputGradient: readonly number[];
  /** E[(dL/dx_1)²] / E[(dL/dx_T)²]: what T − 1 recurrent steps do to the gradient. */
  readonly factor: number;
  /** The recurrent kernel's RMS singular value per gate block (knowledge/recurrent.ts). */
  readonly spectralScale: number;
  /**
   * Gated cells: the largest correlation, over the steps, of a carry gate's pre-activations at two
   * consecutive steps (GRU: the update gate; LSTM: the forget and input gates), through the tied
   * W_hh. The forward pass takes the carry gates' correlation across steps to first order.
   */
  readonly carryCorrelation?: number;
  /** Set when that correlation is above CARRY_CORRELATION: the values are approximate (hover and report say so, and offer Monte-Carlo). */
  readonly approximate?: { readonly carryCorrelation: number };
}

/**
 * Above this lag-one correlation of the carry gates the first-order term (gruTwoTime.ts,
 * lstmTwoTime.ts) is not accurate to 1%: its error grows like the correlation's square. Against
 * the sampled tied process (test/reference/recurrent/tied_limit*.json), every GRU with
 * σ_hh² ≤ 1 stays below 0.14 and within 0.5% of it at every step (the LSTMs below 0.1, within
 * 1.2%); a gain-1.5 orthogonal kernel reaches 0.23 (0.6%); gain 3 (σ_hh² = 9) 0.65 and σ_hh² = 4
 * with a weak input 0.63: 2.8% and 2.4% above it (the first-order term is −9% of E[h_30²] at
 * gain 3, the sampled process −11%).
 */
const CARRY_CORRELATION = 0.4;

const SIGMOID: Activation = { name: 'sigmoid' };
const TANH: Activation = { name: 'tanh' };
/** σ and tanh as values, one function each (gruTwoTime.ts keeps Hermite coefficients per function). */
const SIGMOID_FUNCTIONS = activationFunctions(SIGMOID);
const sigmoid = (x: number): number => SIGMOID_FUNCTIONS.phi(x);
const tanh = (x: number): number => Math.tanh(x);
/** tanh's moments at a mean and variance, tabulated (candidateMixture.ts reads them per reset-gate node). */
const tanhMoment: TanhMoment = (which, mean, variance) => shifted(TANH, which, mean, variance);

const NO_CELL: CellTanhMoments = { phi2: 0, phi: 0, dphi: 0, dphi2: 0 };

/** E[f(μ + √q z)] by quadrature: the activation's moments at a shifted mean. */
function exactShifted(activation: Activation, which: Moment, mu: number, q: number): number {
  const fns = activationFunctions(activation);
  const f = which === 'phi2' ? (x: number) => fns.phi(mu + x) ** 2 : which === 'phi' ? (x: number) => fns.phi(mu + x)
    : which === 'dphi' ? (x: number) => fns.dphi(mu + x) : which === 'phidphi' ? (x: number) => fns.phi(mu + x) * fns.dphi(mu + x)
      : which === 'z2dphi2' ? (x: number) => ((x * x) / q) * fns.dphi(mu + x) ** 2
        : (x: number) => fns.dphi(mu + x) ** 2;
  return gaussianExpectation(f, Math.max(0, q), fns.kinks.map((k) => k - mu));
}

/** E[φ²], E[φ], E[φ′], E[φ′²], E[φ·φ′], E[z²·φ′²] (z the standard normal: candidateMixture.ts). */
type Moment = 'phi2' | 'phi' | 'dphi' | 'dphi2' | 'phidphi' | 'z2dphi2';
const TANH_KINDS: Partial<Record<Moment, string>> = { phi: 'tanh1', phi2: 'tanh2', dphi: 'tanhd1', dphi2: 'tanhd' };

/**
 * Interpolated in ln q (momentTable.ts: ~1e-8 relative) per activation, moment and gate-bias
 * mean, which stay fixed along the sequence: a 100-step LSTM then costs a few hundred
 * quadratures instead of ~3,000 (the editor re-simulates on every edit). Bounded: a file with
 * many distinct bias means drops the tables and refills.
 */
const TABLES = new Map<string, Map<number, MomentTable>>();
let tableCount = 0;
const MAX_TABLES = 256;

function shifted(activation: Activation, which: Moment, mu: number, q: number): number {
  if (!(q > 0)) return exactShifted(activation, which, mu, q);
  // Keyed without building strings per lookup: a 100-step LSTM makes ~3,000 of them.
  const kind = (activation.name === 'tanh' ? TANH_KINDS[which] : undefined) ?? `${activation.name}|${which}`;
  let byMean = TABLES.get(kind);
  if (!byMean) TABLES.set(kind, (byMean = new Map<number, MomentTable>()));
  let table = byMean.get(mu);
  if (!table) {
    if (tableCount >= MAX_TABLES) {
      TABLES.clear();
      tableCount = 0;
      TABLES.set(kind, (byMean = new Map<number, MomentTable>()));
    }
    table = new MomentTable((x) => exactShifted(activation, which, mu, x));
    byMean.set(mu, table);
    tableCount++;
  }
  return table.value(q);
}

interface Scales {
  readonly inputSide: number;
  readonly recurrentSide: number;
  /** h·Var(W_ih): the backward factor from a gate's pre-activation to the input. */
  readonly inputBackward: number;
  readonly biases: readonly GateBias[];
}

/**
 * Simulates a recurrent layer fed a stationary input of second moment `inputSecondMoment`.
 * Undefined when something is unknown or the kernel is a scaled identity.
 */
export function simulateThroughTime(layer: WeightLayer, inputSecondMoment: number, signal: CancellationSignal): ThroughTime | undefined {
  const spec = layer.recurrent;
  if (!spec || spec.stacked || !layer.fans || !layer.frameworkFans || !layer.init.semantics || !spec.gateBiases) return undefined;
  const spectrum = recurrentSpectrum(spec);
  if (!spectrum || spectrum.structure === 'identity') return undefined;
  const varIh = weightVariance(layer.init.semantics, layer.frameworkFans, 1);
  const varHh = recurrentVariance(spec);
  if (!Number.isFinite(varIh) || varHh === undefined) return undefined;
  const scales: Scales = {
    inputSide: layer.fans.fanIn * varIh * inputSecondMoment,
    recurrentSide: spec.hidden * varHh,
    inputBackward: spec.hidden * varIh,
    biases: spec.gateBiases,
  };
  const T = spec.steps.value;
  const run = spec.cell === 'lstm' ? lstm : spec.cell === 'gru' ? gru : vanilla;
  if (spec.cell === 'rnn' && spec.nonlinearity === 'unknown') return undefined;
  const { carryCorrelation, ...result } = run(spec, scales, T, signal);
  const gx = result.inputGradient;
  return {
    steps: T, stepsFromCode: spec.steps.fromCode, ...result,
    factor: gx[T - 1]! > 0 ? gx[0]! / gx[T - 1]! : NaN,
    spectralScale: spectrum.scale,
    ...(carryCorrelation !== undefined ? { carryCorrelation } : {}),
    ...(carryCorrelation !== undefined && carryCorrelation > CARRY_CORRELATION ? { approximate: { carryCorrelation } } : {}),
  };
}

type Run = (spec: RecurrentSpec, s: Scales, T: number, signal: CancellationSignal) => { hiddenSecondMoment: number[]; hiddenMean: number; inputGradient: number[]; carryCorrelation?: number };

const vanilla: Run = (spec, s, T, signal) => {
  const phi = spec.nonlinearity as Activation;
  const b = s.biases[0]!;
  const bias = b.varianceIh + b.varianceHh;
  const q: number[] = [];
  const m: number[] = [];
  let mPrev = 0;
  for (let t = 0; t < T; t++) {
    throwIfCancelled(signal);
    q.push(s.inputSide + s.recurrentSide * mPrev + bias);
    mPrev = shifted(phi, 'phi2', b.mean, q[t]!);
    m.push(mPrev);
  }
  const gx = new Array<number>(T).fill(0);
  let g = 1;
  for (let t = T - 1; t >= 0; t--) {
    throwIfCancelled(signal);
    const a = g * shifted(phi, 'dphi2', b.mean, q[t]!);
    gx[t] = s.inputBackward * a;
    g = s.recurrentSide * a;
  }
  return { hiddenSecondMoment: m, hiddenMean: shifted(phi, 'phi', b.mean, q[T - 1]!), inputGradient: gx };
};

/** LSTM (PyTorch and Keras): c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t); gates i, f, g, o. */
const lstm: Run = (_spec, s, T, signal) => {
  const [bi, bf, bg, bo] = s.biases as [GateBias, GateBias, GateBias, GateBias];
  interface Step { qi: number; qf: number; qg: number; qo: number; cPrev2: number; c2: number; cMean: number; tanhC: CellTanhMoments }
  const steps: Step[] = [];
  const m: number[] = [];
  let h2 = 0;
  let c2 = 0;
  let carryCorrelation = 0;
  let cMean = 0;
  const q = (bias: GateBias) => s.inputSide + s.recurrentSide * h2 + bias.varianceIh + bias.varianceHh;
  // E[c_t·c_s], E[h_t·h_s]: the two-time kernels, W_hh being the same at every step (lstmTwoTime.ts).
  const twoTime = new LstmTwoTimeKernel({
    recurrentSide: s.recurrentSide,
    input: bi.varianceIh + bi.varianceHh,
    forget: bf.varianceIh + bf.varianceHh,
    cell: bg.varianceIh + bg.varianceHh,
    output: bo.varianceIh + bo.varianceHh,
  }, tiedBand(T), T);
  const kurtosis = new CellKurtosis();
  for (let t = 0; t < T; t++) {
    throwIfCancelled(signal);
    const st: Step = { qi: q(bi), qf: q(bf), qg: q(bg), qo: q(bo), cPrev2: c2, c2: 0, cMean: 0, tanhC: NO_CELL };
    kurtosis.step(sigmoidPowers(bf.mean, st.qf), sigmoidPowers(bi.mean, st.qi), tanhPowers(bg.mean, st.qg));
    const lagOne = s.recurrentSide * twoTime.hiddenLagOne();
    carryCorrelation = Math.max(carryCorrelation, (lagOne + bf.varianceIh + bf.varianceHh) / st.qf, (lagOne + bi.varianceIh + bi.varianceHh) / st.qi);
    const f1 = shifted(SIGMOID, 'phi', bf.mean, st.qf);
    const i1 = shifted(SIGMOID, 'phi', bi.mean, st.qi);
    const g1 = shifted(TANH, 'phi', bg.mean, st.qg);
    const g2 = shifted(TANH, 'phi2', bg.mean, st.qg);
    const o2 = shifted(SIGMOID, 'phi2', bo.mean, st.qo);
    cMean = f1 * cMean + i1 * g1;
    c2 = twoTime.cell({
      i1, i2: shifted(SIGMOID, 'phi2', bi.mean, st.qi), iSlope: shifted(SIGMOID, 'dphi', bi.mean, st.qi),
      f1, f2: shifted(SIGMOID, 'phi2', bf.mean, st.qf), fSlope: shifted(SIGMOID, 'dphi', bf.mean, st.qf),
      fSquareSlope: 2 * shifted(SIGMOID, 'phidphi', bf.mean, st.qf),
      g2,
      candidate: hermiteCoefficients(tanh, bg.mean, st.qg, g2),
      output: hermiteCoefficients(sigmoid, bo.mean, st.qo, o2),
    }, cMean);
    st.c2 = c2;
    st.cMean = cMean;
    const cVar = c2 - cMean * cMean;
    // Step 1 (c_0 = 0): c_1 = i·g exactly (cellProduct.ts); later steps by c's mean, variance and
    // excess kurtosis (cellKurtosis.ts: lighter-tailed than a Gaussian, E[tanh²] 0.3–1.3% low taken Gaussian).
    st.tanhC = t === 0 ? productCellMoments(bi.mean, st.qi, bg.mean, st.qg) : kurticCellMoments(cMean, cVar, kurtosis.excess());
    const tanhC2 = st.tanhC.phi2;
    h2 = o2 * tanhC2;
    twoTime.hidden(h2, hermiteCoefficients(tanh, cMean, cVar, tanhC2));
    m.push(h2);
    steps.push(st);
  }
  // Per step, what each gate multiplies its cotangent by: second moments (the same step on both
  // sides of a product) and first moments (two different steps: independent forward draws).
  const factors = steps.map((st, t): TiedStep => {
    const cPrevMean = t > 0 ? steps[t - 1]!.cMean : 0;
    return {
      o2: st.tanhC.phi2 * shifted(SIGMOID, 'dphi2', bo.mean, st.qo),
      o1: st.tanhC.phi * shifted(SIGMOID, 'dphi', bo.mean, st.qo),
      c2: shifted(TANH, 'phi2', bg.mean, st.qg) * shifted(SIGMOID, 'dphi2', bi.mean, st.qi) +
        shifted(SIGMOID, 'phi2', bi.mean, st.qi) * shifted(TANH, 'dphi2', bg.mean, st.qg) + st.cPrev2 * shifted(SIGMOID, 'dphi2', bf.mean, st.qf),
      c1: [
        shifted(TANH, 'phi', bg.mean, st.qg) * shifted(SIGMOID, 'dphi', bi.mean, st.qi),
        shifted(SIGMOID, 'phi', bi.mean, st.qi) * shifted(TANH, 'dphi', bg.mean, st.qg),
        cPrevMean * shifted(SIGMOID, 'dphi', bf.mean, st.qf),
      ],
      e2: shifted(SIGMOID, 'phi2', bo.mean, st.qo) * st.tanhC.dphi2,
      e1: shifted(SIGMOID, 'phi', bo.mean, st.qo) * st.tanhC.dphi,
      f2: shifted(SIGMOID, 'phi2', bf.mean, st.qf),
      f1: shifted(SIGMOID, 'phi', bf.mean, st.qf),
    };
  });
  const gx = lstmTiedBackward(factors, s, signal);  const last = steps[T - 1]!;
  const hiddenMean = shifted(SIGMOID, 'phi', bo.mean, last.qo) * last.tanhC.phi;
  return { hiddenSecondMoment: m, hiddenMean, inputGradient: gx, carryCorrelation };
};

/** One LSTM step's backward factors (lstmTiedBackward). */
interface TiedStep {
  /** δa_o = dh·tanh(c)·σ′(a_o): E[(tanh(c)σ′)²] and E[tanh(c)σ′]. */
  readonly o2: number;
  readonly o1: number;
  /** δa_i, δa_g, δa_f = dc·(g σ′(a_i), i tanh′(a_g), c_{t−1} σ′(a_f)): Σ of the squares' moments, and each first moment. */
  readonly c2: number;
  readonly c1: readonly [number, number, number];
  /** dc gets dh·o·tanh′(c): E[(o tanh′(c))²], E[o tanh′(c)]. */
  readonly e2: number;
  readonly e1: number;
  /** The forget gate carries dc one step back: E[f²], E[f]. */
  readonly f2: number;
  readonly f1: number;
}

/**
 * Cross-step cotangent moments kept: beyond this many steps apart they have decayed like a
 * product of first moments < 1 (0.73^256 ≈ 1e-35 with forget bias 1; 0.73^49 ≈ 2e-7), so
 * the work is O(T·band), not O(T²).
 */
const TIED_BAND = 256;
/** Entries T·(2·band + 1) kept at most (24 MB for the GRU's three arrays): 10,000 steps keep a band of 49. */
const TIED_ENTRIES = 1_000_000;

function tiedBand(T: number): number {
  return Math.max(0, Math.min(TIED_BAND, T - 1, Math.floor((TIED_ENTRIES / T - 1) / 2)));
}

/**
 * The LSTM's gradient through time with the recurrent kernel tied across steps. The gradient at
 * h_{t−1} is W_hhᵀ·δa_t with the same W_hh at every step, so two cotangents reaching the loss
 * through different steps still pair through it: E[(Wᵀp)·(Wᵀq)] = σ_hh²·E[p·q] for any two steps
 * (Gaussian integration by parts, outermost factors; the gradient-independence assumption pairs
 * only equal steps, which is exactly the untied network). The cell's carry dc_t = dh_t·o·tanh′(c) +
 * f_{t+1}·dc_{t+1} mixes cotangents of different steps, and with a tied kernel those mixtures
 * correlate: measured in PyTorch, an LSTM whose backward draws a fresh W_hh per step decays at
 * the untied mean field's per-step rate (0.283 vs 0.282, PyTorch's default LSTM, T = 20), the
 * real one at 0.345 at width 256 and 1024 alike (test/reference/recurrent/tied_kernel_experiment.py). So the pass
 * carries K(t, s) = E[dh_t·dh_s], D(t, s) = E[dc_t·dc_s] and Z(t, s) = E[dh_t·dc_s] (s > t) for
 * every pair of steps within TIED_BAND, from the last step back:
 *   K(t, s) = σ_hh²·S(t+1, s+1),  S(a, b) = Σ_gates E[δa_a·δa_b] (second moments at a = b, first moments otherwise)
 *   Z(t, s) = e1_s·K(t, s) + f1_{s+1}·Z(t, s+1)
 *   D(t, s) = e1_t·Z(t, s) + f1_{t+1}·D(t+1, s),   D(t, t) = e2_t·K(t, t) + 2 f1_{t+1} e1_t Z(t, t+1) + f2_{t+1} D(t+1, t+1)
 * with K(T, T) = 1 and K(T, s) = 0 (the cotangent v meets no kernel). E[(dL/dx_t)²] = h·Var(W_ih)·S(t, t).
 */
function lstmTiedBackward(steps: readonly TiedStep[], s: Scales, signal: CancellationSignal): number[] {
  const T = steps.length;
  const width = tiedBand(T) + 1;
  // Row t holds pairs (t, t + k), k = 0..width−1; two rows are kept (t and t + 1).
  let kNext = new Float64Array(width);
  let dNext = new Float64Array(width);
  let k = new Float64Array(width);
  let d = new Float64Array(width);
  const z = new Float64Array(width + 1);
  const gx = new Array<number>(T).fill(0);
  const pair = (a: number, b: number, kab: number, dab: number) => {
    const sa = steps[a]!;
    if (a === b) return sa.o2 * kab + sa.c2 * dab;
    const sb = steps[b]!;
    return sa.o1 * sb.o1 * kab + (sa.c1[0] * sb.c1[0] + sa.c1[1] * sb.c1[1] + sa.c1[2] * sb.c1[2]) * dab;
  };
  for (let t = T - 1; t >= 0; t--) {
    throwIfCancelled(signal);
    const st = steps[t]!;
    const next = t + 1 < T ? steps[t + 1]! : undefined;
    const reach = Math.min(width - 1, T - 1 - t);
    if (t === T - 1) {
      k[0] = 1;
    } else {
      // K(t, t + j) = σ²·S(t + 1, t + 1 + j), from row t + 1; K(t, T − 1) = 0 (v has no kernel).
      for (let j = 0; j <= reach; j++) k[j] = t + 1 + j < T && j < width ? s.recurrentSide * pair(t + 1, t + 1 + j, kNext[j]!, dNext[j]!) : 0;
    }
    z[reach + 1] = 0;
    for (let j = reach; j >= 1; j--) {
      const after = t + j + 1 < T ? steps[t + j + 1]!.f1 : 0;
      z[j] = steps[t + j]!.e1 * k[j]! + after * z[j + 1]!;
    }
    for (let j = 1; j <= reach; j++) d[j] = st.e1 * z[j]! + (next && j - 1 < width ? next.f1 * dNext[j - 1]! : 0);
    d[0] = st.e2 * k[0]! + (next ? 2 * next.f1 * st.e1 * z[1]! + next.f2 * dNext[0]! : 0);
    gx[t] = s.inputBackward * pair(t, t, k[0]!, d[0]);
    [kNext, k] = [k, kNext];
    [dNext, d] = [d, dNext];
    k.fill(0);
    d.fill(0);
  }
  return gx;
}

/** One GRU step's backward factors (gruTiedBackward); each gate's cotangent is dh_t times a forward factor. */
interface GruStep {
  /** The update gate's carry h_{t−1} → h_t: E[z], E[z²]. */
  readonly z1: number;
  readonly z2: number;
  /** Σ over the blocks of W_hh (r, z, n·r) of E[factor²]; the same for W_ih (r, z, n). */
  readonly hidden2: number;
  readonly input2: number;
  /** E[factor] of the z and n·r blocks of W_hh (the r block's is 0: W_hn·h is zero-mean). */
  readonly mean: readonly [number, number];
  /** E[factor·z] of the same blocks: a jump on one path beside the other path's carry at the same step. */
  readonly withCarry: readonly [number, number];
}

/**
 * Pending jumps kept (gruTiedBackward): each level costs another z1·E[factor] ≤ 1/4 and the
 * per-step rate settles by level 5 (0.3715, 0.3719 at 10 and at 99: PyTorch's default GRU, T = 100).
 */
const GRU_PENDING = 10;

/**
 * The GRU's gradient through time with the recurrent kernel tied across steps (lstmTiedBackward
 * says why). Backward, u_{t−1} = z_t·u_t + W_hhᵀ·p_t, p_t = u_t·(gate factors): from the loss back,
 * each step either carries the cotangent (×z_t) or jumps through W_hh (×factor, then W_hhᵀ). In
 * E[u_t·u_t] the two copies' W_hh meet in nested pairs (the k-th jump of one copy with the k-th of
 * the other, same gate block: σ_hh² each), and each pair averages, unit by unit, everything the
 * two copies multiplied between their (k−1)-th and k-th jumps. So where both copies have made the
 * same number of jumps their factors at a step are averaged together: z² (both carry: E[z²], not
 * E[z]²), factor² (both jump, matched), factor·z (one jumps beside the other's carry: E[(1−z)z], not
 * E[1−z]·E[z]); where their jump counts differ, the factors meet nothing at their own step and
 * enter by their means. A backward pass that pairs steps by their distance (every pair (t, s) of
 * steps from E[u_{t+1}·u_{s+1}]) cannot tell the two cases apart and decays too fast (0.318 per
 * step vs PyTorch's 0.356, default GRU, T = 20). This runs the two copies step by step from the
 * loss back, with the state d = the difference of their jump counts and, for d ≠ 0, the gate blocks
 * of the jumps still waiting for their partner (2^d entries: z and n·r blocks; the r block's mean
 * is 0): d and −d mirror each other, so only d ≥ 0 is kept and the return to d = 0 counts twice.
 * E[u_t²] is the d = 0 entry after step t + 1. Checked independently: backward passes of a fixed
 * Gaussian matrix over forward factors drawn iid per step decay at 0.354 (width 512 and 1024),
 * this at 0.3535; PyTorch 0.356 (test/reference/recurrent/). O(T·2^GRU_PENDING).
 */
function gruTiedBackward(steps: readonly GruStep[], s: Scales, signal: CancellationSignal): number[] {
  const T = steps.length;
  const sigma2 = s.recurrentSide;
  // levels[d]: the state with d pending jumps, oldest block in the highest bit.
  let levels: Float64Array[] = [Float64Array.of(1)];
  for (let d = 1; d <= GRU_PENDING; d++) levels.push(new Float64Array(1 << d));
  let next: Float64Array[] = levels.map((level) => new Float64Array(level.length));
  const gx = new Array<number>(T).fill(0);
  gx[T - 1] = s.inputBackward * steps[T - 1]!.input2;
  const matched = new Float64Array(1 << GRU_PENDING);
  for (let q = T - 1; q >= 1; q--) {
    throwIfCancelled(signal);
    const st = steps[q]!;
    const [mz, mn] = st.mean;
    const carry2 = st.z1 * st.z1;
    for (const level of next) level.fill(0);
    const start = levels[0]![0]!;
    next[0]![0] = (st.z2 + sigma2 * st.hidden2) * start;
    const first = next[1]!;
    first[0] = st.withCarry[0] * start;
    first[1] = st.withCarry[1] * start;
    for (let d = 1; d <= GRU_PENDING; d++) {
      const w = levels[d]!;
      const half = w.length >> 1;
      // The other copy jumps and meets the oldest pending jump: its block's mean, σ².
      for (let j = 0; j < half; j++) matched[j] = sigma2 * (mz * w[j]! + mn * w[half + j]!);
      const same = next[d]!;
      for (let j = 0; j < w.length; j++) same[j]! += carry2 * w[j]!;
      const back = next[d - 1]!;
      const returnWeight = d === 1 ? 2 * st.z1 : st.z1;
      for (let j = 0; j < half; j++) {
        const met = matched[j]!;
        back[j]! += returnWeight * met;
        // Both jump: the oldest is met, a new one waits (newest in the lowest bit).
        same[2 * j]! += mz * met;
        same[2 * j + 1]! += mn * met;
      }
      if (d < GRU_PENDING) {
        // This copy jumps beside the other's carry at another jump count: means.
        const up = next[d + 1]!;
        for (let j = 0; j < w.length; j++) {
          up[2 * j]! += st.z1 * mz * w[j]!;
          up[2 * j + 1]! += st.z1 * mn * w[j]!;
        }
      }
    }
    [levels, next] = [next, levels];
    gx[q - 1] = s.inputBackward * steps[q - 1]!.input2 * levels[0]![0]!;
  }
  return gx;
}

/**
 * GRU as PyTorch and Keras 3 (reset_after=True) compute it: r, z = σ(·), n = tanh(W_in x + b_in
 * + r⊙(W_hn h + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}; gates r, z, n.
 */
const gru: Run = (_spec, s, T, signal) => {
  const [br, bz, bn] = s.biases as [GateBias, GateBias, GateBias];
  // E[h_t·h_{t−1}·…]: the two-time kernel of the state, W_hh being the same at every step (gruTwoTime.ts).
  interface Step { qr: number; qz: number; hPrev2: number; hPrevMean: number; candidate: CandidateMixture; candidateWithPrevious: number }
  const steps: Step[] = [];
  const m: number[] = [];
  const twoTime = new GruTwoTimeKernel({
    recurrentSide: s.recurrentSide,
    reset: br.varianceIh + br.varianceHh,
    update: bz.varianceIh + bz.varianceHh,
    candidateInput: bn.varianceIh,
    candidateHidden: bn.varianceHh,
  }, tiedBand(T), T);
  let h2 = 0;
  let hMean = 0;
  let carryCorrelation = 0;
  let previous: { qr: number; recurrentVariance: number; candidate: CandidateMixture } | undefined;
  for (let t = 0; t < T; t++) {
    throwIfCancelled(signal);
    const qr = s.inputSide + s.recurrentSide * h2 + br.varianceIh + br.varianceHh;
    const qz = s.inputSide + s.recurrentSide * h2 + bz.varianceIh + bz.varianceHh;
    // r⊙(W_hn h + b_hn): the reset gate scales the recurrent part of the candidate (a scale mixture: candidateMixture.ts).
    // A settled state repeats its h2 exactly (from step ~35 of PyTorch's default GRU on): the same mixture.
    const recurrentVariance = s.recurrentSide * h2 + bn.varianceHh;
    const candidate = previous && previous.qr === qr && previous.recurrentVariance === recurrentVariance ? previous.candidate : candidateMixture({
      resetMean: br.mean, resetVariance: qr,
      candidateMean: bn.mean, inputVariance: s.inputSide + bn.varianceIh, recurrentVariance,
    }, tanhMoment);
    previous = { qr, recurrentVariance, candidate };
    const z1 = shifted(SIGMOID, 'phi', bz.mean, qz);
    const z2 = shifted(SIGMOID, 'phi2', bz.mean, qz);
    const { secondMoment, withPrevious, updateLagOne } = twoTime.step({
      z1, z2,
      zSlope: shifted(SIGMOID, 'dphi', bz.mean, qz),
      zSquareSlope: 2 * shifted(SIGMOID, 'phidphi', bz.mean, qz),
      candidate,
    });
    steps.push({ qr, qz, hPrev2: h2, hPrevMean: hMean, candidate, candidateWithPrevious: withPrevious });
    h2 = secondMoment;
    carryCorrelation = Math.max(carryCorrelation, updateLagOne / qz);
    hMean = (1 - z1) * candidate.n1 + z1 * hMean;
    m.push(h2);
  }
  const hiddenMean = hMean;
  const factors = steps.map((st): GruStep => {
    const z1 = shifted(SIGMOID, 'phi', bz.mean, st.qz);
    const z2 = shifted(SIGMOID, 'phi2', bz.mean, st.qz);
    const { n1, n2, slope2, resetSlope1, resetSlope2, resetBlock } = st.candidate;
    const keep2 = 1 - 2 * z1 + z2;
    const candidate = keep2 * slope2; // E[((1−z)·tanh′(a_n))²]
    // E[(h_{t−1} − n_t)²] with the two steps' cross moment E[n_t·h_{t−1}] (gruTwoTime.ts).
    const update = (st.hPrev2 + n2 - 2 * st.candidateWithPrevious) * shifted(SIGMOID, 'dphi2', bz.mean, st.qz);
    // E[((1−z)·tanh′(a_n)·(W_hn h + b_hn)·σ′(a_r))²]: a_n reads both v and r (candidateMixture.ts).
    const reset = keep2 * resetBlock;
    return {
      z1, z2,
      hidden2: keep2 * resetSlope2 + update + reset,
      input2: candidate + update + reset,
      // First moments: the reset block's W_hn·h is zero-mean. Beside the carry z: E[(1−z)z] = E[z] − E[z²].
      mean: [(st.hPrevMean - n1) * shifted(SIGMOID, 'dphi', bz.mean, st.qz), resetSlope1 * (1 - z1)],
      withCarry: [(st.hPrevMean - n1) * shifted(SIGMOID, 'phidphi', bz.mean, st.qz), resetSlope1 * (z1 - z2)],
    };
  });
  const gx = gruTiedBackward(factors, s, signal);
  return { hiddenSecondMoment: m, hiddenMean, inputGradient: gx, carryCorrelation };
};
