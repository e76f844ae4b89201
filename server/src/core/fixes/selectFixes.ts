/**
 * Which fixes can be applied together: the one choice behind the editor's "Fix all" and
 * the CLI's `--fix`. Fixes are taken whole or not at all, in document order, skipping any
 * fix whose edits overlap an edit already taken (applying both would leave the text in
 * neither fix's intended shape). Safe fixes only by default; unsafe ones change training
 * numerics and are applied in bulk only when the user asks (`--unsafe-fixes`). Display-only
 * fixes (suppressions) are never applied in bulk.
 */
import type { Finding, Fix, TextEdit } from '../findings';

export interface FixSelection {
  /** Non-overlapping edits, sorted by position. */
  readonly edits: readonly TextEdit[];
  /** The fixes the edits come from, in the order they were taken. */
  readonly fixes: readonly Fix[];
}

export function selectFixes(findings: readonly Finding[], options: { readonly unsafe: boolean } = { unsafe: false }): FixSelection {
  const candidates: Fix[] = [];
  for (const finding of findings) {
    for (const fix of finding.fixes) {
      const allowed = fix.applicability === 'safe' || (options.unsafe && fix.applicability === 'unsafe');
      // One fix per finding: its alternatives (another initializer, another activation) exclude each other.
      if (allowed && fix.edits.length > 0) {
        candidates.push(fix);
        break;
      }
    }
  }
  candidates.sort((a, b) => firstStart(a) - firstStart(b));

  const taken: TextEdit[] = [];
  const fixes: Fix[] = [];
  for (const fix of candidates) {
    if (fix.edits.some((edit) => taken.some((other) => overlaps(edit, other)))) continue;
    if (fix.edits.some((edit, i) => fix.edits.some((other, j) => i !== j && overlaps(edit, other)))) continue;
    taken.push(...fix.edits);
    fixes.push(fix);
  }
  return { edits: taken.sort((a, b) => a.span.start - b.span.start), fixes };
}

function firstStart(fix: Fix): number {
  return Math.min(...fix.edits.map((edit) => edit.span.start));
}

/**
 * Two edits conflict when their ranges intersect, and also when both insert at the
 * same point: their relative order would be arbitrary.
 */
function overlaps(a: TextEdit, b: TextEdit): boolean {
  if (a.span.start === b.span.start) return true;
  return a.span.start < b.span.end && b.span.start < a.span.end;
}
