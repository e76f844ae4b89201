/**
 * One analysis per document version and settings. Diagnostics, hover and fix-all all
 * read the same result, so a hover right after a keystroke costs nothing extra, and
 * what the hover explains is what the diagnostics judged.
 *
 * An analysis runs in steps (core/steps.ts), a time slice at a time (lsp/timeSlices.ts):
 * a long one lets the server answer other requests between its units, and at most one
 * run per document is under way — a run for a newer version (or other settings) stops
 * the older one at its next pause, so a stale analysis neither finishes nor publishes.
 * A request for the version being analysed waits for that run instead of starting its own.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeSteps, type AnalysisInput, type AnalysisResult } from '../core/analyze';
import type { PythonWorkspace } from '../core/frontends/python/parse';
import { AnalysisCancelled, type CancellationSignal } from '../core/cancellation';
import type { Steps } from '../core/steps';
import type { LanguageId } from '../core/frontends/types';
import type { Settings } from '../core/settings';
import type { NetworkSimulation } from '../core/simulation/types';
import { AnalysisMemory } from '../core/memory';
import type { Finding } from '../core/findings';
import { LineIndex } from '../core/text';
import { textDocumentMap, type DocumentMap } from './documentMap';
import { runInSlices, type SliceObserver } from './timeSlices';

export interface DocumentAnalysis {
  /** The text document's uri, or the notebook's. */
  readonly uri: string;
  /** The document's version, or the session's revision of the notebook. */
  readonly version: number;
  /** What the engine analysed (a notebook's code cells joined, magics masked). */
  readonly text: string;
  readonly index: LineIndex;
  readonly result: AnalysisResult;
  /** Engine offsets ↔ editor documents and positions. */
  readonly map: DocumentMap;
}

/** What is analysed: an open text document, or an open notebook's code cells. */
export interface AnalysisSource {
  readonly uri: string;
  readonly version: number;
  readonly language: LanguageId;
  /**
   * The text and its map, built only when the cache has no analysis of this version;
   * `findings` narrows the engine's findings (a notebook drops fixes it cannot apply cell by cell).
   */
  load(): { text: string; map?: DocumentMap; findings?: (findings: readonly Finding[]) => readonly Finding[] };
}

export function textDocumentSource(document: TextDocument, language: LanguageId): AnalysisSource {
  return { uri: document.uri, version: document.version, language, load: () => ({ text: document.getText() }) };
}

interface Entry {
  readonly analysis: DocumentAnalysis;
  readonly settings: Settings;
}

/**
 * Which engine frontend reads a document. The language id decides; the file extension
 * is the fallback for clients that attach without one (a Neovim buffer with no filetype).
 */
