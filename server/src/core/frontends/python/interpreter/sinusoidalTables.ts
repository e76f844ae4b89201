/**
 * A fixed sinusoidal position table registered as a buffer (Vaswani et al. 2017, §3.5), read in the
 * constructor as PyTorch's word_language_model example and most tutorials write it:
 *
 *     pe = torch.zeros(max_len, d_model)
 *     position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
 *     div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
 *     pe[:, 0::2] = torch.sin(position * div_term)
 *     pe[:, 1::2] = torch.cos(position * div_term)
 *     pe = pe.unsqueeze(0).transpose(0, 1)        # or .unsqueeze(0), or nothing
 *     self.register_buffer('pe', pe)
 *
 * or, as the PyTorch transformer tutorial writes it, sequence first from the start:
 * `pe = torch.zeros(max_len, 1, d_model)`, `pe[:, 0, 0::2] = torch.sin(position * div_term)`.
 *
 * (`div_term` also as `1 / (10000 ** (torch.arange(0, d_model, 2) / d_model))`; `position` and
 * `div_term` inline or bound once.) Every step must be this: the same argument under sin (even
 * columns) and cos (odd columns), positions 0, 1, 2, … and the frequencies base^(−2i/d) for an even
 * d. Anything else done to the buffer's name in the constructor leaves it unread.
 */
import type { SinusoidalTable } from '../../../ir';
import { callParts, type CallParts, type Node, unparen } from '../syntax/syntax';
import { evaluate, evaluateCount, isNumber, type Scope } from './values';

/** The table and the buffer's shape: (rows, d), (1, rows, d) batch first, or (rows, 1, d) sequence first. */
export interface SinusoidalBuffer {
  readonly table: SinusoidalTable;
  readonly shape: readonly number[];
}

type Canonical = (node: Node) => string | undefined;

/** `self.register_buffer('pe', pe)` in a constructor whose body is `body`: the table, or undefined. */
export function sinusoidalBuffer(value: Node, body: readonly Node[], scope: Scope, canonical: Canonical): SinusoidalBuffer | undefined {
  if (value.type !== 'identifier') return undefined;
  const name = value.text;
  const steps: Node[] = [];
  for (const statement of body) {
    if (statement.endIndex > value.startIndex) break;
    if (!mentions(statement, name)) continue;
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    if (assignment?.type !== 'assignment') return undefined;
    steps.push(assignment);
  }
  if (steps.length < 3) return undefined;
  const [create, ...rest] = steps as [Node, ...Node[]];
  const size = zeros(create, name, scope, canonical);
  if (!size) return undefined;
  const { rows, width, sequenceFirst } = size;
  if (width % 2 !== 0) return undefined;
  const sin = rest[0] && column(rest[0], name, canonical, sequenceFirst);
  const cos = rest[1] && column(rest[1], name, canonical, sequenceFirst);
  const pair = sin && cos ? (sin.offset === 0 && cos.offset === 1 && sin.fn === 'sin' && cos.fn === 'cos' ? [sin, cos]
    : sin.offset === 1 && cos.offset === 0 && sin.fn === 'cos' && cos.fn === 'sin' ? [cos, sin] : undefined) : undefined;
  if (!pair || squeeze(pair[0]!.argument.text) !== squeeze(pair[1]!.argument.text)) return undefined;
  const base = angles(pair[0]!.argument, rows, width, scope, canonical);
  if (base === undefined) return undefined;
  let shape: readonly number[] = sequenceFirst ? [rows, 1, width] : [rows, width];
  for (const step of rest.slice(2)) {
    const next = reshaped(step, name, shape);
    if (!next) return undefined;
    shape = next;
  }
  return { table: { kind: 'sinusoidal', base, width, rows }, shape };
}

function mentions(statement: Node, name: string): boolean {
  return statement.descendantsOfType('identifier').some((n) => n.text === name);
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}

function calleeOf(node: Node, canonical: Canonical): { call: CallParts; name: string | undefined } | undefined {
  const n = unparen(node);
  const call = n.type === 'call' ? callParts(n) : undefined;
  return call ? { call, name: canonical(call.callee) } : undefined;
}

