/**
 * One meaning of σ² for what the signal does (issue 13): the forward pass multiplies the
 * pre-activation second moment by fan_in·Var(W) (each output sums fan_in inputs), the
 * backward pass multiplies the gradient's by fan_out·Var(W) (each input feeds fan_out
 * outputs). A strided conv's backward fan and a transposed conv's forward fan are divided
 * by their strides, as the simulation propagates them (simulation/drift.ts widthFactors).
 * Messages, hover, report and docs all use these two numbers; the fan mode an initializer
 * normalises by (what the init rules judge, spec/rules.md) is said beside them when it differs.
 */
import type { WeightLayer } from '../ir';
import type { InitAssessment } from './assess';
import { ownFanMode } from './initializers';

export interface PassScales {
  /** fan_in·Var(W): the forward factor before the activation. */
  readonly forward: number;
  /** fan_out·Var(W): the backward factor before the activation's derivative. */
  readonly backward: number;
}

export function passScales(layer: Pick<WeightLayer, 'fans' | 'transposed' | 'strideProduct'>, variance: number | undefined): PassScales | undefined {
  const fans = layer.fans;
  if (!fans || variance === undefined || !Number.isFinite(variance)) return undefined;
  return {
    forward: variance * (fans.fanIn / (layer.transposed?.upsampling ?? 1)),
    backward: variance * (fans.fanOut / layer.strideProduct),
  };
}

export interface PassEffect {
  readonly pass: 'forward' | 'backward';
  /** `fan_in` or `fan_out`. */
  readonly fan: 'fan_in' | 'fan_out';
  /** That pass's σ² (fan·Var(W)). */
  readonly sigma2: number;
  /** sigma2 / the activation's target. */
  readonly ratio: number;
  /**
   * The per-layer factor on the second moment when every layer were like this one, where
   * it is exact: the ReLU family (E[φ(z)²] = E[φ′(z)²] = (1+s²)/2 for any q, He et al.
   * 2015) and a linear layer. Undefined for saturating or smooth activations, whose factor
   * depends on the signal's size.
   */
  readonly perLayer: number | undefined;
}

/**
 * The pass a finding on this layer leads with: the forward pass (fan_in), unless the
 * initializer normalises by fan_out, or fan_in says the opposite of the judged verdict
 * (a fan_avg init on a strongly narrowing layer): then the backward pass, which agrees
 * (fan_avg lies between the two fans, so one of them points the verdict's way).
 */
export function leadingPass(assessment: InitAssessment, layer: WeightLayer): PassEffect | undefined {
  const scales = passScales(layer, assessment.variance);
  if (!scales) return undefined;
  const target = assessment.policy.target;
  const exact = assessment.policy.family === 'relu' || assessment.activation.name === 'linear';
  const effect = (pass: 'forward' | 'backward'): PassEffect => {
    const sigma2 = pass === 'forward' ? scales.forward : scales.backward;
    return { pass, fan: pass === 'forward' ? 'fan_in' : 'fan_out', sigma2, ratio: sigma2 / target, perLayer: exact ? sigma2 / target : undefined };
  };
  const forward = effect('forward');
  if (ownFanMode(assessment.semantics) === 'fan_out') return effect('backward');
  const agrees = (r: number) => (assessment.ratio < 1 ? r < 1 : r > 1);
  return agrees(forward.ratio) || !agrees(effect('backward').ratio) ? forward : effect('backward');
}
