/**
 * Keras token positions and per-token masks (issue 15; the transformers of François Chollet's
 * Deep Learning with Python, written as subclassed Keras layers applied in the functional graph).
 *
 * Positions: `tf.range(…)` and `keras.ops.arange(…)` (read as `torch.arange` is), and the
 * third edition's `ops.cumsum(ops.ones_like(inputs), axis=-1) - 1` (1…T along the tokens,
 * shifted by a constant: still one distinct row per position). An Embedding looked up with
 * them is a learned position table (trace.ts positionLookup).
 *
 * Masks of whole tokens: `source != 0` on the token ids, `tf.math.not_equal(inputs, 0)`, their
 * subscripts and casts (`mask[:, tf.newaxis, :]`), and Keras's implicit mask (an Embedding with
 * `mask_zero=True`, a layer's `compute_mask`) say which tokens are real. As an attention's mask
 * they remove padded keys; the simulation runs sequences whose every token is real, where such
 * a mask removes nothing, so an attention given one is read as unmasked (docs/python.md). A mask
 * made otherwise (a causal mask built by hand from `tf.range`, `tf.minimum` of two masks) is not
 * one of these and stays unknown.
 */
import { type CallParts, callParts, dottedName, type Node } from '../syntax/syntax';
import { atInput, type Tensor, type Trace } from './trace';
import { evaluate, isNumber, type Scope } from './values';

/** Functions whose result is 0…n−1 (or start…limit): token positions when an embedding looks them up. */
export const KERAS_POSITION_RANGES: ReadonlySet<string> = new Set(['tensorflow.range', 'keras.ops.arange', 'keras.ops.numpy.arange']);

const CUMULATIVE_SUMS: ReadonlySet<string> = new Set(['keras.ops.cumsum', 'keras.ops.numpy.cumsum', 'tensorflow.cumsum', 'tensorflow.math.cumsum']);
const ONES_LIKE: ReadonlySet<string> = new Set(['keras.ops.ones_like', 'keras.ops.numpy.ones_like', 'tensorflow.ones_like']);
/** Comparisons of the token ids with a constant: which tokens are padding. */
const TOKEN_TESTS: ReadonlySet<string> = new Set([
  'tensorflow.math.not_equal', 'tensorflow.not_equal', 'tensorflow.math.equal', 'tensorflow.equal',
  'keras.ops.not_equal', 'keras.ops.numpy.not_equal', 'keras.ops.equal', 'keras.ops.numpy.equal',
]);
/** Steps that keep a per-token mask one (its dtype or its axes change, not which tokens it keeps). */
const MASK_KEEPING: ReadonlySet<string> = new Set([
  'tensorflow.cast', 'keras.ops.cast', 'tensorflow.expand_dims', 'keras.ops.expand_dims', 'keras.ops.numpy.expand_dims',
]);

/** The model's token ids (the first input or the second: trace.ts atInput): an input of one axis after the batch (`keras.Input(shape=(None,), dtype="int64")`), nothing applied yet. */
export function isTokenIds(t: Tensor): boolean {
  return atInput(t.chain) && !t.broken && t.sources.length === 0 && t.pending.length === 0 && t.shape?.length === 1 && !t.positions && !t.tokenMask;
}

/**
 * `ops.cumsum(ops.ones_like(inputs), axis=-1)` over the token ids: 1…T along the tokens.
 * `canonicalOf` gives a callee's framework name; `tensorOf` evaluates an argument.
 */
export function isTokenCount(canonical: string, call: CallParts, scope: Scope, canonicalOf: (callee: Node) => string | undefined, tensorOf: (node: Node) => Tensor | undefined): boolean {
  if (!CUMULATIVE_SUMS.has(canonical) || call.spread || call.positional.length < 1 || call.positional.length > 2) return false;
  const axisNode = call.positional[1] ?? call.keywords.get('axis')?.value;
  const axis = axisNode ? evaluate(axisNode, scope) : undefined;
  if (axis !== -1 && axis !== 1) return false;
  if ([...call.keywords.keys()].some((k) => k !== 'axis' && k !== 'dtype')) return false;
  const inner = call.positional[0]!.type === 'call' ? callParts(call.positional[0]!) : undefined;
  const innerName = inner ? canonicalOf(inner.callee) : undefined;
  if (!inner || innerName === undefined || !ONES_LIKE.has(innerName) || inner.positional.length !== 1 || inner.spread) return false;
  const ids = tensorOf(inner.positional[0]!);
  return ids !== undefined && isTokenIds(ids);
}

/** `positions - 1`, `positions + 2`: positions shifted by a constant integer are still positions. */
export function shiftedPositions(t: Tensor, op: string | undefined, other: Node, scope: Scope): boolean {
  if (!t.positions || (op !== '+' && op !== '-')) return false;
  const v = evaluate(other, scope);
  return isNumber(v) && Number.isInteger(v);
}

