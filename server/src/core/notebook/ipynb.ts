/**
 * Reads a Jupyter notebook file (nbformat 4) without building its JSON tree: one pass
 * over the text validates the JSON and records only what InitWise needs (each cell's
 * type and the exact range of its `source` value, the notebook's language). Every other
 * string (base64 images, HTML outputs) is skipped with `indexOf('"')`, never decoded or
 * copied, so 50 MB of outputs cost a few milliseconds (bench/notebook.ts), and the
 * ranges let fixes splice new sources into the file without touching anything else
 * (splice.ts). Ruff reads notebooks with a full serde model and re-serialises them;
 * InitWise keeps the user's bytes instead.
 *
 * Strings that are skipped are checked for a closing quote only: a raw control
 * character inside an output string (which JSON forbids) is not reported. Strings that
 * are read (sources, cell types, the language) are decoded by JSON.parse and so fully
 * validated.
 */

/** One JSON string of the file: [start, end) includes its quotes; `value` is decoded. */
export interface JsonStringSlice {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

/** A cell's `source`: one string, or (as Jupyter writes it) a list of lines. */
export interface CellSourceValue {
  readonly shape: 'string' | 'lines';
  /** [start, end) of the whole JSON value in the file (the string, or the array with its brackets). */
  readonly start: number;
  readonly end: number;
  /** The strings of the value: one for `string`, one per element for `lines`. */
  readonly parts: readonly JsonStringSlice[];
  /** The cell's text: the parts joined. */
  readonly text: string;
}

export interface NotebookCellRecord {
  /** `code`, `markdown`, `raw`, or whatever the file says; undefined when absent. */
  readonly cellType: string | undefined;
  readonly source: CellSourceValue | undefined;
  /** Offset of the cell object's `{`, for messages. */
  readonly start: number;
}

export interface ParsedNotebook {
  readonly nbformat: number;
  /** `metadata.kernelspec.language`, else `metadata.language_info.name`; undefined when neither is given. */
  readonly language: string | undefined;
  readonly cells: readonly NotebookCellRecord[];
}

export interface NotebookError {
  readonly message: string;
  /** UTF-16 offset into the text, and its 1-based line and column. */
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export type NotebookParse = { readonly ok: true; readonly notebook: ParsedNotebook } | { readonly ok: false; readonly error: NotebookError };

/** Deeper nesting than any notebook has; bounds the recursion on hostile input. */
const MAX_DEPTH = 512;

class ScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(message: string, offset = this.pos): never {
    throw new ScanError(message, offset);
  }

  ws(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    this.pos = p;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  expect(char: string, what: string): void {
    this.ws();
    if (this.text[this.pos] !== char) this.fail(this.pos >= this.text.length ? `unexpected end of file, expected ${what}` : `expected ${what}`);
    this.pos++;
  }

  /** Skips a string without decoding it: the closing quote is the first one not escaped. */
  skipString(): void {
    const t = this.text;
    const start = this.pos;
    let p = start + 1;
    for (;;) {
      const q = t.indexOf('"', p);
      if (q < 0) this.fail('unterminated string', start);
      let backslashes = 0;
      for (let k = q - 1; t.charCodeAt(k) === 92; k--) backslashes++;
      p = q + 1;
      if (backslashes % 2 === 0) break;
    }
    this.pos = p;
  }

  readString(): JsonStringSlice {
    this.ws();
    const start = this.pos;
    if (this.text[start] !== '"') this.fail(start >= this.text.length ? 'unexpected end of file, expected a string' : 'expected a string');
    this.skipString();
    const end = this.pos;
    let value: unknown;
    try {
      value = JSON.parse(this.text.slice(start, end));
    } catch {
      this.fail('invalid string (a raw control character or a bad escape)', start);
    }
    return { start, end, value: value as string };
  }

  skipValue(depth: number): void {
    this.ws();
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    const c = this.peek();
    if (c === '"') return this.skipString();
    if (c === '{') {
      this.object(depth, () => this.skipValue(depth + 1));
      return;
    }
    if (c === '[') {
      this.array(depth, () => this.skipValue(depth + 1));
      return;
    }
    this.scalar();
  }

  /** A number, true, false or null; returns the number (or undefined for the literals). */
  scalar(): number | undefined {
    const t = this.text;
    for (const literal of ['true', 'false', 'null']) {
      if (t.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return undefined;
      }
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(t);
    if (!match) this.fail(this.pos >= t.length ? 'unexpected end of file, expected a value' : 'expected a value');
    this.pos += match[0].length;
    return Number(match[0]);
  }

  /** `{ "key": value, … }`: `member` reads each value, positioned after the colon. */
  object(depth: number, member: (key: string) => void): void {
    this.expect('{', '{');
    this.ws();
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      const key = this.readString().value;
      this.expect(':', "':' after the key");
      if (depth + 1 > MAX_DEPTH) this.fail('nested too deeply');
      member(key);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === '}') return;
      if (c !== ',') this.fail(c === '' ? "unexpected end of file, expected ',' or '}'" : "expected ',' or '}'", this.pos - 1);
    }
  }

