/**
 * Per-position second moments for convolutions with zero padding. In the
 * infinite-channel limit a conv output at position o sees only its valid taps:
 *   q[o] = Var(W)·(C_in/G)·Σ_{valid taps} m[o·s + k − pad] + σ_b²,
 * and the gradient at input position p collects every (output, tap) pair that read it:
 *   g_in[p] = Var(W)·(C_out/G)·Σ_{(o,k): o·s+k−pad = p} g_pre[o].
 * Border positions see fewer taps, so He init loses ×0.69 over 10 layers of 16×16 maps
 * where a dense view predicts ×1 (shared/oracle/README.md, meanfield.json "padded").
 */
import type { ConvGeometry } from '../ir';

/**
 * One dimension's valid taps: for output index o, the input indices its kernel reads that lie
 * inside the map, in tap order, are `input[start[o]] … input[start[o + 1] − 1]`. A
 * multi-dimensional output's valid taps are the product of its dimensions' lists, so no
 * position is decoded and no tap tested per output (the analytic pass maps every Keras,
 * Flax and PyTorch conv with a known input size: a 3,500-line model file has hundreds).
 */
interface DimensionTaps {
  readonly start: Int32Array;
  readonly input: Int32Array;
}

function dimensionTaps(inputSize: number, outputSize: number, kernel: number, stride: number, padBefore: number): DimensionTaps {
  const start = new Int32Array(outputSize + 1);
  const input: number[] = [];
  for (let o = 0; o < outputSize; o++) {
    start[o] = input.length;
    for (let k = 0; k < kernel; k++) {
      const p = o * stride + k - padBefore;
      if (p >= 0 && p < inputSize) input.push(p);
    }
  }
  start[outputSize] = input.length;
  return { start, input: Int32Array.from(input) };
}

/**
 * A geometry as three dimensions (lower ranks get leading dimensions of size 1 with one tap),
 * so one loop nest serves conv1d to conv3d without decoding positions or calling per tap.
 */
interface Geometry3 {
  readonly taps: readonly [DimensionTaps, DimensionTaps, DimensionTaps];
  readonly output: readonly [number, number, number];
  readonly input: readonly [number, number, number];
}

function asThreeDimensions(geometry: ConvGeometry): Geometry3 {
  const { inputSpatial, outputSpatial, kernel, stride, padBefore } = geometry;
  const rank = outputSpatial.length;
  if (rank > 3) throw new Error(`a convolution has at most three spatial dimensions, not ${rank}`);
  const lead = 3 - rank;
  const dim = (d: number) => (d < lead ? 1 : (outputSpatial[d - lead]!));
  const inDim = (d: number) => (d < lead ? 1 : (inputSpatial[d - lead]!));
  const taps = [0, 1, 2].map((d) =>
    d < lead ? dimensionTaps(1, 1, 1, 1, 0) : dimensionTaps(inDim(d), dim(d), kernel[d - lead]!, stride[d - lead]!, padBefore[d - lead]!),
  ) as [DimensionTaps, DimensionTaps, DimensionTaps];
  return { taps, output: [dim(0), dim(1), dim(2)], input: [inDim(0), inDim(1), inDim(2)] };
}

/**
 * Σ over valid taps of the input map, per output position (the map is broadcast when it has one
 * entry). Outputs in row-major order, each output's taps likewise: the order the definition adds
 * in, so the rounding is the definition's (test/unit/positionMap.test.ts).
 */
export function convForwardSums(geometry: ConvGeometry, inputMap: Float64Array): Float64Array {
  const { taps: [t0, t1, t2], output: [n0, n1, n2], input: [, w1, w2] } = asThreeDimensions(geometry);
  const sums = new Float64Array(n0 * n1 * n2);
  const broadcast = inputMap.length === 1;
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++, o++) {
        let sum = 0;
        for (let i = t0.start[a]!, iEnd = t0.start[a + 1]!; i < iEnd; i++) {
          const plane = t0.input[i]! * w1;
          for (let j = t1.start[b]!, jEnd = t1.start[b + 1]!; j < jEnd; j++) {
            const row = (plane + t1.input[j]!) * w2;
            for (let k = t2.start[c]!, kEnd = t2.start[c + 1]!; k < kEnd; k++) sum += broadcast ? inputMap[0]! : inputMap[row + t2.input[k]!]!;
          }
        }
        sums[o] = sum;
      }
    }
  }
  return sums;
}

