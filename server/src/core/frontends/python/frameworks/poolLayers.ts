/**
 * Pooling layers read as ops with their geometry (ir.ts PoolOp) when the input's spatial size
 * is known, so the Monte-Carlo pass pools where the positions change: PyTorch
 * `MaxPool1d/2d/3d`, `AvgPool1d/2d/3d`, `AdaptiveAvgPool*`/`AdaptiveMaxPool*` (whose windows are
 * fixed when the output size divides the input's, global at output size 1); Keras
 * `MaxPooling*`/`AveragePooling*` and `GlobalAveragePooling*`/`GlobalMaxPooling*` (channels last);
 * Flax's `nn.max_pool`/`nn.avg_pool` (channels last).
 * Anything not constant, `ceil_mode=True`, a dilated max pool or `return_indices=True` leaves
 * the step a plain pass (the shape unknown where it cannot be computed).
 */
import type { PoolOp } from '../../../ir';
import { argument, type CallParts } from '../syntax/syntax';
import { evaluate, evaluateSizes, isNumber, type Scope, type Value } from '../interpreter/values';
import { convSpatialGeometry, type SpatialPadding } from './convGeometry';
import { channelsLast } from './kerasShapeLayers';

type PoolSpec = Omit<PoolOp, 'span'>;

export interface PoolLayer {
  /** The shape after the layer (channels where the framework puts them), when known. */
  readonly reshape: (shape: readonly number[] | undefined) => readonly number[] | undefined;
  /** The op for an input of this shape, when its geometry is known. */
  readonly op: (shape: readonly number[] | undefined) => PoolSpec | undefined;
}

const known = (shape: readonly number[] | undefined): shape is readonly number[] =>
  shape !== undefined && shape.every((d) => Number.isInteger(d) && d >= 1);

/** A constant flag (absent: the default), undefined when not constant. */
function flag(call: CallParts, index: number, name: string, scope: Scope, fallback: boolean): boolean | undefined {
  const node = argument(call, index, name);
  if (!node) return fallback;
  const v = evaluate(node, scope);
  return typeof v === 'boolean' ? v : undefined;
}

/** PyTorch's padding of a pool: an int or tuple of ints ≥ 0 (absent: 0). */
function torchPoolPadding(call: CallParts, index: number, scope: Scope, rank: number): number[] | undefined {
  const node = argument(call, index, 'padding');
  if (!node) return new Array<number>(rank).fill(0);
  const v = evaluate(node, scope);
  const valid = (x: Value | undefined) => isNumber(x) && Number.isInteger(x) && x >= 0;
  if (valid(v)) return new Array<number>(rank).fill(v as number);
  return Array.isArray(v) && v.length === rank && (v as readonly Value[]).every(valid) ? (v as readonly number[]).slice() : undefined;
}

/** Channels-first pooling: the shape is [C, ...spatial]. */
function channelsFirstPool(rank: number, spec: (spatial: readonly number[]) => PoolSpec | undefined): PoolLayer {
  const op = (shape: readonly number[] | undefined) => (known(shape) && shape.length === rank + 1 ? spec(shape.slice(1)) : undefined);
  return {
    op,
    reshape: (shape) => {
      const pool = op(shape);
      return pool && shape ? [shape[0]!, ...pool.geometry.outputSpatial] : undefined;
    },
  };
}

/**
 * PyTorch pooling modules (torch.nn.<name>); undefined for other names. `functional`: the
 * torch.nn.functional form (`F.max_pool2d(x, 2)`), called with `call` lacking the input
 * argument; its max pool takes `ceil_mode` before `return_indices`.
 */
