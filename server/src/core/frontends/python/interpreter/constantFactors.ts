/**
 * A known constant factor on the signal (`emb(idx) * math.sqrt(self.d_model)`, `x / 2`,
 * `x *= 0.5`) read as an op the simulation runs (ir.ts ScaleOp), issue 15. Only a factor folded
 * to a finite non-zero number is one: a divisor that is the signal (`1 / x`), an added term, a
 * matrix or anything not folded stays a step the simulation does not model.
 */
import type { ScaleOp } from '../../../ir';
import { type Node, spanOf } from '../syntax/syntax';
import { isNumber, type Value } from './values';

/** The op for `node` (a binary expression or an augmented assignment), or undefined. */
export function constantFactor(op: string, value: Value | undefined, node: Node, tensorOnLeft: boolean): ScaleOp | undefined {
  if (!isNumber(value) || !Number.isFinite(value) || value === 0) return undefined;
  const factor = op === '*' ? value : op === '/' && tensorOnLeft ? 1 / value : undefined;
  if (factor === undefined || !Number.isFinite(factor)) return undefined;
  return { op: 'scale', factor, label: factorLabel(node, op, tensorOnLeft), span: spanOf(node) };
}

/** `× math.sqrt(self.d_model)`, `÷ 2`: the factor as written, one line, at most 40 characters. */
function factorLabel(node: Node, op: string, tensorOnLeft: boolean): string {
  const side = node.type === 'augmented_assignment' ? node.childForFieldName('right') : node.childForFieldName(tensorOnLeft ? 'right' : 'left');
  const text = (side?.text ?? node.text).replace(/\s+/g, ' ');
  const short = text.length <= 40 ? text : `${text.slice(0, 37)}…`;
  return `${op === '/' ? '÷' : '×'} ${short}`;
}
