/**
 * Values: numbers, shapes, names, calls and arithmetic, by precedence climbing
 * (`+ -` over `* /` over unary signs). Height is capped, so no expression can
 * overflow the stack of this parser or of anything that walks the tree later.
 */
import type { Span } from '../../text';
import type { CallArgument, Expr, Name } from './ast';
import { describe, isLineEnd, LineError, nameOf, spanOf, startsValue, type TokenCursor } from './tokenCursor';
import { quoteSnippet } from './snippet';

/** Expressions may nest this deep (parentheses, operators, calls). */
export const MAX_EXPRESSION_DEPTH = 32;

function checkHeight(height: number, span: Span): void {
  if (height > MAX_EXPRESSION_DEPTH) {
    throw new LineError(span, `expression nested too deeply (the limit is ${MAX_EXPRESSION_DEPTH} levels)`);
  }
}

export function parseExpression(cursor: TokenCursor, depth: number): Expr {
  if (depth > MAX_EXPRESSION_DEPTH) {
    throw new LineError(spanOf(cursor.peek()), `expression nested too deeply (the limit is ${MAX_EXPRESSION_DEPTH} levels)`);
  }
  let left = parseTerm(cursor, depth);
  for (;;) {
    const token = cursor.peek();
    if (token.kind !== 'plus' && token.kind !== 'minus') return left;
    cursor.advance();
    const right = parseTerm(cursor, depth);
    const span = { start: left.span.start, end: right.span.end };
    const height = Math.max(left.height, right.height) + 1;
    checkHeight(height, span);
    left = { kind: 'binary', op: token.kind === 'plus' ? '+' : '-', left, right, span, height };
  }
}

function parseTerm(cursor: TokenCursor, depth: number): Expr {
  let left = parseUnary(cursor, depth);
  for (;;) {
    const token = cursor.peek();
    if (token.kind !== 'star' && token.kind !== 'slash') return left;
    cursor.advance();
    const right = parseUnary(cursor, depth);
    const span = { start: left.span.start, end: right.span.end };
    const height = Math.max(left.height, right.height) + 1;
    checkHeight(height, span);
    left = { kind: 'binary', op: token.kind === 'star' ? '*' : '/', left, right, span, height };
  }
}

function parseUnary(cursor: TokenCursor, depth: number): Expr {
  const token = cursor.peek();
  if (token.kind !== 'plus' && token.kind !== 'minus') return parsePrimary(cursor, depth);
  cursor.advance();
  if (depth + 1 > MAX_EXPRESSION_DEPTH) {
    throw new LineError(spanOf(token), `expression nested too deeply (the limit is ${MAX_EXPRESSION_DEPTH} levels)`);
  }
  const operand = parseUnary(cursor, depth + 1);
  const span = { start: token.start, end: operand.span.end };
  const height = operand.height + 1;
  checkHeight(height, span);
  return { kind: 'unary', op: token.kind === 'plus' ? '+' : '-', operand, span, height };
}

function parsePrimary(cursor: TokenCursor, depth: number): Expr {
  const token = cursor.peek();
  switch (token.kind) {
    case 'number':
      cursor.advance();
      return { kind: 'number', value: Number(token.text), span: spanOf(token), height: 1 };
    case 'dims':
      cursor.advance();
      return { kind: 'dims', values: token.text.split(/[xX]/).map(Number), span: spanOf(token), height: 1 };
    case 'string':
      cursor.advance();
      return { kind: 'string', value: token.text, span: spanOf(token), height: 1 };
    case 'ident': {
      cursor.advance();
      const name = nameOf(token);
      if (cursor.peek().kind === 'lparen') return parseCall(cursor, name, depth);
      return { kind: 'name', name, span: name.span, height: 1 };
    }
    case 'lparen': {
      cursor.advance();
      const inner = parseExpression(cursor, depth + 1);
      const close = cursor.peek();
      if (close.kind !== 'rparen') throw new LineError(spanOf(close), `expected ')' to close the '(', got ${describe(close)}`);
      cursor.advance();
      const span = { start: token.start, end: close.end };
      checkHeight(inner.height + 1, span);
      return { kind: 'paren', inner, span, height: inner.height + 1 };
    }
    case 'bad':
      throw new LineError(spanOf(token), token.problem!);
    default:
      throw new LineError(spanOf(token), `expected a value, got ${describe(token)}`);
  }
}

function parseCall(cursor: TokenCursor, callee: Name, depth: number): Expr {
  const open = cursor.advance();
  const args: CallArgument[] = [];
  let height = 1;
  for (;;) {
    const token = cursor.peek();
    if (token.kind === 'rparen') {
      cursor.advance();
      const span = { start: callee.span.start, end: token.end };
      checkHeight(height + 1, span);
      return { kind: 'call', callee, args, span, height: height + 1 };
    }
    if (isLineEnd(token) || token.kind === 'lbrace' || token.kind === 'rbrace') {
      throw new LineError(spanOf(open), `this '(' after ${quoteSnippet(callee.text)} is never closed: expected ')' before ${describe(token)}`);
    }
    let keyword: Name | undefined;
    if (token.kind === 'ident' && cursor.peek(1).kind === 'equals') {
      keyword = nameOf(cursor.advance());
      const equals = cursor.advance();
      if (!startsValue(cursor.peek())) {
        throw new LineError(spanOf(equals), `expected a value after ${quoteSnippet(`${keyword.text}=`)}, got ${describe(cursor.peek())}`);
      }
    } else if (!startsValue(token)) {
      throw new LineError(spanOf(token), `expected an argument of ${quoteSnippet(callee.text)}, got ${describe(token)}`);
    }
    const value = parseExpression(cursor, depth + 1);
    height = Math.max(height, value.height);
    args.push(keyword ? { keyword, value, span: { start: keyword.span.start, end: value.span.end } } : { value, span: value.span });
    const separator = cursor.peek();
    if (separator.kind === 'comma') {
      cursor.advance();
    } else if (isLineEnd(separator) || separator.kind === 'lbrace' || separator.kind === 'rbrace') {
      throw new LineError(spanOf(open), `this '(' after ${quoteSnippet(callee.text)} is never closed: expected ')' before ${describe(separator)}`);
    } else if (separator.kind !== 'rparen') {
      throw new LineError(spanOf(separator), `expected ',' or ')' in the arguments of ${quoteSnippet(callee.text)}, got ${describe(separator)}`);
    }
  }
}