export function torchPool(name: string, call: CallParts, scope: Scope, functional = false): PoolLayer | undefined {
  const plain = /^(Max|Avg)Pool([123])d$/.exec(name);
  if (plain) {
    const rank = Number(plain[2]);
    const max = plain[1] === 'Max';
    const window = evaluateSizes(argument(call, 0, 'kernel_size'), scope, rank, undefined);
    const strideNode = argument(call, 1, 'stride');
    const stride = strideNode && strideNode.type !== 'none' ? evaluateSizes(strideNode, scope, rank, undefined) : window;
    const padding = torchPoolPadding(call, 2, scope, rank);
    const ceil = flag(call, max ? (functional ? 4 : 5) : 3, 'ceil_mode', scope, false);
    const dilation = max ? evaluateSizes(argument(call, 3, 'dilation'), scope, rank, 1) : new Array<number>(rank).fill(1);
    const indices = max ? flag(call, functional ? 5 : 4, 'return_indices', scope, false) : false;
    const countPadding = max ? false : flag(call, 4, 'count_include_pad', scope, true);
    const divisor = max ? undefined : argument(call, 5, 'divisor_override');
    const readable = window && stride && padding && ceil === false && dilation?.every((d) => d === 1) && indices === false
      && countPadding !== undefined && (!divisor || divisor.type === 'none');
    if (!readable) return { op: () => undefined, reshape: () => undefined };
    return channelsFirstPool(rank, (spatial) => {
      const geometry = convSpatialGeometry(spatial, window, stride, padding);
      return geometry ? { op: 'pool', kind: max ? 'max' : 'average', geometry, countPadding, flat: false } : undefined;
    });
  }
  const adaptive = /^Adaptive(Max|Avg)Pool([123])d$/.exec(name);
  if (adaptive) {
    const rank = Number(adaptive[2]);
    const max = adaptive[1] === 'Max';
    const sizeNode = argument(call, 0, 'output_size');
    const size = sizeNode ? evaluate(sizeNode, scope) : undefined;
    const sizes: readonly (number | null)[] | undefined = isNumber(size) ? new Array<number>(rank).fill(size)
      : Array.isArray(size) && size.length === rank && (size as readonly Value[]).every((v) => v === null || isNumber(v)) ? size as readonly (number | null)[] : undefined;
    const indices = max ? flag(call, 1, 'return_indices', scope, false) : false;
    if (!sizes || indices !== false) return { op: () => undefined, reshape: () => undefined };
    return channelsFirstPool(rank, (spatial) => {
      // Windows are fixed only where the output size divides the input's (PyTorch's start/end indices).
      const out = spatial.map((n, i) => sizes[i] ?? n);
      if (!out.every((o, i) => Number.isInteger(o) && o >= 1 && spatial[i]! % o === 0)) return undefined;
      const window = spatial.map((n, i) => n / out[i]!);
      const geometry = convSpatialGeometry(spatial, window, window, 'valid');
      return geometry ? { op: 'pool', kind: max ? 'max' : 'average', geometry, countPadding: false, flat: false } : undefined;
    });
  }
  return undefined;
}

/** torch.nn.functional.max_pool2d etc. as their modules (torchPool); undefined for other names. */
export function torchFunctionalPool(canonical: string, call: CallParts, scope: Scope): PoolLayer | undefined {
  const name = /^torch\.nn\.functional\.(max|avg|adaptive_avg|adaptive_max)_pool([123])d$/.exec(canonical);
  if (!name) return undefined;
  const module = { max: 'MaxPool', avg: 'AvgPool', adaptive_avg: 'AdaptiveAvgPool', adaptive_max: 'AdaptiveMaxPool' }[name[1] as 'max'];
  return torchPool(`${module}${name[2]}d`, { ...call, positional: call.positional.slice(1) }, scope, true);
}

/**
 * Keras pooling layers (keras.layers.<name>) over channels-last shapes: the op for an input of a
 * given shape (the catalog computes the shape after it); undefined for other names.
 */
export function kerasPool(name: string, call: CallParts, scope: Scope): PoolLayer['op'] | undefined {
  const global = /^Global(Average|Max)Pooling([123])D$/.exec(name);
  if (global) {
    const rank = Number(global[2]);
    const last = channelsLast(call, scope);
    const keepdims = flag(call, 1, 'keepdims', scope, false);
    return (shape) => {
      if (!last || keepdims !== false || !known(shape) || shape.length !== rank + 1) return undefined;
      const spatial = shape.slice(0, -1);
      const geometry = convSpatialGeometry(spatial, spatial, spatial, 'valid');
      return geometry ? { op: 'pool', kind: global[1] === 'Max' ? 'max' : 'average', geometry, countPadding: false, flat: true } : undefined;
    };
  }
  const pool = /^(Max|Average)Pooling([123])D$/.exec(name);
  if (!pool) return undefined;
  const rank = Number(pool[2]);
  const size = evaluateSizes(argument(call, 0, 'pool_size'), scope, rank, 2);
  const stridesNode = argument(call, 1, 'strides');
  const strides = stridesNode && stridesNode.type !== 'none' ? evaluateSizes(stridesNode, scope, rank, undefined) : size;
  const paddingNode = argument(call, 2, 'padding');
  const paddingValue = paddingNode ? evaluate(paddingNode, scope) : 'valid';
  const padding: SpatialPadding | undefined = typeof paddingValue === 'string' && ['same', 'valid'].includes(paddingValue.toLowerCase())
    ? paddingValue.toLowerCase() as 'same' | 'valid' : undefined;
  const last = channelsLast(call, scope);
  return (shape) => {
    if (!last || !size || !strides || !padding || !known(shape) || shape.length !== rank + 1) return undefined;
    const geometry = convSpatialGeometry(shape.slice(0, -1), size, strides, padding);
    // Keras averages over the real positions of a 'same' window (TensorFlow's avg_pool).
    return geometry ? { op: 'pool', kind: pool[1] === 'Max' ? 'max' : 'average', geometry, countPadding: false, flat: false } : undefined;
  };
}

