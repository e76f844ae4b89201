/**
 * A cursor over the token list, and the vocabulary the parsers share: how tokens read
 * in messages, and the error that aborts the rest of a line.
 */
import type { Span } from '../../text';
import type { Name } from './ast';
import type { Token } from './lexer';
import { quoteSnippet } from './snippet';

/** A syntax error inside one line: caught at the statement, which then skips the rest of its line. */
export class LineError extends Error {
  constructor(readonly span: Span, message: string) {
    super(message);
  }
}

export class TokenCursor {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  /** Index of the next token. */
  get position(): number {
    return this.index;
  }

  /** The token `offset` places ahead; the final `eof` once past the end. */
  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  advance(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  /** The token just consumed, if any. */
  previous(): Token | undefined {
    return this.index > 0 ? this.tokens[this.index - 1] : undefined;
  }

  /** True when the token at `index` starts its line. */
  firstOnLine(index: number): boolean {
    return index === 0 || this.tokens[index - 1]!.kind === 'newline';
  }

  skipNewlines(): void {
    while (this.peek().kind === 'newline') this.index++;
  }
}

export function nameOf(token: Token): Name {
  return { text: token.text, lower: token.text.toLowerCase(), span: { start: token.start, end: token.end } };
}

export function spanOf(token: Token): Span {
  return { start: token.start, end: token.end };
}

export function describe(token: Token): string {
  switch (token.kind) {
    case 'newline':
      return 'the end of the line';
    case 'eof':
      return 'the end of the file';
    case 'string':
      return `the quoted text ${quoteSnippet(token.text)}`;
    default:
      return quoteSnippet(token.text);
  }
}

export function isLineEnd(token: Token): boolean {
  return token.kind === 'newline' || token.kind === 'eof';
}

export function startsValue(token: Token): boolean {
  switch (token.kind) {
    case 'number': case 'dims': case 'string': case 'ident': case 'lparen': case 'plus': case 'minus': case 'bad':
      return true;
    default:
      return false;
  }
}