/** `pe = torch.zeros(rows, d)` or, sequence first, `torch.zeros(rows, 1, d)` (the PyTorch tutorial's; a dtype allowed). */
function zeros(assignment: Node, name: string, scope: Scope, canonical: Canonical): { rows: number; width: number; sequenceFirst: boolean } | undefined {
  if (assignment.childForFieldName('left')?.text !== name) return undefined;
  const right = assignment.childForFieldName('right');
  const made = right ? calleeOf(right, canonical) : undefined;
  const sizes = made?.call.positional ?? [];
  if (made?.name !== 'torch.zeros' || (sizes.length !== 2 && sizes.length !== 3) || [...made.call.keywords.keys()].some((k) => k !== 'dtype' && k !== 'device')) return undefined;
  const sequenceFirst = sizes.length === 3;
  if (sequenceFirst && evaluate(sizes[1]!, scope) !== 1) return undefined;
  const rows = evaluateCount(sizes[0], scope);
  const width = evaluateCount(sizes[sizes.length - 1], scope);
  return rows && width ? { rows, width, sequenceFirst } : undefined;
}

/** `pe[:, 0::2] = torch.sin(A)` (sequence first `pe[:, 0, 0::2]`): which columns, which function, A. */
function column(assignment: Node, name: string, canonical: Canonical, sequenceFirst: boolean): { offset: number; fn: string; argument: Node } | undefined {
  const left = assignment.childForFieldName('left');
  const right = assignment.childForFieldName('right');
  if (left?.type !== 'subscript' || left.childForFieldName('value')?.text !== name || !right) return undefined;
  const all = left.namedChildren.filter((c) => c.type !== 'comment').slice(1).map((c) => squeeze(c.text));
  if (sequenceFirst && all[1] !== '0') return undefined;
  const slices = sequenceFirst ? [all[0], ...all.slice(2)] : all;
  if (slices.length !== 2 || slices[0] !== ':' || (slices[1] !== '0::2' && slices[1] !== '1::2' && slices[1] !== '::2')) return undefined;
  const made = calleeOf(right, canonical);
  const fn = made?.name === 'torch.sin' ? 'sin' : made?.name === 'torch.cos' ? 'cos' : undefined;
  if (!made || !fn || made.call.positional.length !== 1 || made.call.keywords.size > 0) return undefined;
  return { offset: slices[1] === '1::2' ? 1 : 0, fn, argument: made.call.positional[0]! };
}

/** The expression a name is bound to once in the constructor, or the node itself. */
function through(node: Node, scope: Scope): Node {
  const n = unparen(node);
  if (n.type !== 'identifier') return n;
  const bound = scope.expressionOf(n.text);
  return bound ? unparen(bound.node) : n;
}

/** `position * div_term`: the positions 0…rows−1 as a column times the frequencies as a row; the frequencies' base. */
function angles(argument: Node, rows: number, width: number, scope: Scope, canonical: Canonical): number | undefined {
  const n = unparen(argument);
  if (n.type !== 'binary_operator' || n.childForFieldName('operator')?.text !== '*') return undefined;
  const a = through(n.childForFieldName('left')!, scope);
  const b = through(n.childForFieldName('right')!, scope);
  if (positions(a, rows, scope, canonical)) return frequencyBase(b, width, scope, canonical);
  if (positions(b, rows, scope, canonical)) return frequencyBase(a, width, scope, canonical);
  return undefined;
}

/** Methods that keep a tensor's values: casts. */
const CASTS: ReadonlySet<string> = new Set(['float', 'double', 'to', 'type']);

/** `torch.arange(0, n, dtype=…).unsqueeze(1)` and its casts: the positions 0…n−1 as a column (n at least the rows). */
function positions(node: Node, rows: number, scope: Scope, canonical: Canonical): boolean {
  let n = node;
  let column = false;
  for (;;) {
    const call = n.type === 'call' ? callParts(n) : undefined;
    const method = call?.callee.type === 'attribute' ? call.callee.childForFieldName('attribute')?.text : undefined;
    if (!call || method === undefined || canonical(call.callee)?.startsWith('torch.')) break;
    if (method === 'unsqueeze' && !column && call.positional.length === 1 && [1, -1].includes(evaluate(call.positional[0]!, scope) as number)) column = true;
    else if (!CASTS.has(method)) return false;
    n = unparen(call.callee.childForFieldName('object')!);
  }
  return column && arange(n, 1, scope, canonical) === 'from-zero' && arangeStop(n, scope, canonical) !== undefined && arangeStop(n, scope, canonical)! >= rows;
}

