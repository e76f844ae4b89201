/**
 * IW412 recurrent-kernel-init: the recurrent kernel multiplies the state at every step, so its
 * spectrum at init decides whether the state and the gradient survive the sequence. Under tanh
 * and in gated cells, an orthogonal kernel keeps every direction's norm (Saxe et al. 2014); an
 * iid kernel spreads its singular values over [0, 2σ] (and PyTorch's U(±1/√h) has σ = 0.58).
 * A ReLU RNN wants the identity (IRNN, Le et al. 2015): the state is carried unchanged.
 */
import { formatNumber } from '../format/numbers';
import type { Fix } from '../findings';
import { recurrentSpectrum, type RecurrentSpectrum } from '../knowledge/recurrent';
import { overSteps, recurrentLayers, throughTimeOf, throughTimeWith } from './recurrentCommon';
import type { Rule } from './types';

/** Orthogonal (or identity) gains accepted as norm-preserving under tanh and in gated cells. */
const ORTHOGONAL_GAIN: readonly [number, number] = [0.9, 1.25];
/** Identity gains accepted for ReLU RNNs: Le et al. use 1; a smaller scale is a damped IRNN, above 1 the state explodes. */
const IDENTITY_GAIN: readonly [number, number] = [0.01, 1.1];

function gainOf(spectrum: RecurrentSpectrum, semanticsGain: number | undefined): number {
  return semanticsGain ?? spectrum.scale;
}

