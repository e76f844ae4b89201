/**
 * One language-server session: wires the connection's requests and notifications to
 * the scheduler, the analysis cache, and the diagnostics / code action / hover
 * builders. It owns the open documents and the per-document settings.
 *
 * Whatever goes wrong while analysing one document is logged and contained to that
 * document: the session keeps serving the others.
 *
 * Jupyter notebooks come through LSP 3.17 notebook sync (`notebookDocumentSync`): the
 * session analyses each notebook's Python code cells as one program (lsp/notebooks.ts)
 * and answers every cell-document request from that analysis.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  NotebookDocuments,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type CodeAction,
  type CodeLens,
  type CodeLensParams,
  type CodeActionParams,
  type Connection,
  type Diagnostic,
  type ExecuteCommandParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { performance } from 'node:perf_hooks';
import { AnalysisCancelled } from '../core/cancellation';
import { version as SERVER_VERSION } from '../../../package.json';
import {
  ANALYSIS_STATUS_CAPABILITY,
  ANALYSIS_STATUS_NOTIFICATION,
  FIX_ALL_KIND,
  SERVER_COMMANDS,
  ruleDocsUrl,
  type AnalysisStatusParams,
  type WireFix,
} from '../protocol';
import { AnalysisCache, engineLanguage, textDocumentSource, type AnalysisSource, type Analyzer, type DocumentAnalysis } from './analysisCache';
import { toWireEdits } from './documentMap';
import { NOTEBOOK_SELECTOR, Notebooks } from './notebooks';
import { codeActions } from './codeActions';
import { codeLenses } from './codeLens';
import { toDiagnostic, toLocatedDiagnostic } from './diagnostics';
import { selectSafeFixes } from './fixAll';
import { agreedFindings } from '../core/fixes/agreedFindings';
import { reviseUnused, type SilencedCode } from '../core/suppressions';
import { hoverAt } from './hover';
import { NETWORKS_AT_REQUEST, RUN_MONTE_CARLO_REQUEST, SIGNAL_REPORT_REQUEST } from '../protocol';
import { whyNoMonteCarlo } from '../core/report/simulability';
import { defaultBatch } from '../core/simulation/montecarlo';
import { answerRunMonteCarlo, type MonteCarloSession } from './monteCarlo';
import { answerNetworksAt, answerSignalReport } from './signalReport';
import { Scheduler } from './scheduler';
import { CONFIG_FILE_GLOBS, ConfigFiles, isConfigFileUri } from './configFiles';
import { SettingsStore, type ServerSettings } from './settings';
import { WorkspaceFolders } from './workspaceFolders';
import { enginePathOf, uriOfEnginePath, WorkspaceIndex } from './workspaceIndex';
import type { Finding } from '../core/findings';
import type { PythonSupport } from '../core/frontends/types';
import type { PythonWorkspace } from '../core/frontends/python/parse';
import { LineIndex } from '../core/text';

/** Findings one document's models reached inside an imported module (published on that module's file). */
interface ForeignFindings {
  /** The module's version the findings were computed on (`buffer@N` for an open buffer). */
  readonly version: string | undefined;
  readonly text: string;
  readonly findings: readonly Finding[];
  /** The module's suppression comments that silenced the importer's findings there (they are used: reviseUnused). */
  readonly silenced: readonly SilencedCode[];
}

/** Python files are watched too: an imported module changed on disk re-analyses its importers. */
// requirements.txt: a Keras pin decides MultiHeadAttention's fans (frameworks/kerasVersion.ts); documents that read it are re-analysed.
const WATCHED_GLOBS = [...CONFIG_FILE_GLOBS, '**/*.py', '**/requirements.txt'];

