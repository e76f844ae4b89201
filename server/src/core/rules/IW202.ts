/** IW202 exploding-activations: the forward signal grows past the band over depth. */
import { checkDepth } from './depth';
import type { Rule } from './types';

export const IW202: Rule = {
  meta: {
    code: 'IW202',
    name: 'exploding-activations',
    defaultSeverity: 'warning',
    summary: 'The simulated forward signal grows above the band (default ×100 of the input\'s) by the last layer.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'The same simulation as IW201; reports when the pre-activations at the last layer end above band × the ' +
        "input's second moment (width changes and pools factored out), naming the layer where the signal leaves the band and " +
        'whether the recommended initializers would fix it.',
      whyItMatters:
        'A signal that grows geometrically saturates tanh and sigmoid units (their gradients vanish) and makes ReLU ' +
        'networks produce huge logits and loss spikes. He init on a stack of linear layers doubles the signal per ' +
        'layer: ×1e6 after 20 layers.',
      example: 'network deep_linear {\n  input 256\n  repeat 20 {\n    dense 256 init=he_normal\n  }\n}',
      useInstead: 'network deep_linear {\n  input 256\n  repeat 20 {\n    dense 256 init=lecun_normal\n  }\n}',
      fixSafety: 'As IW201: one unsafe fix when switching initializers brings the signal back into the band.',
      whenNotToApply: 'As IW201.',
      references: ['Poole et al. 2016, https://arxiv.org/abs/1606.05340', 'He et al. 2015, https://arxiv.org/abs/1502.01852'],
    },
  },
  check(context) {
    checkDepth(context, { direction: 'forward', way: 'exploding', subject: 'signal' });
  },
};
