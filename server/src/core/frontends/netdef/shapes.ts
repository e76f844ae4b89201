/**
 * Shapes flowing through a network (channels first, batch omitted) and the fans each
 * weight layer gets from them. Two kinds of fans (ir.ts): the true fans the signal sees,
 * and the fans each framework's init code computes (init-math.md §c), which Var(W) uses.
 */
import type { Fans, Framework } from '../../ir';

/** [features] or [channels, ...spatial]. */
export type Shape = readonly number[];

const LAYOUTS = ['N', 'CxL', 'CxHxW', 'CxDxHxW'];

/** How the reference's layout names a shape of this rank. */
export function layoutName(rank: number): string {
  return LAYOUTS[rank - 1] ?? `${rank}-dimensional`;
}

/** `784 features` or `64x8x8 (CxHxW)`, for messages. */
export function describeShape(shape: Shape): string {
  if (shape.length === 1) return `${shape[0]} ${shape[0] === 1 ? 'feature' : 'features'}`;
  return `${shape.join('x')} (${layoutName(shape.length)})`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export type Padding = 'same' | 'valid' | readonly number[];

/**
 * Output length of one spatial dimension (Keras and PyTorch agree):
 * valid ⌊(L−k)/s⌋+1, same ⌈L/s⌉, explicit padding p ⌊(L+2p−k)/s⌋+1.
 */
export function convOutputLength(length: number, kernel: number, stride: number, padding: 'same' | 'valid' | number): number {
  if (padding === 'same') return Math.ceil(length / stride);
  const padded = padding === 'valid' ? length : length + 2 * padding;
  return padded < kernel ? 0 : Math.floor((padded - kernel) / stride) + 1;
}

export interface LayerFans {
  readonly fans: Fans;
  readonly frameworkFans: Fans;
}

export function denseFans(inFeatures: number, units: number): LayerFans {
  const fans = { fanIn: inFeatures, fanOut: units };
  return { fans, frameworkFans: fans };
}

/**
 * Convolution with C_in input channels, F filters, G groups and kernel k. True fans:
 * each output sums C_in/G·∏k inputs; each input feeds F/G·∏k outputs (per position; the
 * stride's effect on the backward pass is the layer's strideProduct, ir.ts). Every
 * framework's init code computes fan_in = C_in/G·∏k but fan_out = F·∏k, ignoring groups.
 */
export function convFans(inChannels: number, filters: number, groups: number, kernel: readonly number[]): LayerFans {
  const receptiveField = product(kernel);
  const fanIn = (inChannels / groups) * receptiveField;
  return {
    fans: { fanIn, fanOut: (filters / groups) * receptiveField },
    frameworkFans: { fanIn, fanOut: filters * receptiveField },
  };
}

/**
 * A lookup table: a one-hot input picks one row, so the output's second moment is Var(W)
 * (true fans 1 → DIM). The frameworks lay the table out as (VOCAB, DIM) and compute their
 * fans from that: PyTorch (fan_in = DIM, fan_out = VOCAB), Keras (VOCAB, DIM), Flax with
 * out_axis=0 (DIM, VOCAB).
 */
export function embeddingFans(vocab: number, dim: number, framework: Framework): LayerFans {
  const frameworkFans = framework === 'keras' ? { fanIn: vocab, fanOut: dim } : { fanIn: dim, fanOut: vocab };
  return { fans: { fanIn: 1, fanOut: dim }, frameworkFans };
}

export function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}
