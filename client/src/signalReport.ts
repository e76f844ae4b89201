/**
 * *Show Signal Report*: a webview with the server's report on one network. The server
 * writes the whole HTML document (protocol.ts, SIGNAL_REPORT_REQUEST); the client only
 * owns the panel. Scripts stay disabled and every load gets a fresh nonce for the
 * page's content security policy, so the report is inert styled HTML.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  NETWORKS_AT_REQUEST, SIGNAL_REPORT_REQUEST, type NetworksAtParams, type NetworksAtResult, type SignalReportParams, type SignalReportResult,
} from '../../server/src/protocol';
import { activeServedDocument } from './documents';

export class SignalReports implements vscode.Disposable {
  /** One panel per document and network, revealed and refreshed when asked for again. */
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly client: () => LanguageClient | undefined) {}

  /**
   * Arguments as the code lens sends them: `uri` (string) and an optional network name.
   * From the palette there are none: the network under the cursor, else a quick pick when
   * the file has several (issue 13, item 10).
   */
  async show(uriArgument?: unknown, networkArgument?: unknown): Promise<void> {
    const document = typeof uriArgument === 'string' ? undefined : activeServedDocument('see its signal report');
    const uri = typeof uriArgument === 'string' ? uriArgument : document?.uri.toString();
    if (!uri) return;
    const client = this.client();
    if (!client?.isRunning()) {
      void vscode.window.showErrorMessage('InitWise: the language server is not running. See the InitWise output, or run "InitWise: Restart Server".');
      return;
    }
    let network = typeof networkArgument === 'string' ? networkArgument : undefined;
    if (network === undefined && document) {
      const chosen = await this.networkFromCursor(client, uri);
      if (chosen === null) return;
      network = chosen;
    }

    const key = `${uri}#${network ?? ''}`;
    const existing = this.panels.get(key);
    const panel = existing ?? this.createPanel(key, network);
    existing?.reveal(undefined, true);
    const params: SignalReportParams = {
      uri,
      nonce: randomBytes(18).toString('base64'),
      cspSource: panel.webview.cspSource,
      ...(network !== undefined ? { network } : {}),
    };
    try {
      const result = await client.sendRequest<SignalReportResult>(SIGNAL_REPORT_REQUEST, params);
      if (typeof result?.html !== 'string' || typeof result.title !== 'string') throw new Error('the server sent no report');
      panel.title = result.title;
      panel.webview.html = result.html;
    } catch (error) {
      // No stand-in content: close a panel that never had a report (an open one keeps its
      // last report) and say exactly why there is no report.
      if (!existing) panel.dispose();
      const detail = error instanceof Error ? error.message : String(error);
      void vscode.window.showErrorMessage(`InitWise: could not build the signal report: ${detail}`);
    }
  }

  /** The network under the cursor; else the only one, or the user's pick; null when the user dismissed the pick. */
  private async networkFromCursor(client: LanguageClient, uri: string): Promise<string | undefined | null> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.toString() !== uri) return undefined;
    const { line, character } = editor.selection.active;
    const params: NetworksAtParams = { uri, position: { line, character } };
    let found: NetworksAtResult;
    try {
      found = await client.sendRequest<NetworksAtResult>(NETWORKS_AT_REQUEST, params);
    } catch {
      return undefined; // The report request says what is wrong.
    }
    if (found.atCursor !== undefined) return found.atCursor;
    if (found.names.length < 2) return found.names[0];
    const picked = await vscode.window.showQuickPick(found.names, { placeHolder: 'Signal report of which network?' });
    return picked ?? null;
  }

  private createPanel(key: string, network: string | undefined): vscode.WebviewPanel {
    const panel = vscode.window.createWebviewPanel(
      'initwise.signalReport',
      `Signal report${network ? `: ${network}` : ''}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: false, enableCommandUris: false, enableFindWidget: true, localResourceRoots: [] },
    );
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      if (this.panels.get(key) === panel) this.panels.delete(key);
    });
    return panel;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}