/** `torch.arange(stop)` / `torch.arange(0, stop[, step])`: 'from-zero' when it starts at 0 with the given step. */
function arange(node: Node, step: number, scope: Scope, canonical: Canonical): 'from-zero' | undefined {
  const made = calleeOf(node, canonical);
  if (made?.name !== 'torch.arange' || [...made.call.keywords.keys()].some((k) => k !== 'dtype' && k !== 'device')) return undefined;
  const args = made.call.positional.map((p) => evaluate(p, scope));
  if (!args.every(isNumber)) return undefined;
  if (args.length === 1) return step === 1 ? 'from-zero' : undefined;
  if (args[0] !== 0) return undefined;
  if (args.length === 2) return step === 1 ? 'from-zero' : undefined;
  return args.length === 3 && args[2] === step ? 'from-zero' : undefined;
}

function arangeStop(node: Node, scope: Scope, canonical: Canonical): number | undefined {
  const made = calleeOf(node, canonical);
  const args = made?.call.positional.map((p) => evaluate(p, scope)) ?? [];
  const stop = args.length === 1 ? args[0] : args[1];
  return isNumber(stop) ? stop : undefined;
}

/** `torch.arange(0, d, 2)` with its casts. */
function evenColumns(node: Node, width: number, scope: Scope, canonical: Canonical): boolean {
  let n = unparen(node);
  for (;;) {
    const call = n.type === 'call' ? callParts(n) : undefined;
    const method = call?.callee.type === 'attribute' ? call.callee.childForFieldName('attribute')?.text : undefined;
    if (!call || method === undefined || !CASTS.has(method) || canonical(call.callee)?.startsWith('torch.')) break;
    n = unparen(call.callee.childForFieldName('object')!);
  }
  return arange(n, 2, scope, canonical) === 'from-zero' && arangeStop(n, scope, canonical) === width;
}

/**
 * The frequencies base^(−2i/d): `torch.exp(torch.arange(0, d, 2).float() * K)` with K = −ln(base)/d
 * (as written: `(-math.log(10000.0) / d_model)`), or `1 / (base ** (torch.arange(0, d, 2) / d))`.
 */
function frequencyBase(node: Node, width: number, scope: Scope, canonical: Canonical): number | undefined {
  const made = calleeOf(node, canonical);
  if (made?.name === 'torch.exp' && made.call.positional.length === 1) {
    const product = unparen(made.call.positional[0]!);
    if (product.type !== 'binary_operator' || product.childForFieldName('operator')?.text !== '*') return undefined;
    const [l, r] = [product.childForFieldName('left')!, product.childForFieldName('right')!];
    const [columns, factor] = evenColumns(l, width, scope, canonical) ? [l, r] : evenColumns(r, width, scope, canonical) ? [r, l] : [undefined, undefined];
    const k = columns && factor ? evaluate(factor, scope) : undefined;
    if (!isNumber(k) || !(k < 0)) return undefined;
    // exp(ln(base)/d · d) is the base written, to rounding: twelve digits of it.
    const base = Number(Math.exp(-k * width).toPrecision(12));
    return Number.isFinite(base) && base > 1 ? base : undefined;
  }
  const n = unparen(node);
  if (n.type === 'binary_operator' && n.childForFieldName('operator')?.text === '/' && evaluate(n.childForFieldName('left')!, scope) === 1) {
    const power = unparen(n.childForFieldName('right')!);
    if (power.type !== 'binary_operator' || power.childForFieldName('operator')?.text !== '**') return undefined;
    const base = evaluate(power.childForFieldName('left')!, scope);
    const exponent = unparen(power.childForFieldName('right')!);
    if (!isNumber(base) || !(base > 1) || exponent.type !== 'binary_operator' || exponent.childForFieldName('operator')?.text !== '/') return undefined;
    const over = evaluate(exponent.childForFieldName('right')!, scope);
    return over === width && evenColumns(exponent.childForFieldName('left')!, width, scope, canonical) ? base : undefined;
  }
  return undefined;
}

/** `pe = pe.unsqueeze(0)`, `pe = pe.unsqueeze(0).transpose(0, 1)`, `pe = pe.unsqueeze(1)`: the new shape. */
function reshaped(assignment: Node, name: string, shape: readonly number[]): readonly number[] | undefined {
  // A table made sequence first (rows, 1, d) is read without further reshapes.
  if (assignment.childForFieldName('left')?.text !== name || shape.length !== 2) return undefined;
  const text = squeeze(assignment.childForFieldName('right')?.text ?? '');
  const [rows, width] = shape as [number, number];
  if (text === `${name}.unsqueeze(0)`) return [1, rows, width];
  if (text === `${name}.unsqueeze(0).transpose(0,1)` || text === `${name}.unsqueeze(1)`) return [rows, 1, width];
  return undefined;
}
