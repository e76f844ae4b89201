/**
 * Suppression comments, for `.netdef` and Python alike (both comment with `#`):
 *
 *   dense 512 activation=relu init=glorot_uniform  # initwise: ignore[IW101]
 *   # initwise: ignore-file[IW301]
 *
 * `ignore[...]` silences the listed codes on its own line, a bare `ignore` every code on
 * that line, `ignore-file[...]` the listed codes anywhere in the file (a bare `ignore-file`
 * every code). As in Ruff, syntax errors (IW001) cannot be suppressed: a line InitWise
 * cannot read is never silently skipped. A suppression that silences nothing is reported
 * as IW901 with a safe fix that removes it (or the codes that did nothing).
 *
 * A finding belongs to the line its range starts on. Pure: text in, findings out.
 */
import type { Finding, Fix, TextEdit } from './findings';
import { ruleByCode } from './rules/registry';
import { ruleEnabled, type Settings } from './settings';
import { LineIndex, type Span } from './text';

export interface SuppressedCode {
  readonly code: string;
  readonly span: Span;
}

export interface Suppression {
  readonly scope: 'line' | 'file';
  /** Zero-based line of the comment. */
  readonly line: number;
  /** Undefined for a bare `ignore` / `ignore-file` (every code). */
  readonly codes: readonly SuppressedCode[] | undefined;
  /** From `#` to the end of the directive (the closing `]` when there is a list). */
  readonly span: Span;
  /** The inside of the brackets, when there are brackets. */
  readonly listSpan: Span | undefined;
}

/** Codes that can never be suppressed. */
const UNSUPPRESSIBLE = new Set(['IW001']);
const IW901 = 'IW901';

// An unclosed list (`ignore[IW101` at the end of a line) is not a directive at all: reading
// it as a bare `ignore` would silence every code on the line.
const DIRECTIVE = /#\s*initwise\s*:\s*(ignore-file|ignore)(?![\w-])(?:\s*\[([^\]\r\n]*)\]|(?!\s*\[))/g;
const CODE = /^IW\d{3}$/;

export function parseSuppressions(text: string, index: LineIndex = new LineIndex(text)): Suppression[] {
  const out: Suppression[] = [];
  for (const match of text.matchAll(DIRECTIVE)) {
    const start = match.index;
    const scope = match[1] === 'ignore-file' ? 'file' : 'line';
    const list = match[2];
    let codes: SuppressedCode[] | undefined;
    let listSpan: Span | undefined;
    if (list !== undefined) {
      const listStart = start + match[0].lastIndexOf('[') + 1;
      listSpan = { start: listStart, end: listStart + list.length };
      codes = [];
      let offset = listStart;
      for (const part of list.split(',')) {
        const leading = part.length - part.trimStart().length;
        const code = part.trim();
        if (code !== '') codes.push({ code: code.toUpperCase(), span: { start: offset + leading, end: offset + leading + code.length } });
        offset += part.length + 1;
      }
    }
    out.push({ scope, line: index.positionAt(start).line, codes, span: { start, end: start + match[0].length }, listSpan });
  }
  return out;
}

const covers = (suppression: Suppression, code: string) => suppression.codes === undefined || suppression.codes.some((c) => c.code === code);

export interface SuppressionOutcome {
  /** Findings that no suppression silenced, each with its "Suppress … on this line" fix added. */
  readonly kept: readonly Finding[];
  /** IW901 findings (unfiltered by settings: the caller applies select/ignore/severity). */
  readonly unused: readonly Finding[];
  /** Which suppression silenced which code (an imported module's comments used by an importer: reviseUnused). */
  readonly silenced: readonly SilencedCode[];
}

/** A code a suppression comment silenced: the comment's span (`#` to the directive's end) and the code. */
export interface SilencedCode {
  readonly span: Span;
  readonly code: string;
}

/**
 * Drops suppressed findings and reports unused suppressions. `findings` must already be
 * filtered by the settings: a code counts as unused only when its rule is enabled, since
 * under other settings (another config, `--select`) the suppression may well be needed.
 */
