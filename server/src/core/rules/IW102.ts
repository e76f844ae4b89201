/** IW102 kaiming-nonlinearity-mismatch (spec/rules.md). The decision lives in kaiming.ts. */
import { activationLabel } from '../knowledge/activations';
import { formatNumber } from '../format/numbers';
import { kaimingArgumentsLabel, kaimingMismatch } from './kaiming';
import type { Rule } from './types';

export const IW102: Rule = {
  meta: {
    code: 'IW102',
    name: 'kaiming-nonlinearity-mismatch',
    defaultSeverity: 'warning',
    summary:
      "`kaiming_*` is told a nonlinearity that is not the layer's activation, or `a` is ignored or differs from the layer's leaky slope, or the named gain is known to be wrong (`nonlinearity='selu'`).",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        "Checks the `nonlinearity` and `a` arguments of PyTorch's `kaiming_normal_`/`kaiming_uniform_` against the " +
        "activation that follows the layer, by the gain `calculate_gain` computes from them. Flags `nonlinearity='relu'` " +
        "before a tanh, an `a` that PyTorch ignores (it is read only with `nonlinearity='leaky_relu'`), an `a` that is " +
        "not the layer's leaky slope, and `nonlinearity='selu'` (gain 3/4) on SELU.",
      whyItMatters:
        'The gain sets the weight scale. A wrong nonlinearity silently gives the scale of another activation (√2 instead ' +
        "of 5/3), and `a=0.2` with `nonlinearity='relu'` is silently √2. PyTorch's SELU gain 3/4 was found empirically " +
        "and breaks self-normalisation; its own docs advise `nonlinearity='linear'` for SELU.",
      example: 'network net framework=pytorch {\n  input 256\n  dense 256 activation=tanh init=kaiming_normal(nonlinearity=relu)\n}',
      useInstead: 'network net framework=pytorch {\n  input 256\n  dense 256 activation=tanh init=kaiming_normal(nonlinearity=tanh)\n}',
      fixSafety:
        'The fix rewrites the arguments to match the activation. It is safe when the activation is written on the layer ' +
        'itself, unsafe when it was inferred from a later statement.',
      whenNotToApply:
        "Equivalences are never flagged: `nonlinearity='linear'` for SELU (LeCun) and `'linear'` or `'tanh'` for tanh. " +
        'GELU, SiLU, Mish and ELU have no PyTorch gain; `relu` is accepted for them.',
      references: [
        'torch.nn.init.kaiming_normal_ and calculate_gain (PyTorch docs)',
        'pytorch/pytorch#24991 (gains), pytorch/pytorch#50664 (SELU gain 3/4)',
        'Klambauer et al. 2017, https://arxiv.org/abs/1706.02515',
      ],
    },
  },
  check({ network, report }) {
    if (network.pretrained) return;
    for (const layer of network.layers) {
      const mismatch = kaimingMismatch(layer);
      if (!mismatch || layer.consumer === 'unknown') continue;
      const act = activationLabel(layer.consumer);
      const correct = kaimingArgumentsLabel(mismatch.correct);
      const gains = `gain ${formatNumber(mismatch.writtenGain)} instead of ${formatNumber(mismatch.correctGain)}`;
      const message =
        mismatch.reason === 'ignored-a'
          ? `\`a\` is ignored unless nonlinearity='leaky_relu': this ${act} layer gets ${gains}. Use ${correct}.`
          : mismatch.reason === 'selu-gain'
            ? `nonlinearity='selu' gives PyTorch's empirical gain 3/4, which breaks SELU's self-normalisation (fan_in·Var(W) must be 1). Use ${correct}.`
            : `\`${layer.init.label}\` does not match this ${act} layer: ${gains}. Use ${correct}.`;
      const edits = layer.fixes.setKaimingArguments(mismatch.correct);
      const certain = layer.consumer.explicit && layer.activation !== 'unknown' && layer.activation.span?.start === layer.consumer.span?.start;
      report({
        span: layer.init.span ?? layer.kindSpan,
        message,
        fixes: edits && edits.length > 0 ? [{ title: `Use ${correct}`, applicability: certain ? 'safe' : 'unsafe', edits }] : [],
      });
    }
  },
};
