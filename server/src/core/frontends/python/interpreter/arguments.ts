/**
 * How a call's arguments reach the parameters of one of the file's functions, methods or
 * constructors, by Python's rules: positions fill the parameters before `*` or `*args`
 * (the rest of them are `*args`), keywords fill any named parameter. Both kinds bind the
 * same way, into two places: the callee's scope gets the argument's expression (read
 * lazily in the caller's scope, so widths and aliases such as `norm_layer=nn.BatchNorm2d`
 * fold there: values.ts), and its frame gets the argument's runtime value (a tensor, a
 * module: WGAN-GP's `block(x, 128, activation=layers.LeakyReLU(0.2))`).
 */
import type { RValue } from './frame';
import type { CallParts, Node } from '../syntax/syntax';
import type { Scope } from './values';

export interface ParameterNames {
  /** The parameters positional arguments fill, in order: `self` and everything from `*` / `*args` on excluded. */
  readonly positional: readonly string[];
  /** Every parameter a keyword argument can name (not `*args` or `**kwargs`; `self` excluded). */
  readonly named: ReadonlySet<string>;
  /** The `*args` parameter, which receives the positional arguments beyond `positional`. */
  readonly rest: string | undefined;
}

/** The parameters of a `def` (or lambda) as a call binds them. */
export function parameterNames(definition: Node): ParameterNames {
  const positional: string[] = [];
  const named = new Set<string>();
  let rest: string | undefined;
  let starred = false;
  const parameters = definition.childForFieldName('parameters')?.namedChildren ?? [];
  parameters.forEach((p, i) => {
    if (p.type === 'list_splat_pattern') {
      rest = p.namedChild(0)?.text;
      starred = true;
      return;
    }
    if (p.type === 'keyword_separator') {
      starred = true;
      return;
    }
    const name = p.type === 'identifier' ? p.text
      : p.type === 'default_parameter' || p.type === 'typed_default_parameter' ? p.childForFieldName('name')?.text
        : p.type === 'typed_parameter' ? p.namedChild(0)?.text : undefined;
    // The receiver of a method is not an argument of the call (`self.block(x)` binds x first).
    if (name === undefined || (i === 0 && name === 'self')) return;
    named.add(name);
    if (!starred) positional.push(name);
  });
  return { positional, named, rest };
}

/**
 * Binds the call's argument expressions in the callee's scope, replacing the defaults
 * bindParameters put there. With `*xs` or `**kw` in the call, any parameter no keyword
 * names may receive anything: it is unknown.
 */
export function bindArgumentExpressions(definition: Node, call: CallParts, scope: Scope, callerScope: Scope): void {
  const { positional, named } = parameterNames(definition);
  call.positional.forEach((p, i) => {
    const name = positional[i];
    if (name !== undefined && p.type !== 'list_splat') scope.rebind(name, p, callerScope);
  });
  for (const [key, { value }] of call.keywords) if (named.has(key)) scope.rebind(key, value, callerScope);
  if (call.spread) for (const name of named) if (!call.keywords.has(name)) scope.bindValue(name, undefined);
}

/**
 * The runtime value each parameter receives: positional values (evaluated by the caller,
 * in order), then keyword values. `*args` receives the extra positional values as a tuple
 * when they are all known to be single values; with `*xs` in the call, no position after
 * it is known.
 */
export function argumentValues(parameters: ParameterNames, call: CallParts, positional: readonly RValue[], keywords: ReadonlyMap<string, RValue>): Map<string, RValue> {
  const values = new Map<string, RValue>();
  const splat = call.positional.findIndex((p) => p.type === 'list_splat');
  const known = splat < 0 ? positional.length : splat;
  for (let i = 0; i < Math.min(known, parameters.positional.length); i++) values.set(parameters.positional[i]!, positional[i]);
  if (parameters.rest !== undefined && splat < 0 && positional.length > parameters.positional.length) {
    values.set(parameters.rest, { t: 'list', items: positional.slice(parameters.positional.length) });
  }
  for (const [key, value] of keywords) if (parameters.named.has(key)) values.set(key, value);
  return values;
}
