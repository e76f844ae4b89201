/**
 * A JSON-RPC test client for the real language server: spawns `node dist/server.js
 * --stdio` and speaks LSP over the child's stdio, as Neovim does. Tests and the latency
 * benchmark wait on conditions (a publish for a given version), never on fixed sleeps.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CodeActionRequest,
  ConfigurationRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidChangeNotebookDocumentNotification,
  DidCloseNotebookDocumentNotification,
  DidOpenNotebookDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializeRequest,
  InitializedNotification,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type CodeAction,
  type Command,
  type ConfigurationItem,
  type Diagnostic,
  type Hover,
  type InitializeResult,
  type LogMessageParams,
  type Position,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Range,
  type NotebookDocumentChangeEvent,
  type TextDocumentContentChangeEvent,
  type TextDocumentItem,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';

export interface ReceivedDiagnostics extends PublishDiagnosticsParams {
  /** performance.now() when the notification arrived. */
  readonly receivedAt: number;
}

export interface StartOptions {
  /** Sent as initializationOptions (the route for clients without workspace/configuration). */
  readonly initializationOptions?: unknown;
  /**
   * Answers workspace/configuration for the `initwise` section. When absent the client
   * does not advertise the capability, as a minimal client would not.
   */
  readonly configuration?: (item: ConfigurationItem) => unknown;
  /** Advertise versioned documentChanges in workspace edits (default true, as VS Code does). */
  readonly documentChanges?: boolean;
  /**
   * Sent as processId (default: this process, which the server watches and exits with).
   * An in-process server gets null: its watchdog interval would keep mocha alive.
   */
  readonly processId?: number | null;
  /** Sent as capabilities.experimental (opt-ins such as the analysis status notification). */
  readonly experimental?: Record<string, unknown>;
  /** Workspace folder URIs sent with initialize (default: none, rootUri null). */
  readonly workspaceFolders?: readonly string[];
  /** Arguments for node before the server script (a heap budget: `--max-old-space-size=512`). */
  readonly nodeArgs?: readonly string[];
  /** Advertise dynamic registration of workspace/didChangeWatchedFiles (default false). */
  readonly watchFiles?: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;

const SERVER_TO_CLIENT_REQUESTS = [
  'client/registerCapability',
  'client/unregisterCapability',
  'window/showDocument',
  'window/showMessageRequest',
  'window/workDoneProgress/create',
  'workspace/applyEdit',
  'workspace/codeLens/refresh',
];

/**
 * The bundled server, found from the repository root whether this runs under tsx or bundled
 * in dist/. INITWISE_DIST points at another build (test/hostile: to see a case fail there).
 */
export function serverPath(): string {
  if (process.env.INITWISE_DIST) return join(process.env.INITWISE_DIST, 'server.js');
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'server', 'src'))) break;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = parent;
  }
  const path = join(dir, 'dist', 'server.js');
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: build first with \`node esbuild.mjs\` (npm test does this before mocha)`);
  }
  return path;
}

export class LspTestClient {
  readonly publishes: ReceivedDiagnostics[] = [];
  readonly logs: LogMessageParams[] = [];
  /** Server-to-client requests other than workspace/configuration (registrations, showDocument, …). */
  readonly serverRequests: { method: string; params: unknown }[] = [];
  initializeResult: InitializeResult | undefined;
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exitDescription: string | undefined;

  private constructor(
    readonly connection: ProtocolConnection,
    /** The server process; undefined for a server running in this process (see `connect`). */
    private readonly child: ChildProcessWithoutNullStreams | undefined,
  ) {}

