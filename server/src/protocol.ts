/**
 * What the extension client and the language server agree on: the settings section
 * and its shape, command ids, the code-action kind for fix-all, and the payload a
 * diagnostic carries so code actions can be built without server-side state.
 *
 * Imported by both sides, so it depends on nothing but plain types: no vscode, no
 * LSP library (the client bundle must not pull the server's libraries in).
 */

/** Every rule's docs page is `${DOCS_BASE_URL}/IWxxx.md` (generated from rule metadata). */
export const DOCS_BASE_URL = 'https://github.com/initwise/initwise/blob/main/docs/rules';

export function ruleDocsUrl(code: string): string {
  return `${DOCS_BASE_URL}/${code}.md`;
}

/** The `source` field of every diagnostic, and the client id (so `initwise.trace.server` works). */
export const DIAGNOSTIC_SOURCE = 'initwise';

/** The workspace/configuration section the server asks for. */
export const CONFIGURATION_SECTION = 'initwise';

/**
 * A sub-kind of `source.fixAll`, so `editor.codeActionsOnSave: { "source.fixAll": "explicit" }`
 * and the more specific `"source.fixAll.initwise"` both select it.
 */
export const FIX_ALL_KIND = 'source.fixAll.initwise';

/** Commands the VS Code client contributes (declared in package.json's contributes.commands). */
export const CLIENT_COMMANDS = {
  /** Equals SHOW_SIGNAL_REPORT_COMMAND (declared below, with the request it sends). */
  showSignalReport: 'initwise.showSignalReport',
  /** Runs the `source.fixAll.initwise` code action on the active file. */
  fixAllInFile: 'initwise.fixAllInFile',
  /** Sends RUN_MONTE_CARLO_REQUEST for the active file, with progress and cancellation. */
  runMonteCarlo: 'initwise.runMonteCarlo',
  restartServer: 'initwise.restartServer',
  showRuleDocs: 'initwise.showRuleDocs',
} as const;

/**
 * A command the server executes itself (workspace/executeCommand), so "Show docs for
 * IWxxx" works in any client: the server answers with window/showDocument. Its id
 * differs from the client's command because vscode-languageclient registers server
 * commands in VS Code and two registrations of one id collide.
 */
export const SERVER_COMMANDS = {
  openRuleDocs: 'initwise.server.openRuleDocs',
} as const;

export type SeverityLevel = 'error' | 'warning' | 'info' | 'hint' | 'off';
export const SEVERITY_LEVELS: readonly SeverityLevel[] = ['error', 'warning', 'info', 'hint', 'off'];

export type TraceLevel = 'off' | 'messages' | 'verbose';

export type SimulationMode = 'analytic' | 'montecarlo';
export const SIMULATION_MODES: readonly SimulationMode[] = ['analytic', 'montecarlo'];

/**
 * The `initwise` settings section as the client sends it (VS Code settings, Neovim's
 * `settings`/`init_options`). Every field is optional: the server validates and fills
 * defaults, because this is user input.
 */
export interface InitWiseConfiguration {
  enable?: boolean;
  /** Per-rule severity override, e.g. { "IW301": "off", "IW101": "error" }. */
  severity?: Record<string, SeverityLevel>;
  simulation?: { band?: number; mode?: SimulationMode };
  /** Rule codes or prefixes to run (empty: all), as the CLI's --select. */
  select?: string[];
  /** Rule codes or prefixes to skip, as the CLI's --ignore; wins over select. */
  ignore?: string[];
  /** Codes or prefixes added to select, as `extend-select` in the configuration file. */
  extendSelect?: string[];
  /** Glob (relative to the workspace folder) → codes to skip in matching files, as `per-file-ignores`. */
  perFileIgnores?: Record<string, string[]>;
  /** Globs (relative to the workspace folder) of files not to lint, as `exclude`. */
  exclude?: string[];
  /** The Keras the project runs ("3.15"), as `keras-version`: decides MultiHeadAttention's fans. */
  kerasVersion?: string;
  debounceMs?: number;
  trace?: { server?: TraceLevel };
}

export const CONFIGURATION_DEFAULTS = {
  enable: true,
  band: 100,
  /**
   * The quiet window that makes changes a burst (linted once, after it). Long enough to
   * coalesce a paste or an undo run, short enough not to be felt when typing.
   */
  debounceMs: 10,
  /** Larger values would make the editor feel dead; the server clamps to this. */
  maxDebounceMs: 5000,
} as const;

/** Zero-based LSP position and range, restated here so this file needs no LSP import. */
export interface WirePosition {
  line: number;
  character: number;
}
export interface WireRange {
  start: WirePosition;
  end: WirePosition;
}

export interface WireTextEdit {
  range: WireRange;
  newText: string;
  /** The document edited, when it is not the diagnostic's own (a notebook fix touching another cell). */
  uri?: string;
}

export interface WireFix {
  title: string;
  applicability: 'safe' | 'unsafe' | 'display-only';
  edits: WireTextEdit[];
}

/**
 * `diagnostic.data`: everything a code action needs. `version` is the document version
 * the ranges refer to; a code action for any other version is refused.
 */
export interface DiagnosticData {
  version: number;
  fixes: WireFix[];
}

export function isDiagnosticData(value: unknown): value is DiagnosticData {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { version?: unknown; fixes?: unknown };
  return typeof v.version === 'number' && Array.isArray(v.fixes) && v.fixes.every(isWireFix);
}

