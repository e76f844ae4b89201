/** IW201 vanishing-activations: the forward signal falls below the band over depth. */
import { checkDepth } from './depth';
import type { Rule } from './types';

export const IW201: Rule = {
  meta: {
    code: 'IW201',
    name: 'vanishing-activations',
    defaultSeverity: 'warning',
    summary:
      "The simulated forward signal (pre-activation second moment, unit-variance input) falls below the band (default 1/100 of the input's) by the last layer; reported at the class, builder or header that defines the network, naming the layer where it leaves the band and the average per-layer factor.",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        'Simulates the network (mean field: the forward length map with each layer\'s real Var(W), bias, normalisation, ' +
        'dropout, pooling and residual branches) and divides out the one-off factors that changes of width and pools on ' +
        'the main path contribute (a 2×2 max pool after ReLU ×3.1, a global average pool ÷n² per position backward). When the ' +
        "pre-activations at the last layer end below 1/band of the input's second moment (band 100 by default), it " +
        'reports the network, the layer where the signal leaves the band, the per-layer factor, and whether the ' +
        'recommended initializers would fix it (it simulates that too) or only normalisation, residual scaling or ' +
        'another activation can.',
      whyItMatters:
        'A signal that shrinks geometrically carries no information to the last layers, and the gradients shrink with ' +
        "it. PyTorch's default init under ReLU gives ×1/6 per layer: after 20 layers 1.6e-15 of the input (PyTorch " +
        'measures 1.7e-15). The network trains slowly or not at all.',
      example: 'network mlp framework=pytorch {\n  input 784\n  repeat 20 {\n    dense 512 activation=relu\n  }\n  dense 10\n}',
      useInstead:
        'network mlp framework=pytorch {\n  input 784\n  repeat 20 {\n    dense 512 activation=relu init=he_normal\n  }\n  dense 10\n}',
      fixSafety:
        'When switching initializers fixes the drift, one unsafe fix writes the recommended initializer on every ' +
        'statement that needs it (all or nothing).',
      whenNotToApply:
        'Funnels, wide-to-narrow heads and pooling are not vanishing: width ratios and pools are factored out. Networks that cannot be ' +
        'simulated (unknown widths or activations) and pretrained weights are not judged. Tune the band with ' +
        '`initwise.simulation.band`.',
      references: [
        'Poole et al. 2016, https://arxiv.org/abs/1606.05340',
        'Schoenholz et al. 2017, Deep Information Propagation, https://arxiv.org/abs/1611.01232',
        'He et al. 2015, https://arxiv.org/abs/1502.01852',
      ],
    },
  },
  check(context) {
    checkDepth(context, { direction: 'forward', way: 'vanishing', subject: 'signal' });
  },
};