/** `source != 0` (either side): token ids compared with a constant are a per-token mask. */
export function tokenComparison(node: Node, operand: (node: Node) => Tensor | undefined, scope: Scope, trace: Trace): Tensor | undefined {
  const operands = node.namedChildren.filter((c) => c.type !== 'comment');
  if (operands.length !== 2) return undefined;
  const op = node.children.filter((c) => !c.isNamed).map((c) => c.text).join(' ');
  if (!['!=', '==', '>', '<', '>=', '<='].includes(op)) return undefined;
  const [a, b] = operands as [Node, Node];
  const left = operand(a);
  const ids = left ?? operand(b);
  const constant = evaluate(left ? b : a, scope);
  return ids && isTokenIds(ids) && isNumber(constant) ? trace.tokenMask() : undefined;
}

/** `tf.math.not_equal(inputs, 0)`, `tf.cast(mask, "int32")`, `ops.expand_dims(mask, 1)`: a per-token mask, or undefined. */
export function maskFunction(canonical: string, call: CallParts, first: Tensor | undefined, scope: Scope, trace: Trace): Tensor | undefined {
  if (!first || call.spread) return undefined;
  if (MASK_KEEPING.has(canonical) && first.tokenMask) return first;
  if (TOKEN_TESTS.has(canonical) && isTokenIds(first) && call.positional.length === 2 && isNumber(evaluate(call.positional[1]!, scope))) return trace.tokenMask();
  return undefined;
}

/**
 * A layer's `compute_mask` that returns a mask for certain: one `return` of a call (`return
 * tf.math.not_equal(inputs, 0)`), a docstring before it at most. Anything else may return None.
 */
export function computeMaskReturnsMask(definition: Node): boolean {
  const body = definition.childForFieldName('body')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const statements = body[0]?.type === 'expression_statement' && body[0].namedChild(0)?.type === 'string' ? body.slice(1) : body;
  if (statements.length !== 1 || statements[0]!.type !== 'return_statement') return false;
  const value = statements[0]!.namedChild(0);
  return value?.type === 'call' && dottedName(callParts(value)!.callee) !== undefined;
}

/**
 * The names a method assigns only inside `if NAME is not None:` blocks (Chollet's `if mask is not
 * None: mask = mask[:, tf.newaxis, :]`): with NAME None they never run, so NAME stays None.
 */
export function assignedOnlyWhenNotNone(definition: Node, name: string): boolean {
  const body = definition.childForFieldName('body');
  if (!body) return false;
  let certain = true;
  const visit = (node: Node, guarded: boolean): void => {
    if (!certain) return;
    if (node.type === 'function_definition' || node.type === 'class_definition' || node.type === 'lambda') return;
    if (node.type === 'if_statement') {
      const condition = node.childForFieldName('condition');
      const guards = condition !== null && isNotNoneTest(condition, name);
      const consequence = node.childForFieldName('consequence');
      if (consequence) visit(consequence, guarded || guards);
      for (const alternative of node.childrenForFieldName('alternative')) visit(alternative, guarded);
      return;
    }
    if ((node.type === 'assignment' || node.type === 'augmented_assignment') && !guarded) {
      const left = node.childForFieldName('left');
      if (left && mentionsName(left, name)) certain = false;
    }
    if ((node.type === 'for_statement' || node.type === 'with_statement' || node.type === 'named_expression' || node.type === 'global_statement' || node.type === 'nonlocal_statement') && !guarded && mentionsName(node, name)) {
      // A loop target, `with … as mask`, a walrus: assigned otherwise; anything uncertain keeps the name unknown.
      const left = node.type === 'for_statement' ? node.childForFieldName('left') : node;
      if (left && mentionsName(left, name)) certain = false;
    }
    for (const child of node.namedChildren) visit(child, guarded);
  };
  visit(body, false);
  return certain;
}

function isNotNoneTest(condition: Node, name: string): boolean {
  let c = condition;
  while (c.type === 'parenthesized_expression' && c.namedChild(0)) c = c.namedChild(0)!;
  if (c.type !== 'comparison_operator' || c.namedChildCount !== 2) return false;
  const [subject, none] = c.namedChildren as [Node, Node];
  const op = c.children.filter((x) => !x.isNamed).map((x) => x.text).join(' ');
  return subject.type === 'identifier' && subject.text === name && none.type === 'none' && (op === 'is not' || op === '!=');
}

function mentionsName(node: Node, name: string): boolean {
  if (node.type === 'identifier') return node.text === name;
  return node.namedChildren.some((c) => mentionsName(c, name));
}
