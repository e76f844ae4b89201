/**
 * Convolutions for the Monte-Carlo simulation, 1-d to 3-d, with stride, zero padding and
 * groups, by im2col: each sample's receptive fields are laid out as a (C_in/G·∏k) × P
 * matrix (P output positions) so the work is one matrix product per sample and group
 * (matmul.ts, wasmGemm.ts). Positions that fall into the padding read zeros, which is exactly what
 * the dense view of the analytic pass cannot see (shared/oracle/README.md).
 * Layouts are PyTorch's: activations [C, D, H, W] per sample, weights [C_out, C_in/G, k…].
 */
import type { Gemm } from './matmul';

/** A convolution's shape, with 1-d and 2-d ones padded to 3-d by unit dimensions. */
export interface ConvPlan {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly inSize: readonly [number, number, number];
  readonly outSize: readonly [number, number, number];
  readonly kernel: readonly [number, number, number];
  readonly stride: readonly [number, number, number];
  readonly padBefore: readonly [number, number, number];
}

export function convPlan(
  inChannels: number, outChannels: number, groups: number,
  geometry: { inputSpatial: readonly number[]; outputSpatial: readonly number[]; kernel: readonly number[]; stride: readonly number[]; padBefore: readonly number[] },
): ConvPlan {
  const to3 = (values: readonly number[], fill: number): [number, number, number] => {
    const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
    return [padded[0]!, padded[1]!, padded[2]!];
  };
  return {
    inChannels, outChannels, groups,
    inSize: to3(geometry.inputSpatial, 1), outSize: to3(geometry.outputSpatial, 1),
    kernel: to3(geometry.kernel, 1), stride: to3(geometry.stride, 1), padBefore: to3(geometry.padBefore, 0),
  };
}

const positions = (size: readonly [number, number, number]) => size[0] * size[1] * size[2];

/**
 * For every (channel-in-group, kernel offset) row and output position column, the input
 * index it reads (−1 in the padding). Computed once per layer; shared by im2col and col2im.
 */
export function gatherIndex(plan: ConvPlan): Int32Array {
  const cinG = plan.inChannels / plan.groups;
  const [kd, kh, kw] = plan.kernel;
  const [od, oh, ow] = plan.outSize;
  const [id, ih, iw] = plan.inSize;
  const [sd, sh, sw] = plan.stride;
  const [pd, ph, pw] = plan.padBefore;
  const p = od * oh * ow;
  const rows = cinG * kd * kh * kw;
  const index = new Int32Array(rows * p);
  let row = 0;
  for (let c = 0; c < cinG; c++) {
    for (let a = 0; a < kd; a++) for (let b = 0; b < kh; b++) for (let e = 0; e < kw; e++, row++) {
      let col = 0;
      for (let z = 0; z < od; z++) {
        const zi = z * sd - pd + a;
        for (let y = 0; y < oh; y++) {
          const yi = y * sh - ph + b;
          for (let x = 0; x < ow; x++, col++) {
            const xi = x * sw - pw + e;
            const inside = zi >= 0 && zi < id && yi >= 0 && yi < ih && xi >= 0 && xi < iw;
            index[row * p + col] = inside ? ((c * id + zi) * ih + yi) * iw + xi : -1;
          }
        }
      }
    }
  }
  return index;
}

/** Weights of each group transposed to (C_in/G·∏k) × (C_out/G), for the backward product. */
export function transposeGroups(plan: ConvPlan, weights: Float32Array): Float32Array {
  const coutG = plan.outChannels / plan.groups;
  const kc = (plan.inChannels / plan.groups) * positions(plan.kernel);
  const out = new Float32Array(weights.length);
  for (let g = 0; g < plan.groups; g++) {
    const base = g * coutG * kc;
    for (let o = 0; o < coutG; o++) for (let r = 0; r < kc; r++) out[base + r * coutG + o] = weights[base + o * kc + r]!;
  }
  return out;
}

export interface ConvWorkspace {
  readonly index: Int32Array;
  readonly cols: Float32Array;
}

export function convWorkspace(plan: ConvPlan): ConvWorkspace {
  const index = gatherIndex(plan);
  return { index, cols: new Float32Array(index.length) };
}

/** Per-sample and per-group sizes both directions index by. */
function strides(plan: ConvPlan): { inPer: number; p: number; outPer: number; cinGSize: number; coutG: number; kc: number } {
  const p = positions(plan.outSize);
  return {
    inPer: plan.inChannels * positions(plan.inSize),
    p,
    outPer: plan.outChannels * p,
    cinGSize: (plan.inChannels / plan.groups) * positions(plan.inSize),
    coutG: plan.outChannels / plan.groups,
    kc: (plan.inChannels / plan.groups) * positions(plan.kernel),
  };
}

/** out[b] = W ⊛ x[b] for every sample (no bias). */
export function convForward(
  plan: ConvPlan, work: ConvWorkspace, weights: Float32Array, x: Float32Array, out: Float32Array, batch: number,
  gemm: Gemm, checkpoint: () => void,
): void {
  const { inPer, p, outPer, cinGSize, coutG, kc } = strides(plan);
  const { index, cols } = work;
  for (let s = 0; s < batch; s++) {
    for (let g = 0; g < plan.groups; g++) {
      checkpoint();
      const xBase = s * inPer + g * cinGSize;
      for (let i = 0; i < index.length; i++) {
        const at = index[i]!;
        cols[i] = at < 0 ? 0 : x[xBase + at]!;
      }
      gemm(coutG, p, kc, weights.subarray(g * coutG * kc, (g + 1) * coutG * kc), cols,
        out.subarray(s * outPer + g * coutG * p, s * outPer + (g + 1) * coutG * p), checkpoint);
    }
  }
}

/** gx[b] = Wᵀ ⊛ g[b]: the gradient at the input (padding positions receive nothing). */
export function convBackward(
  plan: ConvPlan, work: ConvWorkspace, weightsT: Float32Array, g: Float32Array, gx: Float32Array, batch: number,
  gemm: Gemm, checkpoint: () => void,
): void {
  const { inPer, p, outPer, cinGSize, coutG, kc } = strides(plan);
  const { index, cols } = work;
  gx.fill(0);
  for (let s = 0; s < batch; s++) {
    for (let gr = 0; gr < plan.groups; gr++) {
      checkpoint();
      gemm(kc, p, coutG, weightsT.subarray(gr * coutG * kc, (gr + 1) * coutG * kc),
        g.subarray(s * outPer + gr * coutG * p, s * outPer + (gr + 1) * coutG * p), cols, checkpoint);
      const xBase = s * inPer + gr * cinGSize;
      for (let i = 0; i < index.length; i++) {
        const at = index[i]!;
        if (at >= 0) gx[xBase + at] = gx[xBase + at]! + cols[i]!;
      }
    }
  }
}
