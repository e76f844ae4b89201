/**
 * Hand-written attention in PyTorch model code, read step by step into the same AttentionOp
 * the `.netdef` attention lowers to (issue 15): q, k, v from linear layers (separate ones, or
 * a fused `c_attn` split or chunked in three, or a fused k/v in two), the head split (`view(B, T, H, D)`,
 * `transpose(1, 2)`, einops' `rearrange`), `q @ k.transpose(-2, -1)` with the factor actually
 * applied (`* scale`, `/ math.sqrt(d)`, `1.0 / math.sqrt(k.size(-1))`, a factor on q or k
 * before the product), a causal mask (`masked_fill` with a mask built by `torch.tril`, or
 * `torch.triu(…, diagonal=1)`), softmax over the keys, `@ v`, the heads merged, and the
 * output projection; `F.scaled_dot_product_attention` (default scale 1/√d_head, `is_causal`).
 * Every step must be certain: anything else (another mask, a bias added to the logits, an
 * unknown head count) leaves the value unknown, as any call the interpreter cannot follow.
 */
import type { TextEdit } from '../../../findings';
import type { AttentionOp } from '../../../ir';
import { type AttentionFixEnvironment, defaultScaleEdit, logitScaleEdit } from './attentionFixes';
import type { Span } from '../../../text';
import { formatNumber } from '../../../format/numbers';
import type { RValue } from './frame';
import { argument, callParts, type CallParts, dottedName, type Node, spanOf, stringValue, unparen } from '../syntax/syntax';
import type { AttentionCore, AttentionPart, ProjectionPart, Tensor, Trace } from './trace';
import { evaluate, isNumber, type Scope } from './values';

/** What the attention reading needs from the interpreter's frame. */
export interface AttentionContext {
  readonly trace: Trace;
  readonly scope: Scope;
  /** A local name's runtime value, read without evaluating anything (no side effects). */
  lookup(name: string): RValue;
  /** The class definition whose method runs (for `self.<buffer>` masks). */
  readonly selfDefinition: Node | undefined;
  /** The canonical framework name of a dotted name as written (`F.softmax` → `torch.nn.functional.softmax`). */
  canonical(written: string): string | undefined;
  /** What IW401's edits need (attentionFixes.ts); undefined: no edits. */
  readonly fixes?: AttentionFixEnvironment;
}

/** Results: a value, or the step is not attention's (the interpreter goes on as before). */
export type AttentionStep = RValue | 'not-handled';

const tensor = (t: Tensor): RValue => ({ t: 'tensor', tensor: t });

function withPart(x: Tensor, attn: AttentionPart): Tensor {
  return { ...x, attn };
}

function asProjection(x: Tensor, p: ProjectionPart): Tensor {
  return withPart(x, { kind: 'projection', p });
}

/** The value is no longer read as a projection (a shape step attention does not follow). */
export function unread(trace: Trace, before: Tensor, after: Tensor): Tensor {
  if (after.attn && after.attn.kind !== 'projection') return after;
  return trace.projectionOf(before) ? withPart(after, { kind: 'unread' }) : after;
}

/** Inside an attention (logits, weights, mixed values): any other step sees an unknown value. */
export function insideAttention(x: Tensor): boolean {
  return x.attn !== undefined && x.attn.kind !== 'projection' && x.attn.kind !== 'unread';
}

function sameHeads(a: ProjectionPart, b: ProjectionPart): boolean {
  return a.heads === b.heads && a.headDim === b.headDim && a.source === b.source && a.broken === b.broken && a.layer !== b.layer;
}

/**
 * q and k read different values: cross-attention, when k's value is a memory of its own (the
 * trace records it: Trace.crossAttentionMemory). Head splits must agree.
 */
function crossHeads(q: ProjectionPart, k: ProjectionPart, span: Span, trace: Trace): boolean {
  if (q.heads !== k.heads || q.headDim !== k.headDim || q.source === k.source || q.broken || q.layer === k.layer) return false;
  return trace.crossAttentionMemory(q.source, k.source, k.broken, span, undefined);
}

/**
 * `a @ b`, `torch.matmul(a, b)`: q·kᵀ, or the weights applied to v. `standardScale`: IW401's
 * edit for these logits given the head width, kept while nothing scales them.
 */
