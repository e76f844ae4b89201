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

/**
 * The parser's view of the tokens: the next ones, and the two before. Tokens are pulled
 * from the lexer as they are needed and dropped once behind, so the parser holds a few
 * dozen of them whatever the file's length (issue 12: all 4.5 million tokens of a 20 MB
 * file were 370 MB).
 */
export class TokenCursor {
  private index = 0;
  /** Tokens from index `base` on; those further behind than KEEP_BEHIND are dropped. */
  private window: Token[] = [];
  private base = 0;
  private readonly lexer: { next(): Token };

  constructor(tokens: readonly Token[] | { next(): Token }) {
    if (Array.isArray(tokens)) {
      const list = tokens as readonly Token[];
      let i = 0;
      this.lexer = { next: () => list[Math.min(i++, list.length - 1)]! };
    } else {
      this.lexer = tokens as { next(): Token };
    }
  }

  /** Index of the next token. */
  get position(): number {
    return this.index;
  }

  private at(index: number): Token {
    while (index - this.base >= this.window.length) this.window.push(this.lexer.next());
    return this.window[index - this.base]!;
  }

  /** The token `offset` places ahead; the final `eof` once past the end. */
  peek(offset = 0): Token {
    return this.at(this.index + offset);
  }

  advance(): Token {
    const token = this.peek();
    if (token.kind !== 'eof') {
      this.index++;
      // Drop what lies well behind, in batches (amortised O(1) per token).
      if (this.index - this.base > 2 * KEEP_BEHIND + 64) {
        const drop = this.index - this.base - KEEP_BEHIND;
        this.window = this.window.slice(drop);
        this.base += drop;
      }
    }
    return token;
  }

  /** The token just consumed, if any. */
  previous(): Token | undefined {
    return this.index > 0 ? this.at(this.index - 1) : undefined;
  }

  /** True when the token at `index` (at most KEEP_BEHIND behind the cursor) starts its line. */
  firstOnLine(index: number): boolean {
    return index === 0 || this.at(index - 1).kind === 'newline';
  }

  skipNewlines(): void {
    while (this.peek().kind === 'newline') this.advance();
  }
}

/** How many consumed tokens stay readable (the parser looks back at most two). */
const KEEP_BEHIND = 4;

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
