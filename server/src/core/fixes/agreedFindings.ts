/**
 * Fixes of shared code (a block of an imported module) computed by several importers: each
 * analysed the block with its own widths and activations, so their findings on it may
 * differ. A fix is applied in bulk (the CLI's `--fix`, the editor's fix-all on the module)
 * only when every importer that reached the module reports that finding with the same fix:
 * one importer passing `act=nn.ReLU()` and another `act=nn.Tanh()` disagree about the
 * block's init, and neither rewrite is right for both.
 */
import type { Finding } from '../findings';

/** The findings (one per code and span) that all `readers` report with the same fixes. */
export function agreedFindings(reports: readonly (readonly Finding[])[], readers: number): Finding[] {
  const byKey = new Map<string, { finding: Finding; fixes: string; count: number; agree: boolean }>();
  for (const findings of reports) {
    const seen = new Set<string>();
    for (const finding of findings) {
      const key = `${finding.code}:${finding.span.start}:${finding.span.end}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fixes = JSON.stringify(finding.fixes.map((f) => [f.applicability, f.edits]));
      const entry = byKey.get(key);
      if (!entry) byKey.set(key, { finding, fixes, count: 1, agree: true });
      else {
        entry.count++;
        if (entry.fixes !== fixes) entry.agree = false;
      }
    }
  }
  return [...byKey.values()].filter((e) => e.agree && e.count === readers).map((e) => e.finding);
}
