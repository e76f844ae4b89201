/**
 * The syntax tree of a .netdef file: what was written and where, before any meaning is
 * attached. Every node keeps its span so lowering can point diagnostics and fixes at
 * exactly the text the user wrote.
 */
import type { Span } from '../../text';

/** A word as written (`ReLU`), lower-cased for lookups (`relu`). */
export interface Name {
  readonly text: string;
  readonly lower: string;
  readonly span: Span;
}

export interface CallArgument {
  /** `mode` in `mode=fan_out`; undefined for a positional argument. */
  readonly keyword?: Name;
  readonly value: Expr;
  readonly span: Span;
}

/** Values: numbers and numeric expressions, shapes, names and calls. `height` bounds every recursive walk. */
export type Expr =
  | { readonly kind: 'number'; readonly value: number; readonly span: Span; readonly height: 1 }
  | { readonly kind: 'dims'; readonly values: readonly number[]; readonly span: Span; readonly height: 1 }
  /** A quoted name; the language does not use quotes, lowering says so and reads the name. */
  | { readonly kind: 'string'; readonly value: string; readonly span: Span; readonly height: 1 }
  | { readonly kind: 'name'; readonly name: Name; readonly span: Span; readonly height: 1 }
  | { readonly kind: 'call'; readonly callee: Name; readonly args: readonly CallArgument[]; readonly span: Span; readonly height: number }
  | { readonly kind: 'unary'; readonly op: '+' | '-'; readonly operand: Expr; readonly span: Span; readonly height: number }
  | { readonly kind: 'binary'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr; readonly right: Expr; readonly span: Span; readonly height: number }
  | { readonly kind: 'paren'; readonly inner: Expr; readonly span: Span; readonly height: number };

export interface OptionAst {
  readonly key: Name;
  readonly value: Expr;
  /** From the key to the end of the value. */
  readonly span: Span;
}

export interface Block {
  /** The `{`. */
  readonly open: Span;
  /** The matching `}`; undefined when it is missing (reported by the parser). */
  close: Span | undefined;
  readonly statements: Statement[];
  /** Nested deeper than the limit: reported, and its body is not analysed. */
  readonly tooDeep: boolean;
}

/**
 * One line: a keyword, positional arguments, `key=value` options and, for `network`,
 * `repeat` and `residual`, a block. A `network` header is a statement like the others.
 */
export interface Statement {
  /** Undefined when the line does not start with a word (already reported). */
  readonly keyword: Name | undefined;
  readonly positionals: Expr[];
  readonly options: OptionAst[];
  block: Block | undefined;
  /** From the keyword to the last token before `{`, the line break or a comment. */
  span: Span;
  /**
   * The line had a syntax error: what was read before it is kept, what came after is
   * unknown, so lowering treats missing options as unknown rather than as defaults.
   */
  syntaxError: boolean;
}

export interface FileAst {
  /** The `network` statements, in source order. */
  readonly networks: readonly Statement[];
}
