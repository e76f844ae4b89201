/**
 * The fast TreeReader (core/frontends/python/syntax/nodeStore.ts): the tree-sitter
 * binding's own cursor functions, called directly on the WebAssembly instance
 * web-tree-sitter's `Parser.init` built from the options object it was handed (Emscripten
 * makes that object the module and puts the exports on it). These are the functions
 * web-tree-sitter's TreeCursor and Node methods call; the wrappers around them copy the
 * cursor or node in and out of the binding's transfer buffer on every call and make a Node
 * object per node read. Here one cursor, shared by every tree of the process (it is reset
 * to a node before each use; analyses run on one thread), stays in the transfer buffer
 * while a node's children are read, and each child costs six calls and no object (a small subtree is
 * read in one walk: `readSubtree`).
 *
 * It depends on the binding's calling convention (web-tree-sitter 0.27: a node is five
 * 32-bit words, a cursor four, both passed in the transfer buffer), which package.json
 * pins. `fastTreeReaders` checks that what it needs is there and returns undefined
 * otherwise (the engine then reads through the public API: the same results, slower);
 * test/frontends/python.nodeStore.test.ts checks every node it reads against the public
 * Node API.
 */
import type { Tree } from 'web-tree-sitter';
import { descendantIndexOf, IndexSlots, type NodeStore, type TreeReader, type TreeReaderFactory } from '../core/frontends/python/syntax/nodeStore';

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
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_node_children_wasm(tree: number): void;
  _free(address: number): void;
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
  '_ts_tree_cursor_new_wasm', '_ts_tree_cursor_reset_wasm', '_ts_tree_cursor_goto_first_child_wasm', '_ts_tree_cursor_goto_next_sibling_wasm', '_ts_tree_cursor_goto_parent_wasm',
  '_ts_node_children_wasm', '_free',
  '_ts_tree_cursor_current_descendant_index_wasm', '_ts_tree_cursor_current_node_type_id_wasm', '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm', '_ts_tree_cursor_end_index_wasm', '_ts_tree_cursor_current_node_wasm',
];

/**
 * Forgets the shared cursor's words in the transfer buffer once they are kept: web-tree-sitter
 * 0.27's finalizer for a collected TreeCursor frees the stack of whatever cursor the buffer
 * holds when it runs (it passes the tree, not the cursor), which would be ours. A zero cursor
 * frees nothing.
 */
function clearCursorWords(heap: Int32Array, transfer: number): void {
  for (let w = 0; w < CURSOR_WORDS; w++) heap[transfer + w] = 0;
}

/** Copies the shared cursor's words out of the transfer buffer, then clears them there (clearCursorWords). */
function keepCursorWords(heap: Int32Array, transfer: number, cursor: Int32Array): void {
  for (let w = 0; w < CURSOR_WORDS; w++) {
    cursor[w] = heap[transfer + w]!;
    heap[transfer + w] = 0;
  }
}

/** The level stacks of readSubtree's walks (one walk at a time: analyses run on one thread). */
const walkParents: number[] = [];
const walkPrevious: number[] = [];

/** Words of a node and of a cursor in the transfer buffer (web-tree-sitter's SIZE_OF_NODE / SIZE_OF_CURSOR). */
const NODE_WORDS = 5;
const CURSOR_WORDS = 4;
const ERROR_TYPE_ID = 65535;

/**
 * Below the module's own statements, a subtree of at most this many nodes is read whole
 * when its children are asked for (a statement such as `self.fc = nn.Linear(3, 4)` has
 * ~15 nodes): nearly all of it is read anyway, and one walk costs less per node than a
 * level at a time. Larger nodes (class and function bodies) are read a level at a time, so
 * functions the pre-pass skips are never read; so are the module's statements, of which a
 * keystroke's analysis reads only the first levels (names, targets).
 */
const WHOLE_SUBTREE_NODES = 64;

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
  // The trees this factory is handed are this binding's (host/treeSitter.ts gives it with its parser).
  return (tree) => treeReader(exports, transfer, tree as Tree, () => cursor, (made) => { cursor = made; });
}

