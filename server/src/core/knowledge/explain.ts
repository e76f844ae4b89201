/**
 * Everything InitWise knows about one layer, as plain numbers and labels: the hover
 * renders it, the CLI's JSON lists it. One function so the editor and CI show the same.
 */
import type { FanMode, Network, Op, WeightLayer } from '../ir';
import type { LayerSimulation } from '../simulation/types';
import { activationLabel } from './activations';
import { assessInit } from './assess';
import { ownFanMode, weightVariance, weightVarianceFormula } from './initializers';
import { passScales } from './passes';
import { policyFor } from './policy';
import { FORGET_GATE, recurrentSpectrum, type RecurrentStructure } from './recurrent';
import { NEVER_CANCELLED } from '../cancellation';
import { simulateThroughTime } from '../simulation/recurrent';

/** A recurrent layer's recurrent kernel and gradient through time (issue 15). */
export interface RecurrentExplanation {
  readonly cell: string;
  readonly hidden: number;
  readonly recurrentInitializer: string;
  readonly structure?: RecurrentStructure;
  /** RMS singular value of one gate's block, √(hidden·Var(W_hh)). */
  readonly spectralScale?: number;
  readonly largestSingularValue?: number;
  /** LSTM only: the forget gate's bias at init (b_ih + b_hh in PyTorch). */
  readonly forgetGateBias?: number;
  readonly steps: number;
  readonly stepsFromCode: boolean;
  /** E[(dL/dx_1)²] / E[(dL/dx_T)²]: the gradient through the sequence (simulated). */
  readonly gradientThroughTime?: number;
  /**
   * Set when the analytic pass is approximate here (simulation/recurrent.ts ThroughTime.approximate):
   * the carry gates of consecutive steps correlate this much through the recurrent kernel.
   */
  readonly approximate?: { readonly carryCorrelation: number };
}

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
  /** fan_in·Var(W) as the forward pass sees it (a transposed conv's fan divided by its stride): knowledge/passes.ts. */
  readonly forwardSigma2?: number;
  /** fan_out·Var(W) as the backward pass sees it (a strided conv's fan divided by its stride). */
  readonly backwardSigma2?: number;
  /** The fan mode the initializer normalises by (its σ² is the one the rules judge). */
  readonly ownMode?: FanMode;
  /** The last layer of the network or of a residual branch. */
  readonly lastInBranch: boolean;
  /** Inside a residual branch. */
  readonly inBranch: boolean;
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
  readonly recurrent?: RecurrentExplanation;
}

function explainRecurrent(layer: WeightLayer, simulation: LayerSimulation | undefined): RecurrentExplanation | undefined {
  const spec = layer.recurrent;
  if (!spec) return undefined;
  const spectrum = recurrentSpectrum(spec);
  // The network's simulation when it ran; the layer alone on a unit-variance input otherwise (as IW411/IW412 quote it).
  const through = simulation?.throughTime ?? simulateThroughTime(layer, 1, NEVER_CANCELLED);
  const forget = spec.cell === 'lstm' ? spec.gateBiases?.[FORGET_GATE]?.mean : undefined;
  const init = spec.recurrentInit;
  return {
    cell: spec.cell.toUpperCase(), hidden: spec.hidden,
    recurrentInitializer: init.kind === 'identity' ? init.label : init.init.label,
    ...(spectrum ? { structure: spectrum.structure, spectralScale: spectrum.scale } : {}),
    ...(spectrum?.largestSingularValue !== undefined ? { largestSingularValue: spectrum.largestSingularValue } : {}),
    ...(forget !== undefined ? { forgetGateBias: forget } : {}),
    steps: spec.steps.value, stepsFromCode: spec.steps.fromCode,
    ...(through && Number.isFinite(through.factor) ? { gradientThroughTime: through.factor } : {}),
    ...(through?.approximate ? { approximate: through.approximate } : {}),
  };
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
  const scales = variance !== undefined ? passScales(layer, variance) : undefined;
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
    forwardSigma2: finite(scales?.forward),
    backwardSigma2: finite(scales?.backward),
    ...(layer.init.semantics ? { ownMode: ownFanMode(layer.init.semantics) } : {}),
    lastInBranch: layer.isLastInBranch,
    inBranch: branchLayers(network).has(layer.index),
    recommendedInit: policy ? layer.fixes.describeInitializer(policy.recommended) || policy.convention : 'unknown',
    recommendedVariance: policy && layer.fans ? policy.target / layer.fans.fanIn : undefined,
    recommendedSigmaW2: policy?.target,
    forwardVariance: finite(simulation?.forwardVariance),
    gradientVariance: finite(simulation?.gradientVariance),
    forwardFactor: finite(simulation?.forwardFactor),
    backwardFactor: finite(simulation?.backwardFactor),
    unknowns: network.pretrained ? [...unknowns, 'initial weights (loaded from a checkpoint)'] : unknowns,
    ...(layer.recurrent ? { recurrent: explainRecurrent(layer, simulation) } : {}),
  };
}

const BRANCH_LAYERS = new WeakMap<Network, ReadonlySet<number>>();

/** Indices of the layers inside residual branches. */
function branchLayers(network: Network): ReadonlySet<number> {
  let found = BRANCH_LAYERS.get(network);
  if (!found) {
    const set = new Set<number>();
    const visit = (ops: readonly Op[], inside: boolean) => {
      for (const op of ops) {
        if (op.op === 'layer' && inside) set.add(op.index);
        if (op.op === 'residual') visit(op.body, true);
        if (op.op === 'residual' && op.shortcut) visit(op.shortcut, true);
        if (op.op === 'memory') visit(op.body, inside);
      }
    };
    visit(network.ops, false);
    BRANCH_LAYERS.set(network, (found = set));
  }
  return found;
}