export function engineLanguage(document: Pick<TextDocument, 'languageId' | 'uri'>): LanguageId | undefined {
  if (document.languageId === 'netdef') return 'netdef';
  if (document.languageId === 'python') return 'python';
  const path = document.uri.toLowerCase().split(/[?#]/)[0] ?? '';
  if (path.endsWith('.netdef')) return 'netdef';
  if (path.endsWith('.py') || path.endsWith('.pyi')) return 'python';
  return undefined;
}

/**
 * The engine's entry point in steps (analyzeSteps); a session can be given another (a test
 * gives it one that fails). `workspace`: the document's workspace (lsp/workspaceIndex.ts),
 * which main.ts hands the engine with its Python parser (AnalysisInput.python.workspace).
 */
export type Analyzer = (input: AnalysisInput & { readonly workspace?: PythonWorkspace }, settings?: Settings, signal?: CancellationSignal) => Steps<AnalysisResult>;

/** The analysis of one document version under way. */
interface Running {
  readonly version: number;
  readonly settings: Settings;
  readonly done: Promise<DocumentAnalysis>;
  /** Stops it at its next pause (its `done` rejects with AnalysisCancelled). */
  readonly stop: () => void;
}

export interface AnalysisRequest {
  /** The caller's cancellation (the scheduler's, for a lint): the run stops at its next pause. */
  readonly signal?: AbortSignal;
  /** Told at each pause of a run this call started (the session's `initwise/analysisStatus`). */
  readonly observer?: SliceObserver;
}

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();
  /** Monte-Carlo results for one version of a document (lsp/monteCarlo.ts); an edit retires them. */
  private readonly simulations = new Map<string, { version: number; simulations: readonly (NetworkSimulation | undefined)[] }>();
  /** What the engine remembers of each open document between edits (incremental analysis). */
  private readonly memories = new Map<string, AnalysisMemory>();

  /** Per document (uri): its analysis under way. */
  private readonly running = new Map<string, Running>();

  constructor(private readonly analyzer: Analyzer = analyzeSteps) {}

  /**
   * The analysis of the document as it is now. Reuses the cached one when version and
   * settings match, else waits for the run of this version under way, else analyses (in
   * time slices, stopping any older run of the document) and caches. Rejects with
   * AnalysisCancelled when the caller's signal fires or a newer run stops this one, and
   * with whatever the engine throws: callers decide how to report it.
   */
  async get(document: AnalysisSource, settings: Settings, workspace?: PythonWorkspace, request: AnalysisRequest = {}): Promise<DocumentAnalysis> {
    const cached = this.entries.get(document.uri);
    if (cached && cached.analysis.version === document.version && cached.settings === settings) return cached.analysis;
    const running = this.running.get(document.uri);
    if (running && running.version === document.version && running.settings === settings) return untilCancelled(running.done, request.signal);
    return this.start(document, settings, workspace, request).done;
  }

  private start(document: AnalysisSource, settings: Settings, workspace: PythonWorkspace | undefined, request: AnalysisRequest): Running {
    this.stopRun(document.uri);
    const loaded = document.load();
    const text = loaded.text;
    const language = document.language;
    const override = this.simulations.get(document.uri);
    const simulations = override?.version === document.version ? override.simulations : undefined;
    let memory = this.memories.get(document.uri);
    if (!memory) {
      memory = new AnalysisMemory();
      this.memories.set(document.uri, memory);
    }
    const stopped = { aborted: false };
    const signal = request.signal;
    const cancelled = { get aborted() { return stopped.aborted || signal?.aborted === true; } };
    const finish = (raw: AnalysisResult): DocumentAnalysis => {
      const result = loaded.findings ? { ...raw, findings: loaded.findings(raw.findings) } : raw;
      const index = new LineIndex(text);
      const analysis: DocumentAnalysis = {
        uri: document.uri,
        version: document.version,
        text,
        index,
        result,
        map: loaded.map ?? textDocumentMap(document.uri, index),
      };
      this.entries.set(document.uri, { analysis, settings });
      return analysis;
    };
    let steps: Steps<AnalysisResult> | undefined;
    const self: { run?: Running } = {};
    const done = (async () => {
      try {
        steps = this.analyzer({ text, languageId: language, memory, ...(simulations ? { simulations } : {}), ...(workspace ? { workspace } : {}) }, settings, cancelled);
        const result = await runInSlices(steps, cancelled, request.observer);
        // Stopped after its last step (a newer run started meanwhile): not this version's to cache.
        if (stopped.aborted) throw new AnalysisCancelled();
        return finish(result);
      } finally {
        if (this.running.get(document.uri) === self.run) this.running.delete(document.uri);
      }
    })();
    // Stopping ends the paused generator at once (its `finally` blocks run: the memory keeps a
    // consistent tree, held modules are released) before any newer run touches the memory.
    const stop = () => {
      stopped.aborted = true;
      steps?.return(undefined as never);
    };
    const run: Running = (self.run = { version: document.version, settings, done, stop });
    this.running.set(document.uri, run);
    // A waiter may have gone (a cancelled hover): a stopped run's rejection is nobody's error.
    done.catch(() => undefined);
    return run;
  }

  /** Stops the document's run under way, if any (at its next pause: the engine's own code never runs concurrently). */
  private stopRun(uri: string): void {
    this.running.get(uri)?.stop();
    this.running.delete(uri);
  }

  /** Uses these simulations for `version` of `uri` (and only that version) from the next get() on. */
  setSimulations(uri: string, version: number, simulations: readonly (NetworkSimulation | undefined)[]): void {
    this.simulations.set(uri, { version, simulations });
    this.entries.delete(uri);
    this.stopRun(uri);
  }

  /** A module the document read changed: its next get() analyses again (its memory re-checks what the module gave). */
  invalidate(uri: string): void {
    this.entries.delete(uri);
    this.stopRun(uri);
  }

  delete(uri: string): void {
    this.stopRun(uri);
    this.entries.delete(uri);
    this.simulations.delete(uri);
    this.memories.get(uri)?.dispose();
    this.memories.delete(uri);
  }

  clear(): void {
    this.entries.clear();
    for (const uri of [...this.running.keys()]) this.stopRun(uri);
  }
}

/** `promise`, or AnalysisCancelled as soon as `signal` fires (the run itself goes on for whoever else waits). */
function untilCancelled<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AnalysisCancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AnalysisCancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error instanceof Error ? error : new Error(String(error))); },
    );
  });
}
