/**
 * Reading typed values out of expressions (names, whole numbers, shapes, booleans),
 * reporting IW001 with what was expected when a value does not fit.
 */
import type { Expr, Name } from './ast';
import { replaceNameFix, type Content, type Diagnostics } from './diagnostics';
import { suggest } from '../../util/suggest';
import { describeValue, evaluateNumber, formatNumber } from './numbers';
import { quoteSnippet } from './snippet';

/** What every reader needs: the source (for quoting) and where to report. */
export interface Reader {
  readonly source: string;
  readonly diags: Diagnostics;
}

/**
 * A name such as `relu` or `fan_in`. Quoted text (`'relu'`, as pasted from Python) is
 * read as the name, with an IW001 and a safe fix that drops the quotes.
 */
export function readName(expr: Expr, reader: Reader, expected: string): Name | undefined {
  if (expr.kind === 'name') return expr.name;
  if (expr.kind === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(expr.value)) {
    reader.diags.syntax(expr.span, {
      message: `names are written without quotes: ${expr.value}`,
      fixes: [{ title: 'Remove the quotes', applicability: 'safe', edits: [{ span: expr.span, newText: expr.value }] }],
    });
    return { text: expr.value, lower: expr.value.toLowerCase(), span: expr.span };
  }
  reader.diags.syntax(expr.span, () => `expected ${expected}, got ${describeValue(expr, reader.source)}`);
  return undefined;
}

export function readNumber(expr: Expr, reader: Reader, what: string): number | undefined {
  const result = evaluateNumber(expr, reader.source);
  if (result.ok) return result.value;
  reader.diags.syntax(result.span, `${what}: ${result.message}`);
  return undefined;
}

/**
 * What is wrong with a count or size, if anything: not whole, below `min`, or beyond 2^53 − 1,
 * where doubles stop counting exactly (issue 12: `input 3x9007199254740992` was told it
 * must be at least 1).
 */
export function countProblem(value: number, min: number): string | undefined {
  // formatNumber rounds to 6 digits above 1e15: the limit and the culprit are written out exactly.
  if (!Number.isInteger(value) || value < min) return `must be a whole number of at least ${min}, got ${formatNumber(value)}`;
  if (!Number.isSafeInteger(value)) return `must be at most ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`;
  return undefined;
}

/** A whole number ≥ min (units, filters, repeat counts). */
export function readCount(expr: Expr, reader: Reader, what: string, min = 1): number | undefined {
  const value = readNumber(expr, reader, what);
  if (value === undefined) return undefined;
  const problem = countProblem(value, min);
  if (problem !== undefined) {
    reader.diags.syntax(expr.span, `${what} ${problem}`);
    return undefined;
  }
  return value;
}

/**
 * Sizes per spatial dimension: `3` (the same for every dimension) or `3x3` (one each).
 * `rank` is how many the layer needs.
 */
export function readSizes(expr: Expr, reader: Reader, what: string, rank: number, min: number): number[] | undefined {
  if (expr.kind === 'dims') {
    if (expr.values.length !== rank) {
      reader.diags.syntax(
        expr.span,
        `${what} gives ${expr.values.length} sizes but this layer has ${rank} spatial ${rank === 1 ? 'dimension' : 'dimensions'}; write ${exampleSizes(rank)} or a single number`,
      );
      return undefined;
    }
    const bad = expr.values.find((v) => countProblem(v, min) !== undefined);
    if (bad !== undefined) {
      reader.diags.syntax(expr.span, `every size in ${what} ${countProblem(bad, min)!}`);
      return undefined;
    }
    return [...expr.values];
  }
  const single = readCount(expr, reader, what, min);
  return single === undefined ? undefined : new Array<number>(rank).fill(single);
}

function exampleSizes(rank: number): string {
  return new Array<string>(rank).fill('3').join('x');
}

export function readBoolean(expr: Expr, reader: Reader, what: string): boolean | undefined {
  const name = readName(expr, reader, `true or false for ${what}`);
  if (!name) return undefined;
  if (name.lower === 'true') return true;
  if (name.lower === 'false') return false;
  reader.diags.syntax(name.span, `${what} must be true or false, got ${quoteSnippet(name.text)}`);
  return undefined;
}

/** One of a fixed set of names (`fan_in`, `same`); reports the allowed ones and the nearest. */
export function readChoice<T extends string>(expr: Expr, reader: Reader, what: string, choices: readonly T[]): T | undefined {
  const name = readName(expr, reader, `${what} (${listChoices(choices)})`);
  if (!name) return undefined;
  const found = choices.find((c) => c === name.lower);
  if (found !== undefined) return found;
  reader.diags.syntax(name.span, () => misspelt(name, `${what} must be ${listChoices(choices)}, got ${quoteSnippet(name.text)}`, choices));
  return undefined;
}

/** A message for a misspelt name, with the did-you-mean suggestion and its replace fix when one is close. */
export function misspelt(name: Name, message: string, candidates: readonly string[]): Content {
  const suggestion = suggest(name.text, candidates);
  if (suggestion === undefined) return message;
  return { message: `${message} — did you mean '${suggestion}'?`, fixes: [replaceNameFix(name.span, suggestion)] };
}

/** `a, b or c`. */
export function listChoices(choices: readonly string[]): string {
  if (choices.length <= 1) return choices.join('');
  return `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]!}`;
}

/** The source text of an expression with its whitespace collapsed, for labels. */
export function sourceLabel(expr: Expr, source: string, max = 80): string {
  const text = source.slice(expr.span.start, expr.span.end).replace(/\s+/g, ' ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
