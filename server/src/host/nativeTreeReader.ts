/**
 * The TreeReader (core/frontends/python/syntax/nodeStore.ts) of a native tree-sitter tree
 * (host/nativeTreeSitter.ts). Each call into the native binding is a Node-API call
 * (~0.15 µs, against a few ns for a call into WebAssembly), and the binding has no call that
 * reads several nodes' types, fields and extents at once. The reader walks the whole tree
 * once, with one TreeCursor, when the store is made: up to four property reads and one or
 * two moves per node (fewer where the grammar answers: readWholeTree), nothing allocated per
 * node. That is slower than the WebAssembly reader
 * (torchvision's `models/`, 183,000 nodes, bench/parserLoaders.ts: parse and read every node
 * ~265 ms of CPU against ~240 ms, though the native parse alone is ~28 % faster), and it
 * reads nodes the engine never asks for; it is done for memory (below), which lazy reading
 * would lose: every tree would have to live as long as its store.
 *
 * The store is then the tree: every copy of the tree shares it, the named node at an
 * extent is found in it (nodeStore.ts namedDescendantInStore), and a tree without errors
 * is let go as soon as it is read (−20 MB of native trees on torchvision's `models/`,
 * where the CLI keeps every file's parse for the files that import it). A tree with
 * errors is kept: whether a node has an error is asked of the binding's Node API.
 */
import { descendantIndexOf, namedDescendantInStore, type NodeStore, type TreeReader } from '../core/frontends/python/syntax/nodeStore';

/** The members of node-tree-sitter's TreeCursor the reader calls (tree-sitter@0.25). */
export interface NativeCursor {
  readonly nodeTypeId: number;
  readonly nodeType: string;
  readonly currentFieldId: number;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly nodeIsNamed: boolean;
  readonly nodeIsMissing: boolean;
  readonly currentNode: { readonly hasError: boolean };
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  gotoDescendant(index: number): void;
}

/** The members of node-tree-sitter's SyntaxNode the reader and loader read. */
export interface NativeNode {
  readonly typeId: number;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly hasError: boolean;
  readonly descendantCount: number;
  namedDescendantForIndex(start: number, end: number): NativeNode | null;
  walk(): NativeCursor;
}

/**
 * One parse and what was read of it, shared by every copy of the tree (ParsedTree.copy()):
 * the store is read once, and then the native tree is let go (node-tree-sitter frees it
 * when collected) unless it has errors, whose has-error flags are asked of it node by node.
 */
export interface NativeParse {
  tree: { readonly rootNode: NativeNode } | undefined;
  /** The same tree parsed again from its text, for a question about a tree let go. */
  readonly reparse: () => { readonly rootNode: NativeNode };
  readonly hasError: boolean;
  store: NodeStore | undefined;
  /** In a tree with errors, 1 for each MISSING node (read with the store). */
  missing?: Uint8Array;
}

/**
 * The grammar's names and the named flag of each type id, shared by every tree of the
 * process. The binding lists only named types' names (getNodeTypeNamesById), so both are
 * filled as the walks meet each type id (the cursor's nodeType and nodeIsNamed): a store's
 * nodes are all walked before anything asks for their names.
 */
export interface NativeLanguageTables {
  readonly typeNames: (string | null)[];
  readonly fieldNames: readonly (string | null)[];
  readonly named: (boolean | undefined)[];
  /**
   * By type id, true where the grammar gives nodes of that type no fields
   * (`fieldlessTypes`): their children are not asked for a field id in a tree without
   * errors. Empty where the grammar's node types are not known: every child is asked.
   */
  readonly fieldless: readonly boolean[];
}

