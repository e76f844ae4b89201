/** Helpers the init rules share: wording of scales and the "use the recommended init" fix. */
import type { Fix } from '../findings';
import type { InitChoice, Network, WeightLayer } from '../ir';
import type { InitAssessment } from '../knowledge/assess';
import { activationLabel } from '../knowledge/activations';
import { formatNumber } from '../format/numbers';
import { leadingPass, passScales } from '../knowledge/passes';

export function modeLabel(assessment: InitAssessment): string {
  switch (assessment.semantics.kind) {
    case 'variance_scaling':
    case 'kaiming':
      return `${assessment.semantics.mode}·Var(W)`;
    case 'xavier':
      return 'fan_avg·Var(W)';
    case 'orthogonal':
      return 'n·Var(W)';
    default:
      return 'fan_in·Var(W)';
  }
}

/**
 * The first clause of an init finding: what happens, in the pass the finding leads with
 * (knowledge/passes.ts) — "Signal shrinks ×0.17 per layer", "Gradients grow ×1.5 per
 * layer" — or, where no per-layer factor is exact (tanh, GELU: it depends on the signal's
 * size), how far the scale is from the activation's target.
 */
export function impactClause(assessment: InitAssessment, layer: WeightLayer): string {
  const effect = leadingPass(assessment, layer);
  const act = activationLabel(assessment.activation);
  if (!effect) return `Weight scale ×${formatFactor(assessment.ratio)} of what ${act} wants`;
  const subject = effect.pass === 'forward' ? 'Signal' : 'Gradients';
  if (effect.perLayer !== undefined) {
    const verb = effect.pass === 'forward' ? (effect.perLayer < 1 ? 'shrinks' : 'grows') : (effect.perLayer < 1 ? 'shrink' : 'grow');
    return `${subject} ${verb} ×${formatFactor(effect.perLayer)} per layer`;
  }
  return `Weight scale ×${formatFactor(effect.ratio)} of what ${act} wants`;
}

/**
 * A factor in a message's first clause: two significant digits, read at a glance (×0.17),
 * three where two would hide it (×1.04, not ×1; ×128, not ×130).
 */
export function formatFactor(x: number): string {
  const short = formatNumber(x, 2);
  return short === '1' || Math.abs(x) >= 10 ? formatNumber(x) : short;
}

/**
 * The details after the impact and the fix: the pass's σ² with this layer's real fans,
 * what the activation wants, and — when they differ — the backward pass's fan_out·Var(W)
 * and the σ² in the initializer's own fan mode (what the rules judge, spec/rules.md).
 * `fan_in·Var(W) = 0.333 on this 784→512 relu layer; relu wants 2 (He (Kaiming); accepted 1.6–2.5).`
 */
export function scaleDetails(assessment: InitAssessment, layer: WeightLayer): string {
  const act = activationLabel(assessment.activation);
  const [lo, hi] = assessment.policy.accepted;
  const effect = leadingPass(assessment, layer);
  const fans = layer.fans ? ` ${layer.fans.fanIn}→${layer.fans.fanOut}` : '';
  const what = layer.feedsPointwiseKernel ? `this${fans} depthwise kernel, which feeds the pointwise kernel directly` : `this${fans} ${act} layer`;
  const wants = `${act} wants ${formatNumber(assessment.policy.target)} (${assessment.policy.convention}; accepted ${formatNumber(lo)}–${formatNumber(hi)})`;
  const scales = passScales(layer, assessment.variance);
  if (!effect || !scales) return `σ² = ${modeLabel(assessment)} = ${formatNumber(assessment.scale)} on ${what}; ${wants}.`;
  const sentences = [`${effect.fan}·Var(W) = ${formatNumber(effect.sigma2)} on ${what}; ${wants}.`];
  const other = effect.pass === 'forward' ? scales.backward : scales.forward;
  if (formatNumber(other) !== formatNumber(effect.sigma2)) {
    sentences.push(effect.pass === 'forward'
      ? `The backward pass uses fan_out: fan_out·Var(W) = ${formatNumber(other)}.`
      : `The forward pass uses fan_in: fan_in·Var(W) = ${formatNumber(other)}.`);
  }
  const own = modeLabel(assessment);
  if (!own.startsWith(`${effect.fan}·`) && formatNumber(assessment.scale) !== formatNumber(effect.sigma2)) {
    sentences.push(`It normalises by ${own.replace('·Var(W)', '')}: ${own} = ${formatNumber(assessment.scale)}, the scale judged.`);
  }
  return sentences.join(' ');
}

/** "PyTorch's default init" for IW301's cause clause. */
export function frameworkDefaultName(network: Network): string {
  const name = network.framework === 'pytorch' ? 'PyTorch' : network.framework === 'keras' ? 'Keras' : 'Flax';
  return `${name}'s default init`;
}

export function useInitFix(layer: WeightLayer, choice: InitChoice): Fix | undefined {
  const edits = layer.fixes.setInitializer(choice);
  if (!edits || edits.length === 0) return undefined;
  return { title: `Use ${layer.fixes.describeInitializer(choice)}`, applicability: 'unsafe', edits };
}

export function compact<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((x): x is T => x !== undefined);
}
