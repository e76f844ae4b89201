/**
 * TensorFlow 1's functional layers (`tf.layers.dense(x, 128, activation=tf.nn.relu)`,
 * `tf.layers.conv2d(x, 32, 5)`, also under `tf.compat.v1.layers`): each builds the layer
 * its Keras class would (`tf.layers.dense` is `keras.layers.Dense(units, ...)` applied to
 * `inputs`, TF 1.15 `tensorflow/python/layers/core.py`) and returns the output tensor. The
 * arguments after `inputs` are the Keras class's, in its order; so are the defaults:
 * `kernel_initializer=None` is tf.get_variable's glorot_uniform_initializer (TF 1.15
 * `variable_scope.py` `_get_default_initializer`), the bias zeros. The classes
 * (`tf.layers.Dense`) are Keras's by name (frameworks/imports.ts).
 */
import type { CallParts, Node } from '../syntax/syntax';

/** Canonical functional names (tf.layers.* canonicalises to keras.layers.*) → the Keras class they build. */
const FUNCTIONS: Readonly<Record<string, string>> = {
  'keras.layers.dense': 'keras.layers.Dense',
  'keras.layers.conv1d': 'keras.layers.Conv1D',
  'keras.layers.conv2d': 'keras.layers.Conv2D',
  'keras.layers.conv3d': 'keras.layers.Conv3D',
  'keras.layers.conv2d_transpose': 'keras.layers.Conv2DTranspose',
  'keras.layers.conv3d_transpose': 'keras.layers.Conv3DTranspose',
  'keras.layers.max_pooling1d': 'keras.layers.MaxPooling1D',
  'keras.layers.max_pooling2d': 'keras.layers.MaxPooling2D',
  'keras.layers.max_pooling3d': 'keras.layers.MaxPooling3D',
  'keras.layers.average_pooling1d': 'keras.layers.AveragePooling1D',
  'keras.layers.average_pooling2d': 'keras.layers.AveragePooling2D',
  'keras.layers.average_pooling3d': 'keras.layers.AveragePooling3D',
  'keras.layers.dropout': 'keras.layers.Dropout',
  'keras.layers.batch_normalization': 'keras.layers.BatchNormalization',
  // `flatten(inputs, name=None, data_format=...)`: no argument of Flatten's is positional here.
  'keras.layers.flatten': 'keras.layers.Flatten',
  'tensorflow.contrib.layers.flatten': 'keras.layers.Flatten',
};

/** Positional arguments after `inputs` that are the Keras class's too (flatten's second is `name`). */
const NO_POSITIONAL: ReadonlySet<string> = new Set(['keras.layers.Flatten']);

/** Keywords of the functional form that are not the Keras constructor's. */
const CALL_KEYWORDS: ReadonlySet<string> = new Set(['inputs', 'training', 'reuse', 'name']);

export interface Tf1LayerCall {
  /** The Keras class the call builds. */
  readonly className: string;
  /** The `inputs` argument (first positional, or `inputs=`). */
  readonly input: Node | undefined;
  /** The call as the Keras constructor reads it: `inputs` and call-time keywords dropped. */
  readonly layer: CallParts;
}

/** `tf.layers.dense(x, 128, ...)` read as `keras.layers.Dense(128, ...)` applied to `x`; undefined for any other call. */
export function tf1LayerCall(canonical: string, call: CallParts): Tf1LayerCall | undefined {
  const className = FUNCTIONS[canonical];
  if (className === undefined) return undefined;
  const input = call.keywords.get('inputs')?.value ?? call.positional[0];
  const positional = call.keywords.has('inputs') ? call.positional : call.positional.slice(1);
  const keywords = new Map([...call.keywords].filter(([key]) => !CALL_KEYWORDS.has(key)));
  return { className, input, layer: { ...call, positional: NO_POSITIONAL.has(className) ? [] : positional, keywords } };
}

/** A functional form that builds a weight layer (dense, convolutions). */
export function isTf1WeightLayer(canonical: string): boolean {
  return /^keras\.layers\.(dense|conv[123]d(_transpose)?)$/.test(canonical);
}
