/**
 * The parser as the engine sees it (issue 16: one parser interface, two loaders). The host
 * hands in either web-tree-sitter (the extension, the language server, the tests:
 * host/treeSitter.ts) or the native `tree-sitter` binding (the CLI where it loads:
 * host/nativeTreeSitter.ts); both parse the same grammar into the same trees, and the
 * engine reads a tree only through the host's TreeReader (syntax/nodeStore.ts) and the
 * few members below. web-tree-sitter's Parser and Tree have these members as they are.
 */

/** A text edit in tree-sitter's terms (UTF-16 offsets, rows and columns), for an incremental re-parse. */
export interface TreeEdit {
  readonly startIndex: number;
  readonly oldEndIndex: number;
  readonly newEndIndex: number;
  readonly startPosition: { readonly row: number; readonly column: number };
  readonly oldEndPosition: { readonly row: number; readonly column: number };
  readonly newEndPosition: { readonly row: number; readonly column: number };
}

/** One parse. Its nodes are read through a TreeReader; a tree is freed by `delete()` (WebAssembly's are not collected). */
export interface ParsedTree {
  readonly rootNode: { readonly hasError: boolean };
  /** A tree that can be deleted or edited on its own. */
  copy(): ParsedTree;
  delete(): void;
  edit(edit: TreeEdit): void;
}

export interface PythonParser {
  /** The text's tree; `oldTree`, edited to match it, makes the parse incremental. Null: the parse was cancelled. */
  parse(text: string, oldTree?: ParsedTree | null): ParsedTree | null;
}
