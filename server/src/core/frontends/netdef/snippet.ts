/**
 * User text quoted inside a message. Long runs are cut so a garbage line of a megabyte
 * yields a readable diagnostic, not a megabyte of message.
 */
const MAX_SNIPPET = 40;

export function quoteSnippet(text: string): string {
  if (text.length <= MAX_SNIPPET) return `'${text}'`;
  // Do not cut a surrogate pair in half.
  let cut = MAX_SNIPPET;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `'${text.slice(0, cut)}…'`;
}
