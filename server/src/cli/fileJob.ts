/**
 * Everything `initwise check` does to one file, as one function of plain data so it runs
 * the same on the main thread and in a worker: read, analyse, fix until stable (`--fix`,
 * `--diff`), write back only if the file did not change meanwhile, and return what the
 * formatters need (findings and, for JSON, the per-layer numbers) as cloneable data.
 */
import * as fs from 'node:fs';
import { analyze, type AnalysisResult } from '../core/analyze';
import { AnalysisMemory } from '../core/memory';
import type { Finding } from '../core/findings';
import { applyEdits } from '../core/fixes/applyEdits';
import type { SilencedCode } from '../core/suppressions';
import { selectFixes } from '../core/fixes/selectFixes';
import type { LanguageId, PythonSupport } from '../core/frontends/types';
import type { Settings } from '../core/settings';
import { LineIndex } from '../core/text';
import { monteCarloSimulations } from '../host/montecarloSimulations';
import { hashText, type CacheRead } from './cache';
import { describeFsError, displayPath, readRegularFile } from './discover';
import { networksJson, type JsonNetwork } from './formatters/json';
import { hostPath, workspaceOfThread } from '../host/workspaceFiles';
import { runNotebookJob } from './notebookJob';

export type FixMode = 'none' | 'safe' | 'unsafe';

/** IW901, whose fix removes a suppression comment. */
export const UNUSED_SUPPRESSION = 'IW901';

export interface FileJob {
  readonly absolutePath: string;
  readonly displayPath: string;
  readonly languageId: LanguageId;
  readonly settings: Settings;
  readonly fix: FixMode;
  /** Write the fixed text back (`--fix`); false for `--diff`. */
  readonly write: boolean;
  /** Compute the per-layer numbers of the JSON format. */
  readonly wantNetworks: boolean;
  /** Where absolute imports of the project's own modules start (the working directory); undefined: files are read alone. */
  readonly projectRoot?: string;
  /** A Jupyter notebook (`.ipynb`): its code cells are checked as one Python program (notebookJob.ts). */
  readonly notebook?: boolean;
}

/** Findings the file's models reached inside a module it imports, on that module's lines. */
export interface ImportedOutcome {
  readonly absolutePath: string;
  readonly text: string;
  readonly findings: readonly Finding[];
  /** The module's suppression comments that silenced findings of this file's models (they are used: check.ts revises the module's IW901s). */
  readonly silenced?: readonly SilencedCode[];
  /** The module's text before `--fix` applied these findings' fixes to it (importedFixes.ts; set on one importer's report of it). */
  readonly original?: string;
  readonly fixesApplied?: number;
}

/** Where each code cell of a notebook lies in `FileOutcome.text` (plain data: it crosses threads). */
export interface CellLayout {
  /** 1-based cell number in the notebook, markdown cells counted. */
  readonly cell: number;
  readonly start: number;
  readonly length: number;
}

export interface FileOutcome {
  readonly displayPath: string;
  readonly absolutePath: string;
  /** Findings in imported modules (check.ts reports them in those files, once). */
  readonly imported: readonly ImportedOutcome[];
  /**
   * Every other file the analysis read or looked for, with the SHA-256 of its text as read
   * (null: it was not there): what the result cache checks before answering for this file.
   */
  readonly dependencies?: readonly CacheRead[];
  /** Its IW901 fixes were not applied with the others: an importer may use the comment (unusedSuppressions.ts applies them after the run). */
  readonly suppressionFixesDeferred?: boolean;
  /** Modules the file's models reached without a finding there (a fix there must suit every importer: importedFixes.ts). */
  readonly reachedModules?: readonly string[];
  /** The text the findings refer to: after fixes, when fixes were applied. */
  readonly text: string;
  /** The text as read, when fixes changed it (for `--diff`). */
  readonly original: string | undefined;
  readonly findings: readonly Finding[];
  readonly networks: readonly JsonNetwork[] | undefined;
  /** How many fixes were applied (or would be, with `--diff`). */
  readonly fixesApplied: number;
  /** One line; the CLI prints it and exits 2. */
  readonly error: string | undefined;
  /**
   * SHA-256 of the file as read (without a byte-order mark), for the result cache
   * (cli/cache.ts); undefined when the result is not to be kept: notebooks, and a Python
   * file read without the Python parser (one that failed to load), which yields nothing.
   */
  readonly contentHash?: string;
  /** A notebook's code cells in `text` (which is then the cells joined, as analysed). */
  readonly cells?: readonly CellLayout[];
  /** A notebook's fixed cells, before and after (`--diff` shows them cell by cell). */
  readonly cellChanges?: readonly { readonly cell: number; readonly before: string; readonly after: string }[];
  /** One line the CLI prints on stderr without failing (a notebook it cannot read any cell of). */
  readonly warning?: string;
  /** Not analysed yet: a large .netdef file analysed while its report is written (streamFileJob, check.ts). */
  readonly deferred?: FileJob;
}

