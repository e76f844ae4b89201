/**
 * One Python module as the interpreter reads it: the analysed document, or a module of the
 * workspace it imports (workspace/loader.ts). Code runs in the context of the module that
 * wrote it — its imports, its constants, its classes and functions — whichever module
 * called it; a node's offset says which module that is (workspace/moduleCache.ts).
 */
import type { Framework } from '../../../ir';
import { Imports } from '../frameworks/imports';
import { bodyOf, definitionOf, dottedName, type Node } from '../syntax/syntax';
import { MODULE_BASES } from './modules';
import { bindAssignments, Scope } from './values';

/** A module class. Its methods are read on first use: most units never touch most classes. */
export class ClassInfo {
  private cachedMethods: Map<string, Node> | undefined;

  constructor(readonly name: string, readonly definition: Node, readonly framework: Framework) {}

  get methods(): ReadonlyMap<string, Node> {
    if (!this.cachedMethods) {
      this.cachedMethods = new Map();
      for (const member of bodyOf(this.definition)) {
        const m = definitionOf(member);
        if (m.type !== 'function_definition') continue;
        const n = m.childForFieldName('name')?.text;
        if (n) this.cachedMethods.set(n, m);
      }
    }
    return this.cachedMethods;
  }
}

export interface ModuleContext {
  /** The module's file; undefined for the analysed document. */
  readonly path: string | undefined;
  /** Offset of the module's nodes (0 for the analysed document). */
  readonly base: number;
  readonly source: string;
  readonly statements: readonly Node[];
  readonly imports: Imports;
  /** Module-level constants; its parent holds the names imported from workspace modules. */
  readonly moduleScope: Scope;
  /** The quote the module's fixes write. */
  readonly quote: string;
  readonly kerasObjectStyle: boolean;
  readonly classes: Map<string, ClassInfo>;
  readonly functions: Map<string, Node>;
  /** Classes, functions and modules bound by imports from workspace modules. */
  readonly importedClasses: Map<string, ClassInfo>;
  readonly importedFunctions: Map<string, Node>;
  readonly namespaces: Map<string, ModuleContext>;
  /** Submodules of a package (`models.resnet`), as imports reached them. */
  readonly submodules: Map<string, ModuleContext>;
}

/**
 * Config dataclasses (`@dataclass class GPTConfig: n_embd: int = 768`): a call to one is a
 * record of its fields, so `nn.Linear(cfg.n_embd, 4 * cfg.n_embd)` reads its widths when the
 * file passes `GPTConfig(...)` (values.ts configRecord).
 */
function registerConfigClasses(statements: readonly Node[], scope: Scope): void {
  for (const statement of statements) {
    if (statement.type !== 'decorated_definition') continue;
    const definition = definitionOf(statement);
    const name = definition.childForFieldName('name')?.text;
    const dataclass = statement.namedChildren.some((d) => d.type === 'decorator' && /^@\s*(dataclasses\.)?dataclass\b/.test(d.text));
    if (definition.type === 'class_definition' && name !== undefined && dataclass) scope.registerConfigClass(name, definition);
  }
}

/** The quote the file mostly uses in keyword arguments, for strings a fix writes. */
function preferredQuote(text: string): string {
  const single = text.match(/=\s*'/g)?.length ?? 0;
  const double = text.match(/=\s*"/g)?.length ?? 0;
  return single > double ? "'" : '"';
}

/** A module's context before its workspace imports are bound (loader.ts binds them, then readClasses). */
export function moduleContext(path: string | undefined, base: number, source: string, statements: readonly Node[]): ModuleContext {
  const moduleScope = new Scope(new Scope(undefined));
  moduleScope.bindValue('__name__', path === undefined ? '__main__' : path);
  bindAssignments(statements, moduleScope);
  registerConfigClasses(statements, moduleScope);
  const functions = new Map<string, Node>();
  for (const statement of statements) {
    const def = definitionOf(statement);
    if (def.type !== 'function_definition') continue;
    const name = def.childForFieldName('name')?.text;
    if (name) functions.set(name, def);
  }
  return {
    path, base, source, statements, imports: new Imports(statements), moduleScope,
    quote: preferredQuote(source), kerasObjectStyle: /kernel_initializer\s*=\s*[A-Za-z_]/.test(source),
    classes: new Map(), functions, importedClasses: new Map(), importedFunctions: new Map(), namespaces: new Map(), submodules: new Map(),
  };
}

/** The module's model classes, in source order; a base that is another class of the module (or one it imported) passes its framework on. */
export function readClasses(context: ModuleContext): void {
  for (const statement of context.statements) {
    const def = definitionOf(statement);
    if (def.type !== 'class_definition') continue;
    const name = def.childForFieldName('name')?.text;
    if (!name) continue;
    let framework: Framework | undefined;
    for (const base of def.childForFieldName('superclasses')?.namedChildren ?? []) {
      const written = dottedName(base);
      if (written === undefined) continue;
      framework ??= MODULE_BASES[context.imports.canonical(written)] ?? context.classes.get(written)?.framework ?? context.importedClasses.get(written)?.framework;
    }
    if (!framework) continue;
    context.classes.set(name, new ClassInfo(name, def, framework));
  }
}
