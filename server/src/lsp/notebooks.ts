/**
 * Open Jupyter notebooks as the session analyses them. vscode-languageserver's
 * NotebookDocuments keeps the notebooks and their cell documents in sync (LSP 3.17);
 * this class numbers each notebook's revisions (every change, whatever it is, makes a
 * new one: a cell's text, cells added, removed or moved, a cell's language), turns the
 * notebook's Python code cells into one program (core/notebook/program.ts) for the
 * analysis cache, and remembers which cells hold published diagnostics, so a cell that
 * leaves the notebook (or stops being Python) has its diagnostics cleared.
 */
import { NotebookCellKind, type NotebookDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { MaskedCell } from '../core/notebook/magics';
import { NotebookProgram } from '../core/notebook/program';
import type { AnalysisSource } from './analysisCache';
import { notebookMap } from './documentMap';

/** What the server declares in `notebookDocumentSync`: Jupyter notebooks, their Python cells. */
export const NOTEBOOK_SELECTOR = [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }];

export class Notebooks {
  private readonly revisions = new Map<string, number>();
  private readonly published = new Map<string, readonly string[]>();
  /** Per notebook, the masked cells of its last build (NotebookProgram.build reuses them). */
  private readonly masks = new Map<string, Map<string, MaskedCell>>();

  constructor(private readonly documents: NotebookDocuments<TextDocument>) {}

  opened(uri: string): void {
    this.revisions.set(uri, 1);
  }

  /** A new revision; false for a notebook that is not open (a change without an open is ignored). */
  changed(uri: string): boolean {
    const revision = this.revisions.get(uri);
    if (revision === undefined) return false;
    this.revisions.set(uri, revision + 1);
    return true;
  }

  /** Forgets the notebook; returns the cells that may still show its diagnostics. */
  closed(uri: string): string[] {
    const cells = new Set([...(this.published.get(uri) ?? []), ...this.cellUris(uri)]);
    this.revisions.delete(uri);
    this.published.delete(uri);
    this.masks.delete(uri);
    return [...cells];
  }

  openUris(): string[] {
    return [...this.revisions.keys()];
  }

  isNotebook(uri: string): boolean {
    return this.revisions.has(uri);
  }

  /** The notebook a uri names: the notebook itself, or the notebook of a cell. */
  notebookOf(uri: string): string | undefined {
    if (this.revisions.has(uri)) return uri;
    const notebook = this.documents.findNotebookDocumentForCell(uri)?.uri;
    return notebook !== undefined && this.revisions.has(notebook) ? notebook : undefined;
  }

  /** The notebook's Python code cells, in notebook order. */
  private codeCells(notebookUri: string): TextDocument[] {
    const notebook = this.documents.getNotebookDocument(notebookUri);
    if (!notebook) return [];
    return notebook.cells.flatMap((cell) => {
      if (cell.kind !== NotebookCellKind.Code) return [];
      const document = this.documents.getCellTextDocument(cell);
      return document && document.languageId === 'python' ? [document] : [];
    });
  }

  /** The uris of a notebook's Python code cells; [] for anything that is not an open notebook. */
  cellUris(uri: string): string[] {
    return this.isNotebook(uri) ? this.codeCells(uri).map((cell) => cell.uri) : [];
  }

  /** Records the cells published on now; returns those published on before and not now. */
  publishedOn(uri: string, now: readonly string[]): string[] {
    const before = this.published.get(uri) ?? [];
    this.published.set(uri, now);
    const current = new Set(now);
    return before.filter((cell) => !current.has(cell));
  }

  /** The language status's note when nothing of the notebook can be read. */
  unreadable(uri: string): { unreadable?: string } {
    return this.codeCells(uri).length === 0 ? { unreadable: 'no Python code cells' } : {};
  }

  /** The notebook (of `uri`) as the analysis cache reads it. */
  source(uri: string): AnalysisSource | undefined {
    const notebook = this.notebookOf(uri);
    if (notebook === undefined) return undefined;
    return {
      uri: notebook,
      version: this.revisions.get(notebook)!,
      language: 'python',
      load: () => {
        const cells = this.codeCells(notebook);
        let masks = this.masks.get(notebook);
        if (!masks) {
          masks = new Map();
          this.masks.set(notebook, masks);
        }
        const program = NotebookProgram.build(cells.map((cell, id) => ({ id, text: cell.getText() })), masks);
        return {
          text: program.text,
          map: notebookMap(program, cells.map((cell) => cell.uri)),
          findings: (findings) => program.mappableFindings(findings),
        };
      },
    };
  }
}
