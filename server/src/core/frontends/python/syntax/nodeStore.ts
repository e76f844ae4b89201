/**
 * The syntax tree as flat arrays, read from tree-sitter lazily, one node's children at a
 * time, by a cursor (issue 16). Each node is its descendant index: its place in the tree's
 * pre-order of visible nodes (the root is 0), so a node's subtree is the index range
 * [i, after[i]) and its first child is i + 1. web-tree-sitter's Node API makes one object
 * per node read and crosses into WebAssembly for every property (type, end, each field
 * lookup: ~63,000 calls and 28,000 node objects per analysis of the 3,500-line benchmark
 * file); here a node read is a few numbers written into typed arrays, and everything else
 * (fields, named children, descendants of a type) is answered in JavaScript from them.
 *
 * Two readers fill the store: the host's (host/treeSitter.ts, the tree-sitter binding's
 * own cursor functions called directly, nothing allocated per node) and, where the host has
 * none, `publicTreeReader` below (web-tree-sitter's documented TreeCursor API: the same
 * reads, slower). test/frontends/python.nodeStore.test.ts checks both against the Node API.
 */
import type { Node as TreeSitterNode, Tree, TreeCursor } from 'web-tree-sitter';
import type { ParsedTree } from './parsedTree';

/** The tree-sitter type id of ERROR nodes (web-tree-sitter's `types[id] || 'ERROR'`). */
const ERROR_TYPE_ID = 65535;

export class NodeStore {
  readonly types: Uint16Array;
  readonly fields: Uint16Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The index just past the node's subtree. */
  readonly after: Int32Array;
  /** How many children the node has; -1 until they are read. */
  readonly childCounts: Int32Array;
  /** No ERROR or MISSING node anywhere (then no node needs its has-error or missing flag read). */
  clean = false;

  constructor(readonly count: number) {
    this.types = new Uint16Array(count);
    this.fields = new Uint16Array(count);
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    this.after = new Int32Array(count);
    this.childCounts = new Int32Array(count).fill(-1);
  }
}

/**
 * Node index → slot (a place in an array kept beside it), -1 when none. A Map while few are
 * set (a keystroke's analysis wraps a few hundred nodes of a large tree, and a typed array
 * over every node of the tree cost it ~0.15 ms to allocate), an Int32Array over the tree
 * once more are: a Map of ~30,000 wrappers cost ~6% of a from-scratch analysis of the
 * 3,500-line benchmark file (issue 16).
 */
export class IndexSlots {
  private small: Map<number, number> | undefined = new Map();
  /** Slot plus one by index (0: none), once `small` has grown past SMALL_SLOTS. */
  private dense: Int32Array | undefined;

  constructor(private readonly count: number) {}

  get(index: number): number {
    if (this.dense) return this.dense[index]! - 1;
    return this.small!.get(index) ?? -1;
  }

  set(index: number, slot: number): void {
    if (this.dense) {
      this.dense[index] = slot + 1;
      return;
    }
    const small = this.small!;
    small.set(index, slot);
    if (small.size > SMALL_SLOTS) {
      const dense = new Int32Array(this.count);
      small.forEach((s, i) => { dense[i] = s + 1; });
      this.dense = dense;
      this.small = undefined;
    }
  }
}

const SMALL_SLOTS = 1024;

/** What the store needs from tree-sitter: one tree's nodes, read on demand. */
export interface TreeReader {
  /** Node type names by type id (`Language.types`); ERROR_TYPE_ID is 'ERROR'. */
  readonly typeNames: readonly (string | null)[];
  /** Field names by field id (`Language.fields`). */
  readonly fieldNames: readonly (string | null)[];
  /** Fills the root (index 0) and returns the number of visible nodes in the tree. */
  readRoot(store: (count: number) => NodeStore): NodeStore;
  /**
   * Fills the children of `parent` (at least: a reader may fill the whole subtree below):
   * types, fields, extents, `after`, and child counts.
   */
  readChildren(store: NodeStore, parent: number): void;
  /** tree-sitter's `isNamed` of a type id. */
  isNamedType(typeId: number): boolean;
  hasError(store: NodeStore, node: number): boolean;
  isMissing(store: NodeStore, node: number): boolean;
  /** The smallest named node spanning [start, end) (tree-sitter's own search), as a descendant index. */
  namedDescendantForIndex(store: NodeStore, start: number, end: number): number | undefined;
}

/**
 * The host's reader of its trees: undefined falls back on web-tree-sitter's public API
 * (a native tree always has its host's reader: host/nativeTreeReader.ts).
 */
export type TreeReaderFactory = (tree: ParsedTree) => TreeReader | undefined;

export function typeName(reader: TreeReader, typeId: number): string {
  return typeId === ERROR_TYPE_ID ? 'ERROR' : reader.typeNames[typeId] || 'ERROR';
}

/** Reads the children of `parent` unless already read. */
export function ensureChildren(reader: TreeReader, store: NodeStore, parent: number): void {
  if (store.childCounts[parent]! < 0) reader.readChildren(store, parent);
}