function treeReader(
  b: BindingExports, transfer: number, tree: Tree, sharedCursor: () => Int32Array | undefined, keepCursor: (cursor: Int32Array) => void,
): TreeReader {
  // The reader holds the Tree itself, not only its address: web-tree-sitter deletes a Tree
  // its FinalizationRegistry finds unreachable, and a store is read lazily long after the
  // parse (reading a deleted tree corrupted the binding's heap). Each read takes the address
  // afresh, so a tree deleted on purpose is a clear error instead of freed memory read.
  const handle = tree as unknown as { readonly [0]: number };
  const liveAddress = () => {
    const address = handle[0];
    if (address === 0) throw new Error('tree reader: the syntax tree was deleted');
    return address;
  };
  const language = tree.language;
  const named: (boolean | undefined)[] = [];
  // The five words of each node read a level at a time, to come back to it (its children,
  // errors), slot by slot in the order read (an array of words for every node of the tree
  // cost a keystroke's analysis more than its reads: it reads a few hundred nodes); each
  // node's slot in IndexSlots, made with the store (a Map alone cost ~1% of a from-scratch
  // analysis).
  let slots: IndexSlots | undefined;
  let kept = 0;
  // The module's statements (read a level at a time whatever their size).
  const topLevel = new Set<number>();
  let handles = new Int32Array(64 * NODE_WORDS);

  /** Keeps the words at `from` in the binding's memory as the node's. */
  const keepNode = (node: number, from: number) => {
    const heap = b.HEAP32;
    const slot = kept++;
    slots!.set(node, slot);
    if ((slot + 1) * NODE_WORDS > handles.length) {
      const grown = new Int32Array(handles.length * 2);
      grown.set(handles);
      handles = grown;
    }
    for (let w = 0; w < NODE_WORDS; w++) handles[slot * NODE_WORDS + w] = heap[from + w]!;
  };

  /** Puts the node's words in the transfer buffer. */
  const putNode = (node: number) => {
    const heap = b.HEAP32;
    const slot = slots!.get(node);
    for (let w = 0; w < NODE_WORDS; w++) heap[transfer + w] = handles[slot * NODE_WORDS + w]!;
  };

  /**
   * The whole subtree below `parent` in one walk, in a clean tree (its nodes get no words:
   * they never need them, since their children are read and nothing has errors).
   */
  const readSubtree = (store: NodeStore, parent: number, address: number) => {
    const cursor = sharedCursor()!;
    putNode(parent);
    b.HEAP32.set(cursor, transfer + NODE_WORDS);
    b._ts_tree_cursor_reset_wasm(address);
    store.childCounts[parent] = 0;
    if (b._ts_tree_cursor_goto_first_child_wasm(address)) {
      // Per level of the walk: its parent and its last node so far (arrays kept between
      // walks: a walk per statement allocated ~1 MB per analysis of the benchmark file).
      const levelParents = walkParents;
      const previous = walkPrevious;
      levelParents[0] = parent;
      previous[0] = -1;
      let depth = 0;
      let next = parent + 1;
      for (;;) {
        const at = next++;
        store.types[at] = b._ts_tree_cursor_current_node_type_id_wasm(address);
        store.fields[at] = b._ts_tree_cursor_current_field_id_wasm(address);
        store.starts[at] = b._ts_tree_cursor_start_index_wasm(address);
        store.ends[at] = b._ts_tree_cursor_end_index_wasm(address);
        store.childCounts[at] = 0;
        store.after[at] = next;
        store.childCounts[levelParents[depth]!]!++;
        if (previous[depth]! >= 0) store.after[previous[depth]!] = at;
        previous[depth] = at;
        if (b._ts_tree_cursor_goto_first_child_wasm(address)) {
          depth++;
          levelParents[depth] = at;
          previous[depth] = -1;
          continue;
        }
        let ended = false;
        while (!b._ts_tree_cursor_goto_next_sibling_wasm(address)) {
          // The level is done: its last node's subtree ends here.
          store.after[previous[depth]!] = next;
          if (depth === 0) {
            ended = true;
            break;
          }
          b._ts_tree_cursor_goto_parent_wasm(address);
          depth--;
        }
        if (ended) break;
      }
    }
    keepCursorWords(b.HEAP32, transfer, cursor);
  };

  const reader: TreeReader = {
    typeNames: language.types,
    fieldNames: language.fields,
    readRoot(make) {
      const address = liveAddress();
      b._ts_tree_root_node_wasm(address);
      const rootWords = b.HEAP32.slice(transfer, transfer + NODE_WORDS);
      const count = b._ts_node_descendant_count_wasm(address);
      slots = new IndexSlots(count);
      b.HEAP32.set(rootWords, transfer);
      keepNode(0, transfer);
      const store = make(count);
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
        clearCursorWords(b.HEAP32, transfer);
      }
      return store;
    },
    readChildren(store: NodeStore, parent: number) {
      const address = liveAddress();
      if (store.clean && parent !== 0 && !topLevel.has(parent) && store.after[parent]! - parent <= WHOLE_SUBTREE_NODES) {
        readSubtree(store, parent, address);
        return;
      }
      // The children's words in one call (an array the binding allocates), then the cursor
      // for what the words do not say.
      putNode(parent);
      b._ts_node_children_wasm(address);
      // Only an array of at least one child is allocated (web-tree-sitter's Node.children).
      const listed = b.HEAP32[transfer]!;
      const words = listed > 0 ? b.HEAP32[transfer + 1]! : 0;
      const cursor = sharedCursor()!;
      putNode(parent);
      b.HEAP32.set(cursor, transfer + NODE_WORDS);
      b._ts_tree_cursor_reset_wasm(address);
      let count = 0;
      if (b._ts_tree_cursor_goto_first_child_wasm(address)) {
        let previous = -1;
        do {
          const at = parent + b._ts_tree_cursor_current_descendant_index_wasm(address);
          if (previous >= 0) store.after[previous] = at;
          store.types[at] = b._ts_tree_cursor_current_node_type_id_wasm(address);
          store.fields[at] = b._ts_tree_cursor_current_field_id_wasm(address);
          store.starts[at] = b._ts_tree_cursor_start_index_wasm(address);
          store.ends[at] = b._ts_tree_cursor_end_index_wasm(address);
          keepNode(at, (words >> 2) + count * NODE_WORDS);
          if (parent === 0) topLevel.add(at);
          previous = at;
          count++;
        } while (b._ts_tree_cursor_goto_next_sibling_wasm(address));
        store.after[previous] = store.after[parent]!;
      }
      // The cursor's stack may have moved (grown): keep its words as they are now.
      keepCursorWords(b.HEAP32, transfer, cursor);
      if (listed > 0) b._free(words);
      if (listed !== count) throw new Error(`tree reader: ${listed} children listed, ${count} walked`);
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
      const address = liveAddress();
      putNode(node);
      return b._ts_node_has_error_wasm(address) === 1;
    },
    isMissing(_store, node) {
      const address = liveAddress();
      putNode(node);
      return b._ts_node_is_missing_wasm(address) === 1;
    },
    namedDescendantForIndex(store, start, end) {
      const address = liveAddress();
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
