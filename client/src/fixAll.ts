/**
 * *Fix All Safe Fixes in File*: asks VS Code for the `source.fixAll.initwise` code action
 * (the one fix-on-save runs) on the active file and applies it. Going through the code
 * action provider keeps one implementation of "which fixes are safe": the server's.
 */
import * as vscode from 'vscode';
import { FIX_ALL_KIND } from '../../server/src/protocol';
import { activeServedDocument } from './documents';

export async function fixAllInActiveFile(): Promise<void> {
  const document = activeServedDocument('fix it');
  if (!document) return;
  const whole = new vscode.Range(new vscode.Position(0, 0), document.lineAt(document.lineCount - 1).range.end);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[] | undefined>('vscode.executeCodeActionProvider', document.uri, whole, FIX_ALL_KIND)) ??
    [];
  const fixAll = actions.find((action) => action.kind?.value === FIX_ALL_KIND && action.edit !== undefined);
  if (!fixAll?.edit) {
    void vscode.window.showInformationMessage('InitWise: no safe fixes to apply in this file.');
    return;
  }
  if (!(await vscode.workspace.applyEdit(fixAll.edit))) {
    void vscode.window.showErrorMessage('InitWise: the fixes could not be applied (the file changed meanwhile?). Try again.');
  }
}
