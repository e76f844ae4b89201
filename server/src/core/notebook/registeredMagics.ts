/**
 * Cell magics a notebook registers itself whose body is Python. Keras 3's notebooks (François
 * Chollet's Deep Learning with Python, 3rd edition) define
 *
 *     @register_cell_magic
 *     def backend(line, cell):
 *         ...
 *         get_ipython().run_cell(cell)
 *
 * and start the cells written for one backend with `%%backend tensorflow`: the body runs as
 * Python. Any other cell magic's body may be another language, so it stays masked whole
 * (magics.ts); a registered magic counts only when its function passes its cell parameter,
 * unchanged, to `run_cell`, and only in the cells after the one registering it.
 */

/** `@register_cell_magic`, `@register_cell_magic()`, `@register_cell_magic("name")`, then the def. */
const REGISTRATION =
  /^([ \t]*)@(?:[A-Za-z_][\w.]*\.)?register_cell_magic[ \t]*(?:\([ \t]*(?:(?:magic_name[ \t]*=[ \t]*)?(["'])([A-Za-z_]\w*)\2)?[ \t]*\))?[ \t]*\r?\n\1def[ \t]+([A-Za-z_]\w*)[ \t]*\([ \t]*[A-Za-z_]\w*[ \t]*,[ \t]*([A-Za-z_]\w*)[ \t]*\)[ \t]*:[ \t]*(?:#[^\r\n]*)?\r?\n/gm;

/** The names of the Python-body cell magics `source` registers. */
export function pythonBodyMagicsRegisteredIn(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(REGISTRATION)) {
    const [whole, indent, , explicitName, functionName, cellParameter] = match as unknown as [string, string, string, string | undefined, string, string];
    const body = indentedBody(source, match.index + whole.length, indent.length);
    if (new RegExp(`\\brun_cell\\([ \\t]*${cellParameter}[ \\t]*\\)`).test(body)) names.push(explicitName ?? functionName);
  }
  return names;
}

/** The lines from `from` indented deeper than `indent` (blank lines and comments included). */
function indentedBody(source: string, from: number, indent: number): string {
  let end = from;
  const line = /[^\r\n]*(?:\r\n|\r|\n|$)/y;
  while (end < source.length) {
    line.lastIndex = end;
    const text = line.exec(source)![0];
    if (text.length === 0) break;
    const content = text.trimStart();
    const depth = text.length - content.length;
    if (content.trim() !== '' && !content.startsWith('#') && depth <= indent) break;
    end += text.length;
  }
  return source.slice(from, end);
}
