/**
 * What a `for` loop (or a comprehension) binds on each iteration: the runtime value of an
 * item (a module, a tensor, a list of them) and, where the item is a constant, its value,
 * so that `for size in [128, 256]: Conv2D(size, 3)` builds layers of known width.
 */
import type { RValue } from './frame';
import { dottedName, type Node } from './syntax';
import { evaluate, type Scope, type Value } from './values';

/** One iteration's item: its runtime value, its constant value, and per-part values of enumerate/zip. */
export interface Iteration {
  readonly r: RValue;
  readonly value?: Value;
  readonly tuple?: readonly (Value | undefined)[];
}

/**
 * The constant value of each of `count` items a sequence expression yields, undefined per
 * item that is not constant; undefined altogether when the constants do not line up with
 * the items the interpreter sees (a list grown with `append`, a splat): then no item is
 * trusted.
 */
export function constantItems(node: Node, scope: Scope, count: number): readonly (Value | undefined)[] | undefined {
  const whole = evaluate(node, scope);
  if (Array.isArray(whole)) return whole.length === count ? (whole as readonly Value[]) : undefined;
  // A literal mixing constants and modules, `[(64, nn.ReLU()), (32, nn.Tanh())]`: item by item.
  if (node.type !== 'list' && node.type !== 'tuple') return undefined;
  const children = node.namedChildren.filter((c) => c.type !== 'comment');
  if (children.length !== count || children.some((c) => c.type === 'list_splat')) return undefined;
  return children.map((c) => evaluate(c, scope));
}

/** An item unpacked into several loop targets (`for width, act in ...`); undefined when it cannot be. */
export function unpacked(item: Iteration): Iteration[] | undefined {
  const constant = Array.isArray(item.value) ? (item.value as readonly Value[]) : undefined;
  if (item.r?.t === 'list') return item.r.items.map((r, i) => ({ r, value: item.tuple?.[i] ?? constant?.[i] }));
  if (constant) return constant.map((value) => ({ r: undefined, value }));
  return undefined;
}

/**
 * Names a loop body reads before (or while) it first assigns them: `in_f` in
 * `layers.append(nn.Linear(in_f, w)); in_f = w`, anything updated with `+=`. Their value
 * comes from the previous iteration, which the body's bindings (one per name for the
 * whole body, bound before it runs) cannot express: inside the loop they are unknown,
 * never the value of the wrong iteration. A name the body assigns before reading it is
 * the same on every pass and stays known.
 */
export function carriedNames(body: Node): Set<string> {
  const first = new Map<string, Node>();
  const carried = new Set<string>();
  for (const assignment of [...body.descendantsOfType('assignment'), ...body.descendantsOfType('augmented_assignment')]) {
    const left = assignment.childForFieldName('left');
    const targets = left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : [];
    for (const target of targets) {
      const name = dottedName(target);
      if (name === undefined) continue;
      if (assignment.type === 'augmented_assignment') carried.add(name);
      const known = first.get(name);
      if (!known || assignment.startIndex < known.startIndex) first.set(name, assignment);
    }
  }
  if (first.size === 0) return carried;
  // Any mention counts as a read (a keyword's name, `m.d` for `d` too): a few names too many are unknown, none wrong.
  for (const mention of [...body.descendantsOfType('identifier'), ...body.descendantsOfType('attribute')]) {
    const name = dottedName(mention);
    const assignment = name === undefined ? undefined : first.get(name);
    if (!assignment || carried.has(name!)) continue;
    const left = assignment.childForFieldName('left')!;
    const inTarget = mention.startIndex >= left.startIndex && mention.endIndex <= left.endIndex;
    if (mention.startIndex < assignment.endIndex && !inTarget) carried.add(name!);
  }
  return carried;
}
