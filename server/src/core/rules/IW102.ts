/** IW102 kaiming-nonlinearity-mismatch (spec/rules.md). The decision lives in kaiming.ts. */
import { activationLabel } from '../knowledge/activations';
import { formatNumber } from '../format/numbers';
import type { Activation } from '../ir';
import { policyFor } from '../knowledge/policy';
import { formatFactor } from './common';
import { kaimingArgumentsLabel, kaimingMismatch, type KaimingArguments, type KaimingMismatch } from './kaiming';
import { impactSeverity } from './impact';
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
        "not the layer's leaky slope, and `nonlinearity='selu'` (gain 3/4) on SELU. Severity follows impact (issue 13): warning when the network's signal or gradient leaves the IW201–IW204 band the way this layer pushes it, info when the simulated network ends inside the band both ways, the default otherwise (not simulated); a configured severity wins.",
      whyItMatters:
        'The gain sets the weight scale. A wrong nonlinearity silently gives the scale of another activation (√2 instead ' +
        "of 5/3), and `a=0.2` with `nonlinearity='relu'` is silently √2. PyTorch's SELU gain 3/4 was found empirically " +
        "and breaks self-normalisation; its own docs advise `nonlinearity='linear'` for SELU.",
      example: 'network net framework=pytorch {\n  input 256\n  dense 256 activation=tanh init=kaiming_normal(nonlinearity=relu)\n}',
      useInstead: 'network net framework=pytorch {\n  input 256\n  dense 256 activation=tanh init=kaiming_normal(nonlinearity=tanh)\n}',
      fixSafety:
        'The fix rewrites the arguments to match the activation, quoted as the file quotes them (`nonlinearity=\'tanh\'`). It is safe when the activation is written on the layer ' +
        'itself, unsafe when it was inferred from a later statement. An init call in a loop over layers (`for conv in (self.c1, self.c2): ' +
        'nn.init.kaiming_normal_(conv.weight, ...)`) is fixed when every layer it sets wants the same arguments; otherwise it is reported without a fix.',
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
  check(context) {
    const { network, report } = context;
    if (network.pretrained) return;
    const mismatches = network.layers.map((layer) => kaimingMismatch(layer));
    for (const [i, layer] of network.layers.entries()) {
      const mismatch = mismatches[i];
      if (!mismatch || layer.consumer === 'unknown') continue;
      const act = activationLabel(layer.consumer);
      const describe = (args: KaimingArguments) => layer.fixes.describeKaimingArguments?.(args) ?? kaimingArgumentsLabel(args);
      const correct = describe(mismatch.correct);
      const gains = `gain ${formatNumber(mismatch.writtenGain)} instead of ${formatNumber(mismatch.correctGain)}`;
      const impact = gainImpact(mismatch, layer.consumer);
      const sameGain = formatNumber(mismatch.writtenGain) === formatNumber(mismatch.correctGain);
      const message =
        mismatch.reason === 'ignored-a'
          ? `\`a\` is ignored unless nonlinearity is leaky_relu; use ${correct}. This ${act} layer gets ${sameGain ? `gain ${formatNumber(mismatch.writtenGain)} whatever \`a\` says` : gains}.`
          : mismatch.reason === 'selu-gain'
            ? `SELU loses self-normalisation: nonlinearity='selu' gives PyTorch's empirical gain 3/4 (fan_in·Var(W) must be 1); use ${correct}.`
            : `${impact}: \`${layer.init.label}\` under ${act}; use ${correct}. It gives ${gains}.`;
      // A call in a loop over layers sets them all: fixable when every layer it reaches in
      // this network wants the same arguments (the builder checks the call reaches no others).
      const sharing = network.layers.filter((other) => other.init.span !== undefined && layer.init.span !== undefined &&
        other.init.span.start === layer.init.span.start && other.init.span.end === layer.init.span.end);
      const agree = sharing.every((other) => {
        const wanted = mismatches[other.index];
        return wanted !== undefined && sameArguments(wanted.correct, mismatch.correct);
      });
      const edits = agree ? layer.fixes.setKaimingArguments(mismatch.correct, sharing.length) : undefined;
      const certain = sharing.every((other) => other.consumer !== 'unknown' && other.consumer.explicit && other.activation !== 'unknown' &&
        other.activation.span?.start === other.consumer.span?.start);
      report({
        severity: impactSeverity(context, (mismatch.writtenGain / mismatch.correctGain) ** 2, 'warning'),
        span: layer.init.span ?? layer.kindSpan,
        message,
        fixes: edits && edits.length > 0 ? [{ title: `Use ${correct}`, applicability: certain ? 'safe' : 'unsafe', edits }] : [],
      });
    }
  },
};

function sameArguments(a: KaimingArguments, b: KaimingArguments): boolean {
  return a.nonlinearity === b.nonlinearity && a.a === b.a;
}

/**
 * The first clause: what the written gain does to this layer. Under the ReLU family the
 * per-layer factor is exact, (written gain / correct gain)²; elsewhere it is the scale's
 * ratio to the target.
 */
function gainImpact(mismatch: KaimingMismatch, activation: Activation): string {
  const ratio = (mismatch.writtenGain / mismatch.correctGain) ** 2;
  if (policyFor(activation).family === 'relu' || activation.name === 'linear') {
    return `Signal ${ratio < 1 ? 'shrinks' : 'grows'} ×${formatFactor(ratio)} per layer`;
  }
  return `Weight scale ×${formatFactor(ratio)} of what ${activationLabel(activation)} wants`;
}