export function attentionMatmul(a: Tensor, b: Tensor, span: Span, trace: Trace, standardScale?: (headDim: number) => TextEdit | undefined): Tensor | undefined {
  if (a.attn?.kind === 'weights') {
    const core = a.attn.core;
    const v = trace.projectionOf(b);
    // Cross-attention's values come from the memory, as its keys do.
    if (!v || !sameHeads(core.cross ? core.k : core.q, v) || v.layer === core.k.layer || v.layer === core.q.layer) return undefined;
    const layout = v.layout === 'htd' && core.q.layout === 'htd' ? 'htd' : v.layout === 'tc' && core.q.layout === 'tc' ? 'tc' : undefined;
    if (!layout) return undefined;
    return trace.attentionValue([core.q, core.k, v], { kind: 'mixed', core, v, layout });
  }
  const q = trace.projectionOf(a);
  const k = trace.projectionOf(b);
  if (!q || !k) return undefined;
  if (!((q.layout === 'htd' && k.layout === 'hdt') || (q.layout === 'tc' && k.layout === 'ct'))) return undefined;
  const cross = !sameHeads(q, k);
  if (cross && !crossHeads(q, k, span, trace)) return undefined;
  const unscaled = q.factorSpans.length === 0 && k.factorSpans.length === 0;
  const edit = unscaled ? standardScale?.(q.headDim) : undefined;
  const core: AttentionCore = {
    q, k, scale: q.factor * k.factor, scaleSpans: [...q.factorSpans, ...k.factorSpans], causal: false, span,
    ...(cross ? { cross: true as const } : {}), ...(edit ? { standardScale: edit } : {}),
  };
  trace.logitsFormed(q, k);
  return trace.attentionValue([q, k], { kind: 'logits', core });
}

/**
 * A constant factor as written, where the constant folder needs help: `k.size(-1)` and
 * `k.shape[-1]` of a projection split into heads are its head width.
 */
export function factorValue(node: Node, context: AttentionContext, depth = 0): number | undefined {
  if (depth > 16) return undefined;
  const folded = evaluate(node, context.scope);
  if (isNumber(folded)) return folded;
  const n = unparen(node);
  if (n.type === 'binary_operator') {
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    const op = n.childForFieldName('operator')?.text;
    const a = left ? factorValue(left, context, depth + 1) : undefined;
    const b = right ? factorValue(right, context, depth + 1) : undefined;
    if (a === undefined || b === undefined) return undefined;
    switch (op) {
      case '*': return a * b;
      case '/': return b === 0 ? undefined : a / b;
      case '**': return a ** b;
      case '//': return b === 0 ? undefined : Math.floor(a / b);
      default: return undefined;
    }
  }
  if (n.type === 'call') {
    const call = callParts(n);
    const name = call ? dottedName(call.callee) : undefined;
    if (call && name && /^(math|np|numpy)\.sqrt$|^sqrt$/.test(name) && call.positional.length === 1) {
      const v = factorValue(call.positional[0]!, context, depth + 1);
      return v !== undefined && v >= 0 ? Math.sqrt(v) : undefined;
    }
    if (call && name && /^(float|int)$/.test(name) && call.positional.length === 1) {
      const v = factorValue(call.positional[0]!, context, depth + 1);
      return v === undefined ? undefined : name === 'int' ? Math.trunc(v) : v;
    }
    // k.size(-1), q.size(3)
    const callee = call?.callee;
    if (call && callee?.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'size' && call.positional.length === 1) {
      return lastAxis(callee.childForFieldName('object'), call.positional[0]!, context);
    }
    return undefined;
  }
  // k.shape[-1]
  if (n.type === 'subscript') {
    const value = n.childForFieldName('value');
    const index = n.childForFieldName('subscript');
    if (value?.type === 'attribute' && value.childForFieldName('attribute')?.text === 'shape' && index) {
      return lastAxis(value.childForFieldName('object'), index, context);
    }
  }
  return undefined;
}

/** The head width of a projection read at its last axis (`-1`, or 3 of a 4-D heads-first value). */
function lastAxis(object: Node | null, indexNode: Node, context: AttentionContext): number | undefined {
  if (object?.type !== 'identifier') return undefined;
  const value = context.lookup(object.text);
  const p = value?.t === 'tensor' ? context.trace.projectionOf(value.tensor) : undefined;
  const index = evaluate(indexNode, context.scope);
  if (!p || !isNumber(index)) return undefined;
  const rank = p.layout === 'tc' || p.layout === 'ct' ? 3 : 4;
  if (index !== -1 && index !== rank - 1) return undefined;
  return p.layout === 'htd' || p.layout === 'thd' || p.layout === 'tc' ? p.headDim : undefined;
}

/**
 * `x * c`, `x / c` with a constant c: a factor on a projection or on the logits. Undefined:
 * not attention's step. 'unknown': a step inside an attention that cannot be read.
 */