export class Session {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly notebookDocuments = new NotebookDocuments(TextDocument);
  private readonly notebooks = new Notebooks(this.notebookDocuments);
  private readonly cache: AnalysisCache;
  private readonly scheduler: Scheduler;
  private settings!: SettingsStore;
  private readonly workspaceFolders = new WorkspaceFolders();
  private supportsWorkspaceFolderChanges = false;
  private readonly configFiles = new ConfigFiles((message) => void this.connection.window.showWarningMessage(message));
  private supportsWatchedFilesRegistration = false;
  private supportsDocumentChanges = false;
  private supportsShowDocument = false;
  private supportsConfigurationRegistration = false;
  private supportsCodeLensRefresh = false;
  private wantsAnalysisStatus = false;
  /** Open buffers, disk files and parsed modules for imports, and who read what (lsp/workspaceIndex.ts). */
  private readonly index = new WorkspaceIndex();
  /** The Python parser (for the workspace's import graph); undefined when it could not load. */
  private readonly python: PythonSupport | undefined;
  /** Per module path, per importing document (uri): what its models found in the module. */
  private readonly foreign = new Map<string, Map<string, ForeignFindings>>();
  /** Per module path, the open documents whose models reached it without a finding there, with the module version they read. */
  private readonly reachedClean = new Map<string, Map<string, string | undefined>>();

  constructor(
    private readonly connection: Connection,
    options: { analyzer?: Analyzer; python?: PythonSupport } = {},
  ) {
    this.python = options.python;
    this.cache = new AnalysisCache(options.analyzer);
    this.scheduler = new Scheduler(
      (uri, signal) => this.lint(uri, signal),
      (uri, error) => this.logError(`linting ${uri}`, error),
    );
  }

  listen(): void {
    const { connection, documents } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.initialized());
    connection.onDidChangeConfiguration((change) => {
      this.settings.onDidChange(change.settings);
      this.relintOpenDocuments();
    });

    // initwise.toml / pyproject.toml changed on disk: read the configuration again, re-lint.
    connection.onDidChangeWatchedFiles((change) => {
      // A module changed, appeared or went away on disk: the documents that read it (an open buffer wins over disk).
      for (const file of change.changes) {
        const path = enginePathOf(file.uri);
        if (path === undefined || !this.index.fileChanged(path)) continue;
        if (this.python && path.endsWith('.py')) this.index.indexFile(this.python, path, this.workspaceFolders.all());
        this.moduleChanged(path, undefined, 0);
      }
      if (!change.changes.some((file) => isConfigFileUri(file.uri))) return;
      this.configFiles.reload();
      this.relintOpenDocuments();
    });

    // TextDocuments fires onDidChangeContent right after onDidOpen for the same open;
    // an open is linted at once, so that echo is skipped.
    const justOpened = new Set<string>();
    documents.onDidOpen(({ document }) => {
      justOpened.add(document.uri);
      this.scheduler.schedule(document.uri, 0);
      this.moduleChanged(this.index.setBuffer(document.uri, document.getText(), document.version), document.uri, 0);
    });
    documents.onDidChangeContent(({ document }) => {
      if (justOpened.delete(document.uri)) return;
      const delay = this.settings.peek(document.uri).debounceMs;
      this.scheduler.schedule(document.uri, delay);
      // Every open document that imports this one is analysed again (with the same debounce).
      this.moduleChanged(this.index.setBuffer(document.uri, document.getText(), document.version), document.uri, delay);
    });
    documents.onDidClose(({ document }) => this.close(document.uri));

    // Notebooks: any change (a cell's text, cells added, removed, moved, a cell's
    // language) is a new revision of the one program; the scheduler keys on the notebook.
    const notebooks = this.notebookDocuments;
    notebooks.onDidOpen((notebook) => {
      this.notebooks.opened(notebook.uri);
      this.scheduler.schedule(notebook.uri, 0);
    });
    notebooks.onDidClose((notebook) => {
      const cells = this.notebooks.closed(notebook.uri);
      this.close(notebook.uri, cells);
    });

