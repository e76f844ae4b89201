/** IW204 exploding-gradients: the gradient reaching the first layer grows past the band. */
import { checkDepth } from './depth';
import type { Rule } from './types';

export const IW204: Rule = {
  meta: {
    code: 'IW204',
    name: 'exploding-gradients',
    defaultSeverity: 'warning',
    summary: 'The simulated gradient second moment at the first layer grows above the band relative to the last layer.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'The backward simulation of IW203; reports when the gradient at the first layer ends above band × the gradient ' +
        'at the output (width factors divided out).',
      whyItMatters:
        'Exploding gradients make the first layers take huge steps and training diverge. tanh with PyTorch\'s gain 5/3 ' +
        'is in the chaotic phase (χ₁ = 1.21): ×1.4e4 over 50 layers in the infinite-width limit.',
      example: 'network net framework=pytorch {\n  input 256\n  repeat 50 {\n    dense 256 activation=tanh init=xavier_normal(gain=5/3)\n  }\n  dense 1\n}',
      useInstead: 'network net framework=pytorch {\n  input 256\n  repeat 50 {\n    dense 256 activation=tanh init=xavier_normal\n  }\n  dense 1\n}',
      fixSafety: 'As IW201.',
      whenNotToApply: 'As IW201.',
      references: ['Poole et al. 2016, https://arxiv.org/abs/1606.05340', 'Pennington et al. 2017, https://arxiv.org/abs/1711.04735'],
    },
  },
  check(context) {
    checkDepth(context, { direction: 'backward', way: 'exploding', subject: 'gradients' });
  },
};
