/**
 * A notebook's code cells as one Python program, the way the kernel runs them: in cell
 * order, each cell's text (IPython syntax masked, magics.ts) followed by a line break
 * when it has none, so a model whose imports sit in cell 1 and whose class sits in cell
 * 2 is read as one model. Masking keeps lengths, so an offset inside a cell is the same
 * in the program and in the cell: mapping is one addition or one binary search.
 *
 * Findings come back in program offsets; hosts show them per cell (`localSpan`), and a
 * fix is kept only when each of its edits lies inside one cell and outside the masked
 * IPython syntax (`mappableFindings`), so applying it per cell (`localEdits`) changes
 * exactly what it changes in the program. An insertion at the boundary between two
 * cells goes to the end of the earlier one (where an import block ends, for instance).
 * Ruff does the same with its cell offsets and source map.
 */
import type { Finding, Fix, TextEdit } from '../findings';
import type { Span } from '../text';
import { maskMagics, type MaskedCell } from './magics';
import { pythonBodyMagicsRegisteredIn } from './registeredMagics';

export interface NotebookCellInput {
  /** The cell's source as the user wrote it. */
  readonly text: string;
  /** The host's name for the cell: its 1-based number in the notebook (CLI) or its document index (LSP). */
  readonly id: number;
}

export interface ProgramCell {
  readonly id: number;
  /** The cell's source as written (not masked). */
  readonly text: string;
  /** Where the cell starts in the program. */
  readonly start: number;
  /** Masked IPython syntax, in cell offsets. */
  readonly masked: readonly Span[];
}

export interface LocalSpan {
  /** Index into `NotebookProgram.cells`. */
  readonly cell: number;
  readonly span: Span;
}

export class NotebookProgram {
  private constructor(
    /** What the engine analyses. */
    readonly text: string,
    readonly cells: readonly ProgramCell[],
  ) {}

  /**
   * `masks`: what the previous build masked, by cell text and the magics registered before it (the editor rebuilds the program
   * on every keystroke, and all but one cell are unchanged); entries not used are dropped.
   */
  static build(inputs: readonly NotebookCellInput[], masks?: Map<string, MaskedCell>): NotebookProgram {
    const parts: string[] = [];
    const cells: ProgramCell[] = [];
    const used = new Map<string, MaskedCell>();
    let at = 0;
    // Cell magics registered by earlier cells whose body is Python (`%%backend tensorflow`).
    const registered = new Set<string>();
    for (const input of inputs) {
      // A cell's masking depends on the magics registered before it: they are part of the key.
      const key = registered.size === 0 ? input.text : `${[...registered].join(' ')}\u0000${input.text}`;
      const mask = masks?.get(key) ?? maskMagics(input.text, registered);
      used.set(key, mask);
      if (input.text.includes('register_cell_magic')) for (const name of pythonBodyMagicsRegisteredIn(input.text)) registered.add(name);
      const { text, masked } = mask;
      cells.push({ id: input.id, text: input.text, start: at, masked });
      const separator = text.endsWith('\n') ? '' : '\n';
      parts.push(text, separator);
      at += text.length + separator.length;
    }
    if (masks) {
      masks.clear();
      for (const [text, mask] of used) masks.set(text, mask);
    }
    return new NotebookProgram(parts.join(''), cells);
  }

  /** The program as the user wrote it (sources not masked, same offsets): what hosts show in excerpts. */
  sourceText(): string {
    return this.cells.map((cell) => (cell.text.endsWith('\n') ? cell.text : `${cell.text}\n`)).join('');
  }

  /** The cell holding `offset`; at a boundary shared by two cells, the earlier one. */
  cellAt(offset: number): number {
    let lo = 0;
    let hi = this.cells.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cells[mid]!.start < offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The span in its cell's own offsets; undefined when it leaves the cell (or there are no cells). */
  localSpan(span: Span): LocalSpan | undefined {
    if (this.cells.length === 0) return undefined;
    const cell = this.cellAt(span.start);
    const { start, text } = this.cells[cell]!;
    const local = { start: span.start - start, end: span.end - start };
    if (local.start < 0 || local.end > text.length || local.start > local.end) {
      // An empty span at the very start of the next cell (offset 0 of it) is that cell's.
      const next = this.cells[cell + 1];
      if (next && span.start === next.start && span.end >= span.start && span.end - next.start <= next.text.length) {
        return { cell: cell + 1, span: { start: 0, end: span.end - next.start } };
      }
      return undefined;
    }
    return { cell, span: local };
  }

  /**
   * The cell and cell offset of a position (where something starts, not an insertion point):
   * at a boundary shared by two cells, the later one, whose first character it is.
   */
  localOffset(offset: number): { cell: number; offset: number } | undefined {
    for (let cell = this.cells.length - 1; cell >= 0; cell--) {
      const { start, text } = this.cells[cell]!;
      if (start <= offset) return offset - start <= text.length ? { cell, offset: offset - start } : undefined;
    }
    return undefined;
  }

  /** The program offset of an offset in a cell. */
  programOffset(cell: number, offset: number): number {
    return this.cells[cell]!.start + offset;
  }

  /**
   * A fix's edits per cell, in cell offsets; undefined when one edit cannot be applied to
   * one cell alone (it crosses a cell boundary or touches masked IPython syntax).
   */
  localEdits(edits: readonly TextEdit[]): Map<number, TextEdit[]> | undefined {
    const byCell = new Map<number, TextEdit[]>();
    for (const edit of edits) {
      const local = this.localSpan(edit.span);
      if (!local) return undefined;
      const { start, end } = local.span;
      // An insertion touches a masked range when strictly inside it; a replacement when it overlaps.
      const touchesMask = this.cells[local.cell]!.masked.some((m) => (start === end ? m.start < start && start < m.end : start < m.end && m.start < end));
      if (touchesMask) return undefined;
      const list = byCell.get(local.cell) ?? [];
      list.push({ span: local.span, newText: edit.newText });
      byCell.set(local.cell, list);
    }
    return byCell;
  }

  /** The findings with only the fixes that can be applied cell by cell (see localEdits). */
  mappableFindings(findings: readonly Finding[]): Finding[] {
    return findings.map((finding) => {
      const fixes = finding.fixes.filter((fix: Fix) => this.localEdits(fix.edits) !== undefined);
      return fixes.length === finding.fixes.length ? finding : { ...finding, fixes };
    });
  }
}