  array(depth: number, element: (index: number) => void): void {
    this.expect('[', '[');
    this.ws();
    if (this.peek() === ']') {
      this.pos++;
      return;
    }
    for (let i = 0; ; i++) {
      if (depth + 1 > MAX_DEPTH) this.fail('nested too deeply');
      element(i);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c === ']') return;
      if (c !== ',') this.fail(c === '' ? "unexpected end of file, expected ',' or ']'" : "expected ',' or ']'", this.pos - 1);
    }
  }

  kind(): 'object' | 'array' | 'string' | 'other' {
    this.ws();
    const c = this.peek();
    return c === '{' ? 'object' : c === '[' ? 'array' : c === '"' ? 'string' : 'other';
  }
}

/** Reads a notebook. Never throws: bad JSON or a non-nbformat-4 file is an error with its place. */
export function parseNotebook(text: string): NotebookParse {
  const scanner = new Scanner(text);
  try {
    const notebook = readNotebook(scanner);
    return { ok: true, notebook };
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    return { ok: false, error: locate(text, error.message, error.offset) };
  }
}

function readNotebook(s: Scanner): ParsedNotebook {
  // A byte-order mark is not JSON, but editors write it; it is kept in the file untouched.
  if (s.text.charCodeAt(0) === 0xfeff) s.pos = 1;
  if (s.kind() !== 'object') s.fail(s.pos >= s.text.length ? 'the file is empty' : 'a notebook is a JSON object');
  let nbformat: number | undefined;
  let nbformatAt = -1;
  let cells: NotebookCellRecord[] | undefined;
  let kernelLanguage: string | undefined;
  let infoLanguage: string | undefined;
  s.object(0, (key) => {
    if (key === 'nbformat') {
      s.ws();
      nbformatAt = s.pos;
      nbformat = s.kind() === 'other' ? s.scalar() : (s.skipValue(1), undefined);
    } else if (key === 'cells') {
      if (s.kind() !== 'array') s.fail('"cells" must be a list');
      cells = [];
      const list = cells;
      s.array(1, () => list.push(readCell(s)));
    } else if (key === 'metadata' && s.kind() === 'object') {
      s.object(1, (metaKey) => {
        if ((metaKey === 'kernelspec' || metaKey === 'language_info') && s.kind() === 'object') {
          s.object(2, (k) => {
            const wanted = metaKey === 'kernelspec' ? 'language' : 'name';
            if (k === wanted && s.kind() === 'string') {
              const value = s.readString().value;
              if (metaKey === 'kernelspec') kernelLanguage = value;
              else infoLanguage = value;
            } else {
              s.skipValue(3);
            }
          });
        } else {
          s.skipValue(2);
        }
      });
    } else {
      s.skipValue(1);
    }
  });
  s.ws();
  if (s.pos < s.text.length) s.fail('unexpected text after the notebook object');
  if (nbformat === undefined) {
    s.fail(nbformatAt < 0 ? 'not a Jupyter notebook: no "nbformat" field' : '"nbformat" must be a number', Math.max(0, nbformatAt));
  }
  if (nbformat !== 4) {
    s.fail(`nbformat ${nbformat} is not supported: InitWise reads nbformat 4 notebooks (open and save it in Jupyter to convert)`, nbformatAt);
  }
  if (cells === undefined) s.fail('not an nbformat 4 notebook: no "cells" list', 0);
  return { nbformat, language: kernelLanguage ?? infoLanguage, cells };
}

function readCell(s: Scanner): NotebookCellRecord {
  if (s.kind() !== 'object') s.fail('each cell must be an object');
  const start = s.pos;
  let cellType: string | undefined;
  let source: CellSourceValue | undefined;
  s.object(2, (key) => {
    if (key === 'cell_type') {
      if (s.kind() !== 'string') s.fail('"cell_type" must be a string');
      cellType = s.readString().value;
    } else if (key === 'source') {
      source = readSource(s);
    } else {
      s.skipValue(3);
    }
  });
  return { cellType, source, start };
}

function readSource(s: Scanner): CellSourceValue {
  const kind = s.kind();
  const start = s.pos;
  if (kind === 'string') {
    const part = s.readString();
    return { shape: 'string', start, end: part.end, parts: [part], text: part.value };
  }
  if (kind !== 'array') s.fail('"source" must be a string or a list of strings');
  const parts: JsonStringSlice[] = [];
  s.array(3, () => {
    if (s.kind() !== 'string') s.fail('"source" must be a string or a list of strings');
    parts.push(s.readString());
  });
  return { shape: 'lines', start, end: s.pos, parts, text: parts.map((p) => p.value).join('') };
}

/** 1-based line and UTF-16 column of an offset, computed only for the one error. */
function locate(text: string, message: string, offset: number): NotebookError {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < clamped; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { message, offset: clamped, line, column: clamped - lineStart + 1 };
}
