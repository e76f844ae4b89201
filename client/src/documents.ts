/** Which documents the extension serves, shared by the client's selector, the status item and the commands. */
import * as vscode from 'vscode';
import type { DocumentSelector } from 'vscode-languageclient/node';

export const LANGUAGE_IDS = ['netdef', 'python'] as const;

/** Jupyter notebooks in VS Code's notebook editor (the server syncs their Python cells, lsp/notebooks.ts). */
export const NOTEBOOK_TYPE = 'jupyter-notebook';

/**
 * By language only, whatever the scheme: untitled buffers and every folder of a
 * multi-root workspace too. The notebook filter is explicit so requests on a Jupyter
 * notebook's Python cells (hover, code actions, code lens) go to the server.
 */
export const DOCUMENT_SELECTOR: vscode.DocumentFilter[] = [
  ...LANGUAGE_IDS.map((language) => ({ language })),
  { notebookType: NOTEBOOK_TYPE, language: 'python' },
];

/** The same for the language client (LSP's filter shape: a notebook cell filter names its notebook). */
export const CLIENT_DOCUMENT_SELECTOR: DocumentSelector = [
  ...LANGUAGE_IDS.map((language) => ({ language })),
  { notebook: { notebookType: NOTEBOOK_TYPE }, language: 'python' },
];

/** The status item shows on every cell of a Jupyter notebook, so a notebook with no Python cells can say so. */
export const STATUS_SELECTOR: vscode.DocumentFilter[] = [...DOCUMENT_SELECTOR, { notebookType: NOTEBOOK_TYPE }];

export function isServed(document: vscode.TextDocument): boolean {
  return (LANGUAGE_IDS as readonly string[]).includes(document.languageId);
}

/** The Jupyter notebook a cell document belongs to, if it is one. */
export function notebookOfCell(document: vscode.TextDocument): vscode.NotebookDocument | undefined {
  if (document.uri.scheme !== 'vscode-notebook-cell') return undefined;
  return vscode.workspace.notebookDocuments.find(
    (notebook) => notebook.notebookType === NOTEBOOK_TYPE && notebook.getCells().some((cell) => cell.document === document),
  );
}

/** The active editor's document when InitWise serves it; otherwise tells the user why nothing happens. */
export function activeServedDocument(action: string): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document && isServed(document)) return document;
  void vscode.window.showInformationMessage(`InitWise: open a .netdef or Python file (or a notebook's Python cell) to ${action}.`);
  return undefined;
}
