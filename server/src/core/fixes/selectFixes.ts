/**
 * Which fixes can be applied together: the one choice behind the editor's "Fix all" and
 * the CLI's `--fix`. Fixes are taken whole or not at all, in document order, skipping any
 * fix whose edits overlap an edit already taken (applying both would leave the text in
 * neither fix's intended shape). Safe fixes only by default; unsafe ones change training
 * numerics and are applied in bulk only when the user asks (`--unsafe-fixes`). Display-only
 * fixes (suppressions) are never applied in bulk.
 */
import type { Finding, Fix, TextEdit } from '../findings';
import { minOf } from '../util/arrays';

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

  // Taken edits sorted by start; being mutually disjoint, their ends are sorted too, so an
  // edit conflicts with one of them only if it conflicts with its neighbours (binary search:
  // 130,000 one-edit fixes used to cost a quadratic scan).
  const taken: TextEdit[] = [];
  const fixes: Fix[] = [];
  for (const fix of candidates) {
    const edits = [...fix.edits].sort((a, b) => a.span.start - b.span.start);
    if (edits.some((edit, i) => i > 0 && overlaps(edits[i - 1]!, edit))) continue;
    if (edits.some((edit) => conflictsWithTaken(taken, edit))) continue;
    for (const edit of edits) taken.splice(firstAtOrAfter(taken, edit.span.start), 0, edit);
    fixes.push(fix);
  }
  return { edits: taken, fixes };
}

/** The index of the first taken edit starting at or after `start`. */
function firstAtOrAfter(taken: readonly TextEdit[], start: number): number {
  let lo = 0;
  let hi = taken.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (taken[mid]!.span.start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function conflictsWithTaken(taken: readonly TextEdit[], edit: TextEdit): boolean {
  const i = firstAtOrAfter(taken, edit.span.start);
  return (i < taken.length && overlaps(edit, taken[i]!)) || (i > 0 && overlaps(taken[i - 1]!, edit));
}

function firstStart(fix: Fix): number {
  return minOf(fix.edits.map((edit) => edit.span.start));
}

/**
 * Two edits conflict when their ranges intersect, and also when both insert at the
 * same point: their relative order would be arbitrary.
 */
function overlaps(a: TextEdit, b: TextEdit): boolean {
  if (a.span.start === b.span.start) return true;
  return a.span.start < b.span.end && b.span.start < a.span.end;
}
