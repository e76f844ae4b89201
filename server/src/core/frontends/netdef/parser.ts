/**
 * Builds the syntax tree of a .netdef file. A line is a statement; braces open and close
 * blocks. Recovery is the point of this file: one syntax error per line is reported and
 * the rest of that line skipped, every other line is still read, and missing or stray
 * braces are matched up the way the user most likely meant. The parser keeps blocks on
 * an explicit stack and bounds expression depth, so no input can overflow the call
 * stack, and it touches each token a constant number of times.
 */
import { LineIndex, type Span } from '../../text';
import { runToEnd, type Steps } from '../../steps';
import type { Block, FileAst, OptionAst, Statement } from './ast';
import { parseExpression } from './expressions';
import { Lexer, type Token } from './lexer';
import { quoteSnippet } from './snippet';
import { describe, isLineEnd, LineError, nameOf, spanOf, startsValue, TokenCursor } from './tokenCursor';

/** Blocks (repeat, residual) may nest this deep inside a network; deeper ones are reported and skipped. */
export const MAX_BLOCK_DEPTH = 32;

/** Keywords whose statement owns a `{ … }` block. */
export const BLOCK_KEYWORDS: ReadonlySet<string> = new Set(['network', 'repeat', 'residual', 'memory']);

export interface SyntaxProblem {
  readonly span: Span;
  readonly message: string;
}

export interface ParseResult {
  readonly file: FileAst;
  readonly problems: readonly SyntaxProblem[];
  readonly lines: LineIndex;
}

export interface ParseOptions {
  readonly lines?: LineIndex;
  /**
   * Each network as soon as it is complete (when the next one starts, or at the end):
   * it is then not kept, and `file.networks` holds none, so a caller that lowers and
   * judges each one at once holds one network's syntax at a time. `problems` are all
   * problems so far; those of this network are among them.
   */
  readonly onNetwork?: (network: Statement, problems: readonly SyntaxProblem[], readTo: number) => void;
}

export function parseSyntax(text: string, options: ParseOptions = {}): ParseResult {
  return runToEnd(parseSyntaxSteps(text, options));
}

/** parseSyntax in steps: a yield after each network handed to `onNetwork` (core/steps.ts). */
export function parseSyntaxSteps(text: string, options: ParseOptions = {}): Steps<ParseResult> {
  return new Parser(text, options).parseFile();
}

interface Frame {
  readonly owner: Statement;
  readonly block: Block;
  /** Indentation of the line that opened the block, for guessing where a `}` went missing. */
  readonly headerIndent: number;
  readonly isNetwork: boolean;
  /** The block of a line that is itself an error (outside a network): matched, never analysed or reported again. */
  readonly orphan: boolean;
  /** The `{` was missing and the block opened anyway (network headers): already reported. */
  implicit: boolean;
}

/** A block whose `}` sits left of the line that opened it: the likeliest place a `}` is missing. */
interface Misindented {
  readonly openStart: number;
  readonly keywordSpan: Span;
  readonly keyword: string;
  readonly closeLine: number;
}

/** A block keyword written without `{`; a `{` alone on the next line completes it. */
interface PendingBrace {
  readonly statement: Statement;
  readonly problemIndex: number;
  readonly frame: Frame | undefined;
}

class Parser {
  private readonly cursor: TokenCursor;
  private readonly lines: LineIndex;
  private readonly problems: SyntaxProblem[] = [];
  private readonly networks: Statement[] = [];
  private readonly stack: Frame[] = [];
  /** The network most recently closed by `}` while no other has started: stray statements reopen it. */
  private lastClosed: { frame: Frame; brace: Span } | undefined;
  private readonly misindented: Misindented[] = [];
  private pending: PendingBrace | undefined;
  /** One syntax error per line: after the first, the rest of the line is not trustworthy. */
  private lineHasError = false;

  private readonly onNetwork: ParseOptions['onNetwork'];
  /** Networks handed to `onNetwork` so far. */
  private handedOn = 0;

  constructor(private readonly text: string, options: ParseOptions) {
    this.cursor = new TokenCursor(new Lexer(text));
    this.lines = options.lines ?? new LineIndex(text);
    this.onNetwork = options.onNetwork;
  }

