/**
 * One layer's verdict in words, for the first lines of its hover (issue 13, item 6): what
 * the init rules decide about it (the same assessment, the same impact clause as their
 * messages), or why it is not judged, and the fix they would offer.
 */
import type { Network, WeightLayer } from '../ir';
import { activationLabel } from '../knowledge/activations';
import { assessInit } from '../knowledge/assess';
import { smallScaleIsDeliberate } from '../knowledge/branches';
import { frameworkDefaultName, impactClause } from './common';
import { kaimingArgumentsLabel, kaimingMismatch } from './kaiming';
import { formatNumber } from '../format/numbers';

export interface LayerVerdict {
  /** `ok`: suits its activation or deliberately small; `bad`: an init rule flags it; `not-judged`. */
  readonly status: 'ok' | 'bad' | 'not-judged';
  readonly text: string;
  /** The initializer the fix writes, when the layer is flagged. */
  readonly fix?: string;
}

export function layerVerdict(network: Network, layer: WeightLayer): LayerVerdict {
  if (network.pretrained) return { status: 'not-judged', text: 'weights loaded from a checkpoint: not judged' };
  if (layer.kind === 'embedding') return { status: 'not-judged', text: 'an embedding: its scale is a convention, not judged' };
  if (layer.normalizedBeforeActivation || layer.normalizedAfterActivation) {
    return { status: 'not-judged', text: 'normalised next to its activation, which resets the scale: not judged' };
  }
  const assessment = assessInit(layer, false);
  if (!assessment) return { status: 'not-judged', text: 'not judged: its activation, initializer or widths are not known' };
  const act = activationLabel(assessment.activation);
  const zero = assessment.variance === 0;
  if (zero && layer.isLastInBranch) {
    return { status: 'ok', text: 'zero-initialised last layer of its branch: deliberate (the block starts as the identity, Fixup/SkipInit)' };
  }
  if (zero) return { status: 'bad', text: 'every weight is equal: its units stay identical and never learn different features', fix: layer.fixes.describeInitializer(assessment.policy.recommended) };
  if (assessment.verdict === 'ok') return { status: 'ok', text: `${layer.init.explicit ? `\`${layer.init.label}\`` : `the ${layer.init.label}`} suits ${act}` };
  if (smallScaleIsDeliberate(network, layer) && assessment.ratio < 1) {
    return { status: 'ok', text: `small scale on the last layer of a branch or inside a normalised residual branch: deliberate, not flagged` };
  }
  const kaiming = kaimingMismatch(layer);
  const cause = layer.init.explicit ? `\`${layer.init.label}\` under ${act}` : `${frameworkDefaultName(network)} under ${act}`;
  if (kaiming) {
    const fix = layer.fixes.describeKaimingArguments?.(kaiming.correct) ?? kaimingArgumentsLabel(kaiming.correct);
    return { status: 'bad', text: `${cause}: gain ${formatNumber(kaiming.writtenGain)} instead of ${formatNumber(kaiming.correctGain)}`, fix };
  }
  return { status: 'bad', text: `${impactClause(assessment, layer)}: ${cause}`, fix: layer.fixes.describeInitializer(assessment.policy.recommended) };
}