export function attentionScale(x: Tensor, op: string, factorNode: Node, tensorOnLeft: boolean, context: AttentionContext): Tensor | 'unknown' | undefined {
  const inside = insideAttention(x);
  const p = inside ? undefined : x.attn?.kind === 'unread' ? undefined : context.trace.projectionOf(x);
  if (!inside && !p) return undefined;
  if (op !== '*' && !(op === '/' && tensorOnLeft)) return inside ? 'unknown' : withPart(x, { kind: 'unread' });
  const value = factorValue(factorNode, context);
  if (value === undefined || !(value > 0) || !Number.isFinite(value)) return inside ? 'unknown' : withPart(x, { kind: 'unread' });
  const factor = op === '/' ? 1 / value : value;
  const span = spanOf(factorNode);
  if (p) return asProjection(x, { ...p, factor: p.factor * factor, factorSpans: [...p.factorSpans, span] });
  if (x.attn?.kind !== 'logits') return 'unknown';
  const core = x.attn.core;
  return withPart(x, { kind: 'logits', core: { ...core, scale: core.scale * factor, scaleSpans: [...core.scaleSpans, span], standardScale: undefined } });
}

/** Reads dims of a `view`/`reshape` (positional or one tuple), after the batch axis. */
function dimsOf(args: readonly Node[]): Node[] {
  const only = args.length === 1 ? unparen(args[0]!) : undefined;
  return only && (only.type === 'tuple' || only.type === 'list') ? only.namedChildren.filter((c) => c.type !== 'comment') : [...args];
}

function headSplit(p: ProjectionPart, headsNode: Node | undefined, widthNode: Node | undefined, context: AttentionContext): ProjectionPart | undefined {
  const heads = headsNode ? factorValue(headsNode, context) : undefined;
  const width = widthNode ? factorValue(widthNode, context) : undefined;
  const total = p.headDim;
  let h: number | undefined;
  let d: number | undefined;
  if (heads !== undefined && heads > 0 && width !== undefined && width > 0) [h, d] = [heads, width];
  else if (heads !== undefined && heads > 0 && (width === -1 || width === undefined)) [h, d] = [heads, total / heads];
  else if (width !== undefined && width > 0 && (heads === -1 || heads === undefined)) [h, d] = [total / width, width];
  if (h === undefined || d === undefined || !Number.isInteger(h) || !Number.isInteger(d) || h * d !== total) return undefined;
  return { ...p, layout: 'thd', heads: h, headDim: d };
}

/** Axis permutation of the two axes swapped (batch axis 0). */
function swapped(call: CallParts, rank: number, context: AttentionContext): [number, number] | undefined {
  if (call.positional.length !== 2) return undefined;
  const [a, b] = call.positional.map((n) => evaluate(n, context.scope));
  if (!isNumber(a) || !isNumber(b)) return undefined;
  const norm = (i: number) => (i < 0 ? i + rank : i);
  const [x, y] = [norm(a), norm(b)].sort((u, v) => u - v) as [number, number];
  return x === y || x < 0 || y >= rank ? undefined : [x, y];
}

const PROJECTION_TRANSPOSE: Readonly<Record<string, Readonly<Record<string, ProjectionPart['layout']>>>> = {
  tc: { '1,2': 'ct' },
  ct: { '1,2': 'tc' },
  thd: { '1,2': 'htd' },
  htd: { '1,2': 'thd', '2,3': 'hdt' },
  hdt: { '2,3': 'htd' },
};

function permutation(call: CallParts, context: AttentionContext): string | undefined {
  const dims = dimsOf(call.positional).map((n) => evaluate(n, context.scope));
  return dims.every(isNumber) ? dims.join(',') : undefined;
}

/**
 * A method on a value of an attention: split/chunk, view, transpose, permute, masked_fill,
 * softmax. 'not-handled' on a projection: not attention's step, the interpreter's own reading
 * applies (and the value is no longer read as a projection).
 */
