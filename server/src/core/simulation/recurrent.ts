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
 * gated cells), and the backward pass multiplies per step by h·Var(W_hh) times the gates'
 * derivative moments (the gradient-independence assumption: factors of a product are taken
 * independent, and the state c is taken Gaussian inside tanh). The recurrent kernel is the
 * same matrix at every step: for an orthogonal kernel in the linear regime the assumption is
 * exact; for an iid kernel the product of a tied matrix grows faster than mean field says
 * (its powers are not isometries), which the Monte-Carlo pass and the PyTorch oracle measure.
 * A scaled-identity kernel (IRNN) is no mean-field matrix at all: its units never mix, so
 * this returns undefined for it.
 */
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import type { Activation, GateBias, RecurrentSpec, WeightLayer } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { weightVariance } from '../knowledge/initializers';
import { recurrentSpectrum, recurrentVariance } from '../knowledge/recurrent';
import { MomentTable } from './momentTable';
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
}

const SIGMOID: Activation = { name: 'sigmoid' };
const TANH: Activation = { name: 'tanh' };

/** tanh moments of the LSTM cell state: tabulated when its mean is 0 (zero-mean candidate gate), exact otherwise (the mean moves step by step). */
function cellMoment(which: Moment, mean: number, variance: number): number {
  return mean === 0 ? shifted(TANH, which, 0, variance) : exactShifted(TANH, which, mean, variance);
}

/** E[f(μ + √q z)] by quadrature: the activation's moments at a shifted mean. */
function exactShifted(activation: Activation, which: Moment, mu: number, q: number): number {
  const fns = activationFunctions(activation);
  const f = which === 'phi2' ? (x: number) => fns.phi(mu + x) ** 2 : which === 'phi' ? (x: number) => fns.phi(mu + x) : (x: number) => fns.dphi(mu + x) ** 2;
  return gaussianExpectation(f, Math.max(0, q), fns.kinks.map((k) => k - mu));
}

type Moment = 'phi2' | 'phi' | 'dphi2';

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
  const kind = activation.name === 'tanh' ? (which === 'phi' ? 'tanh1' : which === 'phi2' ? 'tanh2' : 'tanhd') : `${activation.name}|${which}`;
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
  const result = run(spec, scales, T, signal);
  const gx = result.inputGradient;
  return {
    steps: T, stepsFromCode: spec.steps.fromCode, ...result,
    factor: gx[T - 1]! > 0 ? gx[0]! / gx[T - 1]! : NaN,
    spectralScale: spectrum.scale,
  };
}

type Run = (spec: RecurrentSpec, s: Scales, T: number, signal: CancellationSignal) => { hiddenSecondMoment: number[]; hiddenMean: number; inputGradient: number[] };

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
  interface Step { qi: number; qf: number; qg: number; qo: number; cPrev2: number; c2: number; cMean: number }
  const steps: Step[] = [];
  const m: number[] = [];
  let h2 = 0;
  let c2 = 0;
  let cMean = 0;
  const q = (bias: GateBias) => s.inputSide + s.recurrentSide * h2 + bias.varianceIh + bias.varianceHh;
  for (let t = 0; t < T; t++) {
    throwIfCancelled(signal);
    const st = { qi: q(bi), qf: q(bf), qg: q(bg), qo: q(bo), cPrev2: c2, c2: 0, cMean: 0 };
    const f1 = shifted(SIGMOID, 'phi', bf.mean, st.qf);
    const i1 = shifted(SIGMOID, 'phi', bi.mean, st.qi);
    const g1 = shifted(TANH, 'phi', bg.mean, st.qg);
    const nextMean = f1 * cMean + i1 * g1;
    c2 = shifted(SIGMOID, 'phi2', bf.mean, st.qf) * c2 + shifted(SIGMOID, 'phi2', bi.mean, st.qi) * shifted(TANH, 'phi2', bg.mean, st.qg) +
      2 * f1 * i1 * cMean * g1;
    cMean = nextMean;
    st.c2 = c2;
    st.cMean = cMean;
    h2 = shifted(SIGMOID, 'phi2', bo.mean, st.qo) * cellMoment('phi2', cMean, c2 - cMean * cMean);
    m.push(h2);
    steps.push(st);
  }
  const gx = new Array<number>(T).fill(0);
  let gh = 1;
  let gcCarry = 0;
  for (let t = T - 1; t >= 0; t--) {
    throwIfCancelled(signal);
    const st = steps[t]!;
    const cVar = st.c2 - st.cMean * st.cMean;
    const dao = gh * cellMoment('phi2', st.cMean, cVar) * shifted(SIGMOID, 'dphi2', bo.mean, st.qo);
    const dc = gh * shifted(SIGMOID, 'phi2', bo.mean, st.qo) * cellMoment('dphi2', st.cMean, cVar) + gcCarry;
    const dai = dc * shifted(TANH, 'phi2', bg.mean, st.qg) * shifted(SIGMOID, 'dphi2', bi.mean, st.qi);
    const daf = dc * st.cPrev2 * shifted(SIGMOID, 'dphi2', bf.mean, st.qf);
    const dag = dc * shifted(SIGMOID, 'phi2', bi.mean, st.qi) * shifted(TANH, 'dphi2', bg.mean, st.qg);
    const sum = dai + daf + dag + dao;
    gx[t] = s.inputBackward * sum;
    gh = s.recurrentSide * sum;
    gcCarry = dc * shifted(SIGMOID, 'phi2', bf.mean, st.qf);
  }
  const last = steps[T - 1]!;
  const hiddenMean = shifted(SIGMOID, 'phi', bo.mean, last.qo) * cellMoment('phi', last.cMean, last.c2 - last.cMean * last.cMean);
  return { hiddenSecondMoment: m, hiddenMean, inputGradient: gx };
};

