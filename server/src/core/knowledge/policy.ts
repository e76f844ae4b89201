/**
 * What each activation wants from its weights, as σ² = n·Var(W) in the initializer's own
 * fan mode (He et al. 2015 §2.2: preserving either direction suffices, the other is off by
 * a telescoping width ratio). The numbers and their sources are in
 * shared/reference/init-math.md §d ("Recommended family and variance").
 */
import type { Activation, InitChoice } from '../ir';
import { negativeSlope } from './activations';

/**
 * Families of conventions. `relu`: He (Var = 2/((1+s²)n)); `tanh`: Glorot/LeCun up to
 * PyTorch's gain 5/3; `smooth-relu`: GELU/SiLU/Mish/ELU, where He is the practice and no
 * framework defines a gain; `selu`: LeCun; `head`: linear/softmax/sigmoid outputs, Glorot/LeCun.
 */
export type ActivationFamily = 'relu' | 'tanh' | 'smooth-relu' | 'selu' | 'head' | 'softplus';

export interface ActivationPolicy {
  readonly family: ActivationFamily;
  /** The σ² the recommended initializer gives. */
  readonly target: number;
  /** σ² values the activation's accepted conventions allow, inclusive. */
  readonly accepted: readonly [number, number];
  readonly recommended: InitChoice;
  /** Human name of the convention, for messages. */
  readonly convention: string;
}

/** Relative tolerance around a target before a scale counts as "off" (spec/rules.md IW101: 25%). */
export const TARGET_TOLERANCE = 0.25;

export function policyFor(activation: Activation): ActivationPolicy {
  const slope = negativeSlope(activation);
  if (slope !== undefined) {
    // He et al. 2015 eq. 15: Var = 2/((1+a²)·n).
    const target = 2 / (1 + slope * slope);
    const recommended: InitChoice = slope < 0.05 ? { family: 'he_normal' } : { family: 'he_normal', negativeSlope: slope };
    return { family: 'relu', target, accepted: [target / 1.25, target * 1.25], recommended, convention: 'He (Kaiming)' };
  }
  switch (activation.name) {
    case 'relu6':
      return { family: 'relu', target: 2, accepted: [1.6, 2.5], recommended: { family: 'he_normal' }, convention: 'He (Kaiming)' };
    case 'elu':
      // σ² = 1.5505 makes q* = 1 an attracting fixed point (init-math.md §d); He's 2 is the practice.
      return { family: 'smooth-relu', target: 2, accepted: [1.2, 2.5], recommended: { family: 'he_normal' }, convention: 'He (Kaiming)' };
    case 'gelu':
    case 'silu':
    case 'mish':
      // The q* = 1 values (GELU 2.35, SiLU 2.81, Mish 2.21) and He's 2 are all accepted.
      return { family: 'smooth-relu', target: 2, accepted: [1.6, 2.9], recommended: { family: 'he_normal' }, convention: 'He (Kaiming)' };
    case 'selu':
      // Klambauer et al. 2017: fan_in·Var(W) = 1 keeps the (0, 1) fixed point.
      return { family: 'selu', target: 1, accepted: [0.9, 1.1], recommended: { family: 'lecun_normal' }, convention: 'LeCun normal' };
    case 'tanh':
    case 'hard_tanh':
      // Glorot/LeCun (σ² = 1, the zero-bias edge of chaos) up to PyTorch's gain 5/3 (σ² = 25/9).
      return { family: 'tanh', target: 1, accepted: [0.8, 2.9], recommended: { family: 'glorot_uniform' }, convention: 'Glorot (Xavier)' };
    case 'sigmoid':
      // Glorot 1 up to the linear-regime 16 (Kumar 2017); gradients shrink either way (IW203 reports depth).
      return { family: 'head', target: 1, accepted: [0.8, 20], recommended: { family: 'glorot_uniform' }, convention: 'Glorot (Xavier)' };
    case 'softplus':
      // σ² = 1.085 gives q* = 1 (init-math.md extra.json); no framework convention.
      return { family: 'softplus', target: 1, accepted: [0.8, 2.5], recommended: { family: 'lecun_normal' }, convention: 'LeCun' };
    case 'linear':
    case 'softmax':
    default:
      // Output heads are judged against Glorot/LeCun (σ² = 1), not He; a ×2 head is tolerated.
      return { family: 'head', target: 1, accepted: [0.8, 2.5], recommended: { family: 'glorot_uniform' }, convention: 'Glorot (Xavier) or LeCun' };
  }
}

/**
 * Which activation family an initializer's scale was designed for, read from its
 * computed σ² (never its name): ≈2 → ReLU family (He), ≈1 or ≈25/9 → tanh/linear
 * (Glorot, LeCun, PyTorch's tanh gain). Undefined when it matches no convention.
 */
export function designedFamily(sigma2: number): 'relu' | 'tanh' | undefined {
  const near = (target: number) => Math.abs(sigma2 / target - 1) <= 0.05;
  if (near(2)) return 'relu';
  if (near(1) || near(25 / 9)) return 'tanh';
  return undefined;
}

/** The activation a fix may switch to instead of changing the initializer (Glorot + ReLU → tanh). */
export function partnerActivation(sigma2: number, current: Activation): Activation | undefined {
  const family = designedFamily(sigma2);
  if (family === 'tanh' && policyFor(current).family === 'relu') return { name: 'tanh' };
  if (family === 'relu' && policyFor(current).family === 'tanh') return { name: 'relu' };
  return undefined;
}
