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
  /** Var(W) from the framework's real semantics and fans; undefined when judged without widths (widthFreeScale). */
  readonly variance: number | undefined;
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
    layer.consumer !== 'unknown' && layer.init.semantics !== undefined &&
    ((layer.fans !== undefined && layer.frameworkFans !== undefined) || widthFreeScale(layer) !== undefined);
}

/**
 * σ² = fan_in·Var(W) of a layer whose widths are unknown, where it does not depend on them
 * (issue 11 §6): an initializer scaled by the framework's fan_in (He/LeCun `fan_in`,
 * kaiming `fan_in`, PyTorch's default kaiming_uniform_(a=√5), Flax's lecun_normal) gives
 * Var(W) = s/fan_in, so fan_in·Var(W) = s at every width, provided the framework's fan_in is
 * the layer's true one (`fanInIsTrue`: dense layers and convolutions; not depthwise kernels
 * under Keras, not transposed layouts). Glorot's fan_avg, fan_out modes and fixed stds depend
 * on a width: undefined.
 */
export function widthFreeScale(layer: WeightLayer): number | undefined {
  const semantics = layer.init.semantics;
  if (layer.fans !== undefined || !layer.fanInIsTrue || layer.transposed || !semantics) return undefined;
  if ((semantics.kind !== 'variance_scaling' && semantics.kind !== 'kaiming') || semantics.mode !== 'fan_in') return undefined;
  // Var(W) = s/max(1, fan_in) (Keras and JAX clamp at 1; a real fan_in is ≥ 1): s at any fan_in ≥ 1.
  const unit = { fanIn: 1, fanOut: 1 };
  const scale = weightVariance(semantics, unit, 1);
  return Number.isFinite(scale) ? scale : undefined;
}

export function assessInit(layer: WeightLayer, pretrained: boolean): InitAssessment | undefined {
  if (!isJudgeable(layer, pretrained)) return undefined;
  const semantics = layer.init.semantics!;
  const activation = layer.consumer as Activation;
  let variance: number | undefined;
  let scale: number;
  if (layer.fans && layer.frameworkFans) {
    variance = weightVariance(semantics, layer.frameworkFans, layer.receptiveField);
    if (!Number.isFinite(variance)) return undefined;
    scale = ownModeScale(semantics, variance, judgingFans(layer, semantics)!, layer.receptiveField);
  } else {
    scale = widthFreeScale(layer)!;
  }
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