function isWireFix(value: unknown): value is WireFix {
  if (typeof value !== 'object' || value === null) return false;
  const f = value as { title?: unknown; applicability?: unknown; edits?: unknown };
  return (
    typeof f.title === 'string' &&
    (f.applicability === 'safe' || f.applicability === 'unsafe' || f.applicability === 'display-only') &&
    Array.isArray(f.edits) &&
    f.edits.every(isWireTextEdit)
  );
}

function isWireTextEdit(value: unknown): value is WireTextEdit {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as { range?: unknown; newText?: unknown; uri?: unknown };
  return typeof e.newText === 'string' && isWireRange(e.range) && (e.uri === undefined || typeof e.uri === 'string');
}

function isWireRange(value: unknown): value is WireRange {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { start?: unknown; end?: unknown };
  return isWirePosition(r.start) && isWirePosition(r.end);
}

function isWirePosition(value: unknown): value is WirePosition {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as { line?: unknown; character?: unknown };
  return Number.isInteger(p.line) && Number.isInteger(p.character);
}

/**
 * The signal report (issue: signal simulation). The client's `initwise.showSignalReport`
 * command (arguments: `uri`, optional network name) opens a webview and asks the server
 * for its content with this request. The server answers with the complete HTML
 * document: a strict content security policy (nothing but inline styles carrying the
 * given nonce, and images from data: URIs), colours from the VS Code theme variables.
 */
export const SIGNAL_REPORT_REQUEST = 'initwise/signalReport';

export interface SignalReportParams {
  uri: string;
  /** Network name; the first network of the document when absent. */
  network?: string;
  /** A fresh random nonce per webview load, used in the CSP and on every <style>. */
  nonce: string;
  /** The webview's cspSource (what the CSP must allow for the webview's own resources). */
  cspSource: string;
}

export interface SignalReportResult {
  title: string;
  html: string;
}

/**
 * Which network "Show Signal Report" from the command palette means (issue 13, item 10):
 * the client sends the cursor; the server answers with the network whose definition
 * contains it (the innermost), and every network's name in source order for a quick
 * pick when none does.
 */
export const NETWORKS_AT_REQUEST = 'initwise/networksAt';

export interface NetworksAtParams {
  uri: string;
  position: { line: number; character: number };
}

export interface NetworksAtResult {
  /** The network under the cursor, if any. */
  atCursor?: string;
  /** Every network of the document, in source order. */
  names: string[];
}

/** The command the code lens runs ("Show report"); the client registers it. */
export const SHOW_SIGNAL_REPORT_COMMAND = 'initwise.showSignalReport';

/**
 * Monte-Carlo on demand (issue: signal simulation, item 4): the server draws the
 * document's networks at their real widths and runs them forward and backward in a
 * worker thread, with work-done progress (pass a `workDoneToken`) and cancellation
 * ($/cancelRequest). Until the next edit, the document's diagnostics, hover and code
 * lens use these numbers instead of mean field; the server re-publishes diagnostics.
 */
export const RUN_MONTE_CARLO_REQUEST = 'initwise/runMonteCarlo';

export interface RunMonteCarloParams {
  uri: string;
  /** Network name; every network of the document when absent. */
  network?: string;
  /** Networks drawn per network (default 3; their spread is the band). */
  seeds?: number;
  /** Samples per pass (default 256 for MLPs, 32 with convolutions). */
  batch?: number;
  /** Per network; whole seeds only (default 30,000 ms). */
  timeBudgetMs?: number;
  workDoneToken?: number | string;
}

export interface RunMonteCarloResult {
  /** The document version the numbers belong to. */
  version: number;
  networks: {
    name: string;
    /** False when the network cannot be drawn (unknown widths or names) or no seed fit the budget: mean field stays. */
    simulated: boolean;
    durationMs: number;
    /** When not simulated: why, in words the user can act on (report/simulability.ts whyNoMonteCarlo). */
    reason?: string;
  }[];
}

/**
 * The server tells the client how the last lint of a document went, for the editor's
 * language status item ("3 findings · 4 ms"). Sent only to a client that asks for it
 * with `capabilities.experimental[ANALYSIS_STATUS_CAPABILITY] = true`, so generic
 * clients (Neovim, Helix) never see a method they do not know.
 */
export const ANALYSIS_STATUS_NOTIFICATION = 'initwise/analysisStatus';
export const ANALYSIS_STATUS_CAPABILITY = 'initwiseAnalysisStatus';

export interface AnalysisStatusParams {
  uri: string;
  version: number;
  /**
   * `disabled`: `initwise.enable` is false for this document; `failed`: the engine threw (see the log);
   * `running`: the analysis of this version is taking longer than one time slice (sent once, at its
   * first pause); `cancelled`: that long analysis was stopped because a newer version (or other
   * settings) arrived, and nothing of it is published.
   */
  state: 'done' | 'failed' | 'disabled' | 'running' | 'cancelled';
  /** Findings published for this version. */
  findings: number;
  /** Wall time of the analysis (0 when the cached analysis of this version was reused). */
  durationMs: number;
  /** True when `uri` is a notebook (then `version` is the server's revision of it, and the counts cover all its cells). */
  notebook?: boolean;
  /** Networks found (sent for notebooks, where "no findings" must not hide "nothing read"). */
  networks?: number;
  /** Why nothing of the document can be read (e.g. a notebook with no Python code cells). */
  unreadable?: string;
  /** With `running` and `cancelled`: the units (Python) or networks (.netdef) analysed so far. */
  analysed?: number;
}