  /** Spawns the bundled server and initializes it. */
  static async start(options: StartOptions = {}): Promise<LspTestClient> {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serverPath(), '--stdio'], { stdio: 'pipe' });
    child.stdin.on('error', () => {
      // The server died mid-write; `exit` reports it to every waiter.
    });
    return LspTestClient.connect(child.stdout, child.stdin, options, child);
  }

  /**
   * Speaks to a server over the given streams and initializes it. Used directly for a
   * server session running in the test process (to give it a failing engine, say).
   */
  static async connect(
    input: NodeJS.ReadableStream,
    output: NodeJS.WritableStream,
    options: StartOptions = {},
    child?: ChildProcessWithoutNullStreams,
  ): Promise<LspTestClient> {
    const connection = createProtocolConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
    const client = new LspTestClient(connection, child);
    client.wire(options);
    connection.listen();
    await client.initialize(options);
    return client;
  }

  private wire(options: StartOptions): void {
    this.child?.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    this.child?.on('exit', (code, signal) => {
      this.exitDescription = `server exited (code ${String(code)}, signal ${String(signal)})`;
      this.notifyWaiters();
    });
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.publishes.push({ ...params, receivedAt: performance.now() });
      this.notifyWaiters();
    });
    this.connection.onNotification(LogMessageNotification.type, (params) => {
      this.logs.push(params);
    });
    // The answer may be a promise: a test can hold the server's settings request open.
    this.connection.onRequest(ConfigurationRequest.type, (params) =>
      Promise.all(params.items.map((item) => (options.configuration ? options.configuration(item) : null))),
    );
    // Requests a server may send a client: record them and accept.
    for (const method of SERVER_TO_CLIENT_REQUESTS) {
      this.connection.onRequest(method, (params: unknown) => {
        this.serverRequests.push({ method, params });
        return method === 'window/showDocument' ? { success: true } : null;
      });
    }
  }

  private async initialize(options: StartOptions): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: options.processId === undefined ? process.pid : options.processId,
      rootUri: null,
      workspaceFolders: options.workspaceFolders?.map((uri, i) => ({ uri, name: `folder${i}` })) ?? null,
      initializationOptions: options.initializationOptions,
      capabilities: {
        workspace: {
          configuration: options.configuration !== undefined,
          didChangeConfiguration: { dynamicRegistration: true },
          workspaceEdit: { documentChanges: options.documentChanges ?? true },
          codeLens: { refreshSupport: true },
          ...(options.watchFiles ? { didChangeWatchedFiles: { dynamicRegistration: true } } : {}),
        },
        textDocument: {
          publishDiagnostics: { versionSupport: true, relatedInformation: true, dataSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
        window: { showDocument: { support: true } },
        ...(options.experimental ? { experimental: options.experimental } : {}),
      },
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    this.initializeResult = result;
    return result;
  }

  async open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId, version, text },
    });
  }

  /** Sends a change: a whole new text, or incremental edits. */
  async change(uri: string, version: number, change: string | TextDocumentContentChangeEvent[]): Promise<void> {
    const contentChanges = typeof change === 'string' ? [{ text: change }] : change;
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges,
    });
  }

  /** Opens a notebook as VS Code's client does: the notebook with its cells, and the cells' text documents. */
  async openNotebook(uri: string, cells: readonly (TextDocumentItem & { kind?: 1 | 2 })[], version = 1): Promise<void> {
    await this.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: { uri, notebookType: 'jupyter-notebook', version, cells: cells.map((cell) => ({ kind: cell.kind ?? 2, document: cell.uri })) },
      cellTextDocuments: cells.map(({ uri: cellUri, languageId, version: cellVersion, text }) => ({ uri: cellUri, languageId, version: cellVersion, text })),
    });
  }

  async changeNotebook(uri: string, version: number, change: NotebookDocumentChangeEvent): Promise<void> {
    await this.connection.sendNotification(DidChangeNotebookDocumentNotification.type, { notebookDocument: { uri, version }, change });
  }

  async closeNotebook(uri: string, cellUris: readonly string[]): Promise<void> {
    await this.connection.sendNotification(DidCloseNotebookDocumentNotification.type, {
      notebookDocument: { uri },
      cellTextDocuments: cellUris.map((cellUri) => ({ uri: cellUri })),
    });
  }

  async close(uri: string): Promise<void> {
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** workspace/didChangeWatchedFiles: type 1 created, 2 changed, 3 deleted. */
  async changeWatchedFiles(changes: readonly { uri: string; type: 1 | 2 | 3 }[]): Promise<void> {
    await this.connection.sendNotification('workspace/didChangeWatchedFiles', { changes });
  }

  async changeConfiguration(settings: unknown): Promise<void> {
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings });
  }

  async codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<(CodeAction | Command)[]> {
    const result = await this.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range,
      context: { diagnostics, ...(only ? { only } : {}) },
    });
    return result ?? [];
  }

  async executeCommand(command: string, args: unknown[]): Promise<unknown> {
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  async hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  /** The latest publish for `uri`, if any. */
  latest(uri: string): ReceivedDiagnostics | undefined {
    for (let i = this.publishes.length - 1; i >= 0; i--) {
      if (this.publishes[i]!.uri === uri) return this.publishes[i];
    }
    return undefined;
  }

  /**
   * Resolves with the first publish for `uri` (the latest one already received, then
   * each new one) that satisfies `predicate`; rejects after `timeoutMs` or if the
   * server exits, with what was received so far.
   */
  waitForDiagnostics(
    uri: string,
    predicate: (publish: ReceivedDiagnostics) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<ReceivedDiagnostics> {
    let checked = this.publishes.length;
    const latest = this.latest(uri);
    if (latest && predicate(latest)) return Promise.resolve(latest);
    return new Promise((resolve, reject) => {
      const check = () => {
        for (; checked < this.publishes.length; checked++) {
          const publish = this.publishes[checked]!;
          if (publish.uri === uri && predicate(publish)) {
            finish();
            resolve(publish);
            return;
          }
        }
        if (this.exitDescription) {
          finish();
          reject(new Error(`${this.exitDescription} while waiting for diagnostics on ${uri}\nstderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        const seen = this.publishes.filter((p) => p.uri === uri).map((p) => describePublish(p));
        reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; received:\n${seen.join('\n') || '(none)'}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** The diagnostics the server publishes for exactly `version` of `uri`. */
  async diagnosticsFor(uri: string, version: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ReceivedDiagnostics> {
    return this.waitForDiagnostics(uri, (p) => p.version === version, timeoutMs);
  }

  get errorLogs(): LogMessageParams[] {
    return this.logs.filter((log) => log.type === 1 /* Error */);
  }

  get alive(): boolean {
    return this.exitDescription === undefined;
  }

  get serverStderr(): string {
    return this.stderr;
  }

  /**
   * Shuts the server down politely and waits for the process to end (kills it after a
   * timeout). An in-process server only gets `shutdown`: its `exit` would end this process.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (this.exitDescription === undefined) {
      const exited = child ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
      try {
        await withTimeout(this.connection.sendRequest(ShutdownRequest.type), 2000);
        if (child) {
          await this.connection.sendNotification(ExitNotification.type);
          await withTimeout(exited, 2000);
        }
      } catch {
        child?.kill('SIGKILL');
        await exited;
      }
    }
    this.connection.dispose();
  }

  private notifyWaiters(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function describePublish(p: ReceivedDiagnostics): string {
  const codes = p.diagnostics.map((d) => `${String(d.code)}@${d.range.start.line}:${d.range.start.character}`);
  return `  version ${String(p.version)}: [${codes.join(', ')}]`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Offsets of a position in `text`, counting UTF-16 units, \n, \r\n and \r as LSP does. */
export function offsetAt(text: string, position: Position): number {
  let line = 0;
  let i = 0;
  while (line < position.line && i < text.length) {
    const c = text[i];
    i++;
    if (c === '\r' && text[i] === '\n') i++;
    if (c === '\n' || c === '\r') line++;
  }
  return Math.min(i + position.character, text.length);
}

/** Applies LSP text edits (all against the same original text) as an editor would. */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const resolved = edits
    .map((edit) => ({ start: offsetAt(text, edit.range.start), end: offsetAt(text, edit.range.end), newText: edit.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const edit of resolved) out = out.slice(0, edit.start) + edit.newText + out.slice(edit.end);
  return out;
}

/**
 * The edits a WorkspaceEdit makes to `uri`, checking (as VS Code does) that a versioned
 * edit targets the version the caller holds.
 */
export function editsFor(edit: WorkspaceEdit, uri: string, currentVersion: number): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const change of edit.documentChanges ?? []) {
    if (!('textDocument' in change) || change.textDocument.uri !== uri) continue;
    if (change.textDocument.version !== null && change.textDocument.version !== currentVersion) {
      throw new Error(`edit targets version ${change.textDocument.version}, document is at ${currentVersion}`);
    }
    for (const e of change.edits) edits.push(e as TextEdit);
  }
  edits.push(...(edit.changes?.[uri] ?? []));
  return edits;
}