  /** Hands the last network on when it is complete (streaming callers: ParseOptions.onNetwork). */
  private finishNetwork(readTo: number): void {
    if (!this.onNetwork || this.networks.length === 0) return;
    this.lastClosed = undefined;
    this.onNetwork(this.networks.pop()!, this.problems, readTo);
    this.handedOn++;
  }

  *parseFile(): Steps<ParseResult> {
    for (let yielded = 0; ; ) {
      // A network was handed on (and judged) since the last step: a point to pause at.
      if (this.handedOn !== yielded) {
        yielded = this.handedOn;
        yield;
      }
      this.cursor.skipNewlines();
      const token = this.cursor.peek();
      if (token.kind === 'eof') break;
      if (this.cursor.firstOnLine(this.cursor.position)) this.lineHasError = false;
      const pending = this.pending;
      this.pending = undefined;
      if (token.kind === 'rbrace') {
        this.cursor.advance();
        this.closeBlock(token);
        this.expectLineEnd("'}'");
      } else if (token.kind === 'lbrace') {
        this.cursor.advance();
        this.braceOnOwnLine(token, pending);
        this.expectLineEnd("'{'");
      } else if (token.kind === 'ident' && token.text.toLowerCase() === 'network') {
        this.startNetwork(token);
      } else {
        this.statementLine(token);
      }
    }
    this.closeUnclosed('the end of the file');
    this.finishNetwork(this.text.length);
    return { file: { networks: this.networks }, problems: this.problems, lines: this.lines };
  }

  // ── tokens ────────────────────────────────────────────────────────────────

  private lineNumber(offset: number): number {
    return this.lines.positionAt(offset).line + 1;
  }

  /** Columns of blank before the first token of the line holding `offset`. */
  private indentOf(offset: number): number {
    const line = this.lines.positionAt(offset).line;
    const start = this.lines.lineStart(line);
    let i = start;
    while (i < offset && (this.text.charCodeAt(i) === 32 || this.text.charCodeAt(i) === 9)) i++;
    return i - start;
  }

  // ── problems ─────────────────────────────────────────────────────────────

  /** Reports the first syntax error of a line; later ones on the same line are consequences. */
  private lineProblem(span: Span, message: string): number | undefined {
    if (this.lineHasError) return undefined;
    this.lineHasError = true;
    this.problems.push({ span, message });
    return this.problems.length - 1;
  }

  private expectLineEnd(after: string): void {
    const next = this.cursor.peek();
    if (!isLineEnd(next)) {
      this.lineProblem(spanOf(next), `expected a new line after ${after}: each statement goes on its own line`);
    }
  }

  // ── lines ────────────────────────────────────────────────────────────────

  private startNetwork(keyword: Token): void {
    this.closeUnclosed(`the next network (line ${this.lineNumber(keyword.start)})`);
    this.lastClosed = undefined;
    // Everything before this `network` keyword is read: no later problem lies there.
    this.finishNetwork(keyword.start);
    const statement = this.parseStatement();
    this.networks.push(statement);
    const headerIndent = this.indentOf(keyword.start);
    let problemIndex: number | undefined;
    let implicit = false;
    if (!statement.block) {
      // Open the body anyway: the lines that follow are clearly meant to be in it.
      problemIndex = this.lineProblem(
        { start: statement.span.end, end: statement.span.end },
        "expected '{' at the end of the network header, as in 'network mlp {'",
      );
      statement.block = { open: { start: statement.span.end, end: statement.span.end }, close: undefined, statements: [], tooDeep: false };
      implicit = true;
    }
    const frame: Frame = { owner: statement, block: statement.block, headerIndent, isNetwork: true, orphan: false, implicit };
    this.stack.push(frame);
    if (implicit && problemIndex !== undefined) this.pending = { statement, problemIndex, frame };
  }

