/** *Open Rule Docs*: the given rule's page, or one picked from every rule the server knows. */
import * as vscode from 'vscode';
import { RULES } from '../../server/src/core/rules/registry';
import { ruleDocsUrl } from '../../server/src/protocol';

export async function openRuleDocs(code: unknown): Promise<void> {
  let chosen = typeof code === 'string' && /^IW\d{3}$/.test(code) ? code : undefined;
  if (!chosen) {
    const picked = await vscode.window.showQuickPick(
      RULES.map((rule) => ({ label: rule.meta.code, description: rule.meta.name, detail: rule.meta.summary })),
      { placeHolder: 'InitWise rule', matchOnDescription: true, matchOnDetail: true },
    );
    chosen = picked?.label;
  }
  if (chosen) await vscode.env.openExternal(vscode.Uri.parse(ruleDocsUrl(chosen)));
}