export const IW412: Rule = {
  meta: {
    code: 'IW412',
    name: 'recurrent-kernel-init',
    defaultSeverity: 'warning',
    summary:
      "A recurrent weight's init does not keep the state's norm through time: not near-orthogonal under tanh or in LSTM/GRU (Saxe et al. 2014), " +
      'not identity-like in a ReLU RNN (Le et al. 2015).',
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        "Reads the recurrent kernel's initializer separately from the input kernel's and computes its spectrum at init: " +
        'orthogonal (every singular value equals the gain), a scaled identity, or iid entries (singular values spread over ' +
        '[0, 2σ], σ = √(hidden·Var(W))). Under tanh and in LSTM/GRU cells it flags anything but an orthogonal or identity ' +
        'kernel with gain 0.9–1.25; in a ReLU RNN anything but an identity with gain up to 1.1. The message gives σ, the ' +
        'largest singular value and the simulated gradient through the sequence, now and with the recommended kernel.',
      whyItMatters:
        'The state is multiplied by the same matrix at every step. PyTorch initialises weight_hh like every recurrent weight, ' +
        'U(±1/√hidden): σ² = 1/3, so a tanh RNN\'s gradient shrinks ×0.38 per step (1e-68 over 100 steps, measured in PyTorch, ' +
        'test/reference/recurrent/). Saxe et al. (2014) show orthogonal matrices keep every direction\'s norm through products; ' +
        'Keras and Flax use orthogonal recurrent kernels by default. A ReLU RNN with an orthogonal or random kernel still loses ' +
        'its gradient (PyTorch: 1e-31 over 100 steps, orthogonal); Le et al. (2015) initialise it with the identity, which ' +
        'carries the state unchanged.',
      example: 'network tagger framework=pytorch {\n  input 128\n  rnn 256 activation=tanh steps=50\n  dense 20 activation=softmax\n}',
      useInstead: 'network tagger framework=pytorch {\n  input 128\n  rnn 256 activation=tanh steps=50 recurrent_init=orthogonal\n  dense 20 activation=softmax\n}',
      fixSafety:
        '"Use an orthogonal recurrent kernel" and "Use an identity recurrent kernel" are unsafe (they change training ' +
        "numerics). In PyTorch they insert nn.init.orthogonal_ / nn.init.eye_ on weight_hh after the layer's construction.",
      whenNotToApply:
        'Pretrained weights; unitary or otherwise structured recurrent parameterisations that InitWise cannot read; very short ' +
        'sequences, where the product of a few steps does not matter.',
      references: [
        'Saxe, McClelland & Ganguli 2014, Exact solutions to the nonlinear dynamics of learning in deep linear neural networks, https://arxiv.org/abs/1312.6120',
        'Le, Jaitly & Hinton 2015, A Simple Way to Initialize Recurrent Networks of Rectified Linear Units, https://arxiv.org/abs/1504.00941',
        'Pascanu, Mikolov & Bengio 2013, On the difficulty of training recurrent neural networks, https://arxiv.org/abs/1211.5063',
      ],
    },
  },
  check({ network, simulation, report }) {
    if (network.pretrained) return;
    for (const { layer, spec } of recurrentLayers(network)) {
      if (spec.nonlinearity === 'unknown') continue;
      const spectrum = recurrentSpectrum(spec);
      if (!spectrum) continue;
      const init = spec.recurrentInit;
      const semantics = init.kind === 'drawn' ? init.init.semantics : undefined;
      const gain = gainOf(spectrum, init.kind === 'identity' ? init.gain : semantics?.kind === 'orthogonal' ? semantics.gain : undefined);
      const relu = spec.cell === 'rnn' && spec.nonlinearity.name === 'relu';
      const isometric = spectrum.structure === 'orthogonal' || spectrum.structure === 'stacked-orthogonal' || spectrum.structure === 'identity';
      const fine = relu
        ? spectrum.structure === 'identity' && gain >= IDENTITY_GAIN[0] && gain <= IDENTITY_GAIN[1]
        : isometric && gain >= ORTHOGONAL_GAIN[0] && gain <= ORTHOGONAL_GAIN[1];
      if (fine) continue;
      const label = init.kind === 'identity' ? init.label : init.init.label;
      const shape = spectrum.structure === 'iid'
        ? `iid entries with σ = √(hidden·Var(W)) = ${formatNumber(spectrum.scale)}: singular values spread over [0, ${formatNumber(spectrum.largestSingularValue ?? NaN)}]`
        : spectrum.structure === 'constant'
          ? 'every entry equal: a rank-one (or zero) kernel'
          : `${spectrum.structure === 'identity' ? 'an identity' : 'orthogonal'} with gain ${formatNumber(gain)}${gain > 1.1 || gain < 0.9 ? `, which ${gain > 1 ? 'grows' : 'shrinks'} the state ×${formatNumber(gain)} per step` : ''}`;
      const now = throughTimeOf(layer, simulation);
      const nowText = now && Number.isFinite(now.factor) ? ` The simulated gradient reaching the first step is ${overSteps(now, spec.cell)}` : '';
      let message: string;
      let fix: Fix | undefined;
      if (relu) {
        // The identity kernel has no mean field (units never mix): no counterfactual number.
        message = `The recurrent kernel of this ReLU RNN (${label}) is ${shape}, not identity-like (gain up to ${formatNumber(IDENTITY_GAIN[1])}).${nowText ? `${nowText}.` : ''} ` +
          'Initialise it with the identity (IRNN, Le et al. 2015).';
        const edits = spec.fixes?.useIdentityRecurrent?.();
        fix = edits && edits.length > 0 ? { title: 'Use an identity recurrent kernel', applicability: 'unsafe', edits } : undefined;
      } else {
        const fixed = throughTimeWith(layer, { recurrentInit: { kind: 'drawn', init: { semantics: { kind: 'orthogonal', gain: 1 }, label: 'orthogonal', explicit: true, acceptedDefault: false } } });
        // Mean field sees second moments only, not the spectrum: the counterfactual is quoted only where it shows the gain.
        const helps = now && fixed && Number.isFinite(fixed.factor) && fixed.factor > now.factor;
        const fixedText = nowText && helps ? `; with an orthogonal kernel, ×${formatNumber(fixed.factor)}.` : nowText ? '.' : '';
        const cell = spec.cell === 'rnn' ? 'this tanh RNN' : `this ${spec.cell.toUpperCase()}`;
        message = `The recurrent kernel of ${cell} (${label}) is ${shape}: it does not keep the state's norm (orthogonal with gain ${formatNumber(ORTHOGONAL_GAIN[0])}–${formatNumber(ORTHOGONAL_GAIN[1])} does).${nowText}${fixedText} ` +
          'Initialise it orthogonally (Saxe et al. 2014; the Keras and Flax default).';
        const edits = spec.fixes?.useOrthogonalRecurrent?.();
        fix = edits && edits.length > 0 ? { title: 'Use an orthogonal recurrent kernel', applicability: 'unsafe', edits } : undefined;
      }
      const span = init.kind === 'identity' ? init.span : init.init.span;
      report({ span: span ?? layer.kindSpan, message, fixes: fix ? [fix] : [] });
    }
  },
};
