/** IW403 attention-rank-collapse: at init the tokens become (nearly) identical through the stack. */
import { formatNumber } from '../format/numbers';
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
      whenNotToApply: 'Pre-LN and post-LN transformers with standard inits keep the correlation well below 0.99 at init (BERT: 0.22, GPT-2: 0.01 after 12 blocks).',
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
    const remedy = residual
      ? 'scale the branches (1/√depth) or gate them so the stream keeps its own tokens'
      : 'put the attention in a residual branch (x + attention(norm(x)))';
    report({
      span: point.op.kindSpan,
      message:
        `Token correlation reaches ${formatNumber(reached, 4)} after this attention at init (attention ${first + 1} of ${total}; ` +
        `input ${formatNumber(point.inputCorrelation, 3)}): the tokens carry nearly the same vector (rank collapse), and queries ` +
        `and keys get almost no gradient. ${remedy[0]!.toUpperCase()}${remedy.slice(1)}.`,
    });
  },
};
