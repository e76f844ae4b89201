/**
 * IPython syntax in a code cell, masked so the Python parser sees valid Python with
 * every offset unchanged: line magics (`%matplotlib inline`), shell escapes (`!pip
 * install torch`), their assignment forms (`files = !ls`, `t = %timeit -o f()`), help
 * (`model?`, `??nn.Linear`) and cell magics (`%%time` on the first line). A masked line
 * keeps its length and line breaks: its first character becomes `0` (an expression
 * statement, valid at any indentation, so a block whose only line is a magic still has
 * a body) and the rest spaces. A cell magic whose body is not Python (`%%bash`,
 * `%%writefile`, `%%html`, …) masks the whole cell; those whose body is Python
 * (`%%time`, `%%timeit`, `%%capture`, …) mask only their own line.
 *
 * Magics are recognised only where a statement starts: not inside strings (a
 * docstring line starting with `%` stays), brackets, or after a backslash continuation,
 * which a small scan of quotes, comments and brackets decides.
 */
import type { Span } from '../text';

/** Cell magics that run their body as Python (IPython's own execution magics). */
const PYTHON_BODY_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'python', 'python3', 'pypy', 'autosave']);

export interface MaskedCell {
  /** Same length as the source; IPython syntax replaced as described above. */
  readonly text: string;
  /** Where the source was masked (a fix must not edit there). */
  readonly masked: readonly Span[];
}

/** `name = !cmd`, `a, b = %magic …`: the magic starts after the `=`. */
const ASSIGNED_MAGIC = /^[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*(?=[%!])/;
/** `obj?`, `obj.attr??`: help on a name. */
const TRAILING_HELP = /^[A-Za-z_][\w.]*\?\??\s*$/;

/**
 * `pythonBodyMagics`: cell magics the notebook registered itself that run their body as Python
 * (registeredMagics.ts), beside IPython's own.
 */
export function maskMagics(source: string, pythonBodyMagics: ReadonlySet<string> = new Set()): MaskedCell {
  const starts = statementStarts(source);
  const masked: Span[] = [];
  const firstCode = starts.find((start) => !/^\s*(#|$)/.test(lineAt(source, start)));
  if (firstCode !== undefined && source.startsWith('%%', firstCode)) {
    const name = /^%%([\w.]*)/.exec(source.slice(firstCode))![1]!;
    if (!PYTHON_BODY_CELL_MAGICS.has(name) && !pythonBodyMagics.has(name)) {
      // The body is another language: nothing of this cell is Python.
      return { text: source.replace(/[^\r\n]/g, ' '), masked: source.length > 0 ? [{ start: 0, end: source.length }] : [] };
    }
  }
  for (const start of starts) {
    const from = magicStart(source, start);
    if (from !== undefined) masked.push({ start: from, end: logicalLineEnd(source, from) });
  }
  if (masked.length === 0) return { text: source, masked };
  let text = '';
  let at = 0;
  for (const span of masked) {
    text += source.slice(at, span.start) + '0' + source.slice(span.start + 1, span.end).replace(/[^\r\n]/g, ' ');
    at = span.end;
  }
  return { text: text + source.slice(at), masked };
}

/** Where the IPython syntax of the statement starting at `start` begins; undefined for Python. */
function magicStart(source: string, start: number): number | undefined {
  const line = lineAt(source, start);
  if (/^[%!?]/.test(line) || TRAILING_HELP.test(line)) return start;
  const assigned = ASSIGNED_MAGIC.exec(line);
  return assigned ? start + assigned[0].length : undefined;
}

/** The text of the physical line from `start` to its line break. */
function lineAt(source: string, start: number): string {
  const end = source.indexOf('\n', start);
  return source.slice(start, end < 0 ? source.length : end).replace(/\r$/, '');
}

/** End of the line at `from`, continued over lines that end with a backslash (magics may continue so). */
function logicalLineEnd(source: string, from: number): number {
  let end = from;
  for (;;) {
    const newline = source.indexOf('\n', end);
    if (newline < 0) return source.length;
    const lineEnd = source.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
    if (source.charCodeAt(lineEnd - 1) !== 92 /* \ */) return lineEnd;
    end = newline + 1;
  }
}

/**
 * Offsets of the first non-blank character of every line that starts a statement:
 * not inside a string, brackets, or the continuation of a line ending in a backslash.
 */
function statementStarts(source: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let quote = '';
  let continued = false;
  let atLineStart = true;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (source.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = '';
      } else if (c === '\n' && quote.length === 1) quote = ''; // an unterminated one-line string ends at the line break
      continue;
    }
    if (atLineStart) {
      if (c === ' ' || c === '\t' || c === '\f') continue;
      atLineStart = false;
      if (depth === 0 && !continued && c !== '\n' && c !== '\r') {
        starts.push(i);
        // A magic's quotes and brackets are not Python's: skip to its end.
        const from = magicStart(source, i);
        if (from !== undefined) {
          i = logicalLineEnd(source, from) - 1;
          continue;
        }
      }
      continued = false;
    }
    if (c === '\n') {
      atLineStart = true;
    } else if (c === '#') {
      const newline = source.indexOf('\n', i);
      i = (newline < 0 ? source.length : newline) - 1;
    } else if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      continued = true;
    } else if (c === '"' || c === "'") {
      quote = source.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
    } else if (c === '(' || c === '[' || c === '{') {
      depth++;
    } else if ((c === ')' || c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return starts;
}
