/**
 * The VS Code side: starts the language server and contributes two commands. All
 * analysis happens in the server; this file only owns lifetimes. A Ctx object holds
 * the client and every disposable, so restart and deactivate are one place each.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { RULES } from '../../server/src/core/rules/registry';
import { CLIENT_COMMANDS, DIAGNOSTIC_SOURCE, ruleDocsUrl } from '../../server/src/protocol';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  context.subscriptions.push(ctx);
  ctx.registerCommands();
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}

class Ctx implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly output: vscode.LogOutputChannel;

  constructor(private readonly context: vscode.ExtensionContext) {
    // One channel for the client's own messages and the server's log and trace.
    this.output = vscode.window.createOutputChannel('InitWise', { log: true });
    this.disposables.push(this.output);
  }

  registerCommands(): void {
    this.disposables.push(
      vscode.commands.registerCommand(CLIENT_COMMANDS.restartServer, () => this.restart()),
      vscode.commands.registerCommand(CLIENT_COMMANDS.showRuleDocs, (code?: unknown) => showRuleDocs(code)),
    );
  }

  async start(): Promise<void> {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'netdef' }, { language: 'python' }],
      outputChannel: this.output,
    };
    // The id matches the settings section, so `initwise.trace.server` controls the trace.
    this.client = new LanguageClient(DIAGNOSTIC_SOURCE, 'InitWise', serverOptions, clientOptions);
    try {
      await this.client.start();
    } catch (error) {
      this.output.error(`the language server failed to start: ${String(error)}`);
      void vscode.window.showErrorMessage('InitWise: the language server failed to start. See the InitWise output.');
    }
  }

  /** Stops the server in whatever state it is (starting, running, failed); a no-op when there is none. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
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

/** Opens a rule's docs page: the given code, or one picked from the rules the server knows. */
async function showRuleDocs(code: unknown): Promise<void> {
  let chosen = typeof code === 'string' ? code : undefined;
  if (!chosen) {
    const picked = await vscode.window.showQuickPick(
      RULES.map((rule) => ({ label: rule.meta.code, description: rule.meta.name, detail: rule.meta.summary })),
      { placeHolder: 'InitWise rule', matchOnDescription: true, matchOnDetail: true },
    );
    chosen = picked?.label;
  }
  if (chosen) await vscode.env.openExternal(vscode.Uri.parse(ruleDocsUrl(chosen)));
}
