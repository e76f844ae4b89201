/** IW403 attention-rank-collapse: at init the tokens become (nearly) identical through the stack. */
import { formatNumber } from '../format/numbers';
import type { AttentionOp, Op } from '../ir';
import { COLLAPSED_CORRELATION } from '../simulation/tokenStream';
import { tokenStreamOf } from './tokenStreamFindings';
import type { Rule } from './types';


export const IW403: Rule = {
  meta: {
    code: 'IW403',
    name: 'attention-rank-collapse',
    defaultSeverity: 'warning',
    summary: 'The simulated correlation between tokens reaches 1 within the stack at init (rank collapse, Noci et al. 2022).',
    fixable: 'never',
    docs: {
      whatItDoes:
        'Carries the correlation between two tokens through the simulated stack (the analytic pass keeps a second quantity per ' +
        'token pair) and reports the first attention after which it reaches 0.99, with the value.',
      whyItMatters:
        'Attention at init is close to uniform, so each attention hands on nearly the mean token: without a residual path, or ' +
        'with one the attention outputs dominate, the tokens become the same vector within a few layers. The gradients of the ' +
        'queries and keys then vanish and the model cannot start to tell positions apart (Noci et al. 2022; Dong et al. 2021).',
      example: 'network attention_only {\n  input 256 tokens=128\n  repeat 6 {\n    attention 4 init=glorot_uniform\n  }\n}',
      useInstead: 'network attention_only {\n  input 256 tokens=128\n  repeat 6 {\n    residual scale=0.4 {\n      layernorm\n      attention 4 init=glorot_uniform\n    }\n  }\n}',
      fixSafety: 'No fix: the remedy is structural (a residual path, a normalisation, scaled branches).',
      whenNotToApply: 'Pre-LN and post-LN transformers with standard inits keep the correlation well below 0.99 at init (BERT: 0.22, GPT-2: 0.01 after 12 blocks; ' +
        'PyTorch\'s nn.Transformer as constructed, 6+6 post-LN with dropout 0.1: 0.78 in the decoder). Post-LN decoders without dropout are the exception ' +
        'measured: every cross-attention adds nearly the same memory average to each target token and the norm keeps it (12 layers: 0.999 in PyTorch); ' +
        'there the remedy named is pre-LN (norm_first=True).',
      references: [
        'Noci et al. 2022, Signal Propagation in Transformers: Theoretical Perspectives and the Role of Rank Collapse, https://arxiv.org/abs/2206.03126',
        'Dong et al. 2021, Attention is not all you need: pure attention loses rank doubly exponentially with depth, https://arxiv.org/abs/2103.03404',
      ],
    },
  },
  check({ network, report }) {
    const stream = tokenStreamOf(network);
    if (!stream) return;
    const total = stream.attention.length;
    const first = stream.attention.findIndex((a) => (a.handsOn ?? a.outputCorrelation) >= COLLAPSED_CORRELATION);
    if (first < 0) return;
    const point = stream.attention[first]!;
    // Reported once: at the first collapsing attention (a repeat's later passes collapse further).
    const reached = point.handsOn ?? point.outputCorrelation;
    const residual = point.handsOn !== undefined;
    // Post-LN normalises every sum, so scaling a branch cannot keep the stream's own tokens:
    // measured on nn.Transformer's post-LN decoder (test/reference/transformer/decoder_oracle.py,
    // 12 layers, dropout 0: 0.999), where the pre-LN stack of the same depth stays near 0.7.
    const remedy = !residual ? 'put the attention in a residual branch (x + attention(norm(x)))'
      : postNormalised(network.ops, point.op) ? 'normalise before each branch instead of after the sum (pre-LN: x + f(norm(x)); norm_first=True in PyTorch\'s transformer layers)'
        : 'scale the branches (1/√depth) or gate them so the stream keeps its own tokens';
    const memory = point.memoryCorrelation !== undefined ? `, memory ${formatNumber(point.memoryCorrelation, 3)}` : '';
    report({
      span: point.op.kindSpan,
      message:
        `Token correlation reaches ${formatNumber(reached, 4)} after this attention at init (attention ${first + 1} of ${total}; ` +
        `input ${formatNumber(point.inputCorrelation, 3)}${memory}): the tokens carry nearly the same vector (rank collapse), and queries ` +
        `and keys get almost no gradient. ${remedy[0]!.toUpperCase()}${remedy.slice(1)}.`,
    });
  },
};

/** The attention sits in a residual branch whose sum a norm follows (post-LN). */
function postNormalised(ops: readonly Op[], attention: AttentionOp): boolean {
  return ops.some((op, i) => {
    if (op.op === 'residual') return (op.body.includes(attention) && ops[i + 1]?.op === 'norm') || postNormalised(op.body, attention);
    if (op.op === 'memory') return postNormalised(op.body, attention);
    return false;
  });
}