    connection.onCodeAction((params) => this.guard('code actions', [], () => this.codeActions(params)));
    connection.onHover((params) => this.guard('hover', null, () => this.hover(params)));
    connection.onCodeLens((params) => this.guard('code lens', [], () => this.codeLens(params)));
    connection.onRequest(SIGNAL_REPORT_REQUEST, (params: unknown) =>
      answerSignalReport(params, (uri) => this.analysisWithBand(uri), (what, error) => this.logError(what, error)),
    );
    connection.onRequest(NETWORKS_AT_REQUEST, (params: unknown) =>
      answerNetworksAt(params, (uri) => this.analysisWithBand(uri), (what, error) => this.logError(what, error)),
    );
    connection.onRequest(RUN_MONTE_CARLO_REQUEST, (params: unknown, token: CancellationToken) =>
      answerRunMonteCarlo(params, token, connection, this.monteCarloSession()),
    );
    connection.onExecuteCommand((params) => this.guard('command', null, () => this.executeCommand(params)));
    connection.onShutdown(() => {
      this.scheduler.dispose();
      this.index.dispose();
    });

    documents.listen(connection);
    // NotebookDocuments fires no change event for cells that only moved; the hook sees every change notification.
    notebooks.listen(afterNotebookChange(connection, (uri) => {
      if (this.notebooks.changed(uri)) this.scheduler.schedule(uri, this.settings.peek(uri).debounceMs);
    }));
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const capabilities = params.capabilities;
    this.workspaceFolders.initialize(params);
    this.supportsWorkspaceFolderChanges = capabilities.workspace?.workspaceFolders === true;
    this.settings = new SettingsStore(this.connection, params.initializationOptions);
    this.settings.enablePull(capabilities.workspace?.configuration === true);
    this.supportsDocumentChanges = capabilities.workspace?.workspaceEdit?.documentChanges === true;
    this.supportsShowDocument = capabilities.window?.showDocument?.support === true;
    this.supportsConfigurationRegistration = capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    this.supportsWatchedFilesRegistration = capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    this.supportsCodeLensRefresh = capabilities.workspace?.codeLens?.refreshSupport === true;
    const experimental: unknown = capabilities.experimental;
    this.wantsAnalysisStatus =
      typeof experimental === 'object' && experimental !== null && (experimental as Record<string, unknown>)[ANALYSIS_STATUS_CAPABILITY] === true;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        notebookDocumentSync: { notebookSelector: NOTEBOOK_SELECTOR },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: [SERVER_COMMANDS.openRuleDocs] },
        // Folders matter for initwise.perFileIgnores / initwise.exclude (relative to them).
        ...(this.supportsWorkspaceFolderChanges ? { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } } : {}),
      },
      serverInfo: { name: 'initwise', version: SERVER_VERSION },
    };
  }

  /** Settings, configuration files or workspace folders changed: every open document again. */
  private relintOpenDocuments(): void {
    this.cache.clear();
    for (const document of this.documents.all()) this.scheduler.schedule(document.uri, 0);
    for (const uri of this.notebooks.openUris()) this.scheduler.schedule(uri, 0);
    this.refreshCodeLenses();
  }

  private initialized(): void {
    // The import graph of the workspace folders, built between messages.
    if (this.python) {
      const python = this.python;
      this.index.indexFolders(python, this.workspaceFolders.all(), () => new Promise((resolve) => setImmediate(resolve))).catch((error: unknown) => {
        this.logError('indexing the workspace', error);
      });
    }
    if (this.supportsWorkspaceFolderChanges) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) => {
        this.workspaceFolders.change(event);
        this.configFiles.reload();
        this.relintOpenDocuments();
      });
    }
    if (this.supportsWatchedFilesRegistration) {
      const watchers = WATCHED_GLOBS.map((globPattern) => ({ globPattern }));
      this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers }).catch((error: unknown) => {
        this.logError('registering for configuration file changes', error);
      });
    }
    // Without this registration VS Code does not tell a pull-model server that settings
    // changed; clients without dynamic registration push didChangeConfiguration anyway.
    if (!this.supportsConfigurationRegistration) return;
    this.connection.client.register(DidChangeConfigurationNotification.type, undefined).catch((error: unknown) => {
      this.logError('registering for configuration changes', error);
    });
  }

  /** `published`: for a notebook, the cells that may hold its diagnostics. */
  private close(uri: string, published: readonly string[] = [uri]): void {
    this.scheduler.forget(uri);
    this.cache.delete(uri);
    this.settings.forget(uri);
    this.configFiles.forget(uri);
    // Its findings in the modules it imported go with it; its file on disk is the module again for its importers.
    this.moduleChanged(this.index.closeBuffer(uri), uri, 0);
    const path = enginePathOf(uri);
    const reached = this.setForeign(uri, []);
    // A closed module still shows what open importers found in it.
    const shown = path !== undefined && this.foreign.has(path);
    for (const target of published) if (!shown || target !== uri) void this.connection.sendDiagnostics({ uri: target, diagnostics: [] });
    for (const module of reached) this.republish(module);
    if (shown) this.republish(path);
  }

  /** `path` (a module) changed: every open document that read it is analysed again after `delay`. */
  private moduleChanged(path: string | undefined, except: string | undefined, delay: number): void {
    if (path === undefined) return;
    for (const uri of this.index.dependents(path)) {
      if (uri === except || (!this.documents.get(uri) && !this.notebooks.isNotebook(uri))) continue;
      this.cache.invalidate(uri);
      this.scheduler.schedule(uri, delay);
    }
  }

  /**
   * Replaces what `from` found in the modules it imports; returns the module paths whose
   * findings from it changed (only those are published again: two modules importing each
   * other settle instead of re-linting each other forever).
   */
  private setForeign(from: string, modules: readonly { path: string; version: string | undefined; text: string; findings: readonly Finding[]; silenced: readonly SilencedCode[] }[]): string[] {
    const before = new Map<string, string>();
    for (const [path, byDocument] of this.foreign) {
      const entry = byDocument.get(from);
      if (!entry) continue;
      before.set(path, JSON.stringify(entry));
      byDocument.delete(from);
      if (byDocument.size === 0) this.foreign.delete(path);
    }
    for (const byDocument of this.reachedClean.values()) byDocument.delete(from);
    const touched: string[] = [];
    for (const module of modules) {
      if (module.findings.length === 0 && module.silenced.length === 0) {
        // Reached without a finding: it still has a say in which fixes fix-all may apply there.
        let byDocument = this.reachedClean.get(module.path);
        if (!byDocument) this.reachedClean.set(module.path, (byDocument = new Map<string, string | undefined>()));
        byDocument.set(from, module.version);
        continue;
      }
      let byDocument = this.foreign.get(module.path);
      if (!byDocument) this.foreign.set(module.path, (byDocument = new Map<string, ForeignFindings>()));
      const entry: ForeignFindings = { version: module.version, text: module.text, findings: module.findings, silenced: module.silenced };
      byDocument.set(from, entry);
      if (before.get(module.path) !== JSON.stringify(entry)) touched.push(module.path);
      before.delete(module.path);
    }
    return [...touched, ...before.keys()];
  }

  /**
   * The importers' findings in the module at `path` (computed on `version` of it) whose fixes
   * fix-all may apply there: every open document that reached the module reports them with
   * the same fix (core/fixes/agreedFindings.ts).
   */
  private agreedForeignFindings(path: string, version: string): Finding[] {
    const reports = [...(this.foreign.get(path)?.values() ?? [])].filter((e) => e.version === version).map((e) => e.findings);
    const clean = [...(this.reachedClean.get(path)?.values() ?? [])].filter((v) => v === version).length;
    return reports.length === 0 ? [] : agreedFindings(reports, reports.length + clean);
  }

  /** What importers found in the module at `path`, computed on `version` of it (each once: same code, same span). */
  private foreignFindings(path: string, version: string | undefined): ForeignFindings | undefined {
    const byDocument = this.foreign.get(path);
    if (!byDocument) return undefined;
    const seen = new Set<string>();
    const findings: Finding[] = [];
    const silenced: SilencedCode[] = [];
    let text: string | undefined;
    for (const entry of byDocument.values()) {
      if (version !== undefined && entry.version !== version) continue;
      text ??= entry.text;
      if (entry.text !== text) continue;
      silenced.push(...entry.silenced);
      for (const f of entry.findings) {
        const key = `${f.code}:${f.span.start}:${f.span.end}`;
        if (seen.has(key)) continue;
        seen.add(key);
        findings.push(f);
      }
    }
    return text === undefined ? undefined : { version, text, findings, silenced };
  }

  /** Publishes a module's diagnostics again: an open one is linted (its own findings plus its importers'); a closed one shows its importers' findings. */
  private republish(path: string): void {
    const uri = uriOfEnginePath(path);
    if (this.documents.get(uri)) {
      this.scheduler.schedule(uri, 0);
      return;
    }
    const found = this.foreignFindings(path, undefined);
    const index = found && new LineIndex(found.text);
    // Not open: no version; its fixes apply once it is opened and linted (data.version -1 is never current).
    const diagnostics = found && index ? found.findings.map((f) => toDiagnostic(f, uri, -1, index)) : [];
    void this.connection.sendDiagnostics({ uri, diagnostics });
  }

  /** The workspace a Python file's (or a notebook's: `source.uri` for a cell too) imports are read from. */
  private workspaceOf(source: AnalysisSource): PythonWorkspace | undefined {
    if (source.language !== 'python') return undefined;
    const root = this.workspaceFolders.rootFor(source.uri);
    return this.index.workspaceFor(source.uri, root === undefined ? [] : [root]);
  }

  /**
   * What a request's uri is analysed as: an open text document, or the notebook it is a
   * cell of (or the notebook itself). Undefined when neither is open or InitWise cannot read it.
   */
  private sourceFor(uri: string): AnalysisSource | undefined {
    const document = this.documents.get(uri);
    if (document) {
      const language = engineLanguage(document);
      return language && textDocumentSource(document, language);
    }
    return this.notebooks.source(uri);
  }

  /** Analyses the current version of `uri` and publishes, unless a newer version exists by then. */
  /** The client's settings with the nearest configuration file merged under them (lsp/configFiles.ts). */
  private async settingsFor(uri: string): Promise<ServerSettings> {
    const settings = await this.settings.get(uri);
    const engine = this.configFiles.apply(uri, settings.engine, settings.files, this.workspaceFolders.rootFor(uri));
    // An excluded document (configuration `exclude` or `initwise.exclude`) is linted as if InitWise were off.
    if (engine === undefined) return { ...settings, enable: false };
    return engine === settings.engine ? settings : { ...settings, engine };
  }

  private async lint(uri: string, signal: AbortSignal): Promise<void> {
    const settings = await this.settingsFor(uri);
    const source = this.sourceFor(uri);
    if (signal.aborted || !source) return;
    const version = source.version;

    let published = new Map<string, Diagnostic[]>(this.notebooks.cellUris(uri).map((cell) => [cell, []]));
    if (!this.notebooks.isNotebook(uri)) published.set(uri, []);
    let state: AnalysisStatusParams['state'] = settings.enable ? 'done' : 'disabled';
    let findings = 0;
    let networks = 0;
    const started = performance.now();
    // A long analysis (more than one time slice, lsp/timeSlices.ts) is announced once, and so is its end when a newer version stops it.
    let paused: number | undefined;
    const observer = {
      paused: (analysed: number) => {
        if (paused === undefined && this.wantsAnalysisStatus) this.sendStatus({ uri, version, state: 'running', findings: 0, durationMs: performance.now() - started, analysed });
        paused = analysed;
      },
    };
    if (settings.enable) {
      try {
        const workspace = this.workspaceOf(source);
        const analysis = await this.cache.get(source, settings.engine, workspace, { signal, observer });
        networks = analysis.result.networks.length;
        // Findings importers' models reached in this file, computed on this very buffer version, once each.
        const path = workspace ? enginePathOf(uri) : undefined;
        const reached = path === undefined ? undefined : this.foreignFindings(path, `buffer@${version}`);
        // Its suppressions the importers' analyses used are not unused (IW901).
        const own = reached ? reviseUnused(analysis.text, analysis.result.findings, reached.silenced, settings.engine) : analysis.result.findings;
        const keys = new Set(own.map((f) => `${f.code}:${f.span.start}:${f.span.end}`));
        const extra = (reached?.findings ?? []).filter((f) => !keys.has(`${f.code}:${f.span.start}:${f.span.end}`));
        for (const finding of [...own, ...extra]) {
          const located = toLocatedDiagnostic(finding, version, analysis.map);
          if (!located) continue;
          published.get(located.uri)?.push(located.diagnostic);
          findings++;
        }
        if (workspace) {
          this.index.recordReads(uri, analysis.result.dependencies);
          if (!signal.aborted && this.sourceFor(uri)?.version === version) {
            const touched = this.setForeign(uri, analysis.result.imported.map((m) => ({ ...m, text: this.index.sources.read(m.path)?.text ?? '' })));
            for (const module of touched) if (uriOfEnginePath(module) !== uri) this.republish(module);
          }
        }
      } catch (error) {
        if (error instanceof AnalysisCancelled) {
          if (paused !== undefined && this.wantsAnalysisStatus) {
            this.sendStatus({ uri, version, state: 'cancelled', findings: 0, durationMs: performance.now() - started, analysed: paused });
          }
          return;
        }
        // Publish nothing rather than keep the previous version's findings at shifted ranges.
        this.logError(`analysing ${uri} (version ${version})`, error);
        state = 'failed';
        published = new Map([...published.keys()].map((key) => [key, []]));
      }
    }
    const durationMs = performance.now() - started;
    // The guarantee: results for anything but the document's current version are dropped.
    if (signal.aborted || this.sourceFor(uri)?.version !== version) return;
    const notebook = this.notebooks.isNotebook(uri);
    // A cell that left the notebook (deleted, or no longer Python) loses its diagnostics.
    for (const gone of notebook ? this.notebooks.publishedOn(uri, [...published.keys()]) : []) published.set(gone, []);
    for (const [target, diagnostics] of published) {
      const cellVersion = notebook ? this.notebookDocuments.cellTextDocuments.get(target)?.version : version;
      await this.connection.sendDiagnostics({ uri: target, ...(cellVersion !== undefined ? { version: cellVersion } : {}), diagnostics });
    }
    if (this.wantsAnalysisStatus) {
      const status: AnalysisStatusParams = {
        uri, version, state, findings, durationMs,
        ...(notebook ? { notebook: true, networks, ...this.notebooks.unreadable(uri) } : {}),
      };
      await this.connection.sendNotification(ANALYSIS_STATUS_NOTIFICATION, status);
    }
  }

  private sendStatus(status: AnalysisStatusParams): void {
    this.connection.sendNotification(ANALYSIS_STATUS_NOTIFICATION, status).catch((error: unknown) => this.logError('sending the analysis status', error));
  }

  /** What the Monte-Carlo request needs: the current analysis, and a way to apply its results. */
  private monteCarloSession(): MonteCarloSession {
    return {
      document: async (uri) => {
        const current = await this.currentAnalysis(uri);
        const source = this.sourceFor(uri);
        if (!current || !source) return undefined;
        const { analysis } = current;
        return {
          text: analysis.text, version: analysis.version, languageId: source.language,
          networks: analysis.result.networks.map((network) => network.name),
          // Earlier Monte-Carlo results of this version stay when another network is run.
          current: analysis.result.simulations.map((sim) => (sim?.method === 'montecarlo' ? sim : undefined)),
          declined: (index, batch) => {
            const network = analysis.result.networks[index];
            return network ? whyNoMonteCarlo(network, batch ?? defaultBatch(network)) : undefined;
          },
        };
      },
      versionNow: (uri) => this.sourceFor(uri)?.version,
      apply: (uri, version, simulations) => {
        // A cell's request runs its notebook: results and re-lint belong to the notebook.
        const key = this.sourceFor(uri)?.uri ?? uri;
        this.cache.setSimulations(key, version, simulations);
        this.scheduler.schedule(key, 0);
        this.refreshCodeLenses();
      },
    };
  }

  private async currentAnalysis(uri: string): Promise<{ analysis: DocumentAnalysis; settings: ServerSettings } | undefined> {
    const source = this.sourceFor(uri);
    if (!source) return undefined;
    const settings = await this.settingsFor(source.uri);
    // The source again: the document may have changed while the settings were fetched.
    const now = this.sourceFor(uri);
    if (!now || !settings.enable) return undefined;
    return { analysis: await this.cache.get(now, settings.engine, this.workspaceOf(now)), settings };
  }

  private async codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const uri = params.textDocument.uri;
    const current = await this.currentAnalysis(uri);
    if (!current) return [];
    const { analysis } = current;
    // In a notebook, fix-all is per cell (VS Code runs source.fixAll on each cell on save):
    // the safe fixes of the findings in this cell.
    const path = this.notebooks.isNotebook(analysis.uri) ? undefined : enginePathOf(uri);
    // The IW901s as published: a suppression an importer's analysis used is not removed.
    const silenced = path === undefined ? [] : (this.foreignFindings(path, `buffer@${analysis.version}`)?.silenced ?? []);
    const own = reviseUnused(analysis.text, analysis.result.findings, silenced, current.settings.engine).filter((f) => analysis.map.location(f.span)?.uri === uri);
    // A module's fix-all also applies the fixes its importers' findings there agree on (published on it too).
    const keys = new Set(own.map((f) => `${f.code}:${f.span.start}:${f.span.end}`));
    const foreign = path === undefined ? [] : this.agreedForeignFindings(path, `buffer@${analysis.version}`).filter((f) => !keys.has(`${f.code}:${f.span.start}:${f.span.end}`));
    const here = [...own, ...foreign];
    const wire = (findings: typeof here) => toWireEdits(analysis.map, uri, selectSafeFixes(findings)) ?? [];
    const notebook = this.notebooks.isNotebook(analysis.uri);
    return codeActions(params, {
      uri,
      version: analysis.version,
      ...(notebook ? { versionOf: (cell: string) => this.notebookDocuments.cellTextDocuments.get(cell)?.version } : {}),
      supportsDocumentChanges: this.supportsDocumentChanges,
      fixesFromCurrentAnalysis: (diagnostic) => fixesMatching(analysis, uri, diagnostic),
      fixAllEdits: () => wire(here),
      fixAllEditsForRule: (code) => {
        const fixable = here.filter((f) => f.code === code && f.fixes.some((fix) => fix.applicability === 'safe'));
        return fixable.length < 2 ? [] : wire(fixable);
      },
    });
  }

  private async hover(params: HoverParams): Promise<Hover | null> {
    const current = await this.currentAnalysis(params.textDocument.uri);
    if (!current) return null;
    const { analysis } = current;
    const offset = analysis.map.offsetAt(params.textDocument.uri, params.position);
    return offset === undefined ? null : hoverAt(analysis, offset, current.settings.engine.band);
  }

  private async codeLens(params: CodeLensParams): Promise<CodeLens[]> {
    const current = await this.currentAnalysis(params.textDocument.uri);
    if (!current) return [];
    return codeLenses(current.analysis, current.settings.engine.band, params.textDocument.uri);
  }

  /** A lens shows the simulation, which changes without an edit (settings, Monte-Carlo results): ask the client to re-request. */
  private refreshCodeLenses(): void {
    if (!this.supportsCodeLensRefresh) return;
    // CodeLensRefreshRequest (LSP 3.16); the library has no shorthand for it on the connection.
    this.connection.sendRequest('workspace/codeLens/refresh').catch((error: unknown) => this.logError('refreshing code lenses', error));
  }

  private async analysisWithBand(uri: string): Promise<{ analysis: DocumentAnalysis; band: number } | undefined> {
    const current = await this.currentAnalysis(uri);
    return current && { analysis: current.analysis, band: current.settings.engine.band };
  }

  private async executeCommand(params: ExecuteCommandParams): Promise<null> {
    if (params.command !== SERVER_COMMANDS.openRuleDocs) return null;
    const code: unknown = params.arguments?.[0];
    if (typeof code !== 'string' || !/^IW\d{3}$/.test(code)) return null;
    const url = ruleDocsUrl(code);
    if (this.supportsShowDocument) {
      await this.connection.window.showDocument({ uri: url, external: true });
    } else {
      this.connection.window.showInformationMessage(`${code} docs: ${url}`);
    }
    return null;
  }

  /** Runs a request handler; an engine failure becomes a logged error and an empty answer, never a crash. */
  private async guard<T>(what: string, fallback: T, handler: () => Promise<T>): Promise<T> {
    try {
      return await handler();
    } catch (error) {
      this.logError(what, error);
      return fallback;
    }
  }

  private logError(what: string, error: unknown): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.connection.console.error(`initwise: error while ${what}: ${detail}`);
  }
}

