/**
 * Kernel layouts whose framework fans are not the layer's (init-math.md §c), and the fan
 * mode a fix must write so the initializer it names does what the recommendation means.
 * A recommendation's mode refers to the layer's true fans in the forward direction; the
 * framework computes its modes on the kernel's layout:
 * - Keras DepthwiseConv, kernel (*k, in, depth_multiplier): fan_in = ∏k·in is `in` times the
 *   true ∏k (keras#11773), fan_out = ∏k·depth_multiplier is right, so fixes write
 *   `mode="fan_out"`. With depth_multiplier 1 both true fans are ∏k and that is exact in
 *   either direction; otherwise only the families judged in their own mode are offered.
 * - Transposed convs (PyTorch (in, out/groups, *k), Keras (*k, filters, in), Flax with
 *   `transpose_kernel=True`): the framework's fan_in is the layer's fan_out and vice versa,
 *   so fixes swap the mode. PyTorch's fan_out ignores groups, so a grouped one gets only He
 *   in the framework's own fan_in mode: exactly He on the backward pass (He et al. 2015 §2.2:
 *   either direction suffices).
 */
import type { FanMode, InitChoice, InitSemantics } from '../../../ir';

export type KernelLayout =
  | { readonly kind: 'depthwise'; readonly depthMultiplier: number }
  | { readonly kind: 'swapped'; readonly groups: number };

/** A recommendation in the framework's terms: VarianceScaling(scale, mode, distribution). */
export interface LayoutInit {
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform';
  /** Glorot is symmetric in its fans: a swapped layout keeps the plain spelling. */
  readonly plainGlorot: boolean;
}

function plain(choice: InitChoice): Omit<LayoutInit, 'plainGlorot'> | undefined {
  switch (choice.family) {
    case 'he_normal': {
      const slope = choice.negativeSlope ?? 0;
      return Number.isFinite(slope) ? { scale: 2 / (1 + slope * slope), mode: 'fan_in', distribution: 'truncated_normal' } : undefined;
    }
    case 'glorot_uniform':
      return { scale: 1, mode: 'fan_avg', distribution: 'uniform' };
    case 'lecun_normal':
      return { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' };
    case 'variance_scaling':
      return { scale: choice.scale, mode: choice.mode, distribution: choice.distribution };
    case 'framework_default':
      return undefined;
  }
}

const SWAPPED: Readonly<Record<FanMode, FanMode>> = { fan_in: 'fan_out', fan_out: 'fan_in', fan_avg: 'fan_avg' };

/** The initializer to write for a choice on this layout; undefined when no spelling is exact. */
export function layoutInit(choice: InitChoice, layout: KernelLayout): LayoutInit | undefined {
  const p = plain(choice);
  if (!p || !(p.scale > 0) || !Number.isFinite(p.scale)) return undefined;
  if (layout.kind === 'swapped') {
    if (layout.groups === 1) return { ...p, mode: SWAPPED[p.mode], plainGlorot: choice.family === 'glorot_uniform' };
    return choice.family === 'he_normal' && Number.isInteger(layout.groups) ? { ...p, plainGlorot: false } : undefined;
  }
  if (p.mode === 'fan_out') return { ...p, plainGlorot: false };
  // He and Glorot are judged in the mode they are written in (He et al. 2015 §2.2: either
  // direction suffices); LeCun for SELU and an exact equivalent of a fixed scale need the
  // forward fan, which fan_out equals only with depth_multiplier 1.
  const judgedInOwnMode = choice.family === 'he_normal' || choice.family === 'glorot_uniform';
  if (!judgedInOwnMode && layout.depthMultiplier !== 1) return undefined;
  return { ...p, mode: 'fan_out', plainGlorot: false };
}

/** What the written initializer does (for the counterfactual simulation). */
export function layoutSemantics(choice: InitChoice, layout: KernelLayout): InitSemantics | undefined {
  const init = layoutInit(choice, layout);
  return init ? { kind: 'variance_scaling', scale: init.scale, mode: init.mode, distribution: init.distribution } : undefined;
}
