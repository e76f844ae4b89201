/**
 * Finds the line a key was written on, so a configuration error can say
 * `pyproject.toml:14`. TOML parsers return values without positions, so this scans the
 * text: table headers (`[tool.initwise.severity]`), `key = …` lines (bare, quoted or
 * dotted keys) and keys inside inline tables. It only has to be right for the key named
 * in an error; when it cannot find a key it falls back to the table's header line.
 */
const HEADER = /^\s*\[\s*([^\]]+?)\s*\]\s*(?:#.*)?$/;

function splitKey(key: string): string[] {
  return key.split('.').map((part) => part.trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2'));
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 1-based line of `path` inside the table `table` (e.g. ['tool', 'initwise'], or [] for the root). */
export function locateKey(text: string, table: readonly string[], path: readonly (string | number)[]): number {
  const lines = text.split(/\r\n|\n|\r/);
  const keys = path.filter((part): part is string => typeof part === 'string');
  const index = path.find((part): part is number => typeof part === 'number');
  let current: string[] = [];
  let best = 0;
  let bestDepth = -1;
  const consider = (line: number, depth: number) => {
    if (depth > bestDepth) {
      best = line;
      bestDepth = depth;
    }
  };
  const starts = (prefix: readonly string[], full: readonly string[]) => prefix.every((part, i) => full[i] === part);

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = HEADER.exec(line);
    if (header && !line.trimStart().startsWith('[[')) {
      current = splitKey(header[1]!);
      if (starts(table, current)) {
        const inner = current.slice(table.length);
        if (starts(inner, keys)) consider(i + 1, inner.length);
      }
      continue;
    }
    if (!starts(table, current)) continue;
    const inner = current.slice(table.length);
    if (!starts(inner, keys.slice(0, inner.length)) && inner.length > 0) continue;
    const rest = keys.slice(inner.length);
    if (rest.length === 0) continue;
    // `key = …`, `"key" = …`, `key.sub = …` at the start of the line.
    const assignment = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(line);
    if (!assignment) continue;
    const written = splitKey(assignment[1]!);
    if (!starts(written.slice(0, rest.length), rest) && !starts(rest.slice(0, written.length), written)) continue;
    let depth = inner.length + Math.min(written.length, rest.length);
    let at = i + 1;
    // Deeper keys inside an inline table on the same line: `severity = { IW101 = "x" }`.
    for (const deeper of rest.slice(written.length)) {
      if (new RegExp(`(?:^|[{,\\s])["']?${escape(deeper)}["']?\\s*=`).test(line.slice(assignment[0].length))) depth++;
    }
    // An array element on a later line of a multi-line array.
    if (index !== undefined && rest.length <= written.length) {
      const element = findArrayElementLine(lines, i, assignment[0].length, index);
      if (element !== undefined) {
        at = element;
        depth += 0.5;
      }
    }
    consider(at, depth);
  }
  return Math.max(1, best);
}

/** The 1-based line of the index-th element of an array that starts at `line`, column `column`. */
function findArrayElementLine(lines: readonly string[], line: number, column: number, index: number): number | undefined {
  let count = 0;
  let inString: string | undefined;
  let seenValue = false;
  let depth = 0;
  for (let l = line; l < lines.length; l++) {
    const text = lines[l]!;
    for (let c = l === line ? column : 0; c < text.length; c++) {
      const ch = text[c]!;
      if (inString) {
        if (ch === '\\' && inString === '"') c++;
        else if (ch === inString) inString = undefined;
        continue;
      }
      if (ch === '#') break;
      if (ch === '[') {
        depth++;
        continue;
      }
      if (depth === 0) continue;
      if (ch === ']') {
        depth--;
        if (depth === 0) return undefined;
        continue;
      }
      if (ch === ',' && depth === 1) {
        count++;
        seenValue = false;
        continue;
      }
      if (!/\s/.test(ch) && !seenValue) {
        seenValue = true;
        if (count === index && depth === 1) return l + 1;
      }
      if (ch === '"' || ch === "'") inString = ch;
    }
  }
  return undefined;
}