/**
 * Flax's functional pools, `flax.linen.max_pool(x, window_shape, strides=None, padding="VALID")`
 * and `avg_pool(..., count_include_pad=True)` (flax/linen/pooling.py), over channels-last shapes;
 * `call` holds the input as its first argument. Strides default to 1 (not the window, as
 * Keras's do); padding 'SAME'/'VALID' or equal (low, high) pairs; an average divides by the
 * whole window unless `count_include_pad=False`. Undefined for other names or a window that is
 * not constant.
 */
export function flaxPool(canonical: string, call: CallParts, scope: Scope): PoolLayer | undefined {
  const name = /^flax\.linen\.(max_pool|avg_pool)$/.exec(canonical);
  if (!name) return undefined;
  const windowNode = argument(call, 1, 'window_shape');
  const window = windowNode ? evaluate(windowNode, scope) : undefined;
  if (!Array.isArray(window) || window.length === 0 || !(window as readonly Value[]).every((v) => isNumber(v) && Number.isInteger(v) && v >= 1)) return undefined;
  const size = (window as readonly number[]).slice();
  const rank = size.length;
  const stridesNode = argument(call, 2, 'strides');
  const strides = stridesNode && stridesNode.type !== 'none' ? evaluateSizes(stridesNode, scope, rank, undefined) : new Array<number>(rank).fill(1);
  const paddingNode = argument(call, 3, 'padding');
  const paddingValue = paddingNode ? evaluate(paddingNode, scope) : 'VALID';
  let padding: SpatialPadding | undefined;
  if (typeof paddingValue === 'string' && ['same', 'valid'].includes(paddingValue.toLowerCase())) padding = paddingValue.toLowerCase() as 'same' | 'valid';
  else if (Array.isArray(paddingValue) && paddingValue.length === rank) {
    const pairs = paddingValue as readonly Value[];
    const symmetric = pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && isNumber((pair as readonly Value[])[0]) && (pair as readonly Value[])[0] === (pair as readonly Value[])[1]);
    padding = symmetric ? pairs.map((pair) => (pair as readonly number[])[0]!) : undefined;
  }
  const countPadding = name[1] === 'avg_pool' ? flag(call, 4, 'count_include_pad', scope, true) : false;
  const op = (shape: readonly number[] | undefined): PoolSpec | undefined => {
    if (!strides || !padding || countPadding === undefined || !known(shape) || shape.length !== rank + 1) return undefined;
    const geometry = convSpatialGeometry(shape.slice(0, -1), size, strides, padding);
    return geometry ? { op: 'pool', kind: name[1] === 'max_pool' ? 'max' : 'average', geometry, countPadding, flat: false } : undefined;
  };
  return {
    op,
    reshape: (shape) => {
      const pool = op(shape);
      return pool && shape ? [...pool.geometry.outputSpatial, shape[shape.length - 1]!] : shape?.map((d, i, all) => (i === all.length - 1 ? d : NaN));
    },
  };
}

/**
 * `jnp.mean(x, axis=(1, 2))` on a channels-last map: Flax code's global average pool (the batch
 * axis 0, channels last), flat like Keras's GlobalAveragePooling2D. Undefined for other calls.
 */
export function flaxGlobalMean(canonical: string, call: CallParts, scope: Scope): PoolLayer | undefined {
  if (canonical !== 'jax.numpy.mean') return undefined;
  const axisNode = argument(call, 1, 'axis');
  const axis = axisNode ? evaluate(axisNode, scope) : undefined;
  if (!Array.isArray(axis) || axis.length === 0 || flag(call, 3, 'keepdims', scope, false) !== false) return undefined;
  const axes = axis as readonly Value[];
  const op = (shape: readonly number[] | undefined): PoolSpec | undefined => {
    // Batch-indexed axes 1 … rank: every spatial axis of [..spatial, C], in order.
    if (!known(shape) || shape.length < 2 || axes.length !== shape.length - 1 || !axes.every((a, i) => a === i + 1)) return undefined;
    const spatial = shape.slice(0, -1);
    const geometry = convSpatialGeometry(spatial, spatial, spatial, 'valid');
    return geometry ? { op: 'pool', kind: 'average', geometry, countPadding: false, flat: true } : undefined;
  };
  return { op, reshape: (shape) => (op(shape) && shape ? [shape[shape.length - 1]!] : undefined) };
}
