/** Which documents the extension serves, shared by the client's selector, the status item and the commands. */
import * as vscode from 'vscode';

export const LANGUAGE_IDS = ['netdef', 'python'] as const;

/** By language only, whatever the scheme: untitled buffers and every folder of a multi-root workspace too. */
export const DOCUMENT_SELECTOR: { language: string }[] = LANGUAGE_IDS.map((language) => ({ language }));

export function isServed(document: vscode.TextDocument): boolean {
  return (LANGUAGE_IDS as readonly string[]).includes(document.languageId);
}

/** The active editor's document when InitWise serves it; otherwise tells the user why nothing happens. */
export function activeServedDocument(action: string): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document && isServed(document)) return document;
  void vscode.window.showInformationMessage(`InitWise: open a .netdef or Python file to ${action}.`);
  return undefined;
}
