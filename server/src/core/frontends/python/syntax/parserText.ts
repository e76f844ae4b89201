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
  if (hasWholeLineComment(out)) out = out.replace(WHOLE_LINE_COMMENT_ALL, (comment) => ' '.repeat(comment.length));
  return out;
}

const WHOLE_LINE_COMMENT_ALL = /^[ \t\f]*#[^\r\n]*/gm;

/**
 * `/^[ \t\f]*#/m.test(text)` as one pass over the characters: the regex tried every offset of
 * the file (~1% of a from-scratch analysis of the 3,500-line benchmark file, and of every
 * keystroke's). A line starts after any of JavaScript's line terminators, as `^` does with `m`.
 */
export function hasWholeLineComment(text: string): boolean {
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      atLineStart = true;
    } else if (atLineStart) {
      if (c === 35) return true;
      if (c !== 32 && c !== 9 && c !== 12) atLineStart = false;
    }
  }
  return false;
}
