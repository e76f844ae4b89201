/**
 * "Fix all safe InitWise fixes in file": the safe fixes of the current analysis,
 * taken whole or not at all, in document order, skipping any fix whose edits overlap
 * an edit already taken (applying both would leave the text in neither fix's intended
 * shape). Unsafe fixes change training numerics, so they are only ever offered one by
 * one, never applied in bulk or on save.
 */
import type { Finding, Fix, TextEdit } from '../core/findings';

export function selectSafeFixes(findings: readonly Finding[]): TextEdit[] {
  const candidates: Fix[] = [];
  for (const finding of findings) {
    for (const fix of finding.fixes) {
      if (fix.applicability === 'safe' && fix.edits.length > 0) candidates.push(fix);
    }
  }
  candidates.sort((a, b) => firstStart(a) - firstStart(b));

  const taken: TextEdit[] = [];
  for (const fix of candidates) {
    if (fix.edits.some((edit) => taken.some((other) => overlaps(edit, other)))) continue;
    if (fix.edits.some((edit, i) => fix.edits.some((other, j) => i !== j && overlaps(edit, other)))) continue;
    taken.push(...fix.edits);
  }
  return taken.sort((a, b) => a.span.start - b.span.start);
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
