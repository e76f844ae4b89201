/**
 * The spatial geometry of a Python convolution or pooling layer (ir.ts ConvGeometry), built from
 * the input's spatial size when the code states it, with the output sizes and padding rules of
 * `.netdef` (netdef/shapes.ts convOutputLength: Keras, PyTorch and Flax agree on them) so that a
 * network written either way is simulated identically. Every size must be known and the padding
 * zeros (PyTorch `padding_mode="zeros"`, no dilation): anything else is undefined, and the layer
 * keeps the dense view (docs/python.md).
 */
import type { ConvGeometry } from '../../../ir';
import { convOutputLength } from '../../netdef/shapes';

/** Padding as written: the 'same'/'valid' rules, or zeros before and after per spatial dimension. */
export type SpatialPadding = 'same' | 'valid' | readonly number[];

const known = (values: readonly number[]) => values.every((v) => Number.isInteger(v) && v >= 1);

/**
 * A convolution (or pooling window) over `inputSpatial` positions; undefined when a size is
 * unknown or the output would be empty. 'same' pads max((out−1)·s + k − L, 0) in total, the
 * extra zero after (TensorFlow, JAX and PyTorch agree; netdef/geometry.ts).
 */
export function convSpatialGeometry(
  inputSpatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: SpatialPadding, groups?: number,
): ConvGeometry | undefined {
  const rank = kernel.length;
  if (inputSpatial.length !== rank || stride.length !== rank || !known(inputSpatial) || !known(kernel) || !known(stride)) return undefined;
  if (typeof padding !== 'string' && (padding.length !== rank || !padding.every((p) => Number.isInteger(p) && p >= 0))) return undefined;
  const outputSpatial = inputSpatial.map((length, i) =>
    convOutputLength(length, kernel[i]!, stride[i]!, typeof padding === 'string' ? padding : padding[i]!));
  if (!known(outputSpatial)) return undefined;
  const padBefore = inputSpatial.map((length, i) => {
    if (padding === 'valid') return 0;
    if (padding !== 'same') return padding[i]!;
    return Math.floor(Math.max((outputSpatial[i]! - 1) * stride[i]! + kernel[i]! - length, 0) / 2);
  });
  return { inputSpatial: [...inputSpatial], outputSpatial, kernel: [...kernel], stride: [...stride], padBefore, ...(groups !== undefined ? { groups } : {}) };
}

/**
 * The convolution a transposed one transposes (ir.ts TransposedConv.adjoint): from the layer's
 * output positions back to its input positions. `outputSpatial` is the layer's output size (as
 * the framework computes it); `padBefore` the zeros the transposed conv crops before its first
 * output (PyTorch `padding`; Keras and Flax 'same': half of max((n−1)·s + k − out, 0), 'valid': 0).
 */
export function transposedAdjoint(
  inputSpatial: readonly number[], outputSpatial: readonly number[], kernel: readonly number[], stride: readonly number[],
  padBefore: readonly number[], groups: number,
): ConvGeometry | undefined {
  const rank = kernel.length;
  if ([inputSpatial, outputSpatial, stride, padBefore].some((v) => v.length !== rank)) return undefined;
  if (!known(inputSpatial) || !known(outputSpatial) || !known(kernel) || !known(stride) || !padBefore.every((p) => Number.isInteger(p) && p >= 0)) return undefined;
  return { inputSpatial: [...outputSpatial], outputSpatial: [...inputSpatial], kernel: [...kernel], stride: [...stride], padBefore: [...padBefore], groups };
}

/** Keras/Flax transposed padding before the first output: 'same' centres the crop, 'valid' crops nothing. */
export function transposedPadBefore(inputSpatial: readonly number[], outputSpatial: readonly number[], kernel: readonly number[], stride: readonly number[], padding: string): number[] | undefined {
  if (padding !== 'same' && padding !== 'valid') return undefined;
  return inputSpatial.map((n, i) => (padding === 'valid' ? 0 : Math.floor(Math.max((n - 1) * stride[i]! + kernel[i]! - outputSpatial[i]!, 0) / 2)));
}
