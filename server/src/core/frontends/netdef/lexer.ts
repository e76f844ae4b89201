/**
 * Splits .netdef source into tokens in one linear pass. Comments and blanks vanish;
 * line breaks stay, because a line ends a statement. The lexer never fails: anything it
 * cannot classify becomes a `bad` token carrying the reason, and the parser reports it
 * in the same place as every other syntax error.
 */
import { quoteSnippet } from './snippet';

export type TokenKind =
  | 'ident' // relu, dense, fan_in
  | 'number' // 64, 0.5, 1e-3
  | 'dims' // 3x32x32 (shapes, kernels)
  | 'string' // 'relu' (not part of the language; read so the error can say "drop the quotes")
  | 'lbrace' | 'rbrace' | 'lparen' | 'rparen'
  | 'equals' | 'comma' | 'plus' | 'minus' | 'star' | 'slash'
  | 'newline'
  | 'bad'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  /** The source text of the token (for `string`: the text between the quotes). */
  readonly text: string;
  /** For `bad` tokens: what is wrong, phrased for the user. */
  readonly problem?: string;
}

const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  '{': 'lbrace', '}': 'rbrace', '(': 'lparen', ')': 'rparen', '=': 'equals', ',': 'comma',
  '+': 'plus', '-': 'minus', '*': 'star', '/': 'slash',
};

const NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DIMS = /^\d+(?:[xX]\d+)+$/;
const MANTISSA_THEN_E = /^(?:\d+\.?\d*|\.\d+)[eE]$/;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** Spaces the language ignores: ASCII blanks, NBSP and a byte-order mark. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;
}

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13;
}

/** Characters that start some token; a run of anything else is one `bad` token. */
function startsToken(c: number): boolean {
  return isIdentPart(c) || c === 46 /* . */ || c === 35 /* # */ || c === 39 || c === 34 || isBlank(c) || isLineBreak(c) ||
    PUNCTUATION[String.fromCharCode(c)] !== undefined;
}

/** Every token of `text`, the last one `eof`. */
export function lex(text: string): Token[] {
  const lexer = new Lexer(text);
  const tokens: Token[] = [];
  for (let token = lexer.next(); ; token = lexer.next()) {
    tokens.push(token);
    if (token.kind === 'eof') return tokens;
  }
}

/**
 * Tokens one at a time, so the parser holds a few of them rather than all: a 20 MB file
 * has 4.5 million tokens, 370 MB as objects (issue 12). After `eof`, `eof` again.
 */
export class Lexer {
  private i = 0;
  /** Tokens of the last step not handed out yet (a step yields at most one). */
  private readonly queue: Token[] = [];

  constructor(private readonly text: string) {}

  next(): Token {
    while (this.queue.length === 0) this.step();
    return this.queue.pop()!;
  }

  private step(): void {
    const text = this.text;
    const tokens = this.queue;
    const length = text.length;
    let i = this.i;
    if (i >= length) {
      tokens.push({ kind: 'eof', start: length, end: length, text: '' });
      return;
    }
    const c = text.charCodeAt(i);
    if (isBlank(c)) {
      while (i < length && isBlank(text.charCodeAt(i))) i++;
    } else if (c === 35 /* # */) {
      while (i < length && !isLineBreak(text.charCodeAt(i))) i++;
    } else if (isLineBreak(c)) {
      const end = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
      tokens.push({ kind: 'newline', start: i, end, text: text.slice(i, end) });
      i = end;
    } else if (isIdentStart(c)) {
      const start = i;
      while (i < length && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', start, end: i, text: text.slice(start, i) });
    } else if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      i = lexNumberLike(text, i, tokens);
    } else if (c === 39 || c === 34) {
      i = lexString(text, i, tokens);
    } else {
      const kind = PUNCTUATION[text[i]!];
      if (kind !== undefined) {
        tokens.push({ kind, start: i, end: i + 1, text: text[i]! });
        i++;
      } else {
        const start = i;
        i++;
        while (i < length && !startsToken(text.charCodeAt(i))) i++;
        const run = text.slice(start, i);
        tokens.push({ kind: 'bad', start, end: i, text: run, problem: `unexpected ${quoteSnippet(run)}` });
      }
    }
    this.i = i;
  }
}

/**
 * A number, a shape (`3x32x32`) or a malformed mix of both. The whole run of letters,
 * digits and dots is taken at once, so `3x` or `1.2.3` is one error rather than a number
 * followed by a confusing name.
 */
function lexNumberLike(text: string, start: number, tokens: Token[]): number {
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isIdentPart(c) || c === 46) {
      i++;
    } else if ((c === 43 || c === 45) && (text.charCodeAt(i - 1) | 32) === 101 && MANTISSA_THEN_E.test(text.slice(start, i))) {
      // The sign of an exponent: 1e-3. Checked only right after an `e`; once a sign is in
      // the run the pattern cannot match again, so a run is rescanned at most once.
      i++;
    } else {
      break;
    }
  }
  const run = text.slice(start, i);
  if (NUMBER.test(run)) {
    tokens.push({ kind: 'number', start, end: i, text: run });
  } else if (DIMS.test(run)) {
    tokens.push({ kind: 'dims', start, end: i, text: run });
  } else {
    const problem = /^\d+[xX]/.test(run)
      ? `malformed shape ${quoteSnippet(run)}: write sizes separated by 'x', like 3x32x32`
      : `malformed number ${quoteSnippet(run)}`;
    tokens.push({ kind: 'bad', start, end: i, text: run, problem });
  }
  return i;
}

/** A quoted name; it ends at the matching quote or, unterminated, at the end of the line. */
function lexString(text: string, start: number, tokens: Token[]): number {
  const quote = text.charCodeAt(start);
  let i = start + 1;
  while (i < text.length && text.charCodeAt(i) !== quote && !isLineBreak(text.charCodeAt(i))) i++;
  if (i < text.length && text.charCodeAt(i) === quote) {
    tokens.push({ kind: 'string', start, end: i + 1, text: text.slice(start + 1, i) });
    return i + 1;
  }
  tokens.push({ kind: 'bad', start, end: i, text: text.slice(start, i), problem: 'unterminated quoted text' });
  return i;
}
