/**
 * Judges one layer's initializer against the activation its output feeds. Shared by
 * IW101, IW103, IW105, IW301 and the hover, so they can never disagree.
 */
import type { Activation, InitSemantics, WeightLayer } from '../ir';
import { judgingFans, ownModeScale, weightVariance } from './initializers';
import { type ActivationPolicy, designedFamily, policyFor, TARGET_TOLERANCE } from './policy';

export interface InitAssessment {
  readonly semantics: InitSemantics;
  readonly activation: Activation;
  /** Var(W) from the framework's real semantics and fans. */
  readonly variance: number;
  /** σ² = n·Var(W) in the initializer's own fan mode, with the true fans. */
  readonly scale: number;
  readonly policy: ActivationPolicy;
  /** scale / policy.target. */
  readonly ratio: number;
  /** `ok`; `out-of-range` of every accepted convention; `wrong-family`: designed for another family and >25% off target. */
  readonly verdict: 'ok' | 'out-of-range' | 'wrong-family';
}

/** True when rules may judge this layer's initializer at all (spec/rules.md "precision"). */
export function isJudgeable(layer: WeightLayer, pretrained: boolean): boolean {
  // A recurrent layer's kernels feed gates, not one activation: IW411/IW412 judge them.
  return !pretrained && layer.kind !== 'embedding' && layer.kind !== 'recurrent' && !layer.normalizedBeforeActivation && !layer.normalizedAfterActivation &&
    layer.consumer !== 'unknown' && layer.init.semantics !== undefined && layer.fans !== undefined &&
    layer.frameworkFans !== undefined;
}

export function assessInit(layer: WeightLayer, pretrained: boolean): InitAssessment | undefined {
  if (!isJudgeable(layer, pretrained)) return undefined;
  const semantics = layer.init.semantics!;
  const activation = layer.consumer as Activation;
  const variance = weightVariance(semantics, layer.frameworkFans!, layer.receptiveField);
  if (!Number.isFinite(variance)) return undefined;
  const scale = ownModeScale(semantics, variance, judgingFans(layer, semantics)!, layer.receptiveField);
  const policy = policyFor(activation);
  const ratio = scale / policy.target;
  let verdict: InitAssessment['verdict'] = 'ok';
  if (scale < policy.accepted[0] * (1 - 1e-9) || scale > policy.accepted[1] * (1 + 1e-9)) {
    verdict = 'out-of-range';
  } else if (isFamilyDesigned(semantics) && (policy.family === 'relu' || policy.family === 'tanh' || policy.family === 'smooth-relu')) {
    const designed = designedFamily(scale);
    const activationFamily = policy.family === 'tanh' ? 'tanh' : 'relu';
    if (designed !== undefined && designed !== activationFamily && Math.abs(ratio - 1) > TARGET_TOLERANCE) verdict = 'wrong-family';
  }
  return { semantics, activation, variance, scale, policy, ratio, verdict };
}

/**
 * Initializers whose scale is a convention for one activation family (He, Glorot, LeCun,
 * kaiming/xavier with gains). Orthogonal and fixed-scale draws are not: orthogonal with
 * gain √2 next to tanh is an accepted convention.
 */
function isFamilyDesigned(semantics: InitSemantics): boolean {
  return semantics.kind === 'variance_scaling' || semantics.kind === 'kaiming' || semantics.kind === 'xavier';
}
