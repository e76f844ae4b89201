/** IW401 attention-logit-scale: attention logits so large at init that the softmax saturates. */
import type { Fix } from '../findings';
import { formatNumber } from '../format/numbers';
import { byStatement, tokenStreamOf } from './tokenStreamFindings';
import type { Rule } from './types';

/**
 * Logit variance over the keys of a query above which the softmax concentrates on a few keys.
 * At v = 4 (std 2) a 64-token row keeps ~6 effective keys (1/EΣA² = 6.2, components.json) of 64:
 * attention entropy is a fraction of its uniform value, the regime Zhai et al. 2023 tie to
 * unstable training. Correct inits give v ≤ 1 (1/√d_head with Xavier q/k on a normalised stream);
 * μP's 1/d_head gives v ≈ 1/d_head: both stay far below.
 */
export const SATURATED_LOGIT_VARIANCE = 4;

export const IW401: Rule = {
  meta: {
    code: 'IW401',
    name: 'attention-logit-scale',
    defaultSeverity: 'warning',
    summary: 'Attention logits are too large at init for the softmax (no 1/√d_head, or q/k scales that saturate it: entropy collapse); 1/d scaling (μP) is deliberate.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Simulates each attention at initialisation: the variance v of the logits scale·q·kᵀ over the keys of one query, from ' +
        'the query and key initializers, the head width, the scale actually applied and the token correlation of the stream it ' +
        'reads. Flags an attention whose logits have v > 4 (std > 2), where the softmax puts nearly all weight on a few keys.',
      whyItMatters:
        'q·kᵀ sums d_head products: without the 1/√d_head factor its variance grows with the head width (×64 for 64-wide ' +
        'heads). A saturated softmax starts training in the entropy-collapsed state (Zhai et al. 2023): each query sees a few ' +
        'keys, the gradient through the logits is nearly zero (a one-hot softmax passes none), and training is unstable.',
      example: 'network encoder {\n  input 512 tokens=128\n  repeat 6 {\n    residual {\n      layernorm\n      attention 8 scale=none init=glorot_uniform\n    }\n  }\n}',
      useInstead: 'network encoder {\n  input 512 tokens=128\n  repeat 6 {\n    residual {\n      layernorm\n      attention 8 init=glorot_uniform\n    }\n  }\n}',
      fixSafety:
        '"Scale the logits by 1/√d_head" is unsafe (it changes training numerics). In PyTorch code, hand-written logits with no ' +
        'factor become nanoGPT’s `(q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))`, or use the class’s own ' +
        '`self.scale = dim_head ** -0.5` or `self.head_dim` when it has one (`** -0.5` where math is not imported; no import ' +
        'is added), and `F.scaled_dot_product_attention(…, scale=…)` loses the argument (its default is 1/√d_head). Where the ' +
        'scale is already 1/√d_head and the q/k initializers are too large, no fix is offered: the message gives the numbers.',
      whenNotToApply:
        'T5 leaves out 1/√d_head and compensates in the query init (std (d_model·d_kv)^−½): the simulated logits are small and ' +
        'the rule stays quiet. μP’s 1/d_head scale is deliberate and never flagged (it makes logits smaller).',
      references: [
        'Vaswani et al. 2017, Attention Is All You Need §3.2.1, https://arxiv.org/abs/1706.03762',
        'Zhai et al. 2023, Stabilizing Transformer Training by Preventing Attention Entropy Collapse, https://arxiv.org/abs/2303.06296',
        'Yang et al. 2022, Tensor Programs V (μP, 1/d attention), https://arxiv.org/abs/2203.03466',
      ],
    },
  },
  check({ network, report }) {
    const stream = tokenStreamOf(network);
    if (!stream) return;
    for (const group of byStatement(stream.attention)) {
      const worst = group.reduce((a, b) => (b.logitVariance > a.logitVariance ? b : a));
      if (!(worst.logitVariance > SATURATED_LOGIT_VARIANCE)) continue;
      const op = worst.op;
      const scale = op.logitScale!;
      const standard = 1 / Math.sqrt(op.headDim);
      const unscaled = scale > standard * 1.5;
      const written = scale === 1 ? 'not scaled at all' : `scaled by ${op.scaleLabel} (${formatNumber(scale)})`;
      const cause = unscaled
        ? `q·kᵀ is ${written} instead of by 1/√${op.headDim} (${formatNumber(standard)})`
        : `the query and key initializers are too large for this head width (${op.query.init.label}, ${op.key.init.label})`;
      const fixes: Fix[] = [];
      const edits = unscaled ? op.fixes?.useStandardScale() : undefined;
      if (edits) fixes.push({ title: `Scale the logits by 1/√${op.headDim}`, applicability: 'unsafe', edits });
      report({
        span: op.scaleSpan ?? op.kindSpan,
        message:
          `Attention logits have std ${formatNumber(Math.sqrt(worst.logitVariance))} over the keys of a query at init ` +
          `(variance ${formatNumber(worst.logitVariance)}; saturation above ${SATURATED_LOGIT_VARIANCE}): ${cause}. ` +
          `Each query attends to ~${formatNumber(worst.effectiveKeys)} of ${stream.tokens} keys${stream.tokensAssumed ? ' (tokens assumed)' : ''}, ` +
          'so the softmax starts entropy-collapsed and passes almost no gradient to the queries and keys.',
        fixes,
      });
    }
  },
};
