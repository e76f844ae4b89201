/**
 * Small helpers over tree-sitter-python nodes. The engine only uses node objects the
 * host's parser produced (type imports only). Offsets are UTF-16 code units, as
 * web-tree-sitter reports them for JavaScript strings, so they are Spans as they are.
 */
import type { Tree } from 'web-tree-sitter';
import type { ParsedTree } from './parsedTree';
import type { Span } from '../../../text';
import { ensureChildren, IndexSlots, NodeStore, publicTreeReader, type TreeReader, type TreeReaderFactory, typeName } from './nodeStore';

/**
 * A syntax node: one index into its tree's NodeStore (nodeStore.ts), wrapped once. Every
 * read is answered from the store's arrays; a node's children are read from tree-sitter
 * the first time anything below it is asked for.
 */
export class Node {
  private cachedChildren: Node[] | undefined;
  private cachedNamedChildren: Node[] | undefined;
  // Allocated on first use: most nodes never have a descendant query read.
  private descendants: Map<string, Node[]> | undefined;

  /** The node's type name, read once (the interpreter asks for it at nearly every step). */
  readonly type: string;

  constructor(private readonly owner: SyntaxTree, private readonly index: number) {
    this.type = owner.typeOf(index);
  }

  /** Memo for callParts (a call is read by several handlers). */
  callParts: CallParts | null | undefined;

  get startIndex(): number {
    return this.owner.store.starts[this.index]! + this.owner.base;
  }

  get endIndex(): number {
    return this.owner.store.ends[this.index]! + this.owner.base;
  }

  get text(): string {
    const store = this.owner.store;
    return this.owner.source.slice(store.starts[this.index], store.ends[this.index]);
  }

  get isNamed(): boolean {
    return this.owner.reader.isNamedType(this.owner.store.types[this.index]!);
  }

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get isMissing(): boolean {
    return !this.owner.clean && this.owner.reader.isMissing(this.owner.store, this.index);
  }

  get hasError(): boolean {
    return !this.owner.clean && this.owner.reader.hasError(this.owner.store, this.index);
  }

  get children(): Node[] {
    if (!this.cachedChildren) {
      const owner = this.owner;
      const store = owner.childrenOf(this.index);
      const children = new Array<Node>(store.childCounts[this.index]!);
      for (let child = this.index + 1, i = 0; i < children.length; child = store.after[child]!, i++) children[i] = owner.node(child);
      this.cachedChildren = children;
    }
    return this.cachedChildren;
  }

  get namedChildren(): Node[] {
    if (!this.cachedNamedChildren) {
      const owner = this.owner;
      const store = owner.childrenOf(this.index);
      // Counted first, then an array of that length: pushing into [] reserves room for 17 (most
      // nodes have 1–4 named children; the arrays are kept with the tree: issue 16).
      let count = 0;
      for (let child = this.index + 1, left = store.childCounts[this.index]!; left > 0; child = store.after[child]!, left--) {
        if (owner.reader.isNamedType(store.types[child]!)) count++;
      }
      const named = new Array<Node>(count);
      for (let child = this.index + 1, left = store.childCounts[this.index]!, i = 0; left > 0; child = store.after[child]!, left--) {
        if (owner.reader.isNamedType(store.types[child]!)) named[i++] = owner.node(child);
      }
      this.cachedNamedChildren = named;
    }
    return this.cachedNamedChildren;
  }

  get namedChildCount(): number {
    return this.namedChildren.length;
  }

  get firstChild(): Node | null {
    return this.children[0] ?? null;
  }

  namedChild(index: number): Node | null {
    return this.namedChildren[index] ?? null;
  }

  /** The first child in the field (tree-sitter's `childForFieldName`). */
  childForFieldName(name: string): Node | null {
    const owner = this.owner;
    const field = owner.fieldId(name);
    if (field === undefined) return null;
    const store = owner.childrenOf(this.index);
    for (let child = this.index + 1, left = store.childCounts[this.index]!; left > 0; child = store.after[child]!, left--) {
      if (store.fields[child] === field) return owner.node(child);
    }
    return null;
  }

  childrenForFieldName(name: string): Node[] {
    const owner = this.owner;
    const field = owner.fieldId(name);
    const found: Node[] = [];
    if (field === undefined) return found;
    const store = owner.childrenOf(this.index);
    for (let child = this.index + 1, left = store.childCounts[this.index]!; left > 0; child = store.after[child]!, left--) {
      if (store.fields[child] === field) found.push(owner.node(child));
    }
    return found;
  }

  /** The smallest named node spanning [start, end) (tree-sitter's own search). */
  namedDescendantForIndex(start: number, end: number): Node | null {
    const owner = this.owner;
    const found = owner.reader.namedDescendantForIndex(owner.store, start - owner.base, end - owner.base);
    return found === undefined ? null : owner.node(found);
  }

