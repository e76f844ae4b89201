/** Documents and small text helpers shared by the LSP tests. */
import type { Diagnostic, Position, Range } from 'vscode-languageserver-protocol';
import { offsetAt } from './client';

let counter = 0;

/** A fresh document uri per call, so tests sharing one server never see each other's publishes. */
export function freshUri(name: string, extension = 'netdef'): string {
  counter++;
  return `file:///workspace/${name}-${counter}.${extension}`;
}

/** Glorot under ReLU in a repeated block: IW101 once, on the statement inside `repeat`. */
export const MLP_GLOROT_RELU = [
  'network mlp framework=pytorch {',
  '  input 784',
  '  repeat 4 {',
  '    dense 512 activation=relu init=glorot_uniform',
  '  }',
  '  dense 10 activation=softmax init=glorot_uniform',
  '}',
  '',
].join('\n');

/** The same network with every initializer right for its activation: no findings. */
export const MLP_CLEAN = MLP_GLOROT_RELU.replace('activation=relu init=glorot_uniform', 'activation=relu init=he_normal');

/** PyTorch's default init under ReLU, written implicitly: IW301, whose explicit-default fix is safe. */
export const MLP_IMPLICIT_DEFAULT = [
  'network implicit framework=pytorch {',
  '  input 256',
  '  dense 128 activation=relu',
  '  dense 10 activation=softmax init=glorot_uniform',
  '}',
  '',
].join('\n');

/** The text a range covers. */
export function textOf(text: string, range: Range): string {
  return text.slice(offsetAt(text, range.start), offsetAt(text, range.end));
}

/** Position of the first occurrence of `needle` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0): Position {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`'${needle}' not in the text`);
  const before = text.slice(0, offset + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - (before.lastIndexOf('\n') + 1) };
}

export function codes(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => String(d.code));
}
