/**
 * A notebook's findings as the formatters show them: positions within the cell, with the
 * cell's number (spec/cli.md, Notebooks). The text format renders each finding against
 * its cell alone (path `nb.ipynb:cell 3`, the cell's lines in the excerpt); the JSON,
 * SARIF and GitHub formats take a `Locate` that names the cell of every span.
 */
import type { Finding } from '../core/findings';
import { LineIndex, type Span } from '../core/text';
import type { CellLayout } from './fileJob';
import { locateIn, type Locate } from './formatters/json';
import type { SourceView } from './formatters/text';

export class NotebookView {
  private readonly indexes = new Map<number, LineIndex>();

  constructor(
    readonly path: string,
    /** The cells joined, as in FileOutcome.text. */
    readonly text: string,
    readonly cells: readonly CellLayout[],
  ) {}

  /** The cell holding a span that starts at `offset`; an empty span at a shared boundary belongs to the earlier cell. */
  private cellAt(offset: number, empty: boolean): CellLayout {
    let lo = 0;
    let hi = this.cells.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.cells[mid]!.start < offset || (!empty && this.cells[mid]!.start === offset)) lo = mid;
      else hi = mid - 1;
    }
    return this.cells[lo]!;
  }

  private cellText(cell: CellLayout): string {
    return this.text.slice(cell.start, cell.start + cell.length);
  }

  private indexOf(cell: CellLayout): LineIndex {
    let index = this.indexes.get(cell.cell);
    if (!index) {
      index = new LineIndex(this.cellText(cell));
      this.indexes.set(cell.cell, index);
    }
    return index;
  }

  private local(span: Span): { cell: CellLayout; span: Span } {
    const cell = this.cellAt(span.start, span.start === span.end);
    const clamp = (offset: number) => Math.max(0, Math.min(offset - cell.start, cell.length));
    return { cell, span: { start: clamp(span.start), end: clamp(span.end) } };
  }

  readonly locate: Locate = (span) => {
    const { cell, span: local } = this.local(span);
    return { cell: cell.cell, ...locateIn(this.indexOf(cell))(local) };
  };

  /**
   * The finding in its cell's own offsets, and that cell as the source view. A note in
   * another cell names it; a fix edit in another cell is left out of the text excerpt
   * (the JSON and SARIF formats carry every edit with its cell).
   */
  localize(finding: Finding): { view: SourceView; finding: Finding } {
    const { cell, span } = this.local(finding.span);
    const view: SourceView = { path: `${this.path}:cell ${cell.cell}`, text: this.cellText(cell), index: this.indexOf(cell) };
    const related = finding.related.map((note) => {
      const here = this.local(note.span);
      return { span: here.span, message: here.cell === cell ? note.message : `(in cell ${here.cell.cell}) ${note.message}` };
    });
    const fixes = finding.fixes.map((fix) => ({
      ...fix,
      edits: fix.edits.flatMap((edit) => {
        const here = this.local(edit.span);
        return here.cell === cell ? [{ span: here.span, newText: edit.newText }] : [];
      }),
    }));
    return { view, finding: { ...finding, span, related, fixes } };
  }
}