export function applySuppressions(text: string, findings: readonly Finding[], settings: Settings): SuppressionOutcome {
  // One line index for the whole file: the suppress fix of every finding needs it.
  const index = new LineIndex(text);
  // Most files have no directive; skip parsing them.
  if (!text.includes('initwise')) return { kept: withSuppressFixes(text, index, findings), unused: [], silenced: [] };
  const suppressions = parseSuppressions(text, index);
  const used = new Map<Suppression, Set<string>>(suppressions.map((s) => [s, new Set<string>()]));
  const byLine = new Map<number, Suppression[]>();
  for (const s of suppressions) if (s.scope === 'line') byLine.set(s.line, [...(byLine.get(s.line) ?? []), s]);
  const fileWide = suppressions.filter((s) => s.scope === 'file');

  const kept: Finding[] = [];
  for (const finding of findings) {
    const line = index.positionAt(finding.span.start).line;
    const silencer = UNSUPPRESSIBLE.has(finding.code)
      ? undefined
      : ((byLine.get(line) ?? []).find((s) => covers(s, finding.code)) ?? fileWide.find((s) => covers(s, finding.code)));
    if (silencer) used.get(silencer)!.add(finding.code);
    else kept.push(withSuppressFix(text, index, byLine.get(line) ?? [], finding));
  }

  const unused: Finding[] = [];
  const silenced: SilencedCode[] = [];
  for (const suppression of suppressions) {
    const codes = used.get(suppression)!;
    for (const code of codes) silenced.push({ span: suppression.span, code });
    const report = unusedReport(text, index, suppression, codes, settings);
    if (report) unused.push(report);
  }
  return { kept, unused, silenced };
}

/**
 * A module's IW901 findings once the analyses of its importers are known: a comment that
 * silences only what an importer's models reach in the module (a block's init judged with
 * the importer's widths) is used, though the module's own analysis saw nothing to silence.
 * Each IW901 on a comment some importer used is reported again with those codes counted as
 * used: gone when nothing is left unused, else with the remaining codes (and its fix). Other
 * findings, and IW901s on comments no importer used, are returned as they are.
 */
export function reviseUnused(text: string, findings: readonly Finding[], silencedElsewhere: readonly SilencedCode[], settings: Settings): Finding[] {
  if (silencedElsewhere.length === 0 || !findings.some((f) => f.code === IW901)) return [...findings];
  const index = new LineIndex(text);
  const suppressions = parseSuppressions(text, index);
  const out: Finding[] = [];
  for (const finding of findings) {
    const suppression = finding.code === IW901 ? suppressions.find((s) => s.span.start === finding.span.start && s.span.end === finding.span.end) : undefined;
    const elsewhere = suppression ? silencedElsewhere.filter((u) => u.span.start === suppression.span.start && u.span.end === suppression.span.end).map((u) => u.code) : [];
    if (!suppression || elsewhere.length === 0) {
      out.push(finding);
      continue;
    }
    // The codes the module's own analysis used: those its IW901 fix keeps (a removed directive keeps none).
    const ownUsed = ownlyUsed(finding, suppression);
    const report = unusedReport(text, index, suppression, new Set([...ownUsed, ...elsewhere]), settings);
    if (report) out.push({ ...report, severity: finding.severity });
  }
  return out;
}

/** The codes of a suppression its IW901 finding does not call unused: the list its fix leaves. */
function ownlyUsed(finding: Finding, suppression: Suppression): string[] {
  const edit = finding.fixes[0]?.edits[0];
  if (!edit || !suppression.listSpan || edit.span.start !== suppression.listSpan.start || edit.span.end !== suppression.listSpan.end) return [];
  return edit.newText.split(',').map((c) => c.trim()).filter((c) => c !== '');
}

function unusedReport(text: string, index: LineIndex, suppression: Suppression, used: ReadonlySet<string>, settings: Settings): Finding | undefined {
  const directive = suppression.scope === 'file' ? 'ignore-file' : 'ignore';
  if (suppression.codes === undefined) {
    if (used.size > 0) return undefined;
    const where = suppression.scope === 'file' ? 'in this file' : 'on this line';
    return iw901(suppression, `Unused suppression: \`initwise: ${directive}\` silences nothing ${where}.`, removeDirective(text, index, suppression));
  }
  const reasons: string[] = [];
  const needless: SuppressedCode[] = [];
  for (const entry of suppression.codes) {
    if (!CODE.test(entry.code) || !ruleByCode(entry.code)) {
      reasons.push(`\`${entry.code}\` is not a rule code`);
      needless.push(entry);
    } else if (UNSUPPRESSIBLE.has(entry.code)) {
      reasons.push(`${entry.code} cannot be suppressed`);
      needless.push(entry);
    } else if (entry.code !== IW901 && !used.has(entry.code) && ruleEnabled(settings, entry.code)) {
      reasons.push(`${entry.code} is not reported ${suppression.scope === 'file' ? 'in this file' : 'on this line'}`);
      needless.push(entry);
    }
  }
  if (suppression.codes.length === 0) {
    return iw901(suppression, `Unused suppression: \`initwise: ${directive}[]\` lists no code.`, removeDirective(text, index, suppression));
  }
  if (needless.length === 0) return undefined;
  const stillNeeded = suppression.codes.filter((c) => !needless.includes(c)).map((c) => c.code);
  const fix: Fix =
    stillNeeded.length === 0
      ? removeDirective(text, index, suppression)
      : {
          title: `Remove ${needless.map((c) => c.code).join(', ')} from the suppression`,
          applicability: 'safe',
          edits: [{ span: suppression.listSpan!, newText: stillNeeded.join(', ') }],
        };
  return iw901(suppression, `Unused suppression: ${reasons.join('; ')}.`, fix);
}

