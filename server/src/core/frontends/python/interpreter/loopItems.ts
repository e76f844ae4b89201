/**
 * What a `for` loop (or a comprehension) binds on each iteration: the runtime value of an
 * item (a module, a tensor, a list of them) and, where the item is a constant, its value,
 * so that `for size in [128, 256]: Conv2D(size, 3)` builds layers of known width.
 */
import type { RValue } from './frame';
import { dottedName, type Node } from '../syntax/syntax';
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
  // `for attn, ff in self.layers` over a ModuleList of ModuleLists (lucidrains' transformers).
  if (item.r?.t === 'module' && (item.r.module.kind === 'list' || item.r.module.kind === 'sequence') && !(item.r.module.kind === 'sequence' && item.r.module.fused)) {
    return item.r.module.items.map((m) => ({ r: { t: 'module', module: m } }));
  }
  if (constant) return constant.map((value) => ({ r: undefined, value }));
  return undefined;
}

/**
 * Names a loop body reads before (or while) it first assigns them: `in_f` in
 * `layers.append(nn.Linear(in_f, w)); in_f = w`, anything updated with `+=`. Their value
 * comes from the previous pass, which the body's bindings (one per name for the whole
 * body, bound before it runs) cannot express. A name the body assigns before reading it
 * is the same on every pass and is not carried.
 *
 * Each carried name maps to the expression that computes its next value when the
 * interpreter can follow it pass by pass: assigned once, by a statement of the body
 * itself (not inside an `if` or a nested loop), read nowhere after that statement, from
 * an expression that reads no other carried name. Otherwise it maps to undefined and is
 * unknown inside the loop, never the value of the wrong pass.
 */
export function carriedNames(body: Node): ReadonlyMap<string, Node | undefined> {
  // Syntax only: a loop body run once per instantiation or per outer pass is read once.
  let carried = CARRIED.get(body);
  if (!carried) {
    carried = readCarriedNames(body);
    CARRIED.set(body, carried);
  }
  return carried;
}

const CARRIED = new WeakMap<Node, ReadonlyMap<string, Node | undefined>>();

function readCarriedNames(body: Node): Map<string, Node | undefined> {
  const assignments = new Map<string, Node[]>();
  const augmented = new Set<string>();
  for (const assignment of [...body.descendantsOfType('assignment'), ...body.descendantsOfType('augmented_assignment')]) {
    const left = assignment.childForFieldName('left');
    const targets = left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : [];
    for (const target of targets) {
      const name = dottedName(target);
      if (name === undefined) continue;
      if (assignment.type === 'augmented_assignment') augmented.add(name);
      const list = assignments.get(name) ?? [];
      list.push(assignment);
      assignments.set(name, list);
    }
  }
  const carried = new Map<string, Node | undefined>();
  if (assignments.size === 0) return carried;
  const first = (name: string) => assignments.get(name)!.reduce((a, b) => (b.startIndex < a.startIndex ? b : a));
  const inTarget = (mention: Node, assignment: Node) => {
    const left = assignment.childForFieldName('left')!;
    return mention.startIndex >= left.startIndex && mention.endIndex <= left.endIndex;
  };
  // Any mention counts as a read (a keyword's name, `m.d` for `d` too): a few names too many are carried, none missed.
  const mentions = [...body.descendantsOfType('identifier'), ...body.descendantsOfType('attribute')];
  const readsOf = new Map<string, Node[]>();
  for (const mention of mentions) {
    const name = dottedName(mention);
    if (name === undefined || !assignments.has(name)) continue;
    const list = readsOf.get(name) ?? [];
    list.push(mention);
    readsOf.set(name, list);
  }
  for (const name of assignments.keys()) {
    const assignment = first(name);
    const reads = (readsOf.get(name) ?? []).filter((m) => !assignments.get(name)!.some((a) => inTarget(m, a)));
    if (augmented.has(name) || reads.some((m) => m.startIndex < assignment.endIndex)) carried.set(name, undefined);
  }
  for (const name of carried.keys()) carried.set(name, nextValue(body, name, assignments.get(name)!, readsOf.get(name) ?? [], carried));
  return carried;
}

/** The expression giving a carried name's next value, when it can be followed (see carriedNames). */
function nextValue(body: Node, name: string, assignments: readonly Node[], mentions: readonly Node[], carried: ReadonlyMap<string, unknown>): Node | undefined {
  if (assignments.length !== 1) return undefined;
  const assignment = assignments[0]!;
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  if (assignment.type !== 'assignment' || !left || !right || dottedName(left) !== name) return undefined;
  const topLevel = body.namedChildren.some((s) => s.type === 'expression_statement' && s.namedChild(0)?.startIndex === assignment.startIndex && s.namedChild(0)?.type === 'assignment');
  if (!topLevel || mentions.some((m) => m.startIndex >= assignment.endIndex)) return undefined;
  const readsOtherCarried = [right, ...right.descendantsOfType('identifier'), ...right.descendantsOfType('attribute')]
    .some((m) => { const n = dottedName(m); return n !== undefined && n !== name && carried.has(n); });
  return readsOtherCarried ? undefined : right;
}
