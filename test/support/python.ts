/**
 * The Python parser for tests, loaded once (web-tree-sitter compiles its WebAssembly
 * asynchronously): call `await pythonSupport()` in a `before` hook, then pass the result
 * as `python` in analyze()'s input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadPythonSupport, type WebPythonSupport } from '../../server/src/host/treeSitter';

export function pythonSupport(): Promise<WebPythonSupport> {
  return loadPythonSupport();
}

/** Lines (1-based) where tree-sitter finds ERROR or MISSING nodes: a fix must never add one. */
export function pythonSyntaxErrors(python: WebPythonSupport, text: string): number[] {
  const tree = python.parser.parse(text);
  if (!tree) return [0];
  try {
    if (!tree.rootNode.hasError) return [];
    const lines: number[] = [];
    const visit = (node: NonNullable<typeof tree.rootNode>) => {
      if (node.isError || node.isMissing) lines.push(node.startPosition.row + 1);
      else if (node.hasError) for (const child of node.children) visit(child);
    };
    visit(tree.rootNode);
    return lines;
  } finally {
    tree.delete();
  }
}

/** Every .py file under `dir`, sorted (fixtures, examples). */
export function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pythonFiles(full));
    else if (entry.name.endsWith('.py')) out.push(full);
  }
  return out.sort();
}
