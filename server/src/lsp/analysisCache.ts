/**
 * One analysis per document version and settings. Diagnostics, hover and fix-all all
 * read the same result, so a hover right after a keystroke costs nothing extra, and
 * what the hover explains is what the diagnostics judged.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type AnalysisInput, type AnalysisResult } from '../core/analyze';
import type { PythonWorkspace } from '../core/frontends/python/parse';
import type { CancellationSignal } from '../core/cancellation';
import type { LanguageId } from '../core/frontends/types';
import type { Settings } from '../core/settings';
import type { NetworkSimulation } from '../core/simulation/types';
import { AnalysisMemory } from '../core/memory';
import type { Finding } from '../core/findings';
import { LineIndex } from '../core/text';
import { textDocumentMap, type DocumentMap } from './documentMap';

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
 * The engine's entry point; a session can be given another (a test gives it one that fails).
 * `workspace`: the document's workspace (lsp/workspaceIndex.ts), which main.ts hands the
 * engine with its Python parser (AnalysisInput.python.workspace).
 */
export type Analyzer = (input: AnalysisInput & { readonly workspace?: PythonWorkspace }, settings?: Settings, signal?: CancellationSignal) => AnalysisResult;

export class AnalysisCache {
  private readonly entries = new Map<string, Entry>();
  /** Monte-Carlo results for one version of a document (lsp/monteCarlo.ts); an edit retires them. */
  private readonly simulations = new Map<string, { version: number; simulations: readonly (NetworkSimulation | undefined)[] }>();
  /** What the engine remembers of each open document between edits (incremental analysis). */
  private readonly memories = new Map<string, AnalysisMemory>();

  constructor(private readonly analyzer: Analyzer = analyze) {}

  /**
   * The analysis of the document as it is now. Reuses the cached one when version and
   * settings match; otherwise analyses (synchronously: the engine is fast enough that a
   * hover or code action can afford it) and caches. Throws AnalysisCancelled when
   * `signal` fires, and whatever the engine throws: callers decide how to report it.
   */
  get(
    document: AnalysisSource,
    settings: Settings,
    signal?: CancellationSignal,
    workspace?: PythonWorkspace,
  ): DocumentAnalysis {
    const cached = this.entries.get(document.uri);
    if (cached && cached.analysis.version === document.version && cached.settings === settings) return cached.analysis;

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
    const raw = this.analyzer({ text, languageId: language, memory, ...(simulations ? { simulations } : {}), ...(workspace ? { workspace } : {}) }, settings, signal);
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
  }

  /** Uses these simulations for `version` of `uri` (and only that version) from the next get() on. */
  setSimulations(uri: string, version: number, simulations: readonly (NetworkSimulation | undefined)[]): void {
    this.simulations.set(uri, { version, simulations });
    this.entries.delete(uri);
  }

  /** A module the document read changed: its next get() analyses again (its memory re-checks what the module gave). */
  invalidate(uri: string): void {
    this.entries.delete(uri);
  }

  delete(uri: string): void {
    this.entries.delete(uri);
    this.simulations.delete(uri);
    this.memories.get(uri)?.dispose();
    this.memories.delete(uri);
  }

  clear(): void {
    this.entries.clear();
  }
}