export function attentionMethod(method: string, call: CallParts, x: Tensor, context: AttentionContext): AttentionStep {
  const trace = context.trace;
  if (x.attn?.kind === 'unread') return 'not-handled';
  const inside = insideAttention(x);
  const p = inside ? undefined : trace.projectionOf(x);
  if (!inside && !p) return 'not-handled';
  if (['contiguous', 'float', 'type_as', 'to', 'half', 'bfloat16'].includes(method)) return tensor(x);
  if (p) return projectionMethod(method, call, x, p, context);
  if (x.attn?.kind === 'packed') return packedMethod(method, call, x, x.attn, context);
  const attn = x.attn!;
  if (attn.kind === 'logits' && (method === 'masked_fill' || method === 'masked_fill_')) {
    const mask = argument(call, 0, 'mask');
    const value = argument(call, 1, 'value');
    if (!mask || !value || !isMinusInfinity(value, context) || attn.core.causal || !isCausalMask(mask, context)) return tensor(trace.opaque(x));
    return tensor(withPart(x, { kind: 'logits', core: { ...attn.core, causal: true } }));
  }
  if (attn.kind === 'logits' && method === 'softmax') {
    return softmaxAxisIsKeys(argument(call, 0, 'dim'), attn.core, context) ? tensor(withPart(x, { kind: 'weights', core: attn.core })) : tensor(trace.opaque(x));
  }
  if (attn.kind === 'mixed') {
    if (method === 'transpose') {
      const axes = swapped(call, attn.layout === 'tc' ? 3 : 4, context);
      if (axes?.join(',') === '1,2' && attn.layout !== 'tc') return tensor(withPart(x, { ...attn, layout: attn.layout === 'htd' ? 'thd' : 'htd' }));
    }
    if (method === 'permute' && attn.layout !== 'tc' && permutation(call, context) === '0,2,1,3') {
      return tensor(withPart(x, { ...attn, layout: attn.layout === 'htd' ? 'thd' : 'htd' }));
    }
    if ((method === 'view' || method === 'reshape') && attn.layout === 'thd') {
      const dims = dimsOf(call.positional);
      const width = dims.length === 3 ? factorValue(dims[2]!, context) : undefined;
      const inner = attn.core.q.heads * attn.core.q.headDim;
      if (dims.length === 3 && (width === undefined || width === inner || width === -1)) return tensor(withPart(x, { ...attn, layout: 'tc' }));
    }
  }
  return tensor(trace.opaque(x));
}

function projectionMethod(method: string, call: CallParts, x: Tensor, p: ProjectionPart, context: AttentionContext): AttentionStep {
  const trace = context.trace;
  if ((method === 'split' || method === 'chunk') && p.layout === 'tc' && p.factor === 1) {
    const dim = evaluate(argument(call, 1, 'dim') ?? call.positional[1] ?? call.node, context.scope);
    if (dim !== -1 && dim !== 2) return 'not-handled';
    const first = argument(call, 0, method === 'split' ? 'split_size' : 'chunks');
    const n = first ? evaluate(first, context.scope) : undefined;
    if (!isNumber(n) || !Number.isInteger(n) || n <= 0) return 'not-handled';
    const count = method === 'chunk' ? n : p.headDim % n === 0 ? p.headDim / n : 0;
    // q, k, v fused (nanoGPT's c_attn), or k and v fused beside a q of their own (`self.kv(memory)` of a cross-attention).
    if (count !== 3 && count !== 2) return 'not-handled';
    const parts = trace.sliceLayer(p, count);
    if (!parts) return 'not-handled';
    return { t: 'list', items: parts.map((part) => tensor({ ...x, pending: part.pending, sources: [part.layer], attn: { kind: 'projection', p: part } })) };
  }
  if ((method === 'view' || method === 'reshape') && p.layout === 'tc') {
    const dims = dimsOf(call.positional);
    if (dims.length === 4) {
      const split = headSplit(p, dims[2], dims[3], context);
      if (split) return tensor(asProjection(x, split));
    }
    if (dims.length === 5) return fusedHeads(x, p, dims, context);
    return 'not-handled';
  }
  if (method === 'transpose') {
    const axes = swapped(call, p.layout === 'tc' || p.layout === 'ct' ? 3 : 4, context);
    const layout = axes ? PROJECTION_TRANSPOSE[p.layout]?.[axes.join(',')] : undefined;
    return layout ? tensor(asProjection(x, { ...p, layout })) : 'not-handled';
  }
  if (method === 'permute') {
    const order = permutation(call, context);
    const layout = order === '0,2,1,3' && (p.layout === 'thd' || p.layout === 'htd') ? (p.layout === 'thd' ? 'htd' : 'thd')
      : order === '0,1,3,2' && (p.layout === 'htd' || p.layout === 'hdt') ? (p.layout === 'htd' ? 'hdt' : 'htd') : undefined;
    return layout ? tensor(asProjection(x, { ...p, layout })) : 'not-handled';
  }
  return 'not-handled';
}

/**
 * timm's fused q, k, v: `self.qkv(x).reshape(B, N, 3, H, D)` on an unscaled projection whose
 * width is 3·H·D: three projections of H heads of D (the layer sliced as a split in three is),
 * kept in one value until `.permute(2, 0, 3, 1, 4)` and `unbind(0)` or `[i]` hand them out.
 */
