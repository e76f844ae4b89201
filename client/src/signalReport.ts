/**
 * *Show Signal Report*: a webview with the server's report on one network. The server
 * writes the whole HTML document (protocol.ts, SIGNAL_REPORT_REQUEST); the client only
 * owns the panel. Scripts stay disabled and every load gets a fresh nonce for the
 * page's content security policy, so the report is inert styled HTML.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { SIGNAL_REPORT_REQUEST, type SignalReportParams, type SignalReportResult } from '../../server/src/protocol';
import { activeServedDocument } from './documents';

export class SignalReports implements vscode.Disposable {
  /** One panel per document and network, revealed and refreshed when asked for again. */
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly client: () => LanguageClient | undefined) {}

  /** Arguments as the code lens sends them: `uri` (string) and an optional network name; none from the palette. */
  async show(uriArgument?: unknown, networkArgument?: unknown): Promise<void> {
    const uri = typeof uriArgument === 'string' ? uriArgument : activeServedDocument('see its signal report')?.uri.toString();
    if (!uri) return;
    const network = typeof networkArgument === 'string' ? networkArgument : undefined;
    const client = this.client();
    if (!client?.isRunning()) {
      void vscode.window.showErrorMessage('InitWise: the language server is not running. See the InitWise output, or run "InitWise: Restart Server".');
      return;
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
