/**
 * The Python parser on the native `tree-sitter` binding (node-tree-sitter, an optional
 * dependency built by node-gyp at install, and tree-sitter-python's prebuilt native
 * grammar): the CLI's loader where it loads (issue 16; cli/pythonParser.ts chooses). The
 * extension and the language server keep web-tree-sitter (host/treeSitter.ts), so the
 * .vsix holds no native code; esbuild leaves both packages external, and where they are
 * not installed (the .vsix, a failed build) `require` throws and the caller falls back.
 *
 * The same grammar version as the WebAssembly build (tree-sitter-python's own .wasm) gives
 * the same trees; test/frontends/python.parserLoaders.test.ts compares every node and
 * everything analyze() returns under both loaders.
 *
 * Trees: node-tree-sitter frees a tree when its JavaScript object is collected, not on
 * delete(). The engine's ParsedTree is a wrapper per owner over one `NativeParse` (copy()
 * makes another wrapper over the same parse, which is never edited: this loader gives no
 * `newEdit`, so the engine never re-parses incrementally); the reader keeps the native tree
 * only until it has read it whole (nativeTreeReader.ts). delete() marks the wrapper, and
 * its reader refuses to read after it, as web-tree-sitter would. Node-API modules are
 * context-aware: each worker thread that requires the binding gets its own instance data.
 */
import * as path from 'node:path';
import type { PythonSupport } from '../core/frontends/types';
import type { ParsedTree, PythonParser, TreeEdit } from '../core/frontends/python/syntax/parsedTree';
import type { TreeReaderFactory } from '../core/frontends/python/syntax/nodeStore';
import { fieldlessTypes, type NativeLanguageTables, type NativeNode, type NativeParse, type NodeTypeInfo, nativeTreeReader } from './nativeTreeReader';

/** node-tree-sitter's Parser, as used here. */
interface NativeParser {
  setLanguage(language: unknown): void;
  parse(input: string, oldTree?: NativeTree | null, options?: { bufferSize?: number }): NativeTree | undefined;
}

interface NativeTree {
  readonly rootNode: NativeNode;
}

/** The raw binding's type and field names by id (node-tree-sitter's own index.js reads them the same way). */
interface NativeBinding {
  getNodeTypeNamesById(language: unknown): (string | null)[];
  getNodeFieldNamesById(language: unknown): (string | null)[];
}

/** tree-sitter-python's language object: its node-types.json, and the node classes node-tree-sitter keeps on it. */
interface NativeGrammar {
  readonly nodeTypeInfo?: readonly NodeTypeInfo[];
  nodeSubclasses?: unknown[];
}

class NativeParsedTree implements ParsedTree {
  private deleted = false;

  constructor(readonly parse: NativeParse) {}

  get rootNode(): { readonly hasError: boolean } {
    this.checkLive();
    return this.parse;
  }

  copy(): ParsedTree {
    this.checkLive();
    return new NativeParsedTree(this.parse);
  }

  delete(): void {
    this.deleted = true;
  }

  edit(_edit: TreeEdit): void {
    // Never called: without PythonSupport.newEdit the engine parses afresh.
    throw new Error('native tree-sitter trees are not edited (the CLI parses every file afresh)');
  }

  checkLive(): void {
    if (this.deleted) throw new Error('tree reader: the syntax tree was deleted');
  }
}

/** The native parser, or an Error saying why it did not load (not installed, not built, another ABI). */
export function loadNativePythonSupport(): PythonSupport {
  // Resolved at run time, never bundled (esbuild.mjs lists both as external).
  const treeSitterDir = path.dirname(require.resolve('tree-sitter/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Parser = require('tree-sitter') as (new () => NativeParser) & { readonly SyntaxNode: unknown };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const grammar = require('tree-sitter-python') as NativeGrammar;
  // The binding file the package itself loaded (node-gyp-build's choice): the same module instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodeGypBuild = require(require.resolve('node-gyp-build', { paths: [treeSitterDir] })) as { path(dir: string): string };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = require(nodeGypBuild.path(treeSitterDir)) as NativeBinding;
  const typeNamesById = binding.getNodeTypeNamesById(grammar);
  // node-tree-sitter's setLanguage makes a SyntaxNode subclass per named type (field
  // getters such as `nameNode`, compiled with eval) unless the language has them: 10–35 ms
  // of a check's start (issue 16). The engine reads trees through a cursor and asks a node
  // object only its base class's members (NativeNode), so the base class serves every type.
  grammar.nodeSubclasses ??= new Array<unknown>(typeNamesById.length).fill(Parser.SyntaxNode);
  const parser = new Parser();
  parser.setLanguage(grammar);
  const tables: NativeLanguageTables = {
    typeNames: [],
    fieldNames: binding.getNodeFieldNamesById(grammar),
    named: [],
    fieldless: fieldlessTypes(typeNamesById, grammar.nodeTypeInfo),
  };
  const pythonParser: PythonParser = {
    parse(text, oldTree) {
      // Never incremental (no newEdit): an old tree is not asked for.
      void oldTree;
      // One read of the whole text (the binding asks its input for chunks of bufferSize units).
      const parseText = () => parser.parse(text, undefined, { bufferSize: text.length + 1 });
      const tree = parseText();
      return tree ? new NativeParsedTree({ tree, hasError: tree.rootNode.hasError, store: undefined, reparse: () => parseText()! }) : null;
    },
  };
  const treeReaders: TreeReaderFactory = (tree) => {
    if (!(tree instanceof NativeParsedTree)) return undefined;
    return nativeTreeReader(tree.parse, () => tree.checkLive(), tables);
  };
  return { parser: pythonParser, treeReaders };
}
