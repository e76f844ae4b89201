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
  /** Fixes not taken because the edits taken already make every one of theirs (IW301's insert inside IW201's switch): their findings are fixed too. */
  readonly alsoMade: number;
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
  let alsoMade = 0;
  for (const fix of candidates) {
    const edits = [...fix.edits].sort((a, b) => a.span.start - b.span.start);
    if (edits.every((edit) => alreadyTaken(taken, edit))) {
      alsoMade++;
      continue;
    }
    if (edits.some((edit, i) => i > 0 && overlaps(edits[i - 1]!, edit))) continue;
    if (edits.some((edit) => conflictsWithTaken(taken, edit))) continue;
    // After every taken edit at the same point: insertions at one point keep the order they
    // were taken in (document order of their findings; issue 13).
    for (const edit of edits) taken.splice(firstAfter(taken, edit.span.start), 0, edit);
    fixes.push(fix);
  }
  return { edits: taken, fixes, alsoMade };
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

/** The index of the first taken edit starting after `start`. */
function firstAfter(taken: readonly TextEdit[], start: number): number {
  let i = firstAtOrAfter(taken, start);
  while (i < taken.length && taken[i]!.span.start === start) i++;
  return i;
}

/** Taken edits sorted by start and mutually disjoint: only the ones starting at the edit's point and its two neighbours can conflict with it. */
function conflictsWithTaken(taken: readonly TextEdit[], edit: TextEdit): boolean {
  const i = firstAtOrAfter(taken, edit.span.start);
  if (i > 0 && overlaps(taken[i - 1]!, edit)) return true;
  let j = i;
  for (; j < taken.length && taken[j]!.span.start === edit.span.start; j++) if (overlaps(edit, taken[j]!)) return true;
  return j < taken.length && overlaps(edit, taken[j]!);
}

function alreadyTaken(taken: readonly TextEdit[], edit: TextEdit): boolean {
  for (let i = firstAtOrAfter(taken, edit.span.start); i < taken.length && taken[i]!.span.start === edit.span.start; i++) {
    if (sameEdit(edit, taken[i]!)) return true;
  }
  return false;
}

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return a.span.start === b.span.start && a.span.end === b.span.end && a.newText === b.newText;
}

function firstStart(fix: Fix): number {
  return minOf(fix.edits.map((edit) => edit.span.start));
}

/**
 * Two edits conflict when their ranges intersect, or when one replaces text starting where
 * the other inserts, or insert the same text at the same point (two findings fixing the same
 * layer). Two different pure insertions at the same point do not: they go in the order
 * taken, which is document order of their findings (the layers `net[0]`, `net[2]`, … of a
 * Sequential each get their init line after the statement, in layer order: issue 13; fixing
 * one round at a time inserted each above the last, in reverse).
 */
function overlaps(a: TextEdit, b: TextEdit): boolean {
  const insertion = (e: TextEdit) => e.span.start === e.span.end;
  if (a.span.start === b.span.start) return !(insertion(a) && insertion(b)) || a.newText === b.newText;
  return a.span.start < b.span.end && b.span.start < a.span.end;
}
