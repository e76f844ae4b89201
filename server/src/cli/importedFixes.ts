/**
 * `--fix` and `--diff` for findings the checked files' models reached inside the modules
 * they import (a block's init judged with the widths and activation its importer passes):
 * the fixes are applied to the module's file, once per module however many importers
 * reached it, in one pass after every file was checked.
 *
 * A module is shared code: a fix is applied only when every checked file that reached the
 * module reports that finding with the same fix (one importer passing `act=nn.ReLU()` and
 * another `act=nn.Tanh()` disagree about the block's init, and neither rewrite is right for
 * both). A module the run already rewrote with its own fixes is left alone (the importers'
 * offsets were computed on the text before), and the file is written only if it is still
 * the text the importers read (otherwise an error asks to run again, as for checked files).
 */
import * as fs from 'node:fs';
import type { Finding, Fix, TextEdit } from '../core/findings';
import type { Span } from '../core/text';
import { agreedFindings } from '../core/fixes/agreedFindings';
import { applyEdits } from '../core/fixes/applyEdits';
import { selectFixes } from '../core/fixes/selectFixes';
import { describeFsError, displayPath } from './discover';
import type { FileOutcome, FixMode, ImportedOutcome } from './fileJob';

/** What fixing the imported modules changed: the outcomes with their modules' texts and findings moved, and any write errors. */
export interface ImportedFixes {
  readonly outcomes: FileOutcome[];
  readonly errors: string[];
}

export function fixImportedModules(outcomes: readonly FileOutcome[], fix: FixMode, write: boolean, cwd: string): ImportedFixes {
  const errors: string[] = [];
  if (fix === 'none' || outcomes.every((o) => o.imported.length === 0)) return { outcomes: [...outcomes], errors };
  const checked = new Map(outcomes.map((o) => [o.absolutePath, o]));
  const fixed = new Map<string, FixedModule>();
  for (const path of new Set(outcomes.flatMap((o) => o.imported.map((m) => m.absolutePath)))) {
    const own = checked.get(path);
    const reports = outcomes.flatMap((o) => o.imported.filter((m) => m.absolutePath === path));
    const text = reports[0]!.text;
    // The run rewrote it, or importers read different texts: their offsets do not all hold.
    if (own?.original !== undefined || (own && own.text !== text) || reports.some((m) => m.text !== text)) continue;
    // Every checked file whose models reached the module must report the finding, with the same fix.
    const readers = outcomes.filter((o) => o.imported.some((m) => m.absolutePath === path) || o.reachedModules?.includes(path)).length;
    const agreed = agreedFindings(reports.map((m) => m.findings), readers);
    const selection = selectFixes(agreed, { unsafe: fix === 'unsafe' });
    if (selection.edits.length === 0) continue;
    const after = applyEdits(text, selection.edits);
    if (after === undefined || after === text) continue;
    if (write) {
      const error = writeModule(path, displayPath(path, cwd), text, after);
      if (error) {
        errors.push(error);
        continue;
      }
    }
    const applied = new Set<Fix>(selection.fixes);
    fixed.set(path, { before: text, after, edits: selection.edits, applied, fixesApplied: selection.fixes.length + selection.alsoMade });
  }
  if (fixed.size === 0) return { outcomes: [...outcomes], errors };
  const moved = outcomes.map((outcome): FileOutcome => {
    const imported = outcome.imported.map((m): ImportedOutcome => {
      const module = fixed.get(m.absolutePath);
      return module ? { ...m, text: module.after, findings: remaining(m.findings, module), silenced: m.silenced?.map((u) => ({ ...u, span: shiftSpan(u.span, module.edits) })) } : m;
    });
    const self = fixed.get(outcome.absolutePath);
    if (!self) return { ...outcome, imported };
    return { ...outcome, imported, text: self.after, original: self.before, fixesApplied: outcome.fixesApplied + self.fixesApplied, findings: remaining(outcome.findings, self) };
  });
  // A module no checked file is: its fixes are counted (and diffed) on the one report of it check.ts adds.
  const unchecked = [...fixed.entries()].filter(([path]) => !checked.has(path));
  for (const [path, module] of unchecked) {
    const first = moved.find((o) => o.imported.some((m) => m.absolutePath === path))!;
    const at = first.imported.findIndex((m) => m.absolutePath === path);
    const imported = [...first.imported];
    imported[at] = { ...imported[at]!, original: module.before, fixesApplied: module.fixesApplied };
    moved[moved.indexOf(first)] = { ...first, imported };
  }
  return { outcomes: moved, errors };
}

interface FixedModule {
  readonly before: string;
  readonly after: string;
  readonly edits: readonly TextEdit[];
  readonly applied: ReadonlySet<Fix>;
  readonly fixesApplied: number;
}

/** A span of the text before `edits`, in the text after them. */
export function shiftSpan(span: Span, edits: readonly TextEdit[]): Span {
  const moved = (offset: number) => offset + edits.filter((e) => e.span.end <= offset).reduce((d, e) => d + e.newText.length - (e.span.end - e.span.start), 0);
  return { start: moved(span.start), end: moved(span.end) };
}

/** The findings a file's fixes did not fix, moved through the edits (one an edit touched is gone: its text changed). */
export function remaining(findings: readonly Finding[], module: Pick<FixedModule, 'edits' | 'applied'>): Finding[] {
  const out: Finding[] = [];
  for (const finding of findings) {
    if (finding.fixes.some((f) => module.applied.has(f)) || sameFixApplied(finding, module)) continue;
    if (module.edits.some((e) => e.span.start < finding.span.end && finding.span.start < e.span.end)) continue;
    const shift = (span: Span): Span => shiftSpan(span, module.edits);
    // A fix whose edits an applied edit touched no longer applies to the new text: dropped.
    const fixes = finding.fixes.filter((f) => !f.edits.some((edit) => module.edits.some((e) => e.span.start < edit.span.end && edit.span.start < e.span.end)));
    out.push({
      ...finding,
      span: shift(finding.span),
      fixes: fixes.map((f) => ({ ...f, edits: f.edits.map((e) => ({ ...e, span: shift(e.span) })) })),
      // A related place in another file did not move.
      related: finding.related.map((r) => (r.path === undefined ? { ...r, span: shift(r.span) } : r)),
    });
  }
  return out;
}

/** Another importer's copy of an applied fix (the same edits): that finding is fixed too. */
function sameFixApplied(finding: Finding, module: Pick<FixedModule, 'applied'>): boolean {
  const applied = new Set([...module.applied].map((f) => JSON.stringify(f.edits)));
  return finding.fixes.some((f) => f.edits.length > 0 && applied.has(JSON.stringify(f.edits)));
}

/** Writes the fixed module if its file still holds the text the importers read (a byte-order mark kept). */
export function writeModule(path: string, shown: string, before: string, after: string): string | undefined {
  try {
    const raw = fs.readFileSync(path, 'utf8');
    const bom = raw.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
    if (raw.slice(bom.length) !== before) return `${shown}: changed while it was being fixed; not written (run again)`;
    fs.writeFileSync(path, bom + after, 'utf8');
    return undefined;
  } catch (error) {
    return `${shown}: cannot write the fixes: ${describeFsError(error)}`;
  }
}
