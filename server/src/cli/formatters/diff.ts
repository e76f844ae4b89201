/**
 * What a fix would do, as a unified diff of the file before and after applying its
 * edits. The golden tests show every fix this way, and `--show-fixes` / `--diff` will
 * print the same thing.
 */
import type { TextEdit } from '../../core/findings';
import type { Style } from './style';
import { appendAll } from '../../core/util/arrays';

/**
 * Applies one fix's edits to the text. Returns undefined when edits overlap or fall
 * outside the text: such a fix is a bug in the rule, and it must be shown as one
 * rather than rendered as a plausible-looking diff.
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string | undefined {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    const { start, end } = edit.span;
    if (start < cursor || end < start || end > text.length) return undefined;
    out += text.slice(cursor, start) + edit.newText;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/**
 * Lines with their line breaks kept, so a change of line ending (or of the final
 * newline) is a change like any other, as in git.
 */
function splitLines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

type Kind = ' ' | '-' | '+';

interface Step {
  readonly kind: Kind;
  readonly text: string;
}

/** A step of the edit script with the number of old and new lines before it. */
interface Op extends Step {
  readonly oldLine: number;
  readonly newLine: number;
}

/**
 * Line-level edit script. Fixes touch a few lines, so after trimming the common prefix
 * and suffix the middle is tiny and a plain LCS table is both simple and fast; a huge
 * middle (never produced by a real fix) is shown as a replacement instead.
 */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;

  const steps: Step[] = [
    ...a.slice(0, prefix).map((text) => ({ kind: ' ' as const, text })),
    ...middleSteps(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix)),
    ...a.slice(a.length - suffix).map((text) => ({ kind: ' ' as const, text })),
  ];
  let oldLine = 0;
  let newLine = 0;
  return steps.map((step) => {
    const op = { ...step, oldLine, newLine };
    if (step.kind !== '+') oldLine++;
    if (step.kind !== '-') newLine++;
    return op;
  });
}

function middleSteps(a: readonly string[], b: readonly string[]): Step[] {
  const removed = (text: string): Step => ({ kind: '-', text });
  const added = (text: string): Step => ({ kind: '+', text });
  if (a.length * b.length > 1_000_000) return [...a.map(removed), ...b.map(added)];

  // lcs[i][j] = length of the longest common subsequence of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const steps: Step[] = [];
  // Within a run of changes, deletions come before insertions, as in every diff tool.
  let pendingAdded: Step[] = [];
  const flush = () => {
    appendAll(steps, pendingAdded);
    pendingAdded = [];
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      flush();
      steps.push({ kind: ' ', text: a[i]! });
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      pendingAdded.push(added(b[j]!));
      j++;
    } else {
      steps.push(removed(a[i]!));
      i++;
    }
  }
  flush();
  return steps;
}

/**
 * A unified diff (`--- a/PATH`, `+++ b/PATH`, `@@ -l,n +l,n @@` hunks with `context`
 * lines around each change). Empty when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, path: string, style: Style, context = 3): string {
  const ops = diffLines(splitLines(before), splitLines(after));
  const hunks: [number, number][] = [];
  ops.forEach((op, k) => {
    if (op.kind === ' ') return;
    const from = Math.max(0, k - context);
    const to = Math.min(ops.length, k + context + 1);
    const last = hunks[hunks.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else hunks.push([from, to]);
  });
  if (hunks.length === 0) return '';

  const out = [style.bold(`--- a/${path}`), style.bold(`+++ b/${path}`)];
  for (const [from, to] of hunks) {
    const slice = ops.slice(from, to);
    const oldCount = slice.filter((op) => op.kind !== '+').length;
    const newCount = slice.filter((op) => op.kind !== '-').length;
    const first = slice[0]!;
    // Unified-diff convention: a side with no lines names the line before the hunk.
    const oldStart = oldCount === 0 ? first.oldLine : first.oldLine + 1;
    const newStart = newCount === 0 ? first.newLine : first.newLine + 1;
    out.push(style.hunk(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`));
    for (const op of slice) {
      const content = op.text.replace(/\r?\n$|\r$/, '');
      const paint = op.kind === '+' ? style.added : op.kind === '-' ? style.removed : (s: string) => s;
      out.push(paint(`${op.kind}${content}`));
      if (content === op.text) out.push('\\ No newline at end of file');
    }
  }
  return out.join('\n');
}