/**
 * A reader on web-tree-sitter's documented API: a TreeCursor on the node whose children are
 * read (it keeps the node objects it needs to get back there). Each cursor is deleted as
 * soon as it is done: web-tree-sitter 0.27's finalizer for a collected TreeCursor frees
 * whatever cursor sits in the binding's transfer buffer at that moment, not its own.
 */
export function publicTreeReader(tree: Tree): TreeReader {
  const language = tree.language;
  const nodes: (TreeSitterNode | undefined)[] = [];
  const namedTypes = new Map<number, boolean>();
  return {
    typeNames: language.types,
    fieldNames: language.fields,
    readRoot(make) {
      const root = tree.rootNode;
      const store = make(root.descendantCount);
      nodes[0] = root;
      store.types[0] = root.typeId;
      store.starts[0] = root.startIndex;
      store.ends[0] = root.endIndex;
      store.after[0] = store.count;
      return store;
    },
    readChildren(store, parent) {
      const cursor = nodes[parent]!.walk();
      try {
        store.childCounts[parent] = readLevel(cursor, store, parent, nodes);
      } finally {
        cursor.delete();
      }
    },
    isNamedType(typeId) {
      let named = namedTypes.get(typeId);
      if (named === undefined) {
        named = typeId === ERROR_TYPE_ID || language.nodeTypeIsNamed(typeId);
        namedTypes.set(typeId, named);
      }
      return named;
    },
    hasError: (_store, node) => nodes[node]!.hasError,
    isMissing: (_store, node) => nodes[node]!.isMissing,
    namedDescendantForIndex(store, start, end) {
      const found = tree.rootNode.namedDescendantForIndex(start, end);
      return found ? descendantIndexOf(this, store, found.startIndex, found.endIndex, found.typeId) : undefined;
    },
  };
}

/** Reads the children of `parent` (the cursor's node) into the store; returns how many. */
function readLevel(cursor: TreeCursor, store: NodeStore, parent: number, nodes: (TreeSitterNode | undefined)[]): number {
  let count = 0;
  if (cursor.gotoFirstChild()) {
    let previous = -1;
    do {
      const at = parent + cursor.currentDescendantIndex;
      if (previous >= 0) store.after[previous] = at;
      nodes[at] = cursor.currentNode;
      store.types[at] = cursor.nodeTypeId;
      store.fields[at] = cursor.currentFieldId;
      store.starts[at] = cursor.startIndex;
      store.ends[at] = cursor.endIndex;
      previous = at;
      count++;
    } while (cursor.gotoNextSibling());
    store.after[previous] = store.after[parent]!;
  }
  return count;
}

/**
 * The descendant index of the deepest node with this extent and type (what tree-sitter's
 * descendant searches return), found by descending from the root through the children
 * that contain the extent (two siblings both contain an empty extent at their border).
 */
export function descendantIndexOf(reader: TreeReader, store: NodeStore, start: number, end: number, typeId: number): number | undefined {
  const search = (node: number): number | undefined => {
    ensureChildren(reader, store, node);
    for (let child = node + 1, left = store.childCounts[node]!; left > 0; child = store.after[child]!, left--) {
      if (store.starts[child]! > start) break;
      if (end > store.ends[child]!) continue;
      const deeper = search(child);
      if (deeper !== undefined) return deeper;
    }
    return store.starts[node] === start && store.ends[node] === end && store.types[node] === typeId ? node : undefined;
  };
  return search(0);
}

/**
 * The smallest named node spanning [start, end), found in the store as tree-sitter's
 * `ts_node_named_descendant_for_byte_range` finds it in the tree (the root when none is
 * smaller): from the root down, the first child that reaches the range's end, passes its
 * start (an empty child may touch it) and does not start after it. Exact for a range of at
 * least one character: tree-sitter also steps into hidden nodes, which the store does not
 * hold, but a hidden node that holds such a range holds a child that does, and the
 * first such child comes first in both. An empty range can differ (a zero-width hidden
 * token such as a dedent stops tree-sitter's search). For a reader whose tree is gone once
 * read (host/nativeTreeReader.ts); test/frontends/python.nodeStore.test.ts checks it
 * against tree-sitter's own search.
 */
export function namedDescendantInStore(reader: TreeReader, store: NodeStore, start: number, end: number): number | undefined {
  if (start > end) return undefined;
  let node = 0;
  let found = 0;
  for (;;) {
    ensureChildren(reader, store, node);
    let next = -1;
    for (let child = node + 1, left = store.childCounts[node]!; left > 0; child = store.after[child]!, left--) {
      const childEnd = store.ends[child]!;
      if (childEnd < end) continue;
      const childStart = store.starts[child]!;
      if (childStart === childEnd ? childEnd < start : childEnd <= start) continue;
      if (start < childStart) break;
      next = child;
      break;
    }
    if (next < 0) return found;
    node = next;
    if (reader.isNamedType(store.types[node]!)) found = node;
  }
}
