/** IW203 vanishing-gradients: the gradient reaching the first layer falls below the band. */
import { checkDepth } from './depth';
import type { Rule } from './types';

export const IW203: Rule = {
  meta: {
    code: 'IW203',
    name: 'vanishing-gradients',
    defaultSeverity: 'warning',
    summary: 'The simulated gradient second moment at the first layer falls below the band relative to the last layer.',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Runs the backward half of the simulation (the gradient multiplier fan_out·Var(W)·E[φ′²] per layer, through ' +
        'normalisation, dropout and residual branches) from a unit-variance gradient at the output, divides out the ' +
        'width factors, and reports when the gradient at the first layer ends below 1/band of it.',
      whyItMatters:
        'The first layers stop learning: their updates are a tiny fraction of the last layers\'. Sigmoid with Glorot ' +
        'init shrinks gradients ×0.056 per layer (1e-24 after 20 layers); tanh with PyTorch\'s default ×0.33.',
      example: 'network net {\n  input 256\n  repeat 20 {\n    dense 256 activation=sigmoid\n  }\n  dense 1\n}',
      useInstead: 'network net {\n  input 256\n  repeat 20 {\n    dense 256 activation=relu init=he_normal\n  }\n  dense 1\n}',
      fixSafety: 'As IW201: one unsafe fix when switching initializers brings the gradient back into the band.',
      whenNotToApply: 'As IW201.',
      references: ['Schoenholz et al. 2017, https://arxiv.org/abs/1611.01232', 'Glorot & Bengio 2010, http://proceedings.mlr.press/v9/glorot10a.html'],
    },
  },
  check(context) {
    checkDepth(context, { direction: 'backward', way: 'vanishing', subject: 'gradients' });
  },
};
