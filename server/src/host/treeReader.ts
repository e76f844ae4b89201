/**
 * The fast TreeReader (core/frontends/python/syntax/nodeStore.ts): the tree-sitter
 * binding's own cursor functions, called directly on the WebAssembly instance
 * web-tree-sitter's `Parser.init` built from the options object it was handed (Emscripten
 * makes that object the module and puts the exports on it). These are the functions
 * web-tree-sitter's TreeCursor and Node methods call; the wrappers around them copy the
 * cursor or node in and out of the binding's transfer buffer on every call and make a Node
 * object per node read. Here one cursor, shared by every tree of the process (it is reset
 * to a node before each use; analyses run on one thread), stays in the transfer buffer
 * while a node's children are read, and each child costs six calls and no object.
 *
 * It depends on the binding's calling convention (web-tree-sitter 0.27: a node is five
 * 32-bit words, a cursor four, both passed in the transfer buffer), which package.json
 * pins. `fastTreeReaders` checks that what it needs is there and returns undefined
 * otherwise (the engine then reads through the public API: the same results, slower);
 * test/frontends/python.nodeStore.test.ts checks every node it reads against the public
 * Node API.
 */
import type { Tree } from 'web-tree-sitter';
import { descendantIndexOf, type NodeStore, type TreeReader, type TreeReaderFactory } from '../core/frontends/python/syntax/nodeStore';

/** The exports the reader calls (each takes the tree's address; nodes and cursors travel in the transfer buffer). */
interface BindingExports {
  HEAP32: Int32Array;
  _ts_init(): number;
  _ts_tree_root_node_wasm(tree: number): void;
  _ts_node_symbol_wasm(tree: number): number;
  _ts_node_start_index_wasm(tree: number): number;
  _ts_node_end_index_wasm(tree: number): number;
  _ts_node_descendant_count_wasm(tree: number): number;
  _ts_node_has_error_wasm(tree: number): number;
  _ts_node_is_missing_wasm(tree: number): number;
  _ts_node_named_descendant_for_index_wasm(tree: number): void;
  _ts_tree_cursor_new_wasm(tree: number): void;
  _ts_tree_cursor_reset_wasm(tree: number): void;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_current_descendant_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_node_wasm(tree: number): void;
}

const REQUIRED: readonly (keyof BindingExports)[] = [
  '_ts_init', '_ts_tree_root_node_wasm', '_ts_node_symbol_wasm', '_ts_node_start_index_wasm', '_ts_node_end_index_wasm',
  '_ts_node_descendant_count_wasm', '_ts_node_has_error_wasm', '_ts_node_is_missing_wasm', '_ts_node_named_descendant_for_index_wasm',
  '_ts_tree_cursor_new_wasm', '_ts_tree_cursor_reset_wasm', '_ts_tree_cursor_goto_first_child_wasm', '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_current_descendant_index_wasm', '_ts_tree_cursor_current_node_type_id_wasm', '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm', '_ts_tree_cursor_end_index_wasm', '_ts_tree_cursor_current_node_wasm',
];

/** Words of a node and of a cursor in the transfer buffer (web-tree-sitter's SIZE_OF_NODE / SIZE_OF_CURSOR). */
const NODE_WORDS = 5;
const CURSOR_WORDS = 4;
const ERROR_TYPE_ID = 65535;

/**
 * The fast readers over the binding `module` (the options object given to Parser.init),
 * or undefined when it lacks what they need. `languageVersion`: web-tree-sitter's
 * LANGUAGE_VERSION, which `_ts_init` writes first into the transfer buffer (a check that
 * the buffer is where it is expected).
 */
export function fastTreeReaders(module: object, languageVersion: number): TreeReaderFactory | undefined {
  const binding = module as Partial<BindingExports>;
  if (!(binding.HEAP32 instanceof Int32Array) || REQUIRED.some((name) => typeof binding[name] !== 'function')) return undefined;
  const exports = binding as BindingExports;
  const transfer = exports._ts_init() >> 2;
  if (exports.HEAP32[transfer] !== languageVersion) return undefined;
  // The process's one cursor (its four words, between uses); made with the first tree read.
  let cursor: Int32Array | undefined;
  return (tree) => treeReader(exports, transfer, tree, () => cursor, (made) => { cursor = made; });
}