function fusedHeads(x: Tensor, p: ProjectionPart, dims: readonly Node[], context: AttentionContext): AttentionStep {
  const trace = context.trace;
  if (p.factor !== 1 || p.factorSpans.length > 0 || evaluate(dims[2]!, context.scope) !== 3 || p.headDim % 3 !== 0) return 'not-handled';
  const third = { ...p, headDim: p.headDim / 3 };
  const split = headSplit(third, dims[3], dims[4], context);
  if (!split) return 'not-handled';
  const parts = trace.sliceLayer(p, 3);
  if (!parts) return 'not-handled';
  const heads = parts.map((part) => ({ ...part, layout: split.layout, heads: split.heads, headDim: split.headDim }));
  return tensor({ ...trace.attentionValue(heads, { kind: 'packed', parts: heads, permuted: false }), shape: x.shape });
}

/** A step on q, k and v still packed: the permutation that puts the three first, then handing them out. */
function packedMethod(method: string, call: CallParts, x: Tensor, packed: Extract<AttentionPart, { kind: 'packed' }>, context: AttentionContext): AttentionStep {
  const trace = context.trace;
  if (method === 'permute' && !packed.permuted && permutation(call, context) === '2,0,3,1,4') {
    return tensor(withPart(x, { kind: 'packed', parts: packed.parts.map((part) => ({ ...part, layout: 'htd' })), permuted: true }));
  }
  if (method === 'unbind' && packed.permuted && call.positional.length + call.keywords.size <= 1) {
    const dimNode = argument(call, 0, 'dim');
    if (!dimNode || evaluate(dimNode, context.scope) === 0) return { t: 'list', items: packed.parts.map((part) => tensor(unpacked(x, part))) };
  }
  return tensor(trace.opaque(x));
}

/** One projection handed out of a packed value. */
function unpacked(x: Tensor, part: ProjectionPart): Tensor {
  return { ...x, pending: part.pending, sources: [part.layer], attn: { kind: 'projection', p: part } };
}

/** `qkv[0]`, `qkv[1]`, `qkv[2]` of permuted packed projections: q, k or v; undefined for anything else. */
export function packedItem(x: Tensor, index: unknown): RValue | undefined {
  if (x.attn?.kind !== 'packed' || !x.attn.permuted || typeof index !== 'number' || !Number.isInteger(index)) return undefined;
  const parts = x.attn.parts;
  const part = parts[index < 0 ? parts.length + index : index];
  return part ? tensor(unpacked(x, part)) : undefined;
}

/** `dim=-1`, or the last axis by number: softmax over the keys. */
function softmaxAxisIsKeys(dimNode: Node | undefined, core: AttentionCore, context: AttentionContext): boolean {
  if (!dimNode) return false;
  const dim = evaluate(dimNode, context.scope);
  return dim === -1 || dim === (core.q.layout === 'tc' ? 2 : 3);
}

