/**
 * A notebook file as the CLI checks and fixes it: its code cells as one program
 * (program.ts), fixes applied cell by cell, and the file written back with only the
 * changed sources spliced in (splice.ts).
 */
import type { TextEdit } from '../findings';
import { applyEdits } from '../fixes/applyEdits';
import type { ParsedNotebook } from './ipynb';
import { NotebookProgram } from './program';
import { spliceSources } from './splice';

/** Kernel languages whose code cells are Python (`metadata.kernelspec.language`). */
const PYTHON_LANGUAGES = new Set(['python', 'python3', 'python2', 'ipython', 'ipython3']);

export class NotebookSources {
  /** Cell number (1-based) → text, for every code cell; the notebook's cells are never reordered. */
  private readonly texts = new Map<number, string>();
  /** Why nothing of this notebook can be read (another kernel language, no code cells); undefined when something can. */
  readonly unreadable: string | undefined;

  constructor(readonly notebook: ParsedNotebook) {
    const language = notebook.language?.toLowerCase();
    const python = language === undefined || PYTHON_LANGUAGES.has(language);
    notebook.cells.forEach((cell, i) => {
      if (python && cell.cellType === 'code') this.texts.set(i + 1, cell.source?.text ?? '');
    });
    this.unreadable = !python
      ? `its kernel language is '${notebook.language}', not Python`
      : this.texts.size === 0 ? 'it has no code cells' : undefined;
  }

  /** The code cells as one program, with the current texts. */
  program(): NotebookProgram {
    return NotebookProgram.build([...this.texts].map(([id, text]) => ({ id, text })));
  }

  /**
   * Applies program-offset edits cell by cell. Returns false (and changes nothing) when
   * an edit does not lie in one cell or edits overlap.
   */
  apply(program: NotebookProgram, edits: readonly TextEdit[]): boolean {
    const byCell = program.localEdits(edits);
    if (!byCell) return false;
    const next = new Map<number, string>();
    for (const [cell, local] of byCell) {
      const { id, text } = program.cells[cell]!;
      const edited = applyEdits(text, local);
      if (edited === undefined) return false;
      next.set(id, edited);
    }
    for (const [id, text] of next) this.texts.set(id, text);
    return true;
  }

  /** Cells whose text differs from the file's, with both texts, in cell order. */
  changedCells(): { cell: number; before: string; after: string }[] {
    return [...this.texts]
      .map(([cell, after]) => ({ cell, before: this.notebook.cells[cell - 1]!.source?.text ?? '', after }))
      .filter((change) => change.before !== change.after);
  }

  /** The file with the changed sources spliced in; everything else as it was. */
  write(fileText: string): string {
    const changes = new Map(this.changedCells().map((change) => [change.cell - 1, change.after]));
    return changes.size === 0 ? fileText : spliceSources(fileText, this.notebook, changes);
  }
}
