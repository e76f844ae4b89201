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

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Calls visit(outputIndex, inputIndex) for every valid (output position, kernel tap) pair. */
function forEachValidTap(geometry: ConvGeometry, visit: (out: number, input: number) => void): void {
  const { inputSpatial, outputSpatial, kernel, stride, padBefore } = geometry;
  const rank = outputSpatial.length;
  const outCount = size(outputSpatial);
  const tapCount = size(kernel);
  const outIdx = new Array<number>(rank).fill(0);
  const tapIdx = new Array<number>(rank).fill(0);
  for (let o = 0; o < outCount; o++) {
    // Decode o into a multi-index (row-major, last dimension fastest).
    let rest = o;
    for (let d = rank - 1; d >= 0; d--) {
      outIdx[d] = rest % outputSpatial[d]!;
      rest = Math.floor(rest / outputSpatial[d]!);
    }
    for (let t = 0; t < tapCount; t++) {
      let r = t;
      for (let d = rank - 1; d >= 0; d--) {
        tapIdx[d] = r % kernel[d]!;
        r = Math.floor(r / kernel[d]!);
      }
      let input = 0;
      let valid = true;
      for (let d = 0; d < rank; d++) {
        const p = outIdx[d]! * stride[d]! + tapIdx[d]! - padBefore[d]!;
        if (p < 0 || p >= inputSpatial[d]!) {
          valid = false;
          break;
        }
        input = input * inputSpatial[d]! + p;
      }
      if (valid) visit(o, input);
    }
  }
}

/** Σ over valid taps of the input map, per output position (the map is broadcast when it has one entry). */
export function convForwardSums(geometry: ConvGeometry, inputMap: Float64Array): Float64Array {
  const sums = new Float64Array(size(geometry.outputSpatial));
  const broadcast = inputMap.length === 1;
  forEachValidTap(geometry, (o, p) => {
    sums[o] = sums[o]! + (broadcast ? inputMap[0]! : inputMap[p]!);
  });
  return sums;
}

/** Σ over the (output, tap) pairs reading each input position of the output-side map. */
export function convBackwardSums(geometry: ConvGeometry, outputMap: Float64Array): Float64Array {
  const sums = new Float64Array(size(geometry.inputSpatial));
  forEachValidTap(geometry, (o, p) => {
    sums[p] = sums[p]! + outputMap[o]!;
  });
  return sums;
}

export function mean(map: Float64Array): number {
  let total = 0;
  for (const v of map) total += v;
  return map.length > 0 ? total / map.length : NaN;
}
