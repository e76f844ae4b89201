/**
 * The Monte-Carlo pass of one recurrent layer (issue 15): the cell drawn at its real width with
 * its real initializers (the same recurrent kernel at every step: what mean field cannot follow,
 * simulation/recurrent.ts), run over the sequence and back, measured as
 * test/reference/recurrent/recurrent_oracle.py measures PyTorch: h_0 = 0, the incoming batch is
 * the last step's input and the earlier steps' inputs are drawn N(0, E[x²]) (the analytic pass's
 * stationary input), the gradient arriving at h_T is back-propagated through every step, and
 * E[h_t²], E[(dL/dx_t)²] are recorded per step. Float32 products, float64 statistics. PyTorch's
 * cell equations (torch/nn/modules/rnn.py; Keras 3's LSTM and GRU with reset_after=True are the
 * same): LSTM gates i, f, g, o; GRU r, z, n with n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).
 */
import type { Fans, WeightLayer } from '../ir';
import { gateCount } from '../knowledge/recurrent';
import type { Gemm } from './matmul';
import { transpose } from './matmul';
import type { Random } from './prng';
import { drawKernel } from './sampling';

export class RecurrentNotSimulable extends Error {}

export interface RecurrentRun {
  /** h_T, batch × hidden. */
  readonly output: Float32Array;
  /** E[h_t²], t = 1..T. */
  readonly hiddenSecondMoment: number[];
  /** Back-propagates the gradient at h_T; returns dL/dx_T and E[(dL/dx_t)²] per step. */
  backward(gradient: Float32Array): { readonly inputGradient: Float32Array; readonly inputGradientSecondMoment: number[] };
}

