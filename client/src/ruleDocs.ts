/** *Open Rule Docs*: the given rule's page, or one picked from the rules the installed manifest lists. */
import * as vscode from 'vscode';
import { ruleDocsUrl } from '../../server/src/protocol';
import { rulesFromManifest } from './manifest';

export async function openRuleDocs(code: unknown, packageJson: unknown): Promise<void> {
  let chosen = typeof code === 'string' && /^IW\d{3}$/.test(code) ? code : undefined;
  if (!chosen) {
    const picked = await vscode.window.showQuickPick(
      rulesFromManifest(packageJson).map((rule) => ({ label: rule.code, description: rule.name, detail: rule.summary })),
      { placeHolder: 'InitWise rule', matchOnDescription: true, matchOnDetail: true },
    );
    chosen = picked?.label;
  }
  if (chosen) await vscode.env.openExternal(vscode.Uri.parse(ruleDocsUrl(chosen)));
}
