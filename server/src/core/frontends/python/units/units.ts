/**
 * Units of a Python file, for incremental analysis. A file's models come from three kinds
 * of code: the module script (run every time: it is short and its own networks depend on
 * everything), each top-level builder function, and each root model class instantiated
 * with its default arguments. A function or class unit reads nothing but its own text, the
 * imports, and what it names: the file's classes and functions, and module-level constants
 * (`WIDTH = 256`) — transitively, so `Net` naming `Block` depends on `Block`'s text and on
 * the constants `Block` names. Its key is those texts; when the key is unchanged since the
 * last analysis, its outcome is reused, moved to where its statements are now
 * (relocation.ts).
 *
 * What would make reuse wrong is kept out: statements with syntax errors are never keyed
 * (tree-sitter may read the same text differently next to an error), a compound statement
 * at module level (`if __name__ == "__main__": ...`) counts as binding every name it
 * mentions, a change to an import or to the file's quote or initializer style drops every
 * unit, and counts shared with other units (siteCounts.ts) are compared after the whole
 * file ran (parse.ts).
 */
import type { PythonMemory, UnitEntry } from './memory';
import { definitionOf, dottedName, type Node } from '../syntax/syntax';
import { NameMentions } from '../syntax/nameMentions';

const IDENTIFIER = /[\p{L}_][\p{L}\p{N}_]*/gu;

/** Statements one unit's key may hold. */
const MAX_CLOSURE = 256;
/** Key text per analysis: this many times the file's length, plus a base. */
const KEY_BUDGET_FACTOR = 8;
const KEY_BUDGET_BASE = 1 << 20;

export type UnitKind = 'module' | 'function' | 'class';

export interface UnitKey {
  readonly key: string;
  /** The statements the key is made of (the unit's own first), with the module-level ones after. */
  readonly statements: readonly Node[];
}

export class UnitPlan {
  /** Top-level statements (definitions and module-level code) by the names they may bind. */
  private readonly binders = new Map<string, Node[]>();
  private readonly imports: Node[] = [];
  private readonly topLevel: ReadonlySet<Node>;
  private readonly identifiers = new Map<string, ReadonlySet<string>>();
  /** Units reused or run this time, to remember for the next analysis. */
  readonly next = new Map<string, UnitEntry>();
  /** Characters of key text this analysis may still spend. */
  private keyBudget: number;

  constructor(statements: readonly Node[], root: Node, style: string, private readonly memory: PythonMemory | undefined) {
    this.topLevel = new Set(root.namedChildren);
    this.keyBudget = KEY_BUDGET_FACTOR * root.endIndex + KEY_BUDGET_BASE;
    if (!memory) return;
    const context: string[] = [style];
    for (const statement of statements) {
      if (statement.type === 'import_statement' || statement.type === 'import_from_statement' || statement.type === 'future_import_statement') {
        this.imports.push(statement);
        context.push(statement.text);
        continue;
      }
      for (const name of this.boundNames(statement)) {
        const list = this.binders.get(name);
        if (list) list.push(statement);
        else this.binders.set(name, [statement]);
      }
    }
    const contextKey = context.join('\u0000');
    if (memory.context !== contextKey) {
      memory.units.clear();
      memory.context = contextKey;
    }
  }

  /**
   * The key of the unit rooted at `statement`; undefined when it must not be reused or
   * remembered (no memory, a syntax error in what it reads, a statement nested in an ERROR
   * node).
   */
  keyOf(kind: UnitKind, statement: Node, context = ''): UnitKey | undefined {
    return this.keyOfStatements(kind, [statement], context);
  }

  /** The key of the module script: every module-level statement but the definitions, and what they name. */
  moduleKey(statements: readonly Node[]): UnitKey | undefined {
    const code = statements.filter((s) => !this.imports.includes(s) && !isDefinition(s));
    return this.keyOfStatements('module', code);
  }

  /** `context`: what earlier units learnt that this one reads (the input shapes `model.init(...)` showed). */
  private keyOfStatements(kind: UnitKind, roots: readonly Node[], context = ''): UnitKey | undefined {
    if (!this.memory) return undefined;
    const closure = new Set<Node>(roots);
    const queue = [...roots];
    while (queue.length > 0) {
      const current = queue.pop()!;
      for (const name of this.identifiersOf(current)) {
        for (const binder of this.binders.get(name) ?? []) {
          if (closure.has(binder)) continue;
          // A unit that reads this much of the file (a long chain of classes building on
          // each other) just runs every time: its key would cost more than it saves.
          if (closure.size >= MAX_CLOSURE) return undefined;
          closure.add(binder);
          queue.push(binder);
        }
      }
    }
    const rootSet = new Set(roots);
    const others = [...closure].filter((s) => !rootSet.has(s)).sort((a, b) => a.startIndex - b.startIndex);
    const ordered = [...roots, ...others];
    for (const s of ordered) if (!this.topLevel.has(s) || s.hasError) return undefined;
    const key = `${kind}\u0000${context}\u0000${ordered.map((s) => s.text).join('\u0000')}`;
    // Keys hold the texts themselves (no hash to collide): their total is bounded per
    // analysis, so a document's memory stays a small multiple of its size.
    if (this.keyBudget < key.length) return undefined;
    this.keyBudget -= key.length;
    return { key, statements: [...ordered, ...this.imports] };
  }

