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
    const source = text.slice(index.lineStart(line), index.lineEnd(line));
    const display = toDisplayLine(source);
    out.push(display.text === '' ? gutter(String(line + 1)) : `${gutter(String(line + 1))} ${display.text}`);

    const from = line === start.line ? start.character : firstNonBlank(source);
    const to = line === end.line ? end.character : source.length;
    const caretFrom = display.columns[Math.min(from, source.length)]!;
    const caretTo = display.columns[Math.min(to, source.length)]!;
    const caretCount = caretTo - caretFrom;
    if (caretCount > 0 || count === 1) {
      out.push(`${gutter('')} ${' '.repeat(caretFrom)}${caretStyle('^'.repeat(Math.max(1, caretCount)))}`);
    }
  }
  return { lines: out, gutterWidth: width };
}

function firstNonBlank(line: string): number {
  const match = /\S/.exec(line);
  return match ? match.index : line.length;
}
