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

/**
 * Geometries are immutable IR values, read twice per analytic pass (forward and backward) and
 * again by the counterfactual network: their tap lists are made once (issue 16).
 */
const GEOMETRY3 = new WeakMap<ConvGeometry, Geometry3>();

function asThreeDimensions(geometry: ConvGeometry): Geometry3 {
  let known = GEOMETRY3.get(geometry);
  if (!known) {
    known = threeDimensions(geometry);
    GEOMETRY3.set(geometry, known);
  }
  return known;
}

function threeDimensions(geometry: ConvGeometry): Geometry3 {
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
  if (inputMap.length === 1) return broadcastForwardSums(t0, t1, t2, sums, inputMap[0]!);
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++, o++) {
        let sum = 0;
        for (let i = t0.start[a]!, iEnd = t0.start[a + 1]!; i < iEnd; i++) {
          const plane = t0.input[i]! * w1;
          for (let j = t1.start[b]!, jEnd = t1.start[b + 1]!; j < jEnd; j++) {
            const row = (plane + t1.input[j]!) * w2;
            for (let k = t2.start[c]!, kEnd = t2.start[c + 1]!; k < kEnd; k++) sum += inputMap[row + t2.input[k]!]!;
          }
        }
        sums[o] = sum;
      }
    }
  }
  return sums;
}

/** convForwardSums of a map with one entry v: v added once per valid tap, in the same nest. */
function broadcastForwardSums(t0: DimensionTaps, t1: DimensionTaps, t2: DimensionTaps, sums: Float64Array, v: number): Float64Array {
  const [n0, n1, n2] = [t0.start.length - 1, t1.start.length - 1, t2.start.length - 1];
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++, o++) {
        let sum = 0;
        for (let i = t0.start[a]!, iEnd = t0.start[a + 1]!; i < iEnd; i++) {
          for (let j = t1.start[b]!, jEnd = t1.start[b + 1]!; j < jEnd; j++) {
            for (let k = t2.start[c]!, kEnd = t2.start[c + 1]!; k < kEnd; k++) sum += v;
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

export function mean(map: Float64Array): number {
  let total = 0;
  for (const v of map) total += v;
  return map.length > 0 ? total / map.length : NaN;
}
