/** IW104 symmetric-weight-init: a hidden layer whose weights are all equal never breaks symmetry. */
import { weightVariance } from '../knowledge/initializers';
import { policyFor } from '../knowledge/policy';
import { compact, useInitFix } from './common';
import type { Rule } from './types';

export const IW104: Rule = {
  meta: {
    code: 'IW104',
    name: 'symmetric-weight-init',
    defaultSeverity: 'error',
    summary:
      "A hidden layer's weights are all equal (zeros, ones, constant): its units stay identical and never learn different features.",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Flags a hidden layer whose kernel initializer has zero variance (zeros, ones, constant(V), normal with std 0).',
      whyItMatters:
        'Units with identical incoming weights compute identical outputs and receive identical gradients, so they stay ' +
        'identical forever: the layer has the capacity of a single unit. With zeros, the layers after it also get no ' +
        'gradient signal through it.',
      example: 'network mlp {\n  input 784\n  dense 512 activation=relu init=zeros\n  dense 10 activation=softmax\n}',
      useInstead: 'network mlp {\n  input 784\n  dense 512 activation=relu init=he_normal\n  dense 10 activation=softmax\n}',
      fixSafety: '"Use INIT" is unsafe: it changes training numerics.',
      whenNotToApply:
        'Biases and normalisation scales (not kernels), and the last layer of a network or of a residual branch: ' +
        'zero-initialised heads and branch ends are deliberate (Fixup, GPT-2-style residual scaling, zero-init heads). ' +
        'Nor a layer whose output feeds a softmax: zero logits are a uniform mixture at init (Deformable DETR zeroes its ' +
        'attention weights), and each logit weights a different value, so their gradients differ.',
      references: ['Goodfellow, Bengio & Courville, Deep Learning, §8.4 (breaking symmetry)', 'Zhang et al. 2019, Fixup, https://arxiv.org/abs/1901.09321'],
    },
  },
  check({ network, report }) {
    if (network.pretrained) return;
    for (const layer of network.layers) {
      if (layer.isLastInBranch || layer.kind === 'embedding' || !layer.init.explicit) continue;
      // Zero logits under a softmax are a uniform mixture at init, not a symmetry to break: each
      // logit weights a different value, so its gradient differs (Deformable DETR's attention
      // weights, zeroed on purpose; dinov2 ms_deform_attn.py:113 was reported as an error).
      if (layer.consumer !== 'unknown' && layer.consumer.name === 'softmax') continue;
      const semantics = layer.init.semantics;
      if (!semantics || !layer.frameworkFans) continue;
      if (weightVariance(semantics, layer.frameworkFans, layer.receptiveField) !== 0) continue;
      const recommended = layer.consumer === 'unknown' ? undefined : policyFor(layer.consumer).recommended;
      report({
        span: layer.init.span ?? layer.kindSpan,
        message: `\`${layer.init.label}\` makes every weight of this hidden layer equal: its units stay identical and never learn different features.`,
        fixes: recommended ? compact([useInitFix(layer, recommended)]) : [],
      });
    }
  },
};
