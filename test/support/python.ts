/**
 * The Python parser for tests, loaded once (web-tree-sitter compiles its WebAssembly
 * asynchronously): call `await pythonSupport()` in a `before` hook, then pass the result
 * as `python` in analyze()'s input.
 */
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { loadPythonSupport } from '../../server/src/host/treeSitter';

export function pythonSupport(): Promise<PythonSupport> {
  return loadPythonSupport();
}

/** Lines (1-based) where tree-sitter finds ERROR or MISSING nodes: a fix must never add one. */
export function pythonSyntaxErrors(python: PythonSupport, text: string): number[] {
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