/**
 * The connection as NotebookDocuments.listen() sees it, with `onChange` called after the
 * library has applied each notebookDocument/didChange (whatever it changed).
 */
function afterNotebookChange(connection: Connection, onChange: (notebookUri: string) => void): Connection {
  const synchronization = connection.notebooks.synchronization;
  const hooked: typeof synchronization = {
    ...synchronization,
    onDidOpenNotebookDocument: (handler) => synchronization.onDidOpenNotebookDocument(handler),
    onDidSaveNotebookDocument: (handler) => synchronization.onDidSaveNotebookDocument(handler),
    onDidCloseNotebookDocument: (handler) => synchronization.onDidCloseNotebookDocument(handler),
    onDidChangeNotebookDocument: (handler) =>
      synchronization.onDidChangeNotebookDocument(async (params) => {
        await handler(params);
        onChange(params.notebookDocument.uri);
      }),
  };
  return { ...connection, notebooks: { ...connection.notebooks, synchronization: hooked } };
}

/** Fixes for a diagnostic that lost its `data`: the current finding with the same code and range in this document. */
function fixesMatching(analysis: DocumentAnalysis, uri: string, diagnostic: Diagnostic): WireFix[] {
  const finding = analysis.result.findings.find((f) => {
    if (f.code !== diagnostic.code) return false;
    const located = analysis.map.location(f.span);
    if (located?.uri !== uri) return false;
    const range = located.range;
    return (
      range.start.line === diagnostic.range.start.line &&
      range.start.character === diagnostic.range.start.character &&
      range.end.line === diagnostic.range.end.line &&
      range.end.character === diagnostic.range.end.character
    );
  });
  if (!finding) return [];
  return finding.fixes.flatMap((fix) => {
    const edits = toWireEdits(analysis.map, uri, fix.edits);
    return edits ? [{ title: fix.title, applicability: fix.applicability, edits }] : [];
  });
}
