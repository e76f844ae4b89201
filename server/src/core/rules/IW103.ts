/**
 * IW103 selu-without-lecun-init: SELU self-normalises only when fan_in·Var(W) = 1 and
 * dropout keeps mean and variance (AlphaDropout); Klambauer et al. 2017.
 */
import { walkOps } from '../ir';
import { weightVariance } from '../knowledge/initializers';
import { isJudgeable, widthFreeScale } from '../knowledge/assess';
import { formatNumber } from '../format/numbers';
import { compact, useInitFix } from './common';
import { kaimingMismatch } from './kaiming';
import type { Rule } from './types';

/** fan_in·Var(W) this close to 1 keeps the (0, 1) fixed point (LeCun normal exactly; Glorot on near-square layers). */
const SELU_TOLERANCE = 0.1;

export const IW103: Rule = {
  meta: {
    code: 'IW103',
    name: 'selu-without-lecun-init',
    defaultSeverity: 'warning',
    summary:
      "A SELU layer's weights do not have fan_in·Var(W) ≈ 1 (LeCun normal), or a SELU network uses plain Dropout instead of AlphaDropout.",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'For every layer feeding a SELU, computes fan_in·Var(W) and flags values more than 10% from 1. In a network with ' +
        'SELU layers, flags plain `dropout`.',
      whyItMatters:
        "SELU's self-normalising fixed point (mean 0, variance 1) exists only when fan_in·Var(W) = 1 and the weights " +
        "have mean 0 (Klambauer et al. 2017). Keras' default glorot_uniform is LeCun only for square layers; PyTorch's " +
        'default gives 1/3. Plain dropout scales kept units by 1/(1-p) and moves the variance away from 1; AlphaDropout ' +
        'keeps mean and variance.',
      example: 'network snn {\n  input 784\n  dense 256 activation=selu\n  dropout 0.1\n  dense 256 activation=selu\n}',
      useInstead:
        'network snn {\n  input 784\n  dense 256 activation=selu init=lecun_normal\n  alphadropout 0.1\n  dense 256 activation=selu init=lecun_normal\n}',
      fixSafety: '"Use lecun_normal" and "Use alphadropout" are unsafe: they change training numerics.',
      whenNotToApply: 'SELU layers followed by normalisation before the activation, and pretrained weights.',
      references: ['Klambauer et al. 2017, Self-Normalizing Neural Networks, https://arxiv.org/abs/1706.02515'],
    },
  },
  check({ network, report, dropoutFixes }) {
    if (network.pretrained) return;
    let hasSelu = false;
    for (const layer of network.layers) {
      if (layer.consumer === 'unknown' || layer.consumer.name !== 'selu') continue;
      hasSelu = true;
      if (!isJudgeable(layer, network.pretrained) || kaimingMismatch(layer)) continue;
      const scale = layer.fans && layer.frameworkFans
        ? layer.fans.fanIn * weightVariance(layer.init.semantics!, layer.frameworkFans, layer.receptiveField)
        : widthFreeScale(layer);
      if (scale === undefined) continue;
      if (!Number.isFinite(scale) || Math.abs(scale - 1) <= SELU_TOLERANCE) continue;
      const which = layer.init.explicit ? `\`${layer.init.label}\`` : `no initializer given: the ${layer.init.label}`;
      // Widths unknown (judged width-free: widthFreeScale) name no fans.
      const fans = layer.fans ? ` ${layer.fans.fanIn}→${layer.fans.fanOut}` : '';
      report({
        span: layer.init.span ?? layer.kindSpan,
        message:
          `SELU loses self-normalisation: fan_in·Var(W) = ${formatNumber(scale)}, it needs 1; use ${layer.fixes.describeInitializer({ family: 'lecun_normal' })}. ` +
          `${which.charAt(0).toUpperCase()}${which.slice(1)} on this${fans} SELU layer (Klambauer et al. 2017: LeCun normal keeps the (0, 1) fixed point).`,
        fixes: compact([useInitFix(layer, { family: 'lecun_normal' })]),
      });
    }
    if (!hasSelu) return;
    for (const op of walkOps(network.ops)) {
      if (op.op !== 'dropout' || op.alpha) continue;
      const edits = dropoutFixes.useAlphaDropout(op);
      report({
        span: op.kindSpan,
        message: 'SELU loses self-normalisation: plain dropout scales the variance by 1/(1-p); use AlphaDropout, which keeps mean and variance.',
        fixes: edits && edits.length > 0 ? [{ title: 'Use alphadropout', applicability: 'unsafe', edits }] : [],
      });
    }
  },
};
