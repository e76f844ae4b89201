/**
 * Writes new cell sources into a notebook file by replacing only their JSON values
 * (ranges from ipynb.ts): outputs, metadata, key order, indentation, line endings and
 * the trailing newline stay byte for byte. A source keeps its shape: a string stays a
 * string; a list of lines stays a list, one element per line as Jupyter writes it, the
 * unchanged leading and trailing elements copied verbatim (their escapes included), the
 * new ones written in the list's own layout. Strings are encoded as Jupyter's
 * `json.dumps(ensure_ascii=False)` does: only quotes, backslashes and control
 * characters are escaped.
 */
import type { CellSourceValue, ParsedNotebook } from './ipynb';

/**
 * `changes`: 0-based cell index in the notebook → the cell's new text. Returns the file
 * with those sources replaced; a cell without a `source` value cannot be written and throws.
 */
export function spliceSources(fileText: string, notebook: ParsedNotebook, changes: ReadonlyMap<number, string>): string {
  const replacements = [...changes.entries()]
    .map(([index, text]) => {
      const source = notebook.cells[index]?.source;
      if (!source) throw new Error(`cell ${index + 1} has no source to write`);
      return { source, value: encodeSource(fileText, source, text) };
    })
    .sort((a, b) => a.source.start - b.source.start);
  let out = '';
  let at = 0;
  for (const { source, value } of replacements) {
    out += fileText.slice(at, source.start) + value;
    at = source.end;
  }
  return out + fileText.slice(at);
}

/** Jupyter's lines: each ends with its `\n` except the last. */
export function splitSourceLines(text: string): string[] {
  const lines: string[] = [];
  let at = 0;
  while (at < text.length) {
    const newline = text.indexOf('\n', at);
    const end = newline < 0 ? text.length : newline + 1;
    lines.push(text.slice(at, end));
    at = end;
  }
  return lines;
}

function encodeSource(fileText: string, source: CellSourceValue, text: string): string {
  if (source.shape === 'string') return JSON.stringify(text);
  const lines = splitSourceLines(text);
  const old = source.parts;
  if (lines.length === 0) return '[]';
  // Unchanged elements at both ends are copied as they are in the file.
  let prefix = 0;
  while (prefix < lines.length && prefix < old.length && lines[prefix] === old[prefix]!.value) prefix++;
  let suffix = 0;
  while (
    suffix < lines.length - prefix && suffix < old.length - prefix &&
    lines[lines.length - 1 - suffix] === old[old.length - 1 - suffix]!.value
  ) suffix++;
  const { lead, separator, trail } = layout(fileText, source);
  const elements = lines.map((line, i) => {
    if (i < prefix) return raw(fileText, old[i]!);
    if (i >= lines.length - suffix) return raw(fileText, old[old.length - (lines.length - i)]!);
    return JSON.stringify(line);
  });
  return `[${lead}${elements.join(separator)}${trail}]`;
}

function raw(fileText: string, part: { start: number; end: number }): string {
  return fileText.slice(part.start, part.end);
}

/**
 * The whitespace of the list: after `[`, between elements, before `]`. Read from the list
 * itself when it has elements; for an empty one (`"source": []`), Jupyter's layout at this
 * depth: one element per line, indented one unit deeper than the line of the key.
 */
function layout(fileText: string, source: CellSourceValue): { lead: string; separator: string; trail: string } {
  const parts = source.parts;
  if (parts.length > 0) {
    const lead = fileText.slice(source.start + 1, parts[0]!.start);
    const trail = fileText.slice(parts[parts.length - 1]!.end, source.end - 1);
    const separator = parts.length > 1 ? fileText.slice(parts[0]!.end, parts[1]!.start) : `,${lead.replace(/^,/, '')}`;
    return { lead, separator, trail };
  }
  const lineStart = fileText.lastIndexOf('\n', source.start) + 1;
  const indent = /^[ \t]*/.exec(fileText.slice(lineStart, source.start))![0];
  const newline = fileText[lineStart - 2] === '\r' ? '\r\n' : '\n';
  const unit = indentUnit(fileText);
  const lead = `${newline}${indent}${unit}`;
  return { lead, separator: `,${lead}`, trail: `${newline}${indent}` };
}

/** The indentation of the file's first nested line (Jupyter writes one space). */
function indentUnit(fileText: string): string {
  const match = /\{\r?\n([ \t]+)"/.exec(fileText);
  return match ? match[1]! : ' ';
}
