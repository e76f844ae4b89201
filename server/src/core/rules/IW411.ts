/**
 * IW411 lstm-forget-gate-bias: an LSTM whose forget gate starts with bias 0 forgets half its
 * cell state per step at init, so the gradient along the cell state shrinks geometrically;
 * Jozefowicz et al. 2015 found a forget-gate bias of 1 closes most of the gap to the GRU
 * (Gers et al. 2000 proposed it). Keras sets it (unit_forget_bias=True); PyTorch and Flax do not.
 */
import { formatNumber } from '../format/numbers';
import { FORGET_GATE, RECOMMENDED_FORGET_BIAS } from '../knowledge/recurrent';
import { overSteps, recurrentLayers, throughTimeOf, throughTimeWith } from './recurrentCommon';
import type { Rule } from './types';

/** Below this total forget-gate bias the gate starts near σ(0) = 0.5 (1 gives σ = 0.73). */
const SMALL_FORGET_BIAS = 0.5;

export const IW411: Rule = {
  meta: {
    code: 'IW411',
    name: 'lstm-forget-gate-bias',
    defaultSeverity: 'info',
    summary: "An LSTM's forget-gate bias starts at 0 where the framework does not set it (PyTorch, Flax); Keras's unit_forget_bias=True is right.",
    fixable: 'sometimes',
    docs: {
      whatItDoes:
        "For every LSTM layer, reads the forget gate's bias at init (PyTorch: the forget slice of bias_ih plus bias_hh; " +
        'Keras: unit_forget_bias; Flax: the forget Dense\'s bias) and flags a total below 0.5. The message gives the simulated ' +
        'gradient through the sequence with this bias and with a forget-gate bias of 1.',
      whyItMatters:
        'With bias 0 the forget gate starts at σ(0) = 0.5: the cell keeps half its state per step, and the gradient along ' +
        'the cell state shrinks by E[f²] ≈ 0.27 per step, 1e-57 over 100 steps. Jozefowicz et al. (2015) found that a forget-gate ' +
        'bias of 1 (Gers et al. 2000) makes the LSTM match or beat the GRU on almost every task; Keras sets it by default ' +
        '(unit_forget_bias=True), PyTorch initialises the bias like every other (U(±1/√hidden)) and Flax with zeros.',
      example: 'network lm framework=pytorch {\n  input 256\n  lstm 512 steps=100\n  dense 10000 activation=softmax\n}',
      useInstead: 'network lm framework=pytorch {\n  input 256\n  lstm 512 steps=100 forget_bias=1\n  dense 10000 activation=softmax\n}',
      fixSafety:
        '"Set the forget-gate bias to 1" is unsafe (it changes training numerics). In PyTorch it inserts the idiom that fills ' +
        "the forget slice of bias_ih with 1 and of bias_hh with 0 after the layer's construction; in .netdef it writes forget_bias=1.",
      whenNotToApply: 'Pretrained weights; an LSTM whose forget bias is set somewhere InitWise cannot read (then say so with a suppression comment).',
      references: [
        'Jozefowicz, Zaremba & Sutskever 2015, An Empirical Exploration of Recurrent Network Architectures, https://proceedings.mlr.press/v37/jozefowicz15.html',
        'Gers, Schmidhuber & Cummins 2000, Learning to Forget: Continual Prediction with LSTM, https://doi.org/10.1162/089976600300015015',
        'Keras LSTM unit_forget_bias, https://keras.io/api/layers/recurrent_layers/lstm/',
      ],
    },
  },
  check({ network, simulation, report }) {
    if (network.pretrained) return;
    for (const { layer, spec } of recurrentLayers(network)) {
      if (spec.cell !== 'lstm' || !spec.gateBiases) continue;
      const forget = spec.gateBiases[FORGET_GATE]!;
      if (forget.mean >= SMALL_FORGET_BIAS) continue;
      const now = throughTimeOf(layer, simulation);
      const fixedBiases = spec.gateBiases.map((b, i) => (i === FORGET_GATE ? { mean: RECOMMENDED_FORGET_BIAS, varianceIh: 0, varianceHh: 0 } : b));
      const fixed = throughTimeWith(layer, { gateBiases: fixedBiases });
      const numbers = now && fixed && Number.isFinite(now.factor) && Number.isFinite(fixed.factor)
        ? ` The simulated gradient reaching the first step is ${overSteps(now, spec.cell)}; with a forget-gate bias of 1, ×${formatNumber(fixed.factor)}.`
        : '';
      const edits = spec.fixes?.setForgetBias?.(RECOMMENDED_FORGET_BIAS);
      report({
        span: spec.forgetBiasSpan ?? layer.kindSpan,
        message: `This LSTM's forget-gate bias starts at ${formatNumber(forget.mean)}: the gate keeps about half the cell state per step at init.${numbers} ` +
          'Set it to 1 (Jozefowicz et al. 2015; Keras does by default).',
        fixes: edits && edits.length > 0 ? [{ title: 'Set the forget-gate bias to 1', applicability: 'unsafe', edits }] : [],
      });
    }
  },
};
