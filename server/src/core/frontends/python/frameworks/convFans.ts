/**
 * Fans of the convolutions whose framework fans are not the layer's true ones, from the
 * kernel layouts in /work/shared/reference/init-math.md §(c) (mirrored in
 * docs/python.md): Keras DepthwiseConv and the transposed convolutions of PyTorch, Keras
 * and Flax. Pure numbers, so the worked examples of init-math.md are unit-tested here.
 */
import type { Fans, TransposedConv } from '../../../ir';

export interface ConvFans {
  /** The layer's true fans (ir.ts WeightLayer.fans). */
  readonly fans: Fans;
  /** What the framework's init code computes on its kernel layout. */
  readonly frameworkFans: Fans;
  readonly receptiveField: number;
  readonly strideProduct: number;
  readonly transposed?: TransposedConv;
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/**
 * Keras DepthwiseConv, kernel (*k, in, depth_multiplier): Keras computes fan_in = ∏k·in,
 * `in` times too large (true ∏k: each output sums one channel's ∏k taps; keras#11773,
 * PR keras#11996), and fan_out = ∏k·depth_multiplier, which is right.
 */
export function kerasDepthwiseFans(inChannels: number, depthMultiplier: number, kernel: readonly number[], strides: readonly number[]): ConvFans {
  const k = product(kernel);
  return {
    fans: { fanIn: k, fanOut: k * depthMultiplier },
    frameworkFans: { fanIn: k * inChannels, fanOut: k * depthMultiplier },
    receptiveField: k,
    strideProduct: product(strides),
  };
}

/**
 * The true fans of a transposed convolution, counted as a convolution's (channels per group
 * × ∏k, no stride factor); the stride enters the forward pass as `upsampling`: each output
 * sums in·∏(k/s) terms on average, exactly when s divides k.
 */
function transposedTrueFans(inPerGroup: number, outPerGroup: number, k: number): Fans {
  return { fanIn: inPerGroup * k, fanOut: outPerGroup * k };
}

/**
 * PyTorch ConvTransposeNd, weight (in, out/groups, *k): its fan_in is (out/groups)·∏k and its
 * fan_out in·∏k, swapped relative to the forward pass. E.g. ConvTranspose2d(128, 64, 4,
 * stride=2): PyTorch's fan_in 64·16 = 1024, each output sums 128·2·2 = 512 terms.
 */
export function torchTransposedFans(inChannels: number, outChannels: number, kernel: readonly number[], stride: readonly number[], groups: number): ConvFans | undefined {
  if (inChannels % groups !== 0 || outChannels % groups !== 0) return undefined;
  const k = product(kernel);
  return {
    fans: transposedTrueFans(inChannels / groups, outChannels / groups, k),
    frameworkFans: { fanIn: (outChannels / groups) * k, fanOut: inChannels * k },
    receptiveField: k,
    strideProduct: 1,
    transposed: { upsampling: product(stride), layoutSwapped: true },
  };
}

/** Keras Conv*Transpose, kernel (*k, filters, in): fan_in = ∏k·filters, fan_out = ∏k·in (swapped). */
export function kerasTransposedFans(inChannels: number, filters: number, kernel: readonly number[], strides: readonly number[]): ConvFans {
  const k = product(kernel);
  return {
    fans: transposedTrueFans(inChannels, filters, k),
    frameworkFans: { fanIn: k * filters, fanOut: k * inChannels },
    receptiveField: k,
    strideProduct: 1,
    transposed: { upsampling: product(strides), layoutSwapped: true },
  };
}

/**
 * Flax ConvTranspose (linen and nnx): the kernel is (*k, in, features) like Conv's, so
 * variance_scaling's fan_in = ∏k·in is the forward one; with `transpose_kernel=True` it is
 * (*k, features, in) and the fans swap.
 */
export function flaxTransposedFans(inChannels: number, features: number, kernel: readonly number[], strides: readonly number[], transposeKernel: boolean): ConvFans {
  const k = product(kernel);
  const layout = transposeKernel ? { fanIn: k * features, fanOut: k * inChannels } : { fanIn: k * inChannels, fanOut: k * features };
  return {
    fans: transposedTrueFans(inChannels, features, k),
    frameworkFans: layout,
    receptiveField: k,
    strideProduct: 1,
    transposed: { upsampling: product(strides), layoutSwapped: transposeKernel },
  };
}

/**
 * Output length of a Keras or Flax transposed convolution along one axis (Keras
 * `deconv_output_length`; JAX `conv_transpose` pads the same way): 'same' → n·s, 'valid' →
 * n·s + max(k − s, 0) (= (n−1)·s + k when k ≥ s); with Keras' output_padding,
 * (n−1)·s + k − 2·pad + output_padding. NaN when the padding is anything else.
 */
export function transposedLength(n: number, k: number, s: number, padding: string, outputPadding?: number): number {
  if (!Number.isFinite(n)) return NaN;
  if (padding !== 'same' && padding !== 'valid') return NaN;
  if (outputPadding !== undefined) {
    const pad = padding === 'same' ? Math.floor(k / 2) : 0;
    return (n - 1) * s + k - 2 * pad + outputPadding;
  }
  return padding === 'same' ? n * s : n * s + Math.max(k - s, 0);
}