/**
 * GRU as PyTorch and Keras 3 (reset_after=True) compute it: r, z = σ(·), n = tanh(W_in x + b_in
 * + r⊙(W_hn h + b_hn)), h_t = (1 − z)⊙n + z⊙h_{t−1}; gates r, z, n.
 */
const gru: Run = (_spec, s, T, signal) => {
  const [br, bz, bn] = s.biases as [GateBias, GateBias, GateBias];
  interface Step { qr: number; qz: number; qn: number; hPrev2: number; hPrevMean: number; inner: number }
  const steps: Step[] = [];
  const m: number[] = [];
  let h2 = 0;
  let hMean = 0;
  for (let t = 0; t < T; t++) {
    throwIfCancelled(signal);
    const qr = s.inputSide + s.recurrentSide * h2 + br.varianceIh + br.varianceHh;
    const qz = s.inputSide + s.recurrentSide * h2 + bz.varianceIh + bz.varianceHh;
    // r⊙(W_hn h + b_hn): the reset gate scales the recurrent part of the candidate.
    const inner = s.recurrentSide * h2 + bn.varianceHh;
    const qn = s.inputSide + bn.varianceIh + shifted(SIGMOID, 'phi2', br.mean, qr) * inner;
    const st = { qr, qz, qn, hPrev2: h2, hPrevMean: hMean, inner };
    const z1 = shifted(SIGMOID, 'phi', bz.mean, qz);
    const z2 = shifted(SIGMOID, 'phi2', bz.mean, qz);
    const n1 = shifted(TANH, 'phi', bn.mean, qn);
    const n2 = shifted(TANH, 'phi2', bn.mean, qn);
    // E[(1−z)²] = 1 − 2E[z] + E[z²]; E[(1−z)z] = E[z] − E[z²].
    h2 = (1 - 2 * z1 + z2) * n2 + z2 * h2 + 2 * (z1 - z2) * n1 * hMean;
    hMean = (1 - z1) * n1 + z1 * hMean;
    m.push(h2);
    steps.push(st);
  }
  const gx = new Array<number>(T).fill(0);
  let g = 1;
  const hiddenMean = hMean;
  for (let t = T - 1; t >= 0; t--) {
    throwIfCancelled(signal);
    const st = steps[t]!;
    const z1 = shifted(SIGMOID, 'phi', bz.mean, st.qz);
    const z2 = shifted(SIGMOID, 'phi2', bz.mean, st.qz);
    const n1 = shifted(TANH, 'phi', bn.mean, st.qn);
    const n2 = shifted(TANH, 'phi2', bn.mean, st.qn);
    const dan = g * (1 - 2 * z1 + z2) * shifted(TANH, 'dphi2', bn.mean, st.qn);
    const daz = g * (st.hPrev2 + n2 - 2 * st.hPrevMean * n1) * shifted(SIGMOID, 'dphi2', bz.mean, st.qz);
    const dar = dan * st.inner * shifted(SIGMOID, 'dphi2', br.mean, st.qr);
    gx[t] = s.inputBackward * (dar + daz + dan);
    g = g * z2 + s.recurrentSide * (shifted(SIGMOID, 'phi2', br.mean, st.qr) * dan + dar + daz);
  }
  return { hiddenSecondMoment: m, hiddenMean, inputGradient: gx };
};
