import type { Rule } from './types';

/** Reported by the frontends; this file is its metadata and docs. */
export const IW001: Rule = {
  meta: {
    code: 'IW001',
    name: 'syntax-error',
    defaultSeverity: 'error',
    summary: 'A `.netdef` file (or a model file the frontends cannot read at all) has a syntax error.',
    fixable: 'never',
    docs: {
      whatItDoes:
        'Reports each place a model file cannot be read: a malformed statement, a missing value, an unbalanced brace, ' +
        'a shape that does not fit the layer (a dense layer on an unflattened convolution output), a `repeat` beyond the ' +
        'expansion limit. One diagnostic per mistake, on the exact range, saying what was expected.',
      whyItMatters:
        'A line InitWise cannot understand is a line it cannot check. Every other line is still analysed, so one typo ' +
        'never hides the findings of the rest of the file.',
      example: 'network mlp {\n  input 784\n  dense 512 activation=relu init=he_normal extra\n}',
      useInstead: 'network mlp {\n  input 784\n  dense 512 activation=relu init=he_normal\n}',
      fixSafety: 'No automatic fix: the intent of a malformed line is not known.',
      whenNotToApply: 'Always applies; it cannot be turned off for `.netdef` files that must be read.',
      references: ['docs/netdef.md (the language reference)'],
    },
  },
};
