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

  const taken: TextEdit[] = [];
  const fixes: Fix[] = [];
  let alsoMade = 0;
  for (const fix of candidates) {
    if (fix.edits.every((edit) => taken.some((other) => sameEdit(edit, other)))) {
      alsoMade++;
      continue;
    }
    if (fix.edits.some((edit) => taken.some((other) => overlaps(edit, other)))) continue;
    if (fix.edits.some((edit, i) => fix.edits.some((other, j) => i !== j && overlaps(edit, other)))) continue;
    taken.push(...fix.edits);
    fixes.push(fix);
  }
  // A stable sort: insertions at one point keep the order they were taken in.
  return { edits: taken.sort((a, b) => a.span.start - b.span.start), fixes, alsoMade };
}

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return a.span.start === b.span.start && a.span.end === b.span.end && a.newText === b.newText;
}

function firstStart(fix: Fix): number {
  return Math.min(...fix.edits.map((edit) => edit.span.start));
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
