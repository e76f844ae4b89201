/**
 * Keras layers that carry no weights and leave the channel count alone — preprocessing
 * (Rescaling, Normalization, the random augmentations), padding, cropping, upsampling,
 * resizing — read as the shape they hand the next layer. Without it the conv after
 * `Rescaling(1/255)` or `ZeroPadding2D` would have unknown fans and be silently skipped.
 * Shapes are channels-last without the batch axis, NaN for an unknown size; a layout
 * other than channels-last, or a shape of the wrong rank, gives an unknown shape.
 */
import { type CallParts, argument } from '../syntax/syntax';
import { evaluate, evaluateCount, evaluateSizes, isNumber, type Scope, type Value } from '../interpreter/values';

type Shape = readonly number[] | undefined;
export type Reshape = (shape: Shape) => Shape;

/** Value-preserving layers (a scale and shift, or an augmentation that is the identity at inference). */
const SAME_SHAPE: ReadonlySet<string> = new Set([
  'Rescaling', 'Normalization', 'Identity',
  'RandomFlip', 'RandomRotation', 'RandomTranslation', 'RandomZoom', 'RandomContrast', 'RandomBrightness',
]);

/** Channels-last (the default) is the only layout whose shapes the interpreter follows. */
export function channelsLast(call: CallParts, scope: Scope): boolean {
  const node = call.keywords.get('data_format')?.value;
  if (!node || node.type === 'none') return true;
  return evaluate(node, scope) === 'channels_last';
}

/**
 * The shape function of a Keras shape-only layer named `name` (`ZeroPadding2D`), or
 * undefined when `name` is not one.
 */
export function kerasReshape(name: string, call: CallParts, scope: Scope): Reshape | undefined {
  if (SAME_SHAPE.has(name)) return (s) => s;
  const layout = channelsLast(call, scope);
  const padding = /^(ZeroPadding|Cropping)([123])D$/.exec(name);
  if (padding) {
    const rank = Number(padding[2]);
    const grow = padding[1] === 'ZeroPadding' ? 1 : -1;
    // Keras' defaults: ZeroPadding 1 on every side; Cropping1D (1, 1), Cropping2D none, Cropping3D 1 on every side.
    const fallback = grow > 0 || rank !== 2 ? 1 : 0;
    const node = argument(call, 0, grow > 0 ? 'padding' : 'cropping');
    const sides = node ? sidesOf(evaluate(node, scope), rank) : sidesOf(fallback, rank);
    return spatial(rank, layout, (n, i) => {
      if (!sides) return NaN;
      const out = n + grow * (sides[i]![0] + sides[i]![1]);
      return out >= 1 ? out : NaN;
    });
  }
  const upsampling = /^UpSampling([123])D$/.exec(name);
  if (upsampling) {
    const rank = Number(upsampling[1]);
    const size = evaluateSizes(argument(call, 0, 'size'), scope, rank, 2);
    return spatial(rank, layout, (n, i) => (size ? n * size[i]! : NaN));
  }
  if (name === 'Resizing' || name === 'CenterCrop') {
    const height = evaluateCount(argument(call, 0, 'height'), scope);
    const width = evaluateCount(argument(call, 1, 'width'), scope);
    return spatial(2, layout, (_, i) => (i === 0 ? height : width) ?? NaN);
  }
  return undefined;
}

/** A shape whose spatial sizes are mapped and whose channel count (last) is kept. */
function spatial(rank: number, layout: boolean, size: (n: number, axis: number) => number): Reshape {
  return (s) => {
    if (!layout || !s || s.length !== rank + 1) return undefined;
    return [...s.slice(0, rank).map((n, i) => size(n, i)), s[rank]!];
  };
}

/**
 * Keras' padding and cropping argument as (before, after) per spatial axis: an int for
 * every side; `rank` ints, symmetric per axis (for rank 1, one (before, after) pair); or
 * `rank` pairs. Undefined when it is not constant or not one of those forms.
 */
function sidesOf(value: Value | undefined, rank: number): [number, number][] | undefined {
  const amount = (v: Value | undefined): v is number => isNumber(v) && Number.isInteger(v) && v >= 0;
  if (amount(value)) return Array.from({ length: rank }, () => [value, value]);
  if (!Array.isArray(value)) return undefined;
  const items = value as readonly Value[];
  if (rank === 1) return items.length === 2 && amount(items[0]) && amount(items[1]) ? [[items[0], items[1]]] : undefined;
  if (items.length !== rank) return undefined;
  const out: [number, number][] = [];
  for (const item of items) {
    const pair = Array.isArray(item) ? (item as readonly Value[]) : undefined;
    if (amount(item)) out.push([item, item]);
    else if (pair?.length === 2 && amount(pair[0]) && amount(pair[1])) out.push([pair[0], pair[1]]);
    else return undefined;
  }
  return out;
}
