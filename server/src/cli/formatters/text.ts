/**
 * The human format, modelled on Ruff's: a `path:line:col: CODE [severity] message`
 * header, the source excerpt with carets, the available fixes and related places,
 * then a blank line; a summary line closes the report.
 */
import type { Finding, Fix, Severity } from '../../core/findings';
import type { LineIndex } from '../../core/text';
import { applyEdits, unifiedDiff } from './diff';
import { excerptWithGutter } from './excerpt';
import type { Style } from './style';
import { appendAll } from '../../core/util/arrays';

export interface SourceView {
  /** As shown to the user (relative, `/`-separated). */
  readonly path: string;
  readonly text: string;
  readonly index: LineIndex;
}

export interface RenderOptions {
  readonly style: Style;
  /** Also print each fix as a unified diff (golden files; `--show-fixes` later). */
  readonly showFixDiffs: boolean;
}

/** `path:line:col` with 1-based line and column (UTF-16 units, as in the JSON and LSP). */
export function location(source: SourceView, offset: number): string {
  const position = source.index.positionAt(offset);
  return `${source.path}:${position.line + 1}:${position.character + 1}`;
}

export function renderFinding(source: SourceView, finding: Finding, options: RenderOptions): string {
  const { style } = options;
  const header =
    `${style.bold(location(source, finding.span.start))}: ` +
    `${style.severity(finding.severity, style.bold(finding.code))} ${style.severity(finding.severity, `[${finding.severity}]`)} ${finding.message}`;
  const excerpt = excerptWithGutter(source.text, source.index, finding.span, style, (s) => style.severity(finding.severity, s));
  const lines = [header, ...excerpt.lines];
  // Notes hang off the excerpt's gutter bar, as in Ruff and rustc.
  const bullet = style.dim(`${' '.repeat(excerpt.gutterWidth)} =`);
  for (const related of finding.related) {
    const position = source.index.positionAt(related.span.start);
    lines.push(`${bullet} note: ${position.line + 1}:${position.character + 1}: ${related.message}`);
  }
  for (const fix of finding.fixes) {
    lines.push(`${bullet} ${fixLabel(fix)}`);
    if (options.showFixDiffs) appendAll(lines, indent(renderFixDiff(source, fix, style), excerpt.gutterWidth + 3));
  }
  return lines.join('\n') + '\n';
}

export function fixLabel(fix: Fix): string {
  return `fix (${fix.applicability}): ${fix.title}`;
}

/** The diff one fix would make, or a line saying why it cannot be shown. */
export function renderFixDiff(source: SourceView, fix: Fix, style: Style): string {
  const after = applyEdits(source.text, fix.edits);
  if (after === undefined) return '(this fix has overlapping or out-of-range edits and cannot be applied)';
  const diff = unifiedDiff(source.text, after, source.path, style);
  return diff === '' ? '(this fix changes nothing)' : diff;
}

function indent(block: string, width: number): string[] {
  return block.split('\n').map((line) => (line === '' ? line : `${' '.repeat(width)}${line}`));
}

export interface SeverityCounts {
  readonly error: number;
  readonly warning: number;
  readonly info: number;
  readonly hint: number;
}

export function countSeverities(findings: Iterable<Finding>): SeverityCounts {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * "Found 3 findings in 2 files (1 error, 2 warnings, 0 info)." or "All checks passed.".
 * Hints are listed only when there are some: no rule reports at that level by default.
 * `unchecked`: paths that could not be checked (exit 2); then nothing "passed", and the
 * summary says how many were left out instead (issue 12).
 */
export function renderSummary(counts: SeverityCounts, filesWithFindings: number, style: Style, unchecked = 0): string {
  const total = counts.error + counts.warning + counts.info + counts.hint;
  const left = unchecked > 0 ? ` ${plural(unchecked, 'path', 'paths')} could not be checked.` : '';
  if (total === 0) return style.bold(unchecked > 0 ? `No findings in the files checked;${left}` : 'All checks passed.');
  const parts = [plural(counts.error, 'error', 'errors'), plural(counts.warning, 'warning', 'warnings'), `${counts.info} info`];
  if (counts.hint > 0) parts.push(plural(counts.hint, 'hint', 'hints'));
  return style.bold(`Found ${plural(total, 'finding', 'findings')} in ${plural(filesWithFindings, 'file', 'files')} (${parts.join(', ')}).${left}`);
}