/** `float('-inf')`, `-float('inf')`, `-math.inf`, `torch.finfo(x.dtype).min`, or a constant ≤ −10⁴. */
function isMinusInfinity(node: Node, context: AttentionContext): boolean {
  const text = node.text.replace(/\s+/g, '');
  if (/^(float\((['"])-inf\2\)|-float\((['"])inf\3\)|-(math|torch|np|numpy)\.inf|torch\.finfo\([^()]*(\([^()]*\))?[^()]*\)\.min)$/.test(text)) return true;
  const value = evaluate(node, context.scope);
  return isNumber(value) && value <= -1e4;
}

/**
 * The mask hides exactly the future keys: `M == 0` (or `M[...] == 0`, `~M.bool()`) of a lower
 * triangle of ones (`torch.tril(torch.ones(n, n))`), or an upper triangle above the diagonal
 * (`torch.triu(torch.ones(n, n), diagonal=1)`, `.bool()`). M is written there, bound to a
 * local once, or registered once as a buffer (`self.register_buffer("bias", …)`).
 */
export function isCausalMaskNode(mask: Node, context: AttentionContext): boolean {
  return isCausalMask(mask, context) || isSubsequentMask(mask, context);
}

/** `nn.Transformer.generate_square_subsequent_mask(T)`: −inf above the diagonal, 0 elsewhere. */
function isSubsequentMask(mask: Node, context: AttentionContext, depth = 0): boolean {
  const n = unparen(mask);
  if (n.type === 'identifier' && depth < 4) {
    const bound = context.scope.expressionOf(n.text);
    return bound ? isSubsequentMask(bound.node, context, depth + 1) : false;
  }
  const call = n.type === 'call' ? callParts(n) : undefined;
  const name = call ? dottedName(call.callee) : undefined;
  return name !== undefined && /(^|\.)generate_square_subsequent_mask$/.test(name) && /^torch\.nn\.(Transformer|modules\.transformer\.Transformer)\./.test(context.canonical(name) ?? '');
}

function isCausalMask(mask: Node, context: AttentionContext): boolean {
  const n = unparen(mask);
  if (n.type === 'comparison_operator') {
    const [left, right] = n.namedChildren.filter((c) => c.type !== 'comment');
    const op = n.children.find((c) => !c.isNamed)?.text;
    if (op !== '==' || !left || !right || evaluate(right, context.scope) !== 0) return false;
    return triangle(left, context, 0) === 'lower';
  }
  if (n.type === 'unary_operator' && n.text.startsWith('~')) {
    const operand = n.namedChildren[0];
    return operand !== undefined && triangle(operand, context, 0) === 'lower';
  }
  return triangle(n, context, 0) === 'strict-upper';
}

/** What triangle of ones a mask expression is (through subscripts, view, bool, to, a name). */
function triangle(node: Node, context: AttentionContext, depth: number): 'lower' | 'strict-upper' | undefined {
  if (depth > 8) return undefined;
  const n = unparen(node);
  if (n.type === 'subscript') {
    const value = n.childForFieldName('value');
    return value ? triangle(value, context, depth + 1) : undefined;
  }
  if (n.type === 'identifier') {
    const bound = context.scope.expressionOf(n.text);
    return bound ? triangle(bound.node, context, depth + 1) : undefined;
  }
  if (n.type === 'attribute' && n.childForFieldName('object')?.text === 'self') {
    const defined = bufferDefinition(n.childForFieldName('attribute')!.text, context);
    return defined ? triangle(defined, context, depth + 1) : undefined;
  }
  if (n.type !== 'call') return undefined;
  const call = callParts(n);
  if (!call) return undefined;
  const callee = call.callee;
  if (callee.type === 'attribute') {
    const method = callee.childForFieldName('attribute')!.text;
    const object = callee.childForFieldName('object')!;
    const dotted = dottedName(callee);
    if (['view', 'bool', 'to', 'reshape', 'unsqueeze'].includes(method) && (dotted === undefined || context.canonical(dotted) === undefined)) {
      return triangle(object, context, depth + 1);
    }
  }
  const written = dottedName(callee);
  const canonical = written === undefined ? undefined : context.canonical(written);
  if (canonical !== 'torch.tril' && canonical !== 'torch.triu') return undefined;
  const ones = call.positional[0];
  const onesCall = ones ? callParts(unparen(ones)) : undefined;
  const onesName = onesCall ? dottedName(onesCall.callee) : undefined;
  if (!onesCall || onesName === undefined || context.canonical(onesName) !== 'torch.ones' || onesCall.positional.length !== 2) return undefined;
  const diagonalNode = argument(call, 1, 'diagonal');
  const diagonal = diagonalNode ? evaluate(diagonalNode, context.scope) : 0;
  if (canonical === 'torch.tril') return diagonal === 0 ? 'lower' : undefined;
  return diagonal === 1 ? 'strict-upper' : undefined;
}

/** The one expression a class registers as the buffer (or assigns to the attribute) `name`. */
function bufferDefinition(name: string, context: AttentionContext): Node | undefined {
  const definition = context.selfDefinition;
  if (!definition) return undefined;
  const found: Node[] = [];
  for (const call of definition.descendantsOfType('call')) {
    const parts = callParts(call);
    if (!parts || dottedName(parts.callee) !== 'self.register_buffer') continue;
    const first = parts.positional[0];
    if (first && stringValue(first) === name) {
      const value = argument(parts, 1, 'tensor');
      if (value) found.push(value);
      else return undefined;
    }
  }
  for (const assignment of definition.descendantsOfType('assignment')) {
    if (assignment.childForFieldName('left')?.text === `self.${name}`) {
      const right = assignment.childForFieldName('right');
      if (right) found.push(right);
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/** Functions: torch.matmul, softmax, scaled_dot_product_attention, einops.rearrange. */
export function attentionFunction(canonical: string, call: CallParts, args: readonly RValue[], context: AttentionContext): AttentionStep {
  const trace = context.trace;
  const first = args[0]?.t === 'tensor' ? args[0].tensor : undefined;
  if (canonical === 'torch.matmul' || canonical === 'torch.bmm') {
    const second = args[1]?.t === 'tensor' ? args[1].tensor : undefined;
    if (!first || !second) return 'not-handled';
    const [left, right] = call.positional;
    const edit = left && right && call.positional.length === 2 && call.keywords.size === 0
      ? (headDim: number) => logitScaleEdit(call.node, left, right, headDim, context, context.fixes) : undefined;
    const product = attentionMatmul(first, second, spanOf(call.node), trace, edit);
    if (product) return tensor(product);
    return insideAttention(first) || insideAttention(second) ? tensor(trace.merge([first, second], undefined)) : 'not-handled';
  }
  if (!first) return 'not-handled';
  if (canonical === 'torch.nn.functional.softmax' || canonical === 'torch.softmax') {
    if (first.attn?.kind !== 'logits') return 'not-handled';
    return softmaxAxisIsKeys(argument(call, 1, 'dim'), first.attn.core, context) ? tensor(withPart(first, { kind: 'weights', core: first.attn.core })) : tensor(trace.opaque(first));
  }
  if (canonical === 'torch.nn.functional.scaled_dot_product_attention') return scaledDotProduct(call, args, context);
  if (canonical === 'einops.rearrange') return rearrange(call, first, context);
  return 'not-handled';
}

/** F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=…, is_causal=…, scale=None). */
function scaledDotProduct(call: CallParts, args: readonly RValue[], context: AttentionContext): AttentionStep {
  const trace = context.trace;
  const tensors = args.slice(0, 3).map((a) => (a?.t === 'tensor' ? a.tensor : undefined));
  const parts = tensors.map((t) => (t ? trace.projectionOf(t) : undefined));
  const [q, k, v] = parts;
  const unknown = (): RValue => {
    const known = tensors.filter((t): t is Tensor => t !== undefined);
    return known.length > 0 ? tensor(trace.merge(known, undefined)) : undefined;
  };
  if (!q || !k || !v || call.spread || k.layer === v.layer) return unknown();
  const self = sameHeads(q, k) && sameHeads(q, v);
  // Cross-attention: k and v read the memory (the same value), q the stream.
  const cross = !self && sameHeads(k, v) && q.layer !== k.layer && q.layer !== v.layer;
  if (!self && !cross) return unknown();
  const layout = q.layout === 'htd' && k.layout === 'htd' && v.layout === 'htd' ? 'htd' : q.layout === 'tc' && k.layout === 'tc' && v.layout === 'tc' ? 'tc' : undefined;
  if (!layout) return unknown();
  if (cross && !crossHeads(q, k, spanOf(call.node), trace)) return unknown();
  const mask = argument(call, 3, 'attn_mask');
  if (mask && evaluate(mask, context.scope) !== null) return unknown();
  const causalNode = argument(call, 5, 'is_causal');
  const causal = causalNode ? evaluate(causalNode, context.scope) : false;
  if (typeof causal !== 'boolean') return unknown();
  const scaleNode = argument(call, 6, 'scale');
  let scale = 1 / Math.sqrt(q.headDim);
  const scaleSpans: Span[] = [...q.factorSpans, ...k.factorSpans];
  let edit: TextEdit | undefined;
  if (scaleNode && evaluate(scaleNode, context.scope) !== null) {
    const written = factorValue(scaleNode, context);
    if (written === undefined || !(written > 0)) return unknown();
    scale = written;
    // Only the written scale departs from the default: removing it gives 1/√d_head.
    if (scaleSpans.length === 0 && context.fixes) edit = defaultScaleEdit(call, scaleNode);
    scaleSpans.push(spanOf(scaleNode));
  }
  const core: AttentionCore = {
    q, k, scale: scale * q.factor * k.factor, scaleSpans, causal, span: spanOf(call.node), ...(cross ? { cross: true as const } : {}), ...(edit ? { standardScale: edit } : {}),
  };
  return tensor(trace.attentionValue([q, k, v], { kind: 'mixed', core, v, layout }));
}

/** einops: 'b n (h d) -> b h n d' with h= or d= (split), 'b h n d -> b n (h d)' (merge). */
function rearrange(call: CallParts, x: Tensor, context: AttentionContext): AttentionStep {
  const trace = context.trace;
  const patternNode = call.positional[1] ?? call.keywords.get('pattern')?.value;
  const pattern = patternNode ? stringValue(patternNode) : undefined;
  const inside = insideAttention(x);
  const p = inside || x.attn?.kind === 'unread' ? undefined : trace.projectionOf(x);
  if (!pattern || (!inside && !p)) return 'not-handled';
  const m = /^\s*(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s*->\s*(\w+)\s+(\w+)\s+\(\s*(\w+)\s+(\w+)\s*\)\s*$/.exec(pattern);
  const s = /^\s*(\w+)\s+(\w+)\s+\(\s*(\w+)\s+(\w+)\s*\)\s*->\s*(\w+)\s+(\w+)\s+(\w+)\s+(\w+)\s*$/.exec(pattern);
  if (s && p && p.layout === 'tc') {
    const [, b, n, h, d, b2, h2, n2, d2] = s;
    if (b === b2 && n === n2 && h === h2 && d === d2 && new Set([b, n, h, d]).size === 4) {
      const split = headSplit(p, call.keywords.get(h!)?.value, call.keywords.get(d!)?.value, context);
      if (split) return tensor(asProjection(x, { ...split, layout: 'htd' }));
    }
  }
  if (m && x.attn?.kind === 'mixed' && x.attn.layout === 'htd') {
    const [, b, h, n, d, b2, n2, h2, d2] = m;
    if (b === b2 && n === n2 && h === h2 && d === d2 && new Set([b, n, h, d]).size === 4) return tensor(withPart(x, { ...x.attn, layout: 'tc' }));
  }
  // Another pattern: not attention's step (on a value inside one, unknown).
  return inside ? tensor(trace.opaque(x)) : 'not-handled';
}

/** An `nn.Softmax(dim=-1)` module applied to the logits. */
export function softmaxModule(x: Tensor, callText: string): Tensor | undefined {
  if (x.attn?.kind !== 'logits') return undefined;
  const axis = /^(?:[\w.]*\.)?Softmax\(\s*(?:dim\s*=\s*)?(-1|3)\s*\)$/.exec(callText.replace(/\s+/g, ' '))?.[1];
  const keys = axis === '-1' || (axis === '3' && x.attn.core.q.layout === 'htd');
  return keys ? withPart(x, { kind: 'weights', core: x.attn.core }) : undefined;
}

/** The scale as the hover and messages read it: `1/√64`, `1/64`, `none (q·kᵀ unscaled)`, or the number. */
export function scaleLabel(scale: number, headDim: number): string {
  const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  if (near(scale, 1)) return 'none (q·kᵀ unscaled)';
  if (near(scale * Math.sqrt(headDim), 1)) return `1/√${headDim}`;
  if (near(scale * headDim, 1)) return `1/${headDim}`;
  return formatNumber(scale);
}

/**
 * The output projection applied to the merged heads: the attention is complete. `output` is
 * the layer's value as trace.layer made it; the result continues from q, k and v's source.
 * `output` undefined: the merged heads go on with no projection (vit-pytorch's `to_out =
 * nn.Identity()` when `project_out` is false; ir.ts AttentionOp.output).
 */
export function completeAttention(mixed: Tensor, output: Tensor | undefined, trace: Trace): Tensor | undefined {
  if (mixed.attn?.kind !== 'mixed' || mixed.attn.layout !== 'tc') return undefined;
  const { core, v } = mixed.attn;
  const layer = output?.sources[0];
  if (output && (!layer || layer.kind !== 'dense' || layer.activation === 'unknown' || layer.activation.name !== 'linear')) return undefined;
  // A causal mask over another sequence's keys is not one InitWise reads.
  if (core.cross && core.causal) return undefined;
  const scaleSpan = core.scaleSpans.length === 1 ? { scaleSpan: core.scaleSpans[0]! } : {};
  const edit = core.standardScale;
  const op: AttentionOp = {
    op: 'attention', heads: core.q.heads, headDim: core.q.headDim, logitScale: core.scale, scaleLabel: scaleLabel(core.scale, core.q.headDim),
    ...scaleSpan, causal: core.causal, ...(core.cross ? { crossAttention: true as const } : {}),
    query: core.q.layer, key: core.k.layer, value: v.layer, ...(layer ? { output: layer } : {}), span: core.span, kindSpan: core.span,
    ...(edit ? { fixes: { useStandardScale: () => [edit] } } : {}),
  };
  return trace.attention([core.q, core.k, v], output, op);
}

/** Two values that are the same attention's mixed values (the two branches of nanoGPT's `if self.flash`). */
export function sameAttention(a: RValue, b: RValue): boolean {
  if (a?.t !== 'tensor' || b?.t !== 'tensor') return false;
  const x = a.tensor.attn;
  const y = b.tensor.attn;
  if (x?.kind !== 'mixed' || y?.kind !== 'mixed') return false;
  const near = Math.abs(x.core.scale - y.core.scale) <= 1e-12 * Math.abs(x.core.scale);
  return x.core.q.layer === y.core.q.layer && x.core.k.layer === y.core.k.layer && x.v.layer === y.v.layer && x.core.causal === y.core.causal
    && x.layout === y.layout && x.core.q.heads === y.core.q.heads && x.core.q.headDim === y.core.q.headDim && near;
}
