/** Helpers the init rules share: wording of scales and the "use the recommended init" fix. */
import type { Fix } from '../findings';
import type { InitChoice, WeightLayer } from '../ir';
import type { InitAssessment } from '../knowledge/assess';
import { activationLabel } from '../knowledge/activations';
import { formatNumber } from '../format/numbers';

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

/** "the signal shrinks ×0.50 per layer" (exact for the ReLU family, the scale ratio otherwise). */
export function perLayerEffect(assessment: InitAssessment): string {
  const r = assessment.ratio;
  const direction = r < 1 ? 'shrinks' : 'grows';
  const exact = assessment.policy.family === 'relu' || assessment.policy.family === 'head';
  return exact
    ? `the signal ${direction} ×${formatNumber(r)} per layer`
    : `its scale is ×${formatNumber(r)} the ${assessment.policy.convention} target`;
}

/**
 * `σ² = fan_in·Var(W) = 1.00 on this relu layer; relu needs 2.00 (He (Kaiming))`; a
 * SeparableConv's depthwise kernel is named as such (its activation is the pointwise one's).
 */
export function scaleSentence(assessment: InitAssessment, layer: WeightLayer): string {
  const act = activationLabel(assessment.activation);
  const [lo, hi] = assessment.policy.accepted;
  const wants = `${act} wants ${formatNumber(assessment.policy.target)} (${assessment.policy.convention}; accepted ${formatNumber(lo)}–${formatNumber(hi)})`;
  const what = layer.feedsPointwiseKernel ? 'this depthwise kernel, which feeds the pointwise kernel directly' : `this ${act} layer`;
  return `σ² = ${modeLabel(assessment)} = ${formatNumber(assessment.scale)} on ${what}; ${wants}`;
}

export function useInitFix(layer: WeightLayer, choice: InitChoice): Fix | undefined {
  const edits = layer.fixes.setInitializer(choice);
  if (!edits || edits.length === 0) return undefined;
  return { title: `Use ${layer.fixes.describeInitializer(choice)}`, applicability: 'unsafe', edits };
}

export function compact<T>(items: readonly (T | undefined)[]): T[] {
  return items.filter((x): x is T => x !== undefined);
}