function iw901(suppression: Suppression, message: string, fix: Fix): Finding {
  const meta = ruleByCode(IW901);
  return { code: IW901, severity: meta?.meta.defaultSeverity ?? 'info', span: suppression.span, message, fixes: [fix], related: [] };
}

/**
 * Removes the directive and the blanks before it; when nothing else is left on the
 * line (a comment line of its own), the whole line goes, line break included.
 */
function removeDirective(text: string, index: LineIndex, suppression: Suppression): Fix {
  const lineStart = index.lineStart(suppression.line);
  const lineEnd = index.lineEnd(suppression.line);
  let start = suppression.span.start;
  while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  const rest = text.slice(suppression.span.end, lineEnd);
  const title = 'Remove the unused suppression';
  if (start === lineStart && rest.trim() === '') {
    const nextLineStart = suppression.line + 1 < index.lineCount ? index.lineStart(suppression.line + 1) : lineEnd;
    return { title, applicability: 'safe', edits: [{ span: { start: lineStart, end: nextLineStart }, newText: '' }] };
  }
  return { title, applicability: 'safe', edits: [{ span: { start, end: suppression.span.end }, newText: '' }] };
}

/**
 * Adds "Suppress IWxxx on this line": extends the line's `ignore[...]` list when there
 * is one, else appends the comment. Display-only (Ruff's third applicability level): it
 * silences a finding rather than fixing it, so `--fix`, `--unsafe-fixes` and fix-all never
 * apply it; it is offered one finding at a time. Not offered where a comment would change
 * the code's meaning (a line ending in a `\` continuation) or for IW001/IW901.
 */
/**
 * The findings of a file with no suppression directive (no `initwise` in its text), each
 * with its "Suppress … on this line" fix: what applySuppressions does to them, for a caller
 * that hands findings out batch by batch and has checked the text once (analyze.ts).
 */
export function withSuppressFixes(text: string, index: LineIndex, findings: readonly Finding[]): Finding[] {
  return findings.map((f) => withSuppressFix(text, index, [], f));
}

function withSuppressFix(text: string, index: LineIndex, lineSuppressions: readonly Suppression[], finding: Finding): Finding {
  if (UNSUPPRESSIBLE.has(finding.code) || finding.code === IW901) return finding;
  const edit = suppressEdit(text, index, lineSuppressions, finding);
  if (!edit) return finding;
  const fix: Fix = { title: `Suppress ${finding.code} on this line`, applicability: 'display-only', edits: [edit] };
  return { ...finding, fixes: [...finding.fixes, fix] };
}

function suppressEdit(text: string, index: LineIndex, lineSuppressions: readonly Suppression[], finding: Finding): TextEdit | undefined {
  const list = lineSuppressions.find((s) => s.listSpan !== undefined);
  if (list?.listSpan && list.codes) {
    const separator = list.codes.length > 0 ? ', ' : '';
    const listEnd = list.codes.length > 0 ? list.codes[list.codes.length - 1]!.span.end : list.listSpan.end;
    return { span: { start: listEnd, end: listEnd }, newText: `${separator}${finding.code}` };
  }
  const line = index.positionAt(finding.span.start).line;
  const start = index.lineStart(line);
  const end = index.lineEnd(line);
  const content = text.slice(start, end);
  const trimmed = content.trimEnd();
  if (trimmed === '' || trimmed.endsWith('\\')) return undefined;
  return { span: { start: start + trimmed.length, end }, newText: `  # initwise: ignore[${finding.code}]` };
}
