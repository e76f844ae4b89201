/**
 * Small helpers over tree-sitter-python nodes. The engine only uses node objects the
 * host's parser produced (type imports only). Offsets are UTF-16 code units, as
 * web-tree-sitter reports them for JavaScript strings, so they are Spans as they are.
 */
import type { Node as TreeSitterNode, Tree } from 'web-tree-sitter';
import type { Span } from '../../../text';

/**
 * A syntax node, read from tree-sitter once and remembered. Every property of a
 * web-tree-sitter node is a call into WebAssembly; the interpreter visits a class body
 * once per instantiation and a loop body once per iteration, so each node is wrapped
 * once (by its id) and its children, fields and text are cached on first use.
 */
export class Node {
  private cachedType: string | undefined;
  private cachedStart = -1;
  private cachedEnd = -1;
  private cachedNamed: boolean | undefined;
  private cachedChildren: Node[] | undefined;
  private cachedNamedChildren: Node[] | undefined;
  // Fields read so far, as name/node pairs in one array (a node has a handful of fields: a
  // linear scan over interned names is cheaper than a Map per node, which was 1/7 of all
  // allocation). Each array is built at its exact size: arrays grown by push reserve 17
  // slots, which was 1/7 of all allocation again.
  private fields: (string | Node | null)[] | undefined;
  // Allocated on first use: most nodes never have a descendant query read.
  private fieldLists: Map<string, Node[]> | undefined;
  private descendants: Map<string, Node[]> | undefined;

  /** Set when the node is known to be named (reached through namedChildren), saving a call. */
  constructor(private readonly raw: TreeSitterNode, private readonly owner: SyntaxTree, named?: boolean) {
    this.cachedNamed = named;
  }

  /** Memo for callParts (a call is read by several handlers). */
  callParts: CallParts | null | undefined;

  get type(): string {
    return (this.cachedType ??= this.raw.type);
  }

  get startIndex(): number {
    if (this.cachedStart < 0) this.cachedStart = this.raw.startIndex + this.owner.base;
    return this.cachedStart;
  }

  get endIndex(): number {
    if (this.cachedEnd < 0) {
      const base = this.owner.base;
      this.cachedEnd = base + (this.type === 'identifier' ? this.owner.identifierEnd(this.startIndex - base) ?? this.raw.endIndex : this.raw.endIndex);
    }
    return this.cachedEnd;
  }

  get text(): string {
    const base = this.owner.base;
    return this.owner.source.slice(this.startIndex - base, this.endIndex - base);
  }

  get isNamed(): boolean {
    return (this.cachedNamed ??= this.raw.isNamed);
  }

  get isError(): boolean {
    return this.type === 'ERROR';
  }

  get isMissing(): boolean {
    return this.raw.isMissing;
  }

  get hasError(): boolean {
    return this.raw.hasError;
  }

  get startRow(): number {
    return this.raw.startPosition.row;
  }

  get children(): Node[] {
    return (this.cachedChildren ??= this.raw.children.map((c) => this.owner.wrap(c)));
  }

  get namedChildren(): Node[] {
    if (!this.cachedNamedChildren) {
      this.cachedNamedChildren = this.cachedChildren
        ? this.cachedChildren.filter((c) => c.isNamed)
        : this.raw.namedChildren.map((c) => this.owner.wrap(c, true));
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

  childForFieldName(name: string): Node | null {
    const fields = this.fields;
    if (fields) {
      for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1] as Node | null;
    }
    const raw = this.raw.childForFieldName(name);
    const found = raw ? this.owner.wrap(raw) : null;
    this.fields = !fields ? [name, found]
      : fields.length === 2 ? [fields[0]!, fields[1]!, name, found]
        : fields.length === 4 ? [fields[0]!, fields[1]!, fields[2]!, fields[3]!, name, found]
          : [...fields, name, found];
    return found;
  }

  childrenForFieldName(name: string): Node[] {
    this.fieldLists ??= new Map();
    let found = this.fieldLists.get(name);
    if (!found) {
      found = this.raw.childrenForFieldName(name).map((c) => this.owner.wrap(c));
      this.fieldLists.set(name, found);
    }
    return found;
  }

  /** The smallest named node spanning [start, end) (tree-sitter's own search: one call). */
  namedDescendantForIndex(start: number, end: number): Node | null {
    const raw = this.raw.namedDescendantForIndex(start - this.owner.base, end - this.owner.base);
    return raw ? this.owner.wrap(raw) : null;
  }

  descendantsOfType(type: string): Node[] {
    this.descendants ??= new Map();
    let found = this.descendants.get(type);
    if (!found) {
      found = this.raw.descendantsOfType(type).map((c) => this.owner.wrap(c));
      this.descendants.set(type, found);
    }
    return found;
  }
}

/**
 * One parse: the source and the wrapper of every node read so far. `base` is added to every
 * offset: the analysed document has base 0, a module it imports its own multiple of
 * MODULE_OFFSET_BASE (workspace/moduleCache.ts), so a span says which file it lies in.
 */
export class SyntaxTree {
  private readonly nodes = new Map<number, Node>();
  readonly root: Node;

  /** No ERROR or MISSING node anywhere (read once). */
  private readonly clean: boolean;

  constructor(tree: Tree, readonly source: string, readonly base = 0) {
    this.root = this.wrap(tree.rootNode);
    this.clean = !tree.rootNode.hasError;
  }

  /**
   * Where an identifier starting at `start` ends, read from the text without a call into
   * WebAssembly: an ASCII identifier ends at the first character that is not [A-Za-z0-9_].
   * Undefined when a non-ASCII character follows (Unicode identifiers ask tree-sitter), and
   * in a tree with syntax errors (a zero-width MISSING identifier is no token of the text).
   */
  identifierEnd(start: number): number | undefined {
    if (!this.clean) return undefined;
    const source = this.source;
    let end = start;
    for (; end < source.length; end++) {
      const c = source.charCodeAt(end);
      const word = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
      if (!word) return c >= 128 || end === start ? undefined : end;
    }
    return end === start ? undefined : end;
  }

  wrap(raw: TreeSitterNode, named?: boolean): Node {
    let node = this.nodes.get(raw.id);
    if (!node) {
      node = new Node(raw, this, named);
      this.nodes.set(raw.id, node);
    }
    return node;
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
  const keywords = new Map<string, { name: Node; value: Node; pair: Node }>();
  let spread = false;
  for (const child of args.namedChildren) {
    if (child.type === 'keyword_argument') {
      const name = child.childForFieldName('name');
      const value = child.childForFieldName('value');
      if (name && value) keywords.set(name.text, { name, value, pair: child });
    } else if (child.type === 'list_splat' || child.type === 'dictionary_splat') {
      spread = true;
      if (child.type === 'list_splat') positional.push(child);
    } else if (child.type !== 'comment') {
      positional.push(child);
    }
  }
  return { node, callee, positional, keywords, spread, args };
}

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