/**
 * Rounds of fixing: a fix can reveal another (a safe rewrite that lets the next rule's fix
 * apply). Ruff stops after 100 iterations; InitWise's fixes touch one value each, so a few
 * rounds always suffice, and the bound only guards against two fixes undoing each other.
 */
export const MAX_FIX_ROUNDS = 10;

/** Reads a source file as the editor would see it: UTF-8 without a byte-order mark. */
export function readSource(absolutePath: string): string {
  const text = readRegularFile(absolutePath);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function analyseText(text: string, job: FileJob, python: PythonSupport | undefined, memory: AnalysisMemory | undefined): AnalysisResult {
  const montecarlo = job.settings.simulation === 'montecarlo';
  // Text, SARIF and GitHub output need only the findings: networks are dropped as they are
  // judged, so a 20 MB file is not held as IR all at once (issue 12).
  const keepNetworks = job.wantNetworks || montecarlo;
  const result = analyze({ text, languageId: job.languageId, python, memory, keepNetworks }, job.settings);
  if (!montecarlo || result.networks.length === 0) return result;
  // `--simulate montecarlo`: draw each network and run it (host/montecarloSimulations.ts), then
  // judge again on the measured numbers. This already runs on a worker thread when several files are checked.
  return analyze({ text, languageId: job.languageId, python, simulations: monteCarloSimulations(result.networks) }, job.settings);
}

/** The findings the analysis reached in imported modules, with each module's text as read (check.ts reports them in those files). */
export function importedOutcomes(result: AnalysisResult): ImportedOutcome[] {
  return result.imported.filter((m) => m.findings.length > 0 || m.silenced.length > 0)
    .map((m) => ({ absolutePath: hostPath(m.path), text: workspaceOfThread().sources.read(m.path)?.text ?? '', findings: m.findings, silenced: m.silenced }));
}

/** The modules the analysis reached (a call of one of their classes or functions) without finding anything there. */
export function reachedModules(result: AnalysisResult): string[] {
  return result.imported.filter((m) => m.findings.length === 0 && m.reachedBy.length > 0).map((m) => hostPath(m.path));
}

/** `python`: the tree-sitter parser for `.py` files (loaded once per thread); without it they yield nothing. */
export function runFileJob(job: FileJob, parser?: PythonSupport): FileOutcome {
  if (job.notebook) return runNotebookJob(job, parser);
  const failed = (error: string): FileOutcome => ({ displayPath: job.displayPath, absolutePath: job.absolutePath, imported: [], text: '', original: undefined, findings: [], networks: undefined, fixesApplied: 0, error });
  // One module cache per thread, shared by every file the thread checks (host/workspaceFiles.ts).
  const python = parser && job.projectRoot !== undefined && job.languageId === 'python'
    ? { ...parser, workspace: workspaceOfThread().forDocument(job.absolutePath, [job.projectRoot]) } : parser;
  let raw: string;
  try {
    raw = readRegularFile(job.absolutePath);
  } catch (error) {
    return failed(`${job.displayPath}: ${describeFsError(error)}`);
  }
  const bom = raw.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
  const original = raw.slice(bom.length);
  // Fix rounds re-analyse a text that changed in a few places: the rounds after the first
  // reuse what the fixes did not touch (incremental analysis, core/memory.ts). Without fixes
  // the file is analysed once, and keeping units for a next time would only cost (their keys
  // took ~15% of a check of torchvision's models/).
  const memory = job.fix === 'none' ? undefined : new AnalysisMemory();
  try {
    let text = original;
    let result = analyseText(text, job, python, memory);
    let fixesApplied = 0;
    for (let round = 0; job.fix !== 'none' && round < MAX_FIX_ROUNDS; round++) {
      // With the workspace read, an unused suppression may be used by an importer's analysis:
      // its removal waits until every file of the run was checked (check.ts, unusedSuppressions.ts).
      const selection = selectFixes(python?.workspace ? result.findings.filter((f) => f.code !== UNUSED_SUPPRESSION) : result.findings, { unsafe: job.fix === 'unsafe' });
      const next = selection.edits.length > 0 ? applyEdits(text, selection.edits) : undefined;
      if (next === undefined || next === text) break;
      text = next;
      fixesApplied += selection.fixes.length + selection.alsoMade;
      result = analyseText(text, job, python, memory);
    }
    const changed = text !== original;
    if (changed && job.write) {
      const error = writeIfUnchanged(job, raw, bom + text);
      if (error) return failed(error);
    }
    return {
      displayPath: job.displayPath,
      absolutePath: job.absolutePath,
      // The CLI's file versions are SHA-256 hashes of the text read (host/workspaceFiles.ts).
      dependencies: result.dependencies.map((d) => ({ path: hostPath(d.path), hash: d.version ?? null })),
      imported: importedOutcomes(result),
      reachedModules: reachedModules(result),
      ...(python?.workspace && job.fix !== 'none' ? { suppressionFixesDeferred: true } : {}),
      text,
      original: changed ? original : undefined,
      findings: result.findings,
      networks: job.wantNetworks ? networksJson(new LineIndex(text), result, undefined, (p) => displayPath(hostPath(p), job.projectRoot ?? '.')) : undefined,
      fixesApplied,
      error: undefined,
      ...(job.languageId === 'python' && parser === undefined ? {} : { contentHash: hashText(original) }),
    };
  } catch (error) {
    // The engine must never throw on user input; if it does, that is our bug. Say so
    // loudly (with the stack, for the report) and carry on with the other files.
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return failed(`internal error while checking ${job.displayPath} (please report this): ${detail}`);
  } finally {
    memory?.dispose();
  }
}

/**
 * A .netdef file analysed for the text or GitHub report while it is written: its findings
 * go to `onFindings` batch by batch, in position order, as analyze() finalises them
 * (AnalysisInput.onFindings), so a file with 456,000 findings never holds them all (issue 12).
 * Returns the one-line error, if the file cannot be read or the engine failed.
 */
export function streamFileJob(job: FileJob, onFindings: (source: { readonly text: string; readonly index: LineIndex }, findings: readonly Finding[]) => void): string | undefined {
  let text: string;
  try {
    text = readSource(job.absolutePath);
  } catch (error) {
    return `${job.displayPath}: ${describeFsError(error)}`;
  }
  const source = { text, index: new LineIndex(text) };
  try {
    analyze({ text, languageId: job.languageId, keepNetworks: false, onFindings: (findings) => onFindings(source, findings) }, job.settings);
    return undefined;
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return `internal error while checking ${job.displayPath} (please report this): ${detail}`;
  }
}

/**
 * Writes the fixed text only if the file still holds what was read: an editor (or another
 * tool) that saved the file meanwhile must not lose its change to a fix computed on the
 * old text. The check and the write are not atomic, but the window is microseconds.
 */
export function writeIfUnchanged(job: FileJob, asRead: string, fixed: string): string | undefined {
  try {
    if (readRegularFile(job.absolutePath) !== asRead) return `${job.displayPath}: changed while it was being fixed; not written (run again)`;
    fs.writeFileSync(job.absolutePath, fixed, 'utf8');
    return undefined;
  } catch (error) {
    return `${job.displayPath}: cannot write the fixes: ${describeFsError(error)}`;
  }
}
