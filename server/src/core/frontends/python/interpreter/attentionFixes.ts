/**
 * IW401's fix in PyTorch code (issue 15): logits formed without 1/√d_head get it, in the file's
 * spelling. Hand-written `q @ k.transpose(-2, -1)` becomes nanoGPT's
 * `(q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))`, or uses the class's own
 * `self.scale = head_dim ** -0.5` / `self.head_dim = dim // heads` when it has exactly one such
 * attribute; `F.scaled_dot_product_attention(…, scale=1.0)` loses the argument (PyTorch's
 * default is 1/√d_head). Written only in the document's own code; `math.sqrt` only where the file
 * imports it (else `** -0.5`, never a new import).
 */
import type { TextEdit } from '../../../findings';
import { type CallParts, dottedName, type Node, spanOf, unparen } from '../syntax/syntax';
import { MODULE_OFFSET_BASE } from '../workspace/moduleCache';
import type { RValue } from './frame';
import type { Trace } from './trace';
import { evaluate, isNumber, type Scope } from './values';

/** The part of the attention reading's context the edits read (attentionTrace.ts AttentionContext). */
export interface AttentionContext {
  readonly trace: Trace;
  readonly scope: Scope;
  lookup(name: string): RValue;
  readonly selfDefinition: Node | undefined;
}

/** What the edit needs beyond the attention's context: the document's text and its spelling of math.sqrt. */
export interface AttentionFixEnvironment {
  readonly source: string;
  readonly sqrt: string | undefined;
}

/** Layouts whose last axis is the head width (attentionTrace.ts ProjectionPart). */
const HEAD_LAST = new Set(['htd', 'thd', 'tc']);

/**
 * The edit that scales the logits `logits` (`left @ right`, `torch.matmul(left, right)`) by
 * 1/√headDim; undefined where it cannot be written with certainty.
 */
export function logitScaleEdit(logits: Node, left: Node, right: Node, headDim: number, context: AttentionContext, env: AttentionFixEnvironment | undefined): TextEdit | undefined {
  if (!env || logits.endIndex >= MODULE_OFFSET_BASE || !(headDim > 0)) return undefined;
  const factor = ownScale(headDim, context, env.sqrt) ?? sizeScale([keyName(right), unparen(left).type === 'identifier' ? unparen(left).text : undefined], headDim, context, env.sqrt);
  if (!factor) return undefined;
  const product = `${logits.type === 'call' ? logits.text : `(${logits.text})`} ${factor}`;
  return { span: spanOf(logits), newText: standsAlone(env.source, logits) ? product : `(${product})` };
}

/** `F.scaled_dot_product_attention(…, scale=1.0)`: the argument removed (PyTorch's default scale is 1/√d_head). */
export function defaultScaleEdit(call: CallParts, scaleNode: Node): TextEdit | undefined {
  if (call.node.endIndex >= MODULE_OFFSET_BASE) return undefined;
  const args = call.node.childForFieldName('arguments')?.namedChildren.filter((c) => c.type !== 'comment') ?? [];
  const index = args.findIndex((a) => a.type === 'keyword_argument' && a.childForFieldName('value')?.startIndex === scaleNode.startIndex);
  if (index > 0) return { span: { start: args[index - 1]!.endIndex, end: args[index]!.endIndex }, newText: '' };
  // Written by position (the seventh argument): PyTorch's own default, None.
  return call.positional[6]?.startIndex === scaleNode.startIndex ? { span: spanOf(scaleNode), newText: 'None' } : undefined;
}

/** `k` of `k.transpose(-2, -1)` / `k.transpose(2, 3)` / `k.permute(…)`. */
function keyName(right: Node): string | undefined {
  const n = unparen(right);
  if (n.type !== 'call') return undefined;
  const callee = n.childForFieldName('function');
  const object = callee?.type === 'attribute' ? callee.childForFieldName('object') : undefined;
  return object?.type === 'identifier' ? object.text : undefined;
}

/** nanoGPT's `* (1.0 / math.sqrt(k.size(-1)))`, on a name whose last axis is the head width. */
function sizeScale(names: readonly (string | undefined)[], headDim: number, context: AttentionContext, sqrt: string | undefined): string | undefined {
  for (const name of names) {
    if (name === undefined) continue;
    const value = context.lookup(name);
    const p = value?.t === 'tensor' ? context.trace.projectionOf(value.tensor) : undefined;
    if (!p || !HEAD_LAST.has(p.layout) || p.headDim !== headDim) continue;
    return sqrt ? `* (1.0 / ${sqrt}(${name}.size(-1)))` : `* ${name}.size(-1) ** -0.5`;
  }
  return undefined;
}

/**
 * The class's own spelling: one `self.X = …` that is 1/√d_head written as a power or a square
 * root (`dim_head ** -0.5`), else one that is d_head written as a division (`dim // heads`).
 */
function ownScale(headDim: number, context: AttentionContext, sqrt: string | undefined): string | undefined {
  const definition = context.selfDefinition;
  if (!definition || definition.startIndex >= MODULE_OFFSET_BASE) return undefined;
  const scales = new Set<string>();
  const widths = new Set<string>();
  for (const assignment of definition.descendantsOfType('assignment')) {
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    const name = left ? dottedName(left) : undefined;
    if (!left || !right || name === undefined || !/^self\.[\p{L}_][\p{L}\p{N}_]*$/u.test(name)) continue;
    const value = evaluate(left, context.scope);
    if (!isNumber(value)) continue;
    if (Math.abs(value * Math.sqrt(headDim) - 1) < 1e-9 && /\*\*|sqrt/.test(right.text)) scales.add(name);
    else if (value === headDim && /\//.test(right.text)) widths.add(name);
  }
  if (scales.size === 1) return `* ${[...scales][0]!}`;
  if (scales.size === 0 && widths.size === 1) {
    const width = [...widths][0]!;
    return sqrt ? `/ ${sqrt}(${width})` : `/ ${width} ** 0.5`;
  }
  return undefined;
}

/**
 * The logits stand where `(logits) * f` reads as the product without outer parentheses: after
 * `=`, `(`, `,`, `[`, `{`, `:` or a `+`/`-`, and before `)`, `,`, `]`, `}`, `+`, `-`, a comment or
 * the line's end (every operator there binds looser than `*`).
 */
function standsAlone(source: string, node: Node): boolean {
  let before = node.startIndex - 1;
  while (before >= 0 && (source[before] === ' ' || source[before] === '\t')) before--;
  let after = node.endIndex;
  while (after < source.length && (source[after] === ' ' || source[after] === '\t')) after++;
  const previous = before >= 0 ? source[before]! : '\n';
  const next = after < source.length ? source[after]! : '\n';
  return '=(,[{:+-'.includes(previous) && '),]}+-#\r\n'.includes(next);
}