function meanSquare(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return x.length > 0 ? s / x.length : NaN;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/**
 * A (gates·hidden) × cols kernel: one matrix when the framework draws them stacked, one block per
 * gate when its fans are a single gate's (Flax, per-gate idioms).
 */
function drawStacked(layer: WeightLayer, semantics: Parameters<typeof drawKernel>[0], fans: Fans, gates: number, hidden: number, cols: number, rng: Random, checkpoint: () => void): Float32Array {
  if (fans.fanOut === gates * hidden || gates === 1) return drawKernel(semantics, fans, { rows: gates * hidden, cols }, rng, checkpoint);
  if (fans.fanOut !== hidden) throw new RecurrentNotSimulable(`unexpected kernel fans in ${layer.kind}`);
  const out = new Float32Array(gates * hidden * cols);
  for (let g = 0; g < gates; g++) out.set(drawKernel(semantics, fans, { rows: hidden, cols }, rng, checkpoint), g * hidden * cols);
  return out;
}

export function runRecurrent(layer: WeightLayer, x: Float32Array, batch: number, rng: Random, gemm: Gemm, checkpoint: () => void): RecurrentRun {
  const spec = layer.recurrent;
  if (!spec || spec.stacked || spec.bidirectional || !layer.fans || !layer.frameworkFans || !layer.init.semantics || !spec.gateBiases || spec.nonlinearity === 'unknown') {
    throw new RecurrentNotSimulable('recurrent layer not fully known');
  }
  const h = spec.hidden;
  const d = layer.fans.fanIn;
  const G = gateCount(spec.cell);
  const T = spec.steps.value;
  if (x.length !== batch * d) throw new RecurrentNotSimulable('input width');
  const wIh = drawStacked(layer, layer.init.semantics, layer.frameworkFans, G, h, d, rng, checkpoint);
  let wHh: Float32Array;
  const kernel = spec.recurrentInit;
  if (kernel.kind === 'identity') {
    wHh = new Float32Array(G * h * h);
    for (let g = 0; g < G; g++) for (let i = 0; i < h; i++) wHh[g * h * h + i * h + i] = kernel.gain;
  } else {
    if (!kernel.init.semantics) throw new RecurrentNotSimulable('recurrent kernel unknown');
    wHh = drawStacked(layer, kernel.init.semantics, spec.recurrentFrameworkFans, G, h, h, rng, checkpoint);
  }
  const bIh = new Float32Array(G * h);
  const bHh = new Float32Array(G * h);
  spec.gateBiases.forEach((bias, g) => {
    for (let i = 0; i < h; i++) {
      bIh[g * h + i] = bias.mean + Math.sqrt(bias.varianceIh) * rng.normal();
      bHh[g * h + i] = Math.sqrt(bias.varianceHh) * rng.normal();
    }
  });
  const wIhT = transpose(wIh, G * h, d);
  const wHhT = transpose(wHh, G * h, h);
  // Earlier steps' inputs: N(0, E[x²]), the stationary input the analytic pass assumes.
  const inputStd = Math.sqrt(meanSquare(x));
  const inputs: Float32Array[] = [];
  for (let t = 0; t < T - 1; t++) {
    const xt = new Float32Array(batch * d);
    rng.fillNormal(xt, 0, inputStd);
    inputs.push(xt);
  }
  inputs.push(x);

  const width = G * h;
  const affine = (input: Float32Array, cols: number, weightsT: Float32Array, bias: Float32Array) => {
    const out = new Float32Array(batch * width);
    gemm(batch, width, cols, input, weightsT, out, checkpoint);
    for (let b = 0; b < batch; b++) for (let j = 0; j < width; j++) out[b * width + j]! += bias[j]!;
    return out;
  };
  const hidden: Float32Array[] = [new Float32Array(batch * h)];
  const cells: Float32Array[] = [new Float32Array(batch * h)];
  const gates: Float32Array[] = [];
  const recurrentParts: Float32Array[] = [];
  const hiddenSecondMoment: number[] = [];
  const relu = spec.cell === 'rnn' && spec.nonlinearity.name === 'relu';
  for (let t = 0; t < T; t++) {
    checkpoint();
    const gi = affine(inputs[t]!, d, wIhT, bIh);
    const gh = affine(hidden[t]!, h, wHhT, bHh);
    const next = new Float32Array(batch * h);
    const act = new Float32Array(batch * width);
    if (spec.cell === 'rnn') {
      for (let i = 0; i < next.length; i++) {
        const a = gi[i]! + gh[i]!;
        next[i] = relu ? Math.max(0, a) : Math.tanh(a);
      }
    } else if (spec.cell === 'lstm') {
      const c = new Float32Array(batch * h);
      const cPrev = cells[t]!;
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < h; j++) {
          const o = b * width;
          const ig = sigmoid(gi[o + j]! + gh[o + j]!);
          const fg = sigmoid(gi[o + h + j]! + gh[o + h + j]!);
          const gg = Math.tanh(gi[o + 2 * h + j]! + gh[o + 2 * h + j]!);
          const og = sigmoid(gi[o + 3 * h + j]! + gh[o + 3 * h + j]!);
          act[o + j] = ig; act[o + h + j] = fg; act[o + 2 * h + j] = gg; act[o + 3 * h + j] = og;
          const ci = fg * cPrev[b * h + j]! + ig * gg;
          c[b * h + j] = ci;
          next[b * h + j] = og * Math.tanh(ci);
        }
      }
      cells.push(c);
    } else {
      const hPrev = hidden[t]!;
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < h; j++) {
          const o = b * width;
          const r = sigmoid(gi[o + j]! + gh[o + j]!);
          const z = sigmoid(gi[o + h + j]! + gh[o + h + j]!);
          const n = Math.tanh(gi[o + 2 * h + j]! + r * gh[o + 2 * h + j]!);
          act[o + j] = r; act[o + h + j] = z; act[o + 2 * h + j] = n;
          next[b * h + j] = (1 - z) * n + z * hPrev[b * h + j]!;
        }
      }
      recurrentParts.push(gh);
    }
    gates.push(act);
    hidden.push(next);
    hiddenSecondMoment.push(meanSquare(next));
  }

  return {
    output: hidden[T]!,
    hiddenSecondMoment,
    backward(gradient) {
      const inputGradientSecondMoment = new Array<number>(T).fill(NaN);
      let dh = gradient;
      let dc = new Float32Array(batch * h);
      let inputGradient = new Float32Array(batch * d);
      for (let t = T - 1; t >= 0; t--) {
        checkpoint();
        const da = new Float32Array(batch * width);
        const daHh = spec.cell === 'gru' ? new Float32Array(batch * width) : da;
        const direct = new Float32Array(batch * h);
        const hT = hidden[t + 1]!;
        if (spec.cell === 'rnn') {
          for (let i = 0; i < da.length; i++) da[i] = dh[i]! * (relu ? (hT[i]! > 0 ? 1 : 0) : 1 - hT[i]! * hT[i]!);
        } else if (spec.cell === 'lstm') {
          const act = gates[t]!;
          const c = cells[t + 1]!;
          const cPrev = cells[t]!;
          const dcPrev = new Float32Array(batch * h);
          for (let b = 0; b < batch; b++) {
            for (let j = 0; j < h; j++) {
              const o = b * width;
              const k = b * h + j;
              const ig = act[o + j]!, fg = act[o + h + j]!, gg = act[o + 2 * h + j]!, og = act[o + 3 * h + j]!;
              const tc = Math.tanh(c[k]!);
              const dcTotal = dc[k]! + dh[k]! * og * (1 - tc * tc);
              da[o + j] = dcTotal * gg * ig * (1 - ig);
              da[o + h + j] = dcTotal * cPrev[k]! * fg * (1 - fg);
              da[o + 2 * h + j] = dcTotal * ig * (1 - gg * gg);
              da[o + 3 * h + j] = dh[k]! * tc * og * (1 - og);
              dcPrev[k] = dcTotal * fg;
            }
          }
          dc = dcPrev;
        } else {
          const act = gates[t]!;
          const gh = recurrentParts[t]!;
          const hPrev = hidden[t]!;
          for (let b = 0; b < batch; b++) {
            for (let j = 0; j < h; j++) {
              const o = b * width;
              const k = b * h + j;
              const r = act[o + j]!, z = act[o + h + j]!, n = act[o + 2 * h + j]!;
              const dan = dh[k]! * (1 - z) * (1 - n * n);
              const daz = dh[k]! * (hPrev[k]! - n) * z * (1 - z);
              const dar = dan * gh[o + 2 * h + j]! * r * (1 - r);
              da[o + j] = dar; da[o + h + j] = daz; da[o + 2 * h + j] = dan;
              daHh[o + j] = dar; daHh[o + h + j] = daz; daHh[o + 2 * h + j] = dan * r;
              direct[k] = dh[k]! * z;
            }
          }
        }
        const dx = new Float32Array(batch * d);
        gemm(batch, d, width, da, wIh, dx, checkpoint);
        inputGradientSecondMoment[t] = meanSquare(dx);
        if (t === T - 1) inputGradient = dx;
        const dhPrev = new Float32Array(batch * h);
        gemm(batch, h, width, daHh, wHh, dhPrev, checkpoint);
        if (spec.cell === 'gru') for (let i = 0; i < dhPrev.length; i++) dhPrev[i]! += direct[i]!;
        dh = dhPrev;
      }
      return { inputGradient, inputGradientSecondMoment };
    },
  };
}
