/**
 * `--statistics`: how many findings each rule produced, most frequent first (ties by
 * code), with how many of them `--fix` could fix (safe fixes) — as Ruff prints it.
 */
import type { Finding } from '../../core/findings';
import { ruleByCode } from '../../core/rules/registry';
import { maxOf } from '../../core/util/arrays';

export interface RuleCount {
  readonly code: string;
  readonly name: string | null;
  readonly count: number;
  /** Findings with a safe fix (applied by `--fix`). */
  readonly fixable: number;
}

export function countPerRule(findings: Iterable<Finding>): RuleCount[] {
  const counts = new Map<string, { count: number; fixable: number }>();
  for (const finding of findings) {
    const entry = counts.get(finding.code) ?? { count: 0, fixable: 0 };
    entry.count++;
    if (finding.fixes.some((fix) => fix.applicability === 'safe')) entry.fixable++;
    counts.set(finding.code, entry);
  }
  return [...counts.entries()]
    .map(([code, { count, fixable }]) => ({ code, name: ruleByCode(code)?.meta.name ?? null, count, fixable }))
    .sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1));
}

export function renderStatistics(rows: readonly RuleCount[]): string {
  if (rows.length === 0) return '';
  const width = String(maxOf(rows.map((row) => row.count))).length;
  return rows.map((row) => `${String(row.count).padStart(width)}  ${row.code}  ${row.fixable > 0 ? '[*]' : '   '} ${row.name ?? ''}`.trimEnd()).join('\n') + '\n';
}
