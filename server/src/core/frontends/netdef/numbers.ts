/**
 * Numeric values: literals and the small expressions users write for gains and scales
 * (`sqrt(2)`, `5/3`, `2*0.5`, `-0.05`). Evaluation walks the tree recursively; the
 * parser caps expression height, so the recursion is bounded.
 */
import type { Span } from '../../text';
import type { Expr } from './ast';
import { quoteSnippet } from './snippet';

export type Evaluated =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly span: Span; readonly message: string };

function fail(span: Span, message: string): Evaluated {
  return { ok: false, span, message };
}

/** What a non-numeric value looks like in a message ("the name 'relu'", "the shape 3x3"). */
export function describeValue(expr: Expr, source: string): string {
  const text = quoteSnippet(source.slice(expr.span.start, expr.span.end));
  switch (expr.kind) {
    case 'name':
      return `the name ${text}`;
    case 'dims':
      return `the shape ${text}`;
    case 'string':
      return `the quoted text ${text}`;
    default:
      return text;
  }
}

/** The value of a numeric expression, or why it has none. */
export function evaluateNumber(expr: Expr, source: string): Evaluated {
  const result = evaluate(expr, source);
  if (result.ok && !Number.isFinite(result.value)) return fail(expr.span, 'the number is too large to be meaningful');
  return result;
}

function evaluate(expr: Expr, source: string): Evaluated {
  switch (expr.kind) {
    case 'number':
      return { ok: true, value: expr.value };
    case 'paren':
      return evaluate(expr.inner, source);
    case 'unary': {
      const operand = evaluate(expr.operand, source);
      if (!operand.ok) return operand;
      return { ok: true, value: expr.op === '-' ? -operand.value : operand.value };
    }
    case 'binary': {
      const left = evaluate(expr.left, source);
      if (!left.ok) return left;
      const right = evaluate(expr.right, source);
      if (!right.ok) return right;
      switch (expr.op) {
        case '+':
          return { ok: true, value: left.value + right.value };
        case '-':
          return { ok: true, value: left.value - right.value };
        case '*':
          return { ok: true, value: left.value * right.value };
        case '/':
          if (right.value === 0) return fail(expr.right.span, 'division by zero');
          return { ok: true, value: left.value / right.value };
      }
      break;
    }
    case 'call': {
      if (expr.callee.lower !== 'sqrt') {
        return fail(expr.callee.span, `expected a number; the only function in numbers is sqrt(…), not ${quoteSnippet(expr.callee.text)}`);
      }
      const [arg, extra] = expr.args;
      if (!arg || extra || arg.keyword) return fail(expr.span, 'sqrt takes one number, as in sqrt(2)');
      const inner = evaluate(arg.value, source);
      if (!inner.ok) return inner;
      if (inner.value < 0) return fail(arg.value.span, 'sqrt of a negative number');
      return { ok: true, value: Math.sqrt(inner.value) };
    }
    case 'name':
    case 'dims':
    case 'string':
      return fail(expr.span, `expected a number, got ${describeValue(expr, source)}`);
  }
}

/** A number as the language writes it back: at most `digits` significant digits, no trailing zeros. */
export function formatNumber(value: number, digits = 6): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(digits)));
}
