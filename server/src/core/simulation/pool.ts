/**
 * Max and average pooling for the Monte-Carlo pass (ir.ts PoolOp), 1-d to 3-d, per channel,
 * as the frameworks pool: a max never picks a padded position (PyTorch pads with −∞, Keras
 * 'same' ignores the padding); an average divides by the window (PyTorch's
 * count_include_pad=True default: padded zeros count) or by the real positions in it (Keras
 * 'same'). Backward: a max routes each output's gradient to the position it picked (the first
 * of equal values, as PyTorch does), an average spreads it evenly over what it divided by.
 * Layouts as conv.ts: activations [C, D, H, W] per sample.
 */
import type { PoolOp } from '../ir';
import { convPlan, gatherIndex } from './conv';

export interface PoolRun {
  readonly output: Float32Array;
  readonly backward: (gradient: Float32Array) => Float32Array;
}

/** The op over `batch` samples of `channels` channels each; `checkpoint` is called per sample. */
export function poolForward(op: PoolOp, x: Float32Array, batch: number, channels: number, checkpoint: () => void): PoolRun {
  // One channel's taps: rows = window offsets, columns = output positions, values = input position or −1.
  const plan = convPlan(1, 1, 1, op.geometry);
  const index = gatherIndex(plan);
  const taps = plan.kernel[0] * plan.kernel[1] * plan.kernel[2];
  const outPer = plan.outSize[0] * plan.outSize[1] * plan.outSize[2];
  const inPer = plan.inSize[0] * plan.inSize[1] * plan.inSize[2];
  const planes = batch * channels;
  const output = new Float32Array(planes * outPer);
  // Max: the input position each output picked; average: each output's divisor.
  const picked = op.kind === 'max' ? new Int32Array(planes * outPer) : undefined;
  const divisor = new Float64Array(outPer);
  for (let o = 0; o < outPer; o++) {
    let real = 0;
    for (let t = 0; t < taps; t++) if (index[t * outPer + o]! >= 0) real++;
    divisor[o] = op.countPadding ? taps : real;
  }
  for (let plane = 0; plane < planes; plane++) {
    if (plane % channels === 0) checkpoint();
    const inBase = plane * inPer;
    const outBase = plane * outPer;
    for (let o = 0; o < outPer; o++) {
      if (picked) {
        let best = -Infinity;
        let at = -1;
        for (let t = 0; t < taps; t++) {
          const p = index[t * outPer + o]!;
          if (p >= 0 && x[inBase + p]! > best) {
            best = x[inBase + p]!;
            at = p;
          }
        }
        output[outBase + o] = at >= 0 ? best : 0;
        picked[outBase + o] = at;
      } else {
        let sum = 0;
        for (let t = 0; t < taps; t++) {
          const p = index[t * outPer + o]!;
          if (p >= 0) sum += x[inBase + p]!;
        }
        output[outBase + o] = divisor[o]! > 0 ? sum / divisor[o]! : 0;
      }
    }
  }
  const backward = (g: Float32Array): Float32Array => {
    const gx = new Float32Array(planes * inPer);
    for (let plane = 0; plane < planes; plane++) {
      if (plane % channels === 0) checkpoint();
      const inBase = plane * inPer;
      const outBase = plane * outPer;
      for (let o = 0; o < outPer; o++) {
        const v = g[outBase + o]!;
        if (picked) {
          const p = picked[outBase + o]!;
          if (p >= 0) gx[inBase + p] = gx[inBase + p]! + v;
          continue;
        }
        if (!(divisor[o]! > 0)) continue;
        const share = v / divisor[o]!;
        for (let t = 0; t < taps; t++) {
          const p = index[t * outPer + o]!;
          if (p >= 0) gx[inBase + p] = gx[inBase + p]! + share;
        }
      }
    }
    return gx;
  };
  return { output, backward };
}
