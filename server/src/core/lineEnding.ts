/**
 * The line ending a file already uses, which every inserted line must repeat (a fix never
 * mixes CRLF into an LF file, nor LF into a CR-only one). Asked once per fix: a file with
 * 40,000 layers asked it 40,000 times, each a scan of the whole source (quadratic; the
 * hostile-input tests), so the answer for the last source asked about is kept.
 */
export type LineEnding = '\r\n' | '\r' | '\n';

let last: { readonly source: string; readonly eol: LineEnding } | undefined;

export function lineEndingOf(source: string): LineEnding {
  if (last?.source !== source) {
    last = { source, eol: source.includes('\r\n') ? '\r\n' : source.includes('\r') && !source.includes('\n') ? '\r' : '\n' };
  }
  return last.eol;
}
