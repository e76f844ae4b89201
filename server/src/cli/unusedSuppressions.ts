/**
 * IW901 (unused suppression) across files. A suppression comment in a module may silence
 * only what an importer's models reach there (a block's init judged with the importer's
 * widths): the module's own analysis sees nothing to silence, the importer's uses it. Once
 * every file of the run was checked, each module's IW901s are revised with the codes its
 * importers' analyses silenced (core/suppressions.ts reviseUnused), and only then are the
 * remaining IW901 fixes applied (`--fix` removes a comment no analysis of the run used;
 * fileJob.ts defers them while the workspace is read).
 */
import type { Finding } from '../core/findings';
import { applyEdits } from '../core/fixes/applyEdits';
import { selectFixes } from '../core/fixes/selectFixes';
import type { Settings } from '../core/settings';
import { reviseUnused, type SilencedCode } from '../core/suppressions';
import { UNUSED_SUPPRESSION, type FileOutcome, type FixMode } from './fileJob';
import { remaining, writeModule } from './importedFixes';

/**
 * The checked files' IW901 findings with the codes importers silenced in them counted as
 * used. When an importer read another text of the file (the run rewrote it), what it used
 * cannot be matched: that file's IW901s are kept, without a fix to apply.
 */
export function reviseSuppressions(outcomes: readonly FileOutcome[], settingsOf: (absolutePath: string) => Settings | undefined): FileOutcome[] {
  const silenced = new Map<string, { text: string; used: SilencedCode[] }[]>();
  for (const outcome of outcomes) {
    for (const module of outcome.imported) {
      if (!module.silenced || module.silenced.length === 0) continue;
      const list = silenced.get(module.absolutePath) ?? [];
      list.push({ text: module.text, used: [...module.silenced] });
      silenced.set(module.absolutePath, list);
    }
  }
  if (silenced.size === 0) return [...outcomes];
  return outcomes.map((outcome) => {
    const reports = silenced.get(outcome.absolutePath);
    const settings = settingsOf(outcome.absolutePath);
    if (!reports || !settings || !outcome.findings.some((f) => f.code === UNUSED_SUPPRESSION)) return outcome;
    if (reports.some((r) => r.text !== outcome.text)) {
      const unfixable = (f: Finding): Finding => (f.code === UNUSED_SUPPRESSION ? { ...f, fixes: [] } : f);
      return { ...outcome, findings: outcome.findings.map(unfixable) };
    }
    return { ...outcome, findings: reviseUnused(outcome.text, outcome.findings, reports.flatMap((r) => r.used), settings) };
  });
}

/** `--fix`/`--diff`: the deferred IW901 fixes of the `.py` files checked with the workspace read. */
export function fixUnusedSuppressions(outcomes: readonly FileOutcome[], fix: FixMode, write: boolean): { outcomes: FileOutcome[]; errors: string[] } {
  const errors: string[] = [];
  if (fix === 'none') return { outcomes: [...outcomes], errors };
  const out = outcomes.map((outcome) => {
    if (outcome.suppressionFixesDeferred !== true) return outcome;
    const selection = selectFixes(outcome.findings.filter((f) => f.code === UNUSED_SUPPRESSION), { unsafe: fix === 'unsafe' });
    if (selection.edits.length === 0) return outcome;
    const after = applyEdits(outcome.text, selection.edits);
    if (after === undefined || after === outcome.text) return outcome;
    if (write) {
      const error = writeModule(outcome.absolutePath, outcome.displayPath, outcome.text, after);
      if (error) {
        errors.push(error);
        return outcome;
      }
    }
    const applied = new Set(selection.fixes);
    return {
      ...outcome, text: after, original: outcome.original ?? outcome.text, fixesApplied: outcome.fixesApplied + selection.fixes.length + selection.alsoMade,
      findings: remaining(outcome.findings, { edits: selection.edits, applied }),
    };
  });
  return { outcomes: out, errors };
}