  /**
   * The node and its descendants of this type, in pre-order (tree-sitter's
   * `descendantsOfType`, which also leaves out nodes ending at offset 0).
   */
  descendantsOfType(type: string): Node[] {
    this.descendants ??= new Map();
    let found = this.descendants.get(type);
    if (!found) {
      found = [];
      const owner = this.owner;
      const store = owner.subtreeOf(this.index);
      // Type ids compared, not names (descendant queries scan whole method bodies).
      const ofType = owner.typeIdsNamed(type);
      const errors = type === 'ERROR';
      for (let i = this.index, end = store.after[this.index]!; i < end;) {
        if (store.ends[i] === 0) {
          i = store.after[i]!;
          continue;
        }
        const id = store.types[i]!;
        if (id < ofType.length ? ofType[id] === 1 : errors) found.push(owner.node(i));
        i++;
      }
      this.descendants.set(type, found);
    }
    return found;
  }
}

/**
 * One parse: the source and its nodes. `base` is added to every offset: the analysed
 * document has base 0, a module it imports its own multiple of MODULE_OFFSET_BASE
 * (workspace/moduleCache.ts), so a span says which file it lies in.
 */
export class SyntaxTree {
  readonly reader: TreeReader;
  readonly store: NodeStore;
  // Wrappers made so far, packed in the order made, and each node's place among them
  // (IndexSlots: a Map from index to wrapper cost ~6% of a from-scratch analysis of the
  // 3,500-line benchmark file, 75,000 lookups and 30,000 wrappers; issue 16).
  private readonly nodes: Node[] = [];
  private readonly slots: IndexSlots;
  // Field ids by name (-1: the grammar has no such field).
  private readonly fieldIds = new Map<string, number>();
  // Type names by type id, 'ERROR' where the language has none.
  private readonly typeNames: string[];
  private readonly typeIdFlags = new Map<string, Uint8Array>();
  readonly root: Node;

  /** No ERROR or MISSING node anywhere (read once). */
  readonly clean: boolean;

  /**
   * `readers`: the host's reader (PythonSupport.treeReaders); without one, web-tree-sitter's
   * public API, so the tree must then be web-tree-sitter's.
   */
  constructor(tree: ParsedTree, readonly source: string, readonly base = 0, readers?: TreeReaderFactory) {
    this.reader = readers?.(tree) ?? publicTreeReader(tree as Tree);
    this.store = this.reader.readRoot((count) => new NodeStore(count));
    this.slots = new IndexSlots(this.store.count);
    this.typeNames = this.reader.typeNames.map((_, id) => typeName(this.reader, id));
    this.clean = !tree.rootNode.hasError;
    this.store.clean = this.clean;
    this.root = this.node(0);
  }

  node(index: number): Node {
    const slot = this.slots.get(index);
    if (slot >= 0) return this.nodes[slot]!;
    const node = new Node(this, index);
    this.slots.set(index, this.nodes.push(node) - 1);
    return node;
  }

  typeOf(index: number): string {
    const typeId = this.store.types[index]!;
    return typeId < this.typeNames.length ? this.typeNames[typeId]! : typeName(this.reader, typeId);
  }

  /**
   * Per type id of the language, 1 where the id's name is `name` (several ids may share a
   * name: aliases); ids past the language's (ERROR is 65535) are named 'ERROR' (typeOf).
   */
  typeIdsNamed(name: string): Uint8Array {
    let flags = this.typeIdFlags.get(name);
    if (!flags) {
      flags = new Uint8Array(this.typeNames.length);
      for (let id = 0; id < this.typeNames.length; id++) if (this.typeNames[id] === name) flags[id] = 1;
      this.typeIdFlags.set(name, flags);
    }
    return flags;
  }

  fieldId(name: string): number | undefined {
    let id = this.fieldIds.get(name);
    if (id === undefined) {
      const found = this.reader.fieldNames.indexOf(name);
      id = found > 0 ? found : -1;
      this.fieldIds.set(name, id);
    }
    return id < 0 ? undefined : id;
  }

  /** The store with the node's children read. */
  childrenOf(index: number): NodeStore {
    ensureChildren(this.reader, this.store, index);
    return this.store;
  }

  /** The store with the node's whole subtree read (each node's children before the nodes after them). */
  subtreeOf(index: number): NodeStore {
    const store = this.store;
    ensureChildren(this.reader, store, index);
    for (let i = index + 1, end = store.after[index]!; i < end; i++) ensureChildren(this.reader, store, i);
    return store;
  }
}

export function spanOf(node: Node): Span {
  return { start: node.startIndex, end: node.endIndex };
}

