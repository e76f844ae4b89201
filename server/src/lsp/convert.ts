/**
 * Engine offsets <-> LSP ranges. The engine speaks UTF-16 offsets into the text it
 * analysed; LSP speaks zero-based line/character (also UTF-16). Every conversion goes
 * through the LineIndex of that exact text, so a range always refers to the version
 * that produced it.
 */
import type { Range, TextEdit } from 'vscode-languageserver/node';
import type { TextEdit as EngineTextEdit } from '../core/findings';
import { LineIndex, type Span } from '../core/text';

export function toRange(index: LineIndex, span: Span): Range {
  return { start: index.positionAt(span.start), end: index.positionAt(span.end) };
}

export function toSpan(index: LineIndex, range: Range): Span {
  return { start: index.offsetAt(range.start), end: index.offsetAt(range.end) };
}

export function toTextEdit(index: LineIndex, edit: EngineTextEdit): TextEdit {
  return { range: toRange(index, edit.span), newText: edit.newText };
}

/** True when `offset` lies inside `span`, its end included (a cursor just after a word is on it). */
export function spanContains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}
