/**
 * Activation values: `relu`, `ReLU`, `leaky_relu(0.2)`, `elu(1.0)`. Unknown names are
 * IW002 with the nearest known spelling; the layer's activation is then `unknown`, so
 * no rule guesses about it.
 */
import type { ActivationName, ActivationUse } from '../../ir';
import { ACTIVATION_SPELLINGS, activationTakesParam, resolveActivation } from '../../knowledge/activations';
import type { Span } from '../../text';
import type { Expr, Name } from './ast';
import { formatNumber } from './numbers';
import { quoteSnippet } from './snippet';
import { listChoices, misspelt, readName, readNumber, type Reader } from './values';

export interface ActivationReading {
  readonly use: ActivationUse | 'unknown';
  /** The whole value as written (`leaky_relu(0.2)`), which a fix replaces. */
  readonly span: Span;
}

/** The canonical names, in the order the language reference lists them. */
const CANONICAL_NAMES: readonly ActivationName[] = [...new Set(ACTIVATION_SPELLINGS.map((s) => resolveActivation(s)!.name))];

export function readActivation(expr: Expr, reader: Reader): ActivationReading {
  const unknown: ActivationReading = { use: 'unknown', span: expr.span };
  const name: Name | undefined = expr.kind === 'call' ? expr.callee : readName(expr, reader, 'an activation name such as relu');
  if (!name) return unknown;
  const resolved = resolveActivation(name.lower);
  if (!resolved) {
    reader.diags.unknownName(name.span, () => {
      const content = misspelt(name, `unknown activation ${quoteSnippet(name.text)}`, ACTIVATION_SPELLINGS);
      return typeof content === 'string' ? `${content}; expected one of ${listChoices(CANONICAL_NAMES)}` : content;
    });
    return unknown;
  }
  let param = resolved.defaultParam;
  if (expr.kind === 'call' && expr.args.length > 0) {
    const example = `${resolved.name}(${formatNumber(resolved.defaultParam ?? 0.2)})`;
    const [first, ...rest] = expr.args;
    if (!activationTakesParam(resolved.name)) {
      reader.diags.syntax(expr.span, `${resolved.name} takes no parameter; write '${name.text}'`);
    } else if (rest.length > 0) {
      reader.diags.syntax(expr.span, `${resolved.name} takes one number, as in ${example}`);
    } else if (first) {
      if (first.keyword) reader.diags.syntax(first.keyword.span, `write the parameter without a name, as in ${example}`);
      param = readNumber(first.value, reader, `the parameter of ${resolved.name}`) ?? resolved.defaultParam;
    }
  }
  const use: ActivationUse = param === undefined
    ? { name: resolved.name, span: name.span, explicit: true }
    : { name: resolved.name, param, span: name.span, explicit: true };
  return { use, span: expr.span };
}
