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
import { type CallParts, callParts, type Node, stringValue } from '../syntax/syntax';
import { evaluate, type Scope } from './values';

export interface ParameterNames {
  /** The parameters positional arguments fill, in order: `self` and everything from `*` / `*args` on excluded. */
  readonly positional: readonly string[];
  /** Every parameter a keyword argument can name (not `*args` or `**kwargs`; `self` excluded). */
  readonly named: ReadonlySet<string>;
  /** The `*args` parameter, which receives the positional arguments beyond `positional`. */
  readonly rest: string | undefined;
}

/**
 * The parameters of a `def` (or lambda) as a call binds them. Syntax only: read once per
 * definition (every call of a function asked again, ~2% of what a check allocates: issue 16).
 */
export function parameterNames(definition: Node): ParameterNames {
  let names = PARAMETER_NAMES.get(definition);
  if (!names) {
    names = readParameterNames(definition);
    PARAMETER_NAMES.set(definition, names);
  }
  return names;
}

const PARAMETER_NAMES = new WeakMap<Node, ParameterNames>();

function readParameterNames(definition: Node): ParameterNames {
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
  const splatted = spreadKeywords(call, callerScope);
  // forEach, not for…of: no iterator result and entry array per step in V8's baseline tiers (issue 16).
  splatted?.forEach(({ node, scope: where }, key) => { if (named.has(key) && !call.keywords.has(key)) scope.rebind(key, node, where); });
  call.keywords.forEach(({ value }, key) => { if (named.has(key)) scope.rebind(key, value, callerScope); });
  if (call.spread && !splatted) named.forEach((name) => { if (!call.keywords.has(name)) scope.bindValue(name, undefined); });
}

type Bound = { readonly node: Node; readonly scope: Scope };

/**
 * What a call's `**d` arguments pass, when every spread in it is a dict the file spells out
 * (issue 11 §4): `Net(**cfg)` with `cfg = dict(hidden=256)` or `{"hidden": 256}`,
 * `build(**params[name])` with a dict of such dicts and a constant `name`, followed through
 * names bound once. Each key maps to its value's expression, read in the dict's own scope.
 * Undefined when the call has a `*xs`, or a `**d` whose keys are not all constant strings
 * (then any parameter may receive anything: unknown, as before).
 */
export function spreadKeywords(call: CallParts, scope: Scope): Map<string, Bound> | undefined {
  if (!call.spread || call.positional.some((p) => p.type === 'list_splat')) return undefined;
  const out = new Map<string, Bound>();
  for (const child of call.args.namedChildren) {
    if (child.type !== 'dictionary_splat') continue;
    const inner = child.namedChild(0);
    if (!inner || !dictEntries(inner, scope, out, 0)) return undefined;
  }
  return out;
}

/** Adds the entries of the dict `node` denotes to `out`; false when they are not all known. */
function dictEntries(node: Node, scope: Scope, out: Map<string, Bound>, depth: number): boolean {
  if (depth > 8) return false;
  const literal = dictLiteral(node, scope, depth);
  if (!literal) return false;
  for (const entry of literal.node.namedChildren) {
    if (entry.type === 'comment') continue;
    if (entry.type === 'dictionary_splat') {
      const inner = entry.namedChild(0);
      if (!inner || !dictEntries(inner, literal.scope, out, depth + 1)) return false;
      continue;
    }
    if (entry.type === 'keyword_argument') {
      const name = entry.childForFieldName('name');
      const value = entry.childForFieldName('value');
      if (!name || !value) return false;
      out.set(name.text, { node: value, scope: literal.scope });
      continue;
    }
    if (entry.type !== 'pair') return false;
    const key = entry.childForFieldName('key');
    const value = entry.childForFieldName('value');
    const text = key ? stringValue(key) : undefined;
    if (text === undefined || !value) return false;
    out.set(text, { node: value, scope: literal.scope });
  }
  return true;
}

/**
 * The `{...}` or `dict(...)` (its argument list) an expression denotes: itself, a name bound
 * to one once, or `outer[key]` with a constant key into such a dict.
 */
function dictLiteral(node: Node, scope: Scope, depth: number): Bound | undefined {
  if (depth > 8) return undefined;
  if (node.type === 'dictionary') return { node, scope };
  if (node.type === 'call') {
    const call = callParts(node);
    // `dict(a=1, b=2)`: only keywords (a positional mapping or iterable is not read).
    if (call && call.callee.type === 'identifier' && call.callee.text === 'dict' && call.positional.length === 0) return { node: call.args, scope };
    return undefined;
  }
  if (node.type === 'identifier') {
    const bound = scope.expressionOf(node.text);
    return bound ? dictLiteral(bound.node, bound.scope, depth + 1) : undefined;
  }
  if (node.type === 'subscript') {
    const value = node.childForFieldName('value');
    const index = node.childForFieldName('subscript');
    const outer = value ? dictLiteral(value, scope, depth + 1) : undefined;
    const key = index ? evaluate(index, scope) : undefined;
    if (!outer || typeof key !== 'string') return undefined;
    const entries = new Map<string, Bound>();
    if (!dictEntries(outer.node, outer.scope, entries, depth + 1)) return undefined;
    const chosen = entries.get(key);
    return chosen ? dictLiteral(chosen.node, chosen.scope, depth + 1) : undefined;
  }
  return undefined;
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
  keywords.forEach((value, key) => { if (parameters.named.has(key)) values.set(key, value); });
  return values;
}
