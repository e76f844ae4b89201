/**
 * The language status item ("{}" in the status bar when a .netdef or Python file is
 * active): the server's state, and for the active document the findings of its last
 * analysis and how long it took, from the server's `initwise/analysisStatus`
 * notification (protocol.ts), which the client opts into with an experimental capability.
 */
import * as vscode from 'vscode';
import type { LanguageClient, StaticFeature, FeatureState } from 'vscode-languageclient/node';
import {
  ANALYSIS_STATUS_CAPABILITY,
  ANALYSIS_STATUS_NOTIFICATION,
  CLIENT_COMMANDS,
  type AnalysisStatusParams,
} from '../../server/src/protocol';
import { STATUS_SELECTOR, isServed, notebookOfCell } from './documents';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

/** Declares the opt-in in the initialize request. */
export const analysisStatusFeature: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = { ...(capabilities.experimental as object | undefined), [ANALYSIS_STATUS_CAPABILITY]: true };
  },
  initialize() {},
  getState(): FeatureState {
    return { kind: 'static' };
  },
  clear() {},
};

export class AnalysisStatusItem implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem('initwise.status', STATUS_SELECTOR);
  private readonly latest = new Map<string, AnalysisStatusParams>();
  private server: ServerState = 'starting';
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.item.name = 'InitWise';
    this.item.command = { title: 'Signal report', command: CLIENT_COMMANDS.showSignalReport };
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => this.render()),
      vscode.workspace.onDidChangeTextDocument(() => this.render()),
      vscode.workspace.onDidCloseTextDocument((document) => this.latest.delete(document.uri.toString())),
      vscode.workspace.onDidCloseNotebookDocument((notebook) => this.latest.delete(notebook.uri.toString())),
      vscode.workspace.onDidChangeNotebookDocument(() => this.render()),
    );
    this.render();
  }

  /** Called for each (re)started client. */
  attach(client: LanguageClient): vscode.Disposable {
    return client.onNotification(ANALYSIS_STATUS_NOTIFICATION, (params: AnalysisStatusParams) => {
      this.latest.set(params.uri, params);
      this.render();
    });
  }

  setServerState(state: ServerState): void {
    this.server = state;
    if (state !== 'running') this.latest.clear();
    this.render();
  }

  private render(): void {
    const item = this.item;
    item.busy = false;
    item.severity = vscode.LanguageStatusSeverity.Information;
    if (this.server === 'starting') {
      item.busy = true;
      item.text = 'InitWise: starting';
      item.detail = undefined;
      return;
    }
    if (this.server !== 'running') {
      item.severity = vscode.LanguageStatusSeverity.Error;
      item.text = this.server === 'failed' ? 'InitWise: server failed' : 'InitWise: server stopped';
      item.detail = 'run "InitWise: Restart Server"';
      return;
    }
    const document = vscode.window.activeTextEditor?.document;
    const notebook = document && notebookOfCell(document);
    if (notebook) {
      this.renderNotebook(notebook);
      return;
    }
    const status = document && isServed(document) ? this.latest.get(document.uri.toString()) : undefined;
    if (!document || !status) {
      item.text = 'InitWise';
      item.detail = 'ready';
      return;
    }
    if (status.version !== document.version || inProgress(status)) {
      // A change the server has not answered yet (or a long analysis under way): the shown findings are from an older version.
      item.busy = true;
      item.text = 'InitWise: analysing';
      item.detail = undefined;
      return;
    }
    item.text = describe(status);
    item.detail = status.state === 'done' ? `analysed in ${formatMs(status.durationMs)}` : undefined;
    if (status.state === 'failed') item.severity = vscode.LanguageStatusSeverity.Error;
  }

  /**
   * A notebook's status covers all its cells. A notebook with nothing InitWise can read
   * (no Python code cell, or no network in them) says so: it must not look clean.
   */
  private renderNotebook(notebook: vscode.NotebookDocument): void {
    const item = this.item;
    const python = notebook.getCells().some((cell) => cell.kind === vscode.NotebookCellKind.Code && cell.document.languageId === 'python');
    const status = this.latest.get(notebook.uri.toString());
    if (!python || status?.unreadable) {
      item.severity = vscode.LanguageStatusSeverity.Warning;
      item.text = 'InitWise: nothing to read in this notebook';
      item.detail = status?.unreadable ?? 'no Python code cells';
      return;
    }
    if (!status || inProgress(status)) {
      item.busy = true;
      item.text = 'InitWise: analysing';
      item.detail = undefined;
      return;
    }
    if (status.state === 'done' && status.networks === 0) {
      item.severity = vscode.LanguageStatusSeverity.Warning;
      item.text = 'InitWise: no network found in this notebook';
      item.detail = 'no model InitWise can read in its Python cells';
      return;
    }
    item.text = describe(status);
    item.detail = status.state === 'done' ? `notebook analysed in ${formatMs(status.durationMs)}` : undefined;
    if (status.state === 'failed') item.severity = vscode.LanguageStatusSeverity.Error;
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

/** A long analysis under way, or one a newer version stopped: its findings are not in yet. */
function inProgress(status: AnalysisStatusParams): boolean {
  return status.state === 'running' || status.state === 'cancelled';
}

function describe(status: AnalysisStatusParams): string {
  if (status.state === 'disabled') return 'InitWise: off (initwise.enable)';
  if (status.state === 'failed') return 'InitWise: analysis failed, see the output';
  return `InitWise: ${status.findings === 0 ? 'no findings' : status.findings === 1 ? '1 finding' : `${status.findings} findings`}`;
}

/** A cached result costs ~0 ms; under 1 ms one decimal says more than "0 ms". */
export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