  private statementLine(first: Token): void {
    if (this.stack.length === 0 && this.lastClosed) {
      // A `}` closed the network too early (a stray brace): reopen it rather than lose the lines below.
      const { frame, brace } = this.lastClosed;
      this.lastClosed = undefined;
      this.problems.push({
        span: brace,
        message: `this '}' closes network ${quoteSnippet(this.networkName(frame.owner))}, but statements follow it: remove the '}', or start a new block with 'network NAME {'`,
      });
      frame.block.close = undefined;
      // Reported here; if no later '}' closes it, the end of the file does without a second report.
      frame.implicit = true;
      this.stack.push(frame);
    }
    const headerIndent = this.indentOf(first.start);
    const statement = this.parseStatement();
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      if (statement.keyword) {
        this.lineProblem(
          statement.keyword.span,
          `${quoteSnippet(statement.keyword.text)} is outside any network: statements go inside a 'network NAME { … }' block`,
        );
      }
      if (statement.block) this.pushFrame(statement, headerIndent, true);
      return;
    }
    if (!top.orphan) top.block.statements.push(statement);
    if (statement.block) {
      this.pushFrame(statement, headerIndent, top.orphan);
    } else if (statement.keyword && BLOCK_KEYWORDS.has(statement.keyword.lower) && !statement.syntaxError) {
      const at = { start: statement.span.end, end: statement.span.end };
      const problemIndex = this.lineProblem(at, `expected '{' at the end of ${quoteSnippet(this.text.slice(statement.span.start, statement.span.end))}`);
      statement.syntaxError = true;
      if (problemIndex !== undefined) this.pending = { statement, problemIndex, frame: undefined };
    }
  }

  /** A `{` that starts a line: Allman style completes the block keyword above it; anything else is stray. */
  private braceOnOwnLine(brace: Token, pending: PendingBrace | undefined): void {
    const open = spanOf(brace);
    const message = (keyword: string) => `put '{' at the end of the '${keyword}' line: a block opens on the line of its keyword`;
    if (pending) {
      const keyword = pending.statement.keyword?.text ?? 'network';
      this.problems[pending.problemIndex] = { span: open, message: message(keyword) };
      this.lineHasError = true;
      if (pending.frame) {
        // The network's body was opened implicitly; this brace is its real start.
        const block: Block = { ...pending.frame.block, open };
        pending.statement.block = block;
        this.stack[this.stack.indexOf(pending.frame)] = { ...pending.frame, block, implicit: false };
      } else {
        pending.statement.block = this.newBlock(open);
        pending.statement.syntaxError = false;
        this.pushFrame(pending.statement, this.indentOf(pending.statement.span.start), this.stack[this.stack.length - 1]?.orphan ?? true);
      }
      return;
    }
    this.lineProblem(open, "unexpected '{': a block opens at the end of a 'network', 'repeat', 'residual' or 'memory' line");
    // Still match it, so its '}' does not close an outer block.
    const orphan: Statement = { keyword: undefined, positionals: [], options: [], block: this.newBlock(open), span: open, syntaxError: true };
    this.pushFrame(orphan, this.indentOf(brace.start), true);
  }

  private pushFrame(statement: Statement, headerIndent: number, orphan: boolean): void {
    const block = statement.block!;
    if (block.tooDeep && this.stack.length === MAX_BLOCK_DEPTH + 1 && !orphan) {
      this.problems.push({
        span: block.open,
        message: `blocks nest more than ${MAX_BLOCK_DEPTH} levels deep; this block is not analysed`,
      });
    }
    this.stack.push({ owner: statement, block, headerIndent, isNetwork: false, orphan, implicit: false });
  }

  private newBlock(open: Span): Block {
    return { open, close: undefined, statements: [], tooDeep: this.stack.length > MAX_BLOCK_DEPTH };
  }

  private closeBlock(brace: Token): void {
    const frame = this.stack.pop();
    const span = spanOf(brace);
    if (!frame) {
      this.lineProblem(span, "unmatched '}': there is no open block to close");
      return;
    }
    frame.block.close = span;
    if (this.cursor.firstOnLine(this.cursor.position - 1) && this.indentOf(brace.start) < frame.headerIndent && frame.owner.keyword) {
      this.misindented.push({
        openStart: frame.block.open.start,
        keywordSpan: frame.owner.keyword.span,
        keyword: frame.owner.keyword.text,
        closeLine: this.lineNumber(brace.start),
      });
    }
    if (frame.isNetwork) this.lastClosed = { frame, brace: span };
  }

  /** Reports every block still open at `where` (the next network or the end of the file) and closes it. */
  private closeUnclosed(where: string): void {
    // Braces matched up to a `}` that sits left of its own block: that block most likely
    // lost its `}` and took the one meant for the innermost open block. One scan, so the
    // cost stays linear however many blocks are open.
    const innermost = [...this.stack].reverse().find((f) => !f.orphan && !f.implicit);
    const culprit = innermost ? this.misindented.find((m) => m.openStart > innermost.block.open.start) : undefined;
    while (this.stack.length > 0) {
      const frame = this.stack.pop()!;
      if (frame.orphan || frame.implicit) continue;
      const what = frame.isNetwork ? `network ${quoteSnippet(this.networkName(frame.owner))}` : quoteSnippet(frame.owner.keyword?.text ?? '{');
      const opened = this.lineNumber(frame.block.open.start);
      if (frame === innermost && culprit) {
        this.problems.push({
          span: culprit.keywordSpan,
          message: `${quoteSnippet(culprit.keyword)} (line ${this.lineNumber(culprit.keywordSpan.start)}) seems to lack its '}': the '}' on line ${culprit.closeLine} is indented like an outer block but closes this one, which leaves ${what} (line ${opened}) open until ${where}`,
        });
      } else {
        this.problems.push({ span: frame.block.open, message: `missing '}' to close ${what} (line ${opened}) before ${where}` });
      }
    }
    this.misindented.length = 0;
  }

  private networkName(network: Statement): string {
    const first = network.positionals[0];
    return first?.kind === 'name' ? first.name.text : '?';
  }

  // ── statements ───────────────────────────────────────────────────────────

  private parseStatement(): Statement {
    const first = this.cursor.peek();
    if (first.kind !== 'ident') {
      this.cursor.advance();
      const statement: Statement = { keyword: undefined, positionals: [], options: [], block: undefined, span: spanOf(first), syntaxError: true };
      this.lineProblem(
        spanOf(first),
        first.kind === 'bad' ? first.problem! : `expected a statement such as 'dense 64', got ${describe(first)}`,
      );
      this.skipRest(statement);
      return statement;
    }
    this.cursor.advance();
    const statement: Statement = { keyword: nameOf(first), positionals: [], options: [], block: undefined, span: spanOf(first), syntaxError: false };
    try {
      this.parseArguments(statement);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      this.lineProblem(error.span, error.message);
      statement.syntaxError = true;
      this.skipRest(statement);
    }
    return statement;
  }

  private parseArguments(statement: Statement): void {
    let firstOption: OptionAst | undefined;
    for (;;) {
      const token = this.cursor.peek();
      if (isLineEnd(token)) return;
      if (token.kind === 'rbrace') {
        this.lineProblem(spanOf(token), "expected a new line before '}': each statement and each '}' goes on its own line");
        return;
      }
      if (token.kind === 'lbrace') {
        this.cursor.advance();
        statement.block = this.newBlock(spanOf(token));
        this.expectLineEnd("'{'");
        return;
      }
      if (token.kind === 'ident' && this.cursor.peek(1).kind === 'equals') {
        const key = nameOf(this.cursor.advance());
        const equals = this.cursor.advance();
        if (!startsValue(this.cursor.peek())) {
          throw new LineError(spanOf(equals), `expected a value after ${quoteSnippet(`${key.text}=`)}, got ${describe(this.cursor.peek())}`);
        }
        const value = parseExpression(this.cursor, 0);
        const option: OptionAst = { key, value, span: { start: key.span.start, end: value.span.end } };
        statement.options.push(option);
        firstOption ??= option;
        statement.span = { start: statement.span.start, end: value.span.end };
      } else {
        if (!startsValue(token)) throw new LineError(spanOf(token), `expected a value or an option 'key=value', got ${describe(token)}`);
        const value = parseExpression(this.cursor, 0);
        if (firstOption) {
          this.lineProblem(
            value.span,
            `positional arguments go before the options: move ${quoteSnippet(this.text.slice(value.span.start, value.span.end))} before '${firstOption.key.text}='`,
          );
        }
        statement.positionals.push(value);
        statement.span = { start: statement.span.start, end: value.span.end };
      }
    }
  }

  /** After a syntax error: skip to the end of the line, still honouring a `{` (the block exists) or a `}`. */
  private skipRest(statement: Statement): void {
    for (;;) {
      const token = this.cursor.peek();
      if (isLineEnd(token) || token.kind === 'rbrace') return;
      this.cursor.advance();
      if (token.kind === 'lbrace') {
        statement.block = this.newBlock(spanOf(token));
        return;
      }
      statement.span = { start: statement.span.start, end: token.end };
    }
  }


}