/** A named type in tree-sitter's node-types.json (the fields of its children, when any). */
export interface NodeTypeInfo {
  readonly type: string;
  readonly named: boolean;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * The type ids whose nodes never have a child in a field, from the grammar's
 * node-types.json (tree-sitter-python ships it as `nodeTypeInfo`): a named type listed there
 * without fields. node-types.json names the fields of every production of a type, aliases
 * and fields inherited through hidden rules included, so in a tree without errors no child
 * of such a node has a field id. A type not listed (anonymous types, ERROR) is not included.
 */
export function fieldlessTypes(typeNamesById: readonly (string | null)[], nodeTypeInfo: readonly NodeTypeInfo[] | undefined): boolean[] {
  const fieldless: boolean[] = [];
  if (!nodeTypeInfo) return fieldless;
  const withoutFields = new Set(nodeTypeInfo.filter((info) => info.named && Object.keys(info.fields ?? {}).length === 0).map((info) => info.type));
  typeNamesById.forEach((name, id) => {
    if (name !== null && withoutFields.has(name)) fieldless[id] = true;
  });
  return fieldless;
}

const ERROR_TYPE_ID = 65535;

/** `checkLive` throws when the tree was deleted (a read after delete() is a bug, as with web-tree-sitter). */
export function nativeTreeReader(parse: NativeParse, checkLive: () => void, tables: NativeLanguageTables): TreeReader {
  // A cursor for the has-error questions after the walk (trees with errors only); made when first needed.
  let lookup: NativeCursor | undefined;

  const reader: TreeReader = {
    typeNames: tables.typeNames,
    fieldNames: tables.fieldNames,
    readRoot(make) {
      checkLive();
      if (parse.store) return parse.store;
      const root = parse.tree!.rootNode;
      const store = make(root.descendantCount);
      if (parse.hasError) parse.missing = new Uint8Array(store.count);
      readWholeTree(root.walk(), store, tables, parse.missing);
      parse.store = store;
      if (!parse.hasError) parse.tree = undefined;
      return store;
    },
    readChildren() {
      // Every node's children were read with the root (readRoot): never asked.
      throw new Error('native tree reader: children asked for that the whole-tree walk did not read');
    },
    isNamedType(typeId) {
      return typeId === ERROR_TYPE_ID || tables.named[typeId] === true;
    },
    hasError(_store, node) {
      checkLive();
      if (!parse.hasError) return false;
      lookup ??= parse.tree!.rootNode.walk();
      lookup.gotoDescendant(node);
      return lookup.currentNode.hasError;
    },
    isMissing(_store, node) {
      checkLive();
      return parse.missing?.[node] === 1;
    },
    namedDescendantForIndex(store, start, end) {
      checkLive();
      // A range of at least one character is found in the store exactly as tree-sitter finds
      // it in the tree (nodeStore.ts); an empty one can stop at a zero-width hidden token the
      // store does not hold (Python's indent and dedent): asked of the tree, parsed again and
      // kept if it was let go (the engine asks only for names' extents).
      if (start < end) return namedDescendantInStore(reader, store, start, end);
      parse.tree ??= parse.reparse();
      const found = parse.tree.rootNode.namedDescendantForIndex(start, end);
      return found ? descendantIndexOf(reader, store, found.startIndex, found.endIndex, found.typeId) : undefined;
    },
  };
  return reader;
}

/**
 * Fills the whole store in pre-order from the cursor at the root (the root's own type and
 * extent included): index k is the k-th visible node, as tree-sitter's descendant index.
 * `missing`: given for a tree with errors, marks its MISSING nodes.
 *
 * Each property read and each move is a Node-API call (~0.15 µs), ~7 per node: in a tree
 * without errors (`missing` undefined) two are left out where the grammar answers them
 * (issue 16: torchvision's `models/` has 183,800 nodes, 88,400 of them children of a type
 * without fields and 64,200 anonymous leaves). A child of a type without fields
 * (`tables.fieldless`) has no field id. An anonymous leaf is a token the grammar spells as
 * a string (`(`, `def`, `+=`), so its text is its type's name: its end is its start plus
 * that name's length (the names are ASCII, one UTF-16 unit per byte). An anonymous node
 * with children (tree-sitter-python's `not in` and `is not`, aliases of two tokens) has its
 * end read. test/frontends/python.nodeStore.test.ts compares the store with and without
 * these shortcuts node by node (`readWholeTree`'s `askEveryNode`).
 */
export function readWholeTree(cursor: NativeCursor, store: NodeStore, tables: NativeLanguageTables, missing: Uint8Array | undefined, askEveryNode = false): void {
  const { types, fields, starts, ends, after, childCounts } = store;
  const { named, typeNames } = tables;
  const grammarKnown = missing === undefined && !askEveryNode;
  const fieldless = grammarKnown ? tables.fieldless : [];
  // Per depth: the node whose children are being read and the last child read so far.
  const parents: number[] = [];
  const previous: number[] = [];
  let depth = 0;
  let next = 0;
  for (;;) {
    const at = next++;
    const type = cursor.nodeTypeId;
    types[at] = type;
    fields[at] = depth > 0 && fieldless[types[parents[depth - 1]!]!] === true ? 0 : cursor.currentFieldId;
    const start = cursor.startIndex;
    starts[at] = start;
    childCounts[at] = 0;
    let isNamed = named[type];
    if (isNamed === undefined) {
      isNamed = cursor.nodeIsNamed;
      named[type] = isNamed;
      typeNames[type] = cursor.nodeType;
    }
    if (missing && cursor.nodeIsMissing) missing[at] = 1;
    if (depth > 0) {
      childCounts[parents[depth - 1]!]!++;
      if (previous[depth - 1]! >= 0) after[previous[depth - 1]!] = at;
      previous[depth - 1] = at;
    }
    let hasChildren: boolean;
    if (grammarKnown && !isNamed) {
      hasChildren = cursor.gotoFirstChild();
      if (!hasChildren) {
        ends[at] = start + typeNames[type]!.length;
      } else {
        cursor.gotoParent();
        ends[at] = cursor.endIndex;
        cursor.gotoFirstChild();
      }
    } else {
      ends[at] = cursor.endIndex;
      hasChildren = cursor.gotoFirstChild();
    }
    if (hasChildren) {
      parents[depth] = at;
      previous[depth] = -1;
      depth++;
      continue;
    }
    // A leaf: its subtree ends after it; then up until a level has a next sibling.
    after[at] = next;
    for (;;) {
      if (depth === 0) return;
      if (cursor.gotoNextSibling()) break;
      // The level is done: its parent's subtree, and its last child's, end here.
      depth--;
      cursor.gotoParent();
      after[previous[depth]!] = next;
      after[parents[depth]!] = next;
    }
  }
}
