/**
 * The VS Code side: starts the language server, contributes the commands and the
 * language status item. All analysis happens in the server; this file only owns
 * lifetimes. A Ctx object holds the client and every disposable, so restart and
 * deactivate are one place each.
 *
 * Settings need no restart: the server pulls `initwise.*` per document and re-lints when
 * VS Code reports a change; `initwise.trace.server` is read by vscode-languageclient
 * (the client id equals the settings section). The extension never runs workspace code,
 * so it is declared safe for untrusted workspaces.
 */
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { CLIENT_COMMANDS, DIAGNOSTIC_SOURCE } from '../../server/src/protocol';
import { AnalysisStatusItem, analysisStatusFeature, formatMs } from './analysisStatus';
import { CLIENT_DOCUMENT_SELECTOR } from './documents';
import { fixAllInActiveFile } from './fixAll';
import { runMonteCarlo } from './monteCarlo';
import { openRuleDocs } from './ruleDocs';
import { SignalReports } from './signalReport';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const started = performance.now();
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  ctx.registerCommands();
  await ctx.start();
  // Read by the e2e test (test/e2e) for the activation figure in the README.
  ctx.log(`activated in ${formatMs(performance.now() - started)} (language server started)`);
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}

class Ctx implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly output: vscode.LogOutputChannel;
  private readonly status: AnalysisStatusItem;
  private readonly reports: SignalReports;

  constructor(private readonly context: vscode.ExtensionContext) {
    // One channel for the client's own messages and the server's log and trace.
    this.output = vscode.window.createOutputChannel('InitWise', { log: true });
    this.status = new AnalysisStatusItem();
    this.reports = new SignalReports(() => this.client);
    this.disposables.push(this.output, this.status, this.reports);
  }

  log(message: string): void {
    this.output.info(message);
  }

  registerCommands(): void {
    this.disposables.push(
      vscode.commands.registerCommand(CLIENT_COMMANDS.showSignalReport, (uri?: unknown, network?: unknown) => this.reports.show(uri, network)),
      vscode.commands.registerCommand(CLIENT_COMMANDS.fixAllInFile, () => fixAllInActiveFile()),
      vscode.commands.registerCommand(CLIENT_COMMANDS.runMonteCarlo, (uri?: unknown, network?: unknown) => runMonteCarlo(this.client, uri, network)),
      vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, () => this.restart()),
      vscode.commands.registerCommand(CLIENT_COMMANDS.showRuleDocs, (code?: unknown) => openRuleDocs(code, this.context.extension.packageJSON)),
    );
  }

  async start(): Promise<void> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: CLIENT_DOCUMENT_SELECTOR,
      outputChannel: this.output,
    };
    // The id matches the settings section, so `initwise.trace.server` controls the trace.
    const client = new LanguageClient(DIAGNOSTIC_SOURCE, 'InitWise', serverOptions, clientOptions);
    client.registerFeature(analysisStatusFeature);
    this.client = client;
    this.clientDisposables = [
      this.status.attach(client),
      client.onDidChangeState(({ newState }) => {
        if (newState === State.Running) this.status.setServerState('running');
        else if (newState === State.Starting) this.status.setServerState('starting');
        else this.status.setServerState('stopped');
      }),
    ];
    this.status.setServerState('starting');
    try {
      await client.start();
    } catch (error) {
      this.status.setServerState('failed');
      this.output.error(`the language server failed to start: ${String(error)}`);
      void vscode.window.showErrorMessage('InitWise: the language server failed to start. See the InitWise output.');
    }
  }

  /** Stops the server in whatever state it is (starting, running, failed); a no-op when there is none. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const disposable of this.clientDisposables.splice(0)) disposable.dispose();
    await client?.dispose();
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
    this.output.info('language server restarted');
  }

  dispose(): void {
    void this.stop();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}
