/**
 * "Fix all safe InitWise fixes in file": the same selection as the CLI's `--fix`
 * (core/fixes/selectFixes.ts): safe fixes only, whole or not at all, non-overlapping.
 * Unsafe fixes change training numerics, so they are only ever offered one by one,
 * never applied in bulk or on save.
 */
import type { Finding, TextEdit } from '../core/findings';
import { selectFixes } from '../core/fixes/selectFixes';

export function selectSafeFixes(findings: readonly Finding[]): TextEdit[] {
  return [...selectFixes(findings, { unsafe: false }).edits];
}