  /**
   * Names a top-level statement may bind: a definition its name, an assignment its
   * targets, an expression nothing, and anything else (if, for, with, try at module level)
   * every identifier it mentions.
   */
  private boundNames(statement: Node): Iterable<string> {
    if (isDefinition(statement)) {
      const name = definitionOf(statement).childForFieldName('name')?.text;
      return name === undefined ? [] : [name];
    }
    if (statement.type === 'expression_statement') {
      const inner = statement.namedChild(0);
      if (inner?.type !== 'assignment' && inner?.type !== 'augmented_assignment') return [];
      const names: string[] = [];
      // `a = b = 1` nests assignments on the right.
      for (let node: Node | null = inner; node?.type === 'assignment' || node?.type === 'augmented_assignment'; node = node.childForFieldName('right')) {
        const left = node.childForFieldName('left');
        const targets = left && (left.type === 'pattern_list' || left.type === 'tuple_pattern') ? left.namedChildren : left ? [left] : [];
        for (const target of targets) {
          const name = dottedName(target);
          if (name === undefined) return this.identifiersOf(statement);
          names.push(name.split('.')[0]!);
        }
      }
      return names;
    }
    return this.identifiersOf(statement);
  }

  /** The remembered entry for `key`, if any. */
  recall(key: UnitKey): UnitEntry | undefined {
    return this.memory?.units.get(key.key);
  }

  remember(key: UnitKey, entry: UnitEntry): void {
    this.next.set(key.key, entry);
  }

  /** Keeps only this analysis's units (a file's memory stays the size of the file). */
  commit(): void {
    if (!this.memory) return;
    this.memory.units = this.next;
    this.memory.identifiers = this.identifiers;
  }

  /** The identifiers a statement mentions (in code, comments or strings: a superset is safe). */
  identifiersOf(statement: Node): ReadonlySet<string> {
    const text = statement.text;
    let found = this.identifiers.get(text) ?? this.memory?.identifiers.get(text);
    if (!found) {
      const names = new Set<string>();
      for (const m of text.matchAll(IDENTIFIER)) names.add(m[0]);
      found = names;
    }
    if (this.memory) this.identifiers.set(text, found);
    return found;
  }

  /**
   * The order to run root classes in: a class after every class that names it, so that a
   * class another class instantiates is known to be nested (not a root) before its turn,
   * and no phantom instance of it is built (it would count its layers' sites twice).
   * Classes that name each other keep file order.
   */
  usersFirst<T extends { readonly name: string; readonly definition: Node }>(classes: readonly T[], statementOf: (c: T) => Node | undefined): T[] {
    // One pass over each class's text for the class names only (cheaper than every identifier).
    const mentionsOf = new NameMentions(classes.map((c) => c.name));
    const byName = new Map(classes.map((c) => [c.name, c]));
    const mentions = new Map<T, T[]>();
    const waiting = new Map<T, number>(classes.map((c) => [c, 0]));
    for (const user of classes) {
      const statement = statementOf(user);
      if (!statement) continue;
      const mentioned = new Set<T>();
      for (const m of mentionsOf.all(statement.text)) {
        const other = byName.get(m.name);
        if (other && other !== user) mentioned.add(other);
      }
      mentions.set(user, [...mentioned]);
      for (const other of mentioned) waiting.set(other, waiting.get(other)! + 1);
    }
    // Kahn's algorithm, in file order among the ready ones; a cycle is broken by file order.
    const out: T[] = [];
    const done = new Set<T>();
    const ready = classes.filter((c) => waiting.get(c) === 0);
    let next = 0;
    while (out.length < classes.length) {
      while (next < ready.length && done.has(ready[next]!)) next++;
      const c = next < ready.length ? ready[next++]! : classes.find((x) => !done.has(x))!;
      done.add(c);
      out.push(c);
      for (const other of mentions.get(c) ?? []) {
        const left = waiting.get(other)! - 1;
        waiting.set(other, left);
        if (left === 0 && !done.has(other)) ready.push(other);
      }
    }
    return out;
  }
}

function isDefinition(statement: Node): boolean {
  const def = definitionOf(statement);
  return def.type === 'class_definition' || def.type === 'function_definition';
}