/** A call's pieces: the callee, positional arguments and keyword arguments by name. */
export interface CallParts {
  readonly node: Node;
  readonly callee: Node;
  readonly positional: readonly Node[];
  readonly keywords: ReadonlyMap<string, { readonly name: Node; readonly value: Node; readonly pair: Node }>;
  /** `*args` / `**kwargs` present: the argument list cannot be read completely. */
  readonly spread: boolean;
  readonly args: Node;
}

export function callParts(node: Node): CallParts | undefined {
  if (node.callParts !== undefined) return node.callParts ?? undefined;
  const parts = readCallParts(node);
  node.callParts = parts ?? null;
  return parts;
}

function readCallParts(node: Node): CallParts | undefined {
  if (node.type !== 'call') return undefined;
  const callee = node.childForFieldName('function');
  const args = node.childForFieldName('arguments');
  if (!callee || !args || args.type !== 'argument_list') return undefined;
  const positional: Node[] = [];
  // Most calls have no keyword argument: they share one empty map (read only).
  let keywords: Map<string, { name: Node; value: Node; pair: Node }> | undefined;
  let spread = false;
  const children = args.namedChildren;
  // Indexed: no iterator result per step in V8's baseline tiers (issue 16).
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.type === 'keyword_argument') {
      const name = child.childForFieldName('name');
      const value = child.childForFieldName('value');
      if (name && value) (keywords ??= new Map()).set(name.text, { name, value, pair: child });
    } else if (child.type === 'list_splat' || child.type === 'dictionary_splat') {
      spread = true;
      if (child.type === 'list_splat') positional.push(child);
    } else if (child.type !== 'comment') {
      positional.push(child);
    }
  }
  return { node, callee, positional, keywords: keywords ?? NO_KEYWORDS, spread, args };
}

const NO_KEYWORDS: ReadonlyMap<string, { readonly name: Node; readonly value: Node; readonly pair: Node }> = new Map();

/** The i-th positional argument, or the keyword argument `name`. */
export function argument(call: CallParts, index: number, name: string): Node | undefined {
  return call.keywords.get(name)?.value ?? (index >= 0 ? call.positional[index] : undefined);
}

const PLAIN_DOTTED = /^[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/** `a.b.c` as written (identifiers and attributes only); undefined for anything else. */
export function dottedName(node: Node): string | undefined {
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    // Most attribute chains are written plainly: read the text instead of the subtree.
    const text = node.text;
    if (PLAIN_DOTTED.test(text)) return text;
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    if (!object || !attribute) return undefined;
    const base = dottedName(object);
    return base === undefined ? undefined : `${base}.${attribute.text}`;
  }
  return undefined;
}

/** The value of a plain string literal (no f-string interpolation, no concatenation). */
export function stringValue(node: Node): string | undefined {
  if (node.type !== 'string') return undefined;
  let out = '';
  for (const child of node.namedChildren) {
    if (child.type === 'string_content') out += child.text;
    else if (child.type === 'interpolation') return undefined;
    else if (child.type === 'escape_sequence') return undefined;
  }
  return out;
}

/** The quote a string literal uses (`"` or `'`), for writing new strings in the file's style. */
export function quoteOf(node: Node): string {
  const start = node.firstChild;
  const text = start?.text ?? '"';
  return text.includes("'") ? "'" : '"';
}

/** The body statements of a class or function definition. */
export function bodyOf(definition: Node): readonly Node[] {
  const body = definition.childForFieldName('body');
  return body ? body.namedChildren : [];
}

/** Unwraps `decorated_definition` to the definition it decorates. */
export function definitionOf(node: Node): Node {
  if (node.type === 'decorated_definition') return node.childForFieldName('definition') ?? node;
  return node;
}

/** The expression of an expression statement, unwrapped from parentheses. */
export function unparen(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0)!;
  return n;
}

/** Leading whitespace of the line that contains `offset`. */
export function indentationAt(source: string, offset: number): string {
  let start = offset;
  while (start > 0 && source[start - 1] !== '\n' && source[start - 1] !== '\r') start--;
  let end = start;
  while (end < source.length && (source[end] === ' ' || source[end] === '\t')) end++;
  return source.slice(start, end);
}

/** Offset just past the end of the line containing `offset` (before its line break). */
export function lineEndAt(source: string, offset: number): number {
  let end = offset;
  while (end < source.length && source[end] !== '\n' && source[end] !== '\r') end++;
  return end;
}

/**
 * The module's statements. tree-sitter wraps the statements around a bad line into an
 * ERROR node; the intact statements inside it are still read (analyse what parses).
 */
export function moduleStatements(root: Node): Node[] {
  const out: Node[] = [];
  const visit = (node: Node, depth: number) => {
    for (const child of node.namedChildren) {
      if (child.type === 'ERROR' && depth < 4) visit(child, depth + 1);
      else if (child.type !== 'comment') out.push(child);
    }
  };
  visit(root, 0);
  return out;
}
