/** What tree-sitter reads of a Python file (issue 12): the document's and every imported module's parse. */

/**
 * The text tree-sitter parses: the file with the same length and the same code at every
 * offset, so spans need no mapping (issue 12).
 * - A lone `\r` ends a line for CPython but not for tree-sitter-python, which read a
 *   CR-only file as one line (a false IW001): it becomes `\n`.
 * - Whole-line comments become spaces. tree-sitter-python's external scanner re-reads a
 *   run of comment lines inside an indented block at each one of them: 4,000 such lines
 *   took 11 s to parse, 4,000 blank ones 19 ms. The model code never reads a comment;
 *   suppression comments are read from the user's text (core/suppressions.ts).
 */
export function parserText(text: string): string {
  let out = text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
  if (WHOLE_LINE_COMMENT.test(out)) out = out.replace(WHOLE_LINE_COMMENT_ALL, (comment) => ' '.repeat(comment.length));
  return out;
}

const WHOLE_LINE_COMMENT = /^[ \t\f]*#/m;
const WHOLE_LINE_COMMENT_ALL = /^[ \t\f]*#[^\r\n]*/gm;
