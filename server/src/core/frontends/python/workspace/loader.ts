/**
 * The modules an analysis reads besides its document: each workspace module an import
 * names is parsed (through the ModuleCache), given its context (its constants, classes,
 * functions and its own imports, bound the same way) and its names are bound where they
 * were imported: `from .layers import ConvBlock`, `from config import HIDDEN`,
 * `import models.resnet as R`, `from models import resnet`, `from models import *`.
 *
 * What cannot be read ends in "unknown": a module that is not found (a missing file, a
 * third-party package) binds nothing; an import that closes a cycle binds nothing (the
 * module is still being read); past MAX_MODULES modules nothing more is read. A name bound
 * to nothing is unknown to the interpreter, never a guess.
 */
import type { Parser } from 'web-tree-sitter';
import { type ModuleContext, moduleContext, readClasses } from '../interpreter/moduleContext';
import type { Node } from '../syntax/syntax';
import type { PythonWorkspace } from './input';
import { ModuleResolver } from './resolve';

/** Modules one analysis reads at most (its document's imports, transitively). */
export const MAX_MODULES = 64;

export class ModuleLoader {
  readonly resolver: ModuleResolver;
  /** Every module read, by the offset base of its nodes. */
  readonly contexts = new Map<number, ModuleContext>();
  private readonly byPath = new Map<string, ModuleContext | 'loading' | undefined>();

  constructor(private readonly workspace: PythonWorkspace, private readonly parser: Parser) {
    this.resolver = new ModuleResolver(workspace);
    this.byPath.set(workspace.documentPath, 'loading');
  }

  /** Binds the workspace imports of the analysed document's context, then reads its classes. */
  bindDocument(context: ModuleContext): void {
    this.bindImports(context, this.workspace.documentPath);
    readClasses(context);
  }

  /** The module at `path`, read now or earlier; undefined when it cannot be read or is being read (a cycle). */
  load(path: string): ModuleContext | undefined {
    if (this.byPath.has(path)) {
      const known = this.byPath.get(path);
      return known === 'loading' ? undefined : known;
    }
    if (this.contexts.size >= MAX_MODULES) return undefined;
    const file = this.resolver.read(path);
    const parsed = file ? this.workspace.modules.parsed(path, file, this.parser) : undefined;
    if (!parsed) {
      this.byPath.set(path, undefined);
      return undefined;
    }
    this.byPath.set(path, 'loading');
    const context = moduleContext(path, parsed.base, parsed.text, parsed.statements);
    this.contexts.set(parsed.base, context);
    this.bindImports(context, path);
    readClasses(context);
    this.byPath.set(path, context);
    return context;
  }

  private bindImports(context: ModuleContext, file: string): void {
    const visit = (statements: readonly Node[], depth: number) => {
      for (const statement of statements) {
        if (statement.type === 'import_statement') this.importStatement(context, statement, file);
        else if (statement.type === 'import_from_statement') this.fromImport(context, statement, file);
        else if (depth < 2 && NESTED.has(statement.type)) visit(statement.namedChildren, depth + 1);
      }
    };
    visit(context.statements, 0);
  }

  /** `import a.b` (binds `a.b.…` names) and `import a.b as m`. */
  private importStatement(context: ModuleContext, statement: Node, file: string): void {
    for (const child of statement.namedChildren) {
      const name = child.type === 'aliased_import' ? child.childForFieldName('name') : child.type === 'dotted_name' ? child : null;
      if (!name) continue;
      const path = this.resolver.resolve(name.text, 0, file);
      const target = path ? this.load(path) : undefined;
      if (!target) continue;
      const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : name.text;
      if (local) bindNamespace(context, local, target);
    }
  }

  /** `from M import a, b as c`, `from . import m`, `from .m import *`. */
  private fromImport(context: ModuleContext, statement: Node, file: string): void {
    const moduleNode = statement.childForFieldName('module_name');
    if (!moduleNode) return;
    let level = 0;
    let dotted = moduleNode.text;
    if (moduleNode.type === 'relative_import') {
      const prefix = moduleNode.namedChildren.find((c) => c.type === 'import_prefix');
      level = prefix ? prefix.text.length : 0;
      dotted = moduleNode.namedChildren.find((c) => c.type === 'dotted_name')?.text ?? '';
    }
    const path = this.resolver.resolve(dotted, level, file);
    const target = path ? this.load(path) : undefined;
    if (statement.namedChildren.some((c) => c.type === 'wildcard_import')) {
      if (target) bindEverything(context, target);
      return;
    }
    for (const child of statement.childrenForFieldName('name')) {
      const nameNode = child.type === 'aliased_import' ? child.childForFieldName('name') : child;
      const name = nameNode?.text;
      const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : name;
      if (!name || !local) continue;
      if (target && bindMember(context, local, target, name)) continue;
      // `from models import resnet`, `from . import layers`: a submodule.
      const submodulePath = this.resolver.resolve(dotted === '' ? name : `${dotted}.${name}`, level, file);
      const submodule = submodulePath ? this.load(submodulePath) : undefined;
      if (submodule) {
        bindNamespace(context, local, submodule);
        if (target) target.submodules.set(name, submodule);
      }
    }
  }
}

/** Blocks whose imports count as module level (optional-dependency idioms), as frameworks/imports.ts reads them. */
const NESTED: ReadonlySet<string> = new Set(['try_statement', 'if_statement', 'block', 'except_clause', 'else_clause']);

/** Binds `local` to what `name` is in `target`: a class, a function, a module, a constant. False when `target` has no such name. */
function bindMember(context: ModuleContext, local: string, target: ModuleContext, name: string): boolean {
  const cls = target.classes.get(name) ?? target.importedClasses.get(name);
  if (cls) {
    context.importedClasses.set(local, cls);
    return true;
  }
  const fn = target.functions.get(name) ?? target.importedFunctions.get(name);
  if (fn) {
    context.importedFunctions.set(local, fn);
    return true;
  }
  const namespace = target.namespaces.get(name) ?? target.submodules.get(name);
  if (namespace) {
    bindNamespace(context, local, namespace);
    return true;
  }
  const imports = context.moduleScope.parent!;
  const config = target.moduleScope.configClass(name);
  if (config) {
    imports.registerConfigClass(local, config);
    return true;
  }
  const binding = target.moduleScope.lookup(name);
  if (!binding) return false;
  if ('node' in binding) imports.bindExpression(local, binding.node, binding.scope);
  else imports.bindValue(local, binding.value);
  return true;
}

/** `import config as cfg`: the module, and `cfg.NAME` for each of its constants. */
function bindNamespace(context: ModuleContext, local: string, target: ModuleContext): void {
  context.namespaces.set(local, target);
  for (const name of constantNames(target)) bindMember(context, `${local}.${name}`, target, name);
}

/** `from m import *`: every public name of `m` (Python's rule without `__all__`: no leading underscore). */
function bindEverything(context: ModuleContext, target: ModuleContext): void {
  const names = new Set<string>([
    ...target.classes.keys(), ...target.functions.keys(), ...target.importedClasses.keys(), ...target.importedFunctions.keys(),
    ...target.namespaces.keys(), ...constantNames(target),
  ]);
  for (const name of names) {
    if (!name.startsWith('_') && !name.includes('.')) bindMember(context, name, target, name);
  }
}

/** Names a module binds at its top level by assignment (its constants), and those it imported as constants. */
function constantNames(target: ModuleContext): string[] {
  const names: string[] = [];
  for (const statement of target.statements) {
    const assignment = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
    const left = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
    if (left?.type === 'identifier') names.push(left.text);
  }
  return names;
}
