/**
 * `initwise check` on a Jupyter notebook: the file is scanned, not parsed into a tree
 * (core/notebook/ipynb.ts), its code cells are analysed as one Python program, fixes are
 * applied cell by cell, and the file is written back with only the changed sources
 * spliced in, so outputs, metadata and formatting stay byte for byte. A file that is not
 * valid JSON or not nbformat 4 is one error line with its place (exit 2).
 */
import { AnalysisMemory } from '../core/memory';
import { selectFixes } from '../core/fixes/selectFixes';
import type { PythonSupport } from '../core/frontends/types';
import { parseNotebook } from '../core/notebook/ipynb';
import { NotebookSources } from '../core/notebook/notebookFile';
import type { NotebookProgram } from '../core/notebook/program';
import { LineIndex } from '../core/text';
import { describeFsError, displayPath, readRegularFileBytes } from './discover';
import { analyseText, importedOutcomes, reachedModules, MAX_FIX_ROUNDS, writeIfUnchanged, type FileJob, type FileOutcome } from './fileJob';
import { hostPath, workspaceOfThread } from '../host/workspaceFiles';
import { networksJson } from './formatters/json';
import { NotebookView } from './notebookView';

export function runNotebookJob(job: FileJob, parser: PythonSupport | undefined): FileOutcome {
  // The notebook's imports of the project's own modules are read as a `.py` file beside it
  // would read them (one module cache per thread: host/workspaceFiles.ts).
  const python = parser && job.projectRoot !== undefined
    ? { ...parser, workspace: workspaceOfThread().forDocument(job.absolutePath, [job.projectRoot]) } : parser;
  const failed = (error: string): FileOutcome => ({ displayPath: job.displayPath, absolutePath: job.absolutePath, imported: [], text: '', original: undefined, findings: [], networks: undefined, fixesApplied: 0, error });
  let bytes: Buffer;
  try {
    bytes = readRegularFileBytes(job.absolutePath);
  } catch (error) {
    return failed(`${job.displayPath}: ${describeFsError(error)}`);
  }
  const raw = bytes.toString('utf8');
  const parsed = parseNotebook(raw);
  if (!parsed.ok) {
    const { line, column, message } = parsed.error;
    return failed(`${job.displayPath}:${line}:${column}: not a readable notebook: ${message}`);
  }
  const sources = new NotebookSources(parsed.notebook);
  const memory = new AnalysisMemory();
  try {
    let program = sources.program();
    const analyse = (current: NotebookProgram) => {
      const result = analyseText(current.text, job, python, memory);
      return { result, findings: current.mappableFindings(result.findings) };
    };
    let { result, findings } = analyse(program);
    let fixesApplied = 0;
    for (let round = 0; job.fix !== 'none' && round < MAX_FIX_ROUNDS; round++) {
      const selection = selectFixes(findings, { unsafe: job.fix === 'unsafe' });
      if (selection.edits.length === 0 || !sources.apply(program, selection.edits)) break;
      program = sources.program();
      fixesApplied += selection.fixes.length;
      ({ result, findings } = analyse(program));
    }
    const cellChanges = sources.changedCells();
    if (cellChanges.length > 0 && job.write) {
      // Only a file that decodes to the same bytes can be written back byte for byte.
      if (!Buffer.from(raw, 'utf8').equals(bytes)) return failed(`${job.displayPath}: not valid UTF-8; fixes not written`);
      const error = writeIfUnchanged(job, raw, sources.write(raw));
      if (error) return failed(error);
    }
    const text = program.sourceText();
    const cells = program.cells.map((cell) => ({ cell: cell.id, start: cell.start, length: cell.text.length }));
    const view = new NotebookView(job.displayPath, text, cells);
    return {
      displayPath: job.displayPath,
      absolutePath: job.absolutePath,
      imported: importedOutcomes(result),
      reachedModules: reachedModules(result),
      text,
      original: cellChanges.length > 0 ? raw : undefined,
      findings,
      networks: job.wantNetworks ? networksJson(new LineIndex(text), result, view.locate, (p) => displayPath(hostPath(p), job.projectRoot ?? '.')) : undefined,
      fixesApplied,
      error: undefined,
      cells,
      cellChanges,
      ...(sources.unreadable ? { warning: `${job.displayPath}: nothing checked: ${sources.unreadable}` } : {}),
    };
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return failed(`internal error while checking ${job.displayPath} (please report this): ${detail}`);
  } finally {
    memory.dispose();
  }
}
