/**
 * The source excerpt under a diagnostic: the affected line(s) with carets under the
 * range. Offsets are UTF-16 (as the engine and LSP count) but carets must line up on a
 * terminal, so each line is mapped to display columns: tabs expand to the next stop,
 * a surrogate pair is one character, East Asian wide characters and most emoji take two
 * cells, combining marks none.
 */
import { LineIndex, type Span } from '../../core/text';
import type { Style } from './style';

const TAB_WIDTH = 4;
/** Longer ranges show their first and last lines around an ellipsis. */
const MAX_LINES = 4;
/**
 * A line longer than this (UTF-16 units) is shown as a window around the range, with `…`
 * where it is cut, as rustc and Ruff do: each finding's excerpt then costs the same on a
 * 64 KB line as on a short one (issue 12: a line with 4,000 findings was printed 4,000
 * times in full, 384 MB).
 */
const LONG_LINE = 160;
/** Source shown on each side of the range in a window. */
const WINDOW_CONTEXT = 40;
/** The most of the range itself a window shows; a longer range is cut after this. */
const WINDOW_RANGE = 80;
const ELLIPSIS = '\u2026';

interface DisplayLine {
  readonly text: string;
  /** Display column of each UTF-16 index of the source line (length + 1 entries). */
  readonly columns: readonly number[];
}

export function toDisplayLine(line: string): DisplayLine {
  let text = '';
  const columns: number[] = [];
  let column = 0;
  let i = 0;
  while (i < line.length) {
    const codePoint = line.codePointAt(i)!;
    const units = codePoint > 0xffff ? 2 : 1;
    for (let k = 0; k < units; k++) columns.push(column);
    if (codePoint === 9) {
      const width = TAB_WIDTH - (column % TAB_WIDTH);
      text += ' '.repeat(width);
      column += width;
    } else if (codePoint < 0x20 || codePoint === 0x7f) {
      text += '\ufffd';
      column += 1;
    } else {
      const char = String.fromCodePoint(codePoint);
      text += char;
      column += cellWidth(codePoint, char);
    }
    i += units;
  }
  columns.push(column);
  return { text, columns };
}

const COMBINING = /^\p{M}$/u;

function cellWidth(codePoint: number, char: string): number {
  if (COMBINING.test(char) || codePoint === 0x200b || codePoint === 0x200d) return 0;
  return isWide(codePoint) ? 2 : 1;
}

/** The common East Asian Wide / Fullwidth blocks and the emoji planes. */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/**
 * Renders the excerpt as gutter lines:
 * ```
 *   |
 * 5 |   dense 512 activation=relu init=glorot_uniform
 *   |                                  ^^^^^^^^^^^^^^
 * ```
 */
export function renderExcerpt(text: string, index: LineIndex, range: Span, style: Style, caretStyle: (s: string) => string): string[] {
  return excerptWithGutter(text, index, range, style, caretStyle).lines;
}

/** The excerpt lines and the width of the line-number gutter, so notes below can line up with its bar. */
export function excerptWithGutter(
  text: string,
  index: LineIndex,
  range: Span,
  style: Style,
  caretStyle: (s: string) => string,
): { readonly lines: string[]; readonly gutterWidth: number } {
  const start = index.positionAt(range.start);
  let end = index.positionAt(Math.max(range.start, range.end));
  // A range that stops at the very start of a line ends on the line before it.
  if (end.line > start.line && end.character === 0) {
    end = { line: end.line - 1, character: index.lineEnd(end.line - 1) - index.lineStart(end.line - 1) };
  }

  const lineNumbers: (number | 'gap')[] = [];
  const count = end.line - start.line + 1;
  if (count <= MAX_LINES) {
    for (let line = start.line; line <= end.line; line++) lineNumbers.push(line);
  } else {
    const half = MAX_LINES / 2;
    for (let k = 0; k < half; k++) lineNumbers.push(start.line + k);
    lineNumbers.push('gap');
    for (let k = half - 1; k >= 0; k--) lineNumbers.push(end.line - k);
  }

  const width = String(end.line + 1).length;
  const gutter = (label: string) => style.dim(`${label.padStart(width)} |`);
  const out = [gutter('')];
  for (const line of lineNumbers) {
    if (line === 'gap') {
      out.push(style.dim(`${' '.repeat(width)} :`));
      continue;
    }
    const lineStart = index.lineStart(line);
    const lineLength = index.lineEnd(line) - lineStart;
    const from = Math.min(line === start.line ? start.character : firstNonBlank(text, lineStart, lineLength), lineLength);
    const to = Math.min(line === end.line ? end.character : lineLength, lineLength);
    const shown = windowOf(text, lineStart, lineLength, from, to);
    const display = toDisplayLine(text.slice(lineStart + shown.start, lineStart + shown.end));
    const lead = shown.start > 0 ? ELLIPSIS : '';
    const tail = shown.end < lineLength ? ELLIPSIS : '';
    const body = display.text === '' && lead === '' && tail === '' ? '' : `${lead}${display.text}${tail}`;
    out.push(body === '' ? gutter(String(line + 1)) : `${gutter(String(line + 1))} ${body}`);

    // Display columns of the range inside the window (the lead ellipsis takes one cell).
    const column = (offset: number) => lead.length + display.columns[Math.max(0, Math.min(offset, shown.end) - shown.start)]!;
    const caretFrom = column(from);
    const caretTo = column(to);
    const caretCount = caretTo - caretFrom;
    if (caretCount > 0 || count === 1) {
      out.push(`${gutter('')} ${' '.repeat(caretFrom)}${caretStyle('^'.repeat(Math.max(1, caretCount)))}`);
    }
  }
  return { lines: out, gutterWidth: width };
}

/** The first non-blank column of a line (its length when blank), without copying the line. */
function firstNonBlank(text: string, lineStart: number, lineLength: number): number {
  for (let i = 0; i < lineLength; i++) {
    const c = text.charCodeAt(lineStart + i);
    if (c !== 32 && c !== 9 && c !== 12) return i;
  }
  return lineLength;
}

/**
 * The part [start, end) of a line (offsets within it) an excerpt shows: all of a short
 * line; of a long one, the range (at most WINDOW_RANGE of it) with WINDOW_CONTEXT either
 * side, never splitting a surrogate pair.
 */
function windowOf(text: string, lineStart: number, lineLength: number, from: number, to: number): Span {
  if (lineLength <= LONG_LINE) return { start: 0, end: lineLength };
  let start = Math.max(0, from - WINDOW_CONTEXT);
  let end = Math.min(lineLength, Math.min(to, from + WINDOW_RANGE) + WINDOW_CONTEXT);
  if (start > 0 && isLowSurrogate(text.charCodeAt(lineStart + start))) start--;
  if (end < lineLength && isLowSurrogate(text.charCodeAt(lineStart + end))) end++;
  return { start, end };
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