function treeReader(
  b: BindingExports, transfer: number, tree: Tree, sharedCursor: () => Int32Array | undefined, keepCursor: (cursor: Int32Array) => void,
): TreeReader {
  const address = (tree as unknown as { readonly [0]: number })[0];
  const language = tree.language;
  const named: (boolean | undefined)[] = [];
  // Each node's five words, to come back to it (children, errors).
  let handles = new Int32Array(0);

  const putNode = (node: number) => {
    const heap = b.HEAP32;
    for (let w = 0; w < NODE_WORDS; w++) heap[transfer + w] = handles[node * NODE_WORDS + w]!;
  };

  const reader: TreeReader = {
    typeNames: language.types,
    fieldNames: language.fields,
    readRoot(make) {
      b._ts_tree_root_node_wasm(address);
      const heap = b.HEAP32;
      const root = heap.slice(transfer, transfer + NODE_WORDS);
      const count = b._ts_node_descendant_count_wasm(address);
      const store = make(count);
      handles = new Int32Array(count * NODE_WORDS);
      handles.set(root, 0);
      putNode(0);
      store.types[0] = b._ts_node_symbol_wasm(address);
      putNode(0);
      store.starts[0] = b._ts_node_start_index_wasm(address);
      putNode(0);
      store.ends[0] = b._ts_node_end_index_wasm(address);
      store.after[0] = count;
      if (!sharedCursor()) {
        putNode(0);
        b._ts_tree_cursor_new_wasm(address);
        keepCursor(b.HEAP32.slice(transfer, transfer + CURSOR_WORDS));
      }
      return store;
    },
    readChildren(store: NodeStore, parent: number) {
      const cursor = sharedCursor()!;
      putNode(parent);
      b.HEAP32.set(cursor, transfer + NODE_WORDS);
      b._ts_tree_cursor_reset_wasm(address);
      let count = 0;
      if (b._ts_tree_cursor_goto_first_child_wasm(address)) {
        const saved = new Int32Array(CURSOR_WORDS);
        let previous = -1;
        do {
          const at = parent + b._ts_tree_cursor_current_descendant_index_wasm(address);
          if (previous >= 0) store.after[previous] = at;
          store.types[at] = b._ts_tree_cursor_current_node_type_id_wasm(address);
          store.fields[at] = b._ts_tree_cursor_current_field_id_wasm(address);
          store.starts[at] = b._ts_tree_cursor_start_index_wasm(address);
          store.ends[at] = b._ts_tree_cursor_end_index_wasm(address);
          // The child's node words overwrite the cursor's in the buffer: keep and put back.
          let heap = b.HEAP32;
          for (let w = 0; w < CURSOR_WORDS; w++) saved[w] = heap[transfer + w]!;
          b._ts_tree_cursor_current_node_wasm(address);
          heap = b.HEAP32;
          for (let w = 0; w < NODE_WORDS; w++) handles[at * NODE_WORDS + w] = heap[transfer + w]!;
          for (let w = 0; w < CURSOR_WORDS; w++) heap[transfer + w] = saved[w]!;
          previous = at;
          count++;
        } while (b._ts_tree_cursor_goto_next_sibling_wasm(address));
        store.after[previous] = store.after[parent]!;
      }
      // The cursor's stack may have moved (grown): keep its words as they are now.
      cursor.set(b.HEAP32.subarray(transfer, transfer + CURSOR_WORDS));
      store.childCounts[parent] = count;
    },
    isNamedType(typeId) {
      let isNamed = named[typeId];
      if (isNamed === undefined) {
        isNamed = typeId === ERROR_TYPE_ID || language.nodeTypeIsNamed(typeId);
        named[typeId] = isNamed;
      }
      return isNamed;
    },
    hasError(_store, node) {
      putNode(node);
      return b._ts_node_has_error_wasm(address) === 1;
    },
    isMissing(_store, node) {
      putNode(node);
      return b._ts_node_is_missing_wasm(address) === 1;
    },
    namedDescendantForIndex(store, start, end) {
      putNode(0);
      b.HEAP32[transfer + NODE_WORDS] = start;
      b.HEAP32[transfer + NODE_WORDS + 1] = end;
      b._ts_node_named_descendant_for_index_wasm(address);
      if (b.HEAP32[transfer] === 0) return undefined;
      const foundStart = b.HEAP32[transfer + 1]!;
      const words = b.HEAP32.slice(transfer, transfer + NODE_WORDS);
      const foundEnd = b._ts_node_end_index_wasm(address);
      b.HEAP32.set(words, transfer);
      const typeId = b._ts_node_symbol_wasm(address);
      return descendantIndexOf(reader, store, foundStart, foundEnd, typeId);
    },
  };
  return reader;
}