/** Σ over the (output, tap) pairs reading each input position of the output-side map (same order). */
export function convBackwardSums(geometry: ConvGeometry, outputMap: Float64Array): Float64Array {
  const { taps: [t0, t1, t2], output: [n0, n1, n2], input: [w0, w1, w2] } = asThreeDimensions(geometry);
  const sums = new Float64Array(w0 * w1 * w2);
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++, o++) {
        const g = outputMap[o]!;
        for (let i = t0.start[a]!, iEnd = t0.start[a + 1]!; i < iEnd; i++) {
          const plane = t0.input[i]! * w1;
          for (let j = t1.start[b]!, jEnd = t1.start[b + 1]!; j < jEnd; j++) {
            const row = (plane + t1.input[j]!) * w2;
            for (let k = t2.start[c]!, kEnd = t2.start[c + 1]!; k < kEnd; k++) {
              const p = row + t2.input[k]!;
              sums[p] = sums[p]! + g;
            }
          }
        }
      }
    }
  }
  return sums;
}

/**
 * What a convolution's per-channel spatial mean is made of, per tap k: A_k, the average over
 * output positions of the input map at the position tap k reads there (0 where it reads padding),
 * and f_k, the fraction of output positions where tap k reads inside the map. Returns Σ_k A_k²
 * (of `inputMap`) and Σ_k f_k². BatchNorm removes each channel's mean over positions, whose
 * square is Var(W)·(C_in/G)·Σ_k A_k² for an input mean map: less than the per-position means'
 * average square Σ_k A_k, because at the borders taps read zeros (×0.92 on 16×16 maps, ×0.72 on
 * 4×4; test/reference/resnet/).
 */
export function convTapAverages(geometry: ConvGeometry, inputMap: Float64Array): { readonly meanSquares: number; readonly fractionSquares: number } {
  const { inputSpatial, outputSpatial, kernel, stride, padBefore } = geometry;
  const rank = outputSpatial.length;
  const lead = 3 - rank;
  const at = (list: readonly number[], d: number, fill: number) => (d < lead ? fill : list[d - lead]!);
  const out = [0, 1, 2].map((d) => at(outputSpatial, d, 1));
  const inn = [0, 1, 2].map((d) => at(inputSpatial, d, 1));
  const ker = [0, 1, 2].map((d) => at(kernel, d, 1));
  const str = [0, 1, 2].map((d) => at(stride, d, 1));
  const pad = [0, 1, 2].map((d) => at(padBefore, d, 0));
  const positions = out[0]! * out[1]! * out[2]!;
  const broadcast = inputMap.length === 1;
  let meanSquares = 0;
  let fractionSquares = 0;
  for (let k0 = 0; k0 < ker[0]!; k0++) {
    for (let k1 = 0; k1 < ker[1]!; k1++) {
      for (let k2 = 0; k2 < ker[2]!; k2++) {
        let sum = 0;
        let valid = 0;
        for (let a = 0; a < out[0]!; a++) {
          const p0 = a * str[0]! + k0 - pad[0]!;
          if (p0 < 0 || p0 >= inn[0]!) continue;
          for (let b = 0; b < out[1]!; b++) {
            const p1 = b * str[1]! + k1 - pad[1]!;
            if (p1 < 0 || p1 >= inn[1]!) continue;
            for (let c = 0; c < out[2]!; c++) {
              const p2 = c * str[2]! + k2 - pad[2]!;
              if (p2 < 0 || p2 >= inn[2]!) continue;
              sum += broadcast ? inputMap[0]! : inputMap[(p0 * inn[1]! + p1) * inn[2]! + p2]!;
              valid++;
            }
          }
        }
        meanSquares += (sum / positions) ** 2;
        fractionSquares += (valid / positions) ** 2;
      }
    }
  }
  return { meanSquares, fractionSquares };
}

export function mean(map: Float64Array): number {
  let total = 0;
  for (const v of map) total += v;
  return map.length > 0 ? total / map.length : NaN;
}
