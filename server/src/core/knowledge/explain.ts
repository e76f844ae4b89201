/**
 * Everything InitWise knows about one layer, as plain numbers and labels: the hover
 * renders it, the CLI's JSON lists it. One function so the editor and CI show the same.
 */
import type { Network, WeightLayer } from '../ir';
import type { LayerSimulation } from '../simulation/types';
import { activationLabel } from './activations';
import { assessInit } from './assess';
import { weightVariance, weightVarianceFormula } from './initializers';
import { policyFor } from './policy';

export interface LayerExplanation {
  readonly kind: WeightLayer['kind'];
  readonly fanIn?: number;
  readonly fanOut?: number;
  /** The activation the layer's output feeds (`relu`, `leaky_relu(0.2)`, `unknown`). */
  readonly activation: string;
  readonly initializer: string;
  readonly weightVariance?: number;
  readonly weightVarianceFormula?: string;
  /** fan_in·Var(W): the forward scale factor before the activation. */
  readonly sigmaW2?: number;
  /** σ² in the initializer's own fan mode, the number the init rules judge. */
  readonly ownModeScale?: number;
  readonly recommendedInit: string;
  /** Var(W) the recommended initializer would give this layer (fan_in mode). */
  readonly recommendedVariance?: number;
  readonly recommendedSigmaW2?: number;
  readonly forwardVariance?: number;
  readonly gradientVariance?: number;
  readonly forwardFactor?: number;
  readonly backwardFactor?: number;
  /** What could not be determined, in words ("activation", "input width", …). */
  readonly unknowns: readonly string[];
}

export function explainLayer(network: Network, layer: WeightLayer, simulation?: LayerSimulation): LayerExplanation {
  const unknowns: string[] = [];
  if (!layer.fans) unknowns.push('layer widths (no resolvable input shape)');
  if (layer.consumer === 'unknown') unknowns.push('activation');
  if (!layer.init.semantics) unknowns.push('initializer');

  const consumer = layer.consumer === 'unknown' ? undefined : layer.consumer;
  const policy = consumer ? policyFor(consumer) : undefined;
  const variance =
    layer.init.semantics && layer.frameworkFans ? weightVariance(layer.init.semantics, layer.frameworkFans, layer.receptiveField) : undefined;
  const assessment = assessInit(layer, false);
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : undefined);

  return {
    kind: layer.kind,
    fanIn: layer.fans?.fanIn,
    fanOut: layer.fans?.fanOut,
    activation: consumer ? activationLabel(consumer) : 'unknown',
    initializer: layer.init.label,
    weightVariance: finite(variance),
    weightVarianceFormula:
      layer.init.semantics && layer.frameworkFans
        ? weightVarianceFormula(layer.init.semantics, layer.frameworkFans, layer.receptiveField)
        : undefined,
    sigmaW2: finite(variance !== undefined && layer.fans ? variance * layer.fans.fanIn : undefined),
    ownModeScale: finite(assessment?.scale),
    recommendedInit: policy ? layer.fixes.describeInitializer(policy.recommended) || policy.convention : 'unknown',
    recommendedVariance: policy && layer.fans ? policy.target / layer.fans.fanIn : undefined,
    recommendedSigmaW2: policy?.target,
    forwardVariance: finite(simulation?.forwardVariance),
    gradientVariance: finite(simulation?.gradientVariance),
    forwardFactor: finite(simulation?.forwardFactor),
    backwardFactor: finite(simulation?.backwardFactor),
    unknowns: network.pretrained ? [...unknowns, 'initial weights (loaded from a checkpoint)'] : unknowns,
  };
}
