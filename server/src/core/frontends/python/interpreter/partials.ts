/**
 * `functools.partial(F, *args, **kw)` used as a layer factory (timm's `norm_layer=partial(
 * nn.LayerNorm, eps=1e-6)`, then `norm_layer(dim)`): calling it calls F with the bound
 * positions first, then the call's, and the bound keywords overridden by the call's (Python's
 * functools.partial: `{**self.keywords, **keywords}`). What the merged call reads is exact or
 * unknown:
 * - a partial that spreads `*xs` or `**d` is not merged (its arguments are not all known);
 * - its bound arguments are read where the partial was written: a scope below the caller's in
 *   which each name they mention means what it means there (Scope.bridged). A name the call's
 *   own arguments mention too that means something else at the call cannot be both: unknown;
 * - a partial written in another module than the call is not merged: the catalog reads the
 *   caller's imports, and the layer's spans and fixes would point into the other file.
 */
import { mentionedNames } from './followedNames';
import type { CallParts, Node } from '../syntax/syntax';
import type { Scope } from './values';

/** A call's arguments and the scope they are read in. */
export interface BoundCall {
  readonly call: CallParts;
  readonly scope: Scope;
}

/** A `partial(...)` call as written: its parts and the scope its arguments are read in. */
export interface PartialCall {
  readonly call: CallParts;
  readonly scope: Scope;
}

export const PARTIAL = 'functools.partial';

/** The argument nodes of a call: positions (a `*xs` itself), keyword values and `**d` operands. */
function argumentNodes(call: CallParts): Node[] {
  const nodes: Node[] = [...call.positional];
  call.keywords.forEach(({ value }) => nodes.push(value));
  if (call.spread) for (const child of call.args.namedChildren) if (child.type === 'dictionary_splat') nodes.push(child);
  return nodes;
}

/**
 * The call `partial(...)(<call>)` makes of F: F's arguments merged, read in one scope.
 * Undefined when that cannot be exact (see the file's comment).
 */
export function mergePartial(partial: PartialCall, outer: BoundCall, sameModule: boolean): BoundCall | undefined {
  const bound = partial.call;
  if (!sameModule || bound.spread || bound.positional.length === 0) return undefined;
  const boundPositional = bound.positional.slice(1);
  const keywords = new Map(bound.keywords);
  outer.call.keywords.forEach((entry, key) => keywords.set(key, entry));
  const call: CallParts = {
    node: outer.call.node,
    callee: bound.positional[0]!,
    positional: [...boundPositional, ...outer.call.positional],
    keywords,
    spread: outer.call.spread,
    args: outer.call.args,
  };
  if (partial.scope === outer.scope) return { call, scope: outer.scope };
  const names = new Set<string>();
  for (const node of boundPositional) for (const name of mentionedNames(node)) names.add(name);
  bound.keywords.forEach(({ value }, key) => {
    // A bound keyword the call overrides is never read.
    if (!outer.call.keywords.has(key)) for (const name of mentionedNames(value)) names.add(name);
  });
  if (names.size === 0) return { call, scope: outer.scope };
  const differ = [...names].filter((name) => partial.scope.lookup(name) !== outer.scope.lookup(name));
  if (differ.length === 0) return { call, scope: outer.scope };
  const own = new Set<string>();
  for (const node of argumentNodes(outer.call)) for (const name of mentionedNames(node)) own.add(name);
  if (differ.some((name) => own.has(name))) return undefined;
  return { call, scope: outer.scope.bridged(differ, partial.scope) };
}
