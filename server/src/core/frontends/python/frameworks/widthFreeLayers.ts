/**
 * Framework layers whose fan_in, as the framework's init code computes it, is the layer's
 * true fan_in at any width (init-math.md §c): in·∏k for dense layers and convolutions,
 * in/groups·∏k for grouped ones. So a fan_in-scaled initializer on them can be judged without
 * knowing any width (knowledge/assess.ts widthFreeScale). Not here: Keras depthwise kernels
 * (Keras counts in·∏k, the true fan_in is ∏k), separable convs, transposed layouts (their
 * fan_in mode measures the output side), embeddings.
 */
const FAN_IN_IS_TRUE: ReadonlySet<string> = new Set([
  'torch.nn.Linear', 'torch.nn.Conv1d', 'torch.nn.Conv2d', 'torch.nn.Conv3d',
  'keras.layers.Dense', 'keras.layers.Conv1D', 'keras.layers.Conv2D', 'keras.layers.Conv3D',
  'keras.layers.Convolution1D', 'keras.layers.Convolution2D', 'keras.layers.Convolution3D',
  'flax.linen.Dense', 'flax.linen.Conv', 'flax.nnx.Linear', 'flax.nnx.Conv',
]);

/** True when `className` (canonical, frameworks/imports.ts) counts its fan_in as it really is. */
export function frameworkFanInIsTrue(className: string): boolean {
  return FAN_IN_IS_TRUE.has(className);
}
