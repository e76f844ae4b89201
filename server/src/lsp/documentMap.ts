/**
 * Where the engine's offsets are in the editor. A text document maps one to one through
 * its LineIndex; a notebook's analysis is of its code cells joined into one program
 * (core/notebook/program.ts), and each offset belongs to one cell document (its own uri,
 * its own lines). Diagnostics, code actions, hover, code lens and the signal report all
 * convert through a DocumentMap, so they cannot disagree about where a finding is.
 */
import type { Position, Range } from 'vscode-languageserver/node';
import type { NotebookProgram } from '../core/notebook/program';
import { LineIndex, type Span } from '../core/text';
import type { WireTextEdit } from '../protocol';

export interface Located {
  readonly uri: string;
  readonly range: Range;
}

export interface DocumentMap {
  /** The documents this analysis publishes diagnostics on. */
  readonly uris: readonly string[];
  /** The document and range of an engine span; undefined when it does not lie inside one document. */
  location(span: Span): Located | undefined;
  /** The document and position where something starting at `offset` starts (at a cell boundary: the later cell). */
  position(offset: number): { uri: string; position: Position } | undefined;
  /** The engine offset of a position in one of `uris`; undefined for another document. */
  offsetAt(uri: string, position: Position): number | undefined;
}

export function textDocumentMap(uri: string, index: LineIndex): DocumentMap {
  return {
    uris: [uri],
    location: (span) => ({ uri, range: { start: index.positionAt(span.start), end: index.positionAt(span.end) } }),
    position: (offset) => ({ uri, position: index.positionAt(offset) }),
    offsetAt: (other, position) => (other === uri ? index.offsetAt(position) : undefined),
  };
}

/** `cellUris[i]`: the document of the program's cell with id `i`. */
export function notebookMap(program: NotebookProgram, cellUris: readonly string[]): DocumentMap {
  // Built on first use: a keystroke's publish converts the spans of a few cells only.
  const indexes: (LineIndex | undefined)[] = [];
  const indexOf = (cell: number) => (indexes[cell] ??= new LineIndex(program.cells[cell]!.text));
  const cellOfUri = new Map(program.cells.map((cell, i) => [cellUris[cell.id]!, i]));
  return {
    uris: program.cells.map((cell) => cellUris[cell.id]!),
    location: (span) => {
      const local = program.localSpan(span);
      if (!local) return undefined;
      const index = indexOf(local.cell);
      return {
        uri: cellUris[program.cells[local.cell]!.id]!,
        range: { start: index.positionAt(local.span.start), end: index.positionAt(local.span.end) },
      };
    },
    position: (offset) => {
      const local = program.localOffset(offset);
      return local && { uri: cellUris[program.cells[local.cell]!.id]!, position: indexOf(local.cell).positionAt(local.offset) };
    },
    offsetAt: (uri, position) => {
      const cell = cellOfUri.get(uri);
      return cell === undefined ? undefined : program.programOffset(cell, indexOf(cell).offsetAt(position));
    },
  };
}

/**
 * An engine edit as a wire edit; `uri` is set when the edit is in another document than
 * `home` (a notebook fix may touch another cell). Undefined when it cannot be placed.
 */
export function toWireEdit(map: DocumentMap, home: string, edit: { span: Span; newText: string }): WireTextEdit | undefined {
  const located = map.location(edit.span);
  if (!located) return undefined;
  return { range: located.range, newText: edit.newText, ...(located.uri === home ? {} : { uri: located.uri }) };
}

/** Every edit of a fix placed, or undefined: a fix is applied whole or not at all. */
export function toWireEdits(map: DocumentMap, home: string, edits: readonly { span: Span; newText: string }[]): WireTextEdit[] | undefined {
  const out: WireTextEdit[] = [];
  for (const edit of edits) {
    const wire = toWireEdit(map, home, edit);
    if (!wire) return undefined;
    out.push(wire);
  }
  return out;
}
