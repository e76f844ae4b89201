/**
 * Golden files of notebooks (test/fixtures/**\/*.ipynb): the findings as `initwise check`
 * prints them (cell-relative, with each fix's diff of its cell), and the round trip of
 * `--fix --unsafe-fixes` on a copy: the diff of the file itself, which must touch nothing
 * but the source values of the fixed cells (checked byte for byte here, shown in the golden).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { applyEdits } from '../../server/src/core/fixes/applyEdits';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { parseNotebook, type ParsedNotebook } from '../../server/src/core/notebook/ipynb';
import { NotebookSources } from '../../server/src/core/notebook/notebookFile';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { runFileJob } from '../../server/src/cli/fileJob';
import { NotebookView } from '../../server/src/cli/notebookView';
import { unifiedDiff } from '../../server/src/cli/formatters/diff';
import { PLAIN } from '../../server/src/cli/formatters/style';
import { countSeverities, renderFinding, renderSummary } from '../../server/src/cli/formatters/text';

function parsed(text: string): ParsedNotebook {
  const result = parseNotebook(text);
  if (!result.ok) throw new Error(`not a notebook: ${result.error.line}:${result.error.column}: ${result.error.message}`);
  return result.notebook;
}

export function renderNotebook(sourcePath: string, text: string, python: PythonSupport | undefined): string {
  const program = new NotebookSources(parsed(text)).program();
  const analysis = analyze({ text: program.text, languageId: 'python', python });
  const findings = program.mappableFindings(analysis.findings);
  const view = new NotebookView(sourcePath, program.sourceText(), program.cells.map((cell) => ({ cell: cell.id, start: cell.start, length: cell.text.length })));
  const blocks = findings.map((finding) => {
    const local = view.localize(finding);
    return renderFinding(local.view, local.finding, { style: PLAIN, showFixDiffs: true });
  });
  // Every fix offered applies cell by cell and adds no syntax error.
  const syntaxErrors = (t: string) => analyze({ text: t, languageId: 'python', python }).findings.filter((f) => f.code === 'IW001').length;
  const before = syntaxErrors(program.text);
  for (const finding of findings) {
    for (const fix of finding.fixes) {
      const sources = new NotebookSources(parsed(text));
      assert.ok(sources.apply(program, fix.edits), `${finding.code} fix "${fix.title}" does not apply cell by cell`);
      assert.ok(syntaxErrors(sources.program().text) <= before, `${finding.code} fix "${fix.title}" introduces a syntax error`);
      assert.ok(applyEdits(program.text, fix.edits) !== undefined);
    }
  }
  const summary = renderSummary(countSeverities(findings), findings.length > 0 ? 1 : 0, PLAIN);
  return [...blocks, summary].join('\n') + '\n';
}

/**
 * Runs the CLI's file job with `--fix --unsafe-fixes` on a copy and returns the diff of
 * the notebook file, after checking that everything outside the fixed cells' source
 * values is byte for byte what it was.
 */
export function fixNotebookCopy(absolutePath: string, shownPath: string, python: PythonSupport | undefined): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-nb-'));
  const copy = path.join(dir, path.basename(absolutePath));
  fs.copyFileSync(absolutePath, copy);
  const outcome = runFileJob({
    absolutePath: copy, displayPath: shownPath, languageId: 'python', notebook: true,
    settings: DEFAULT_SETTINGS, fix: 'unsafe', write: true, wantNetworks: false,
  }, python);
  assert.equal(outcome.error, undefined);
  const before = fs.readFileSync(absolutePath);
  const after = fs.readFileSync(copy);
  fs.rmSync(dir, { recursive: true });
  const notebook = parsed(before.toString('utf8'));
  const changed = (outcome.cellChanges ?? []).map((change) => notebook.cells[change.cell - 1]!.source!);
  // Outside the changed source values, the bytes are the same (compared as text: the fixture is UTF-8).
  const beforeText = before.toString('utf8');
  const afterText = after.toString('utf8');
  let at = 0;
  let shift = 0;
  for (const source of [...changed].sort((a, b) => a.start - b.start)) {
    assert.equal(afterText.slice(at + shift, source.start + shift), beforeText.slice(at, source.start), 'the file changed outside a fixed cell');
    const afterValue = parsedValueEnd(afterText, source.start + shift);
    shift += afterValue - source.end;
    at = source.end;
  }
  assert.equal(afterText.slice(at + shift), beforeText.slice(at), 'the file changed after the last fixed cell');
  const header = `${outcome.fixesApplied} fixes in cells ${(outcome.cellChanges ?? []).map((c) => c.cell).join(', ') || '(none)'}\n`;
  return header + unifiedDiff(beforeText, afterText, shownPath, PLAIN) + '\n';
}

/** The end of the JSON value (a string or a list of strings) starting at `start`, found by re-reading the fixed file. */
function parsedValueEnd(text: string, start: number): number {
  const notebook = parsed(text);
  const source = notebook.cells.map((cell) => cell.source).find((s) => s?.start === start);
  if (!source) throw new Error(`no source value starts at ${start} in the fixed file`);
  return source.end;
}
