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
import type { PythonParser } from '../syntax/parsedTree';
import type { TreeReaderFactory } from '../syntax/nodeStore';
import { importedClass, importedFunction, type ModuleContext, moduleContext, namespaceOf, readClasses } from '../interpreter/moduleContext';
import type { Node } from '../syntax/syntax';
import type { PythonWorkspace } from './input';
import type { ModuleDependency } from './source';
import { ModuleResolver } from './resolve';

/** Modules one analysis reads at most (its document's imports, transitively). */
export const MAX_MODULES = 64;

export class ModuleLoader {
  readonly resolver: ModuleResolver;
  /** Every module read, by the offset base of its nodes. */
  readonly contexts = new Map<number, ModuleContext>();
  private readonly byPath = new Map<string, ModuleContext | 'loading' | undefined>();

  constructor(private readonly workspace: PythonWorkspace, private readonly parser: PythonParser, private readonly readers?: TreeReaderFactory) {
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
    const parsed = file ? this.workspace.modules.parsed(path, file, this.parser, this.readers) : undefined;
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

  /**
   * Records what each workspace import of the module binds, without reading the modules:
   * `context.resolveImport` reads one when a name from it is first needed (a model class
   * runs, a constant is evaluated), so a module imported for metadata is never parsed.
   */
  private bindImports(context: ModuleContext, file: string): void {
    const pending = new Map<string, () => void>();
    const stars: (() => ModuleContext | undefined)[] = [];
    const visit = (statements: readonly Node[], depth: number) => {
      for (const statement of statements) {
        if (statement.type === 'import_statement') this.importStatement(context, statement, file, pending);
        else if (statement.type === 'import_from_statement') this.fromImport(context, statement, file, pending, stars);
        else if (depth < 2 && NESTED.has(statement.type)) visit(statement.namedChildren, depth + 1);
      }
    };
    visit(context.statements, 0);
    if (pending.size === 0 && stars.length === 0) return;
    for (const name of pending.keys()) context.importedNames.add(name);
    const tried = new Set<string>();
    // What resolving each name read: counted as read again wherever the name is used, so a
    // unit that uses a name another unit resolved depends on the same files.
    const reads = new Map<string, ModuleDependency[]>();
    context.usedImport = (name) => {
      const read = reads.get(name);
      if (read) this.resolver.note(read);
    };
    const resolve = (name: string) => {
      const bind = pending.get(name);
      if (bind) {
        pending.delete(name);
        bind();
        return;
      }
      // `models.resnet.ResNet`, `cfg.HIDDEN`: the module part first.
      const dot = name.lastIndexOf('.');
      if (dot > 0) {
        context.resolveImport!(name.slice(0, dot));
        context.usedImport!(name.slice(0, dot));
        return;
      }
      // A star import binds every public name of its module (the first that has it wins, as the later import would at runtime… read in order).
      if (name.startsWith('_')) return;
      for (const star of stars) {
        const target = star();
        if (target && bindMember(context, name, target, name)) return;
      }
    };
    context.resolveImport = (name) => {
      if (tried.has(name)) return;
      tried.add(name);
      const stop = this.resolver.record();
      resolve(name);
      reads.set(name, stop());
    };
  }

  /** `import a.b` (binds `a.b.…` names) and `import a.b as m`. */
  private importStatement(context: ModuleContext, statement: Node, file: string, pending: Map<string, () => void>): void {
    for (const child of statement.namedChildren) {
      const name = child.type === 'aliased_import' ? child.childForFieldName('name') : child.type === 'dotted_name' ? child : null;
      if (!name) continue;
      const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : name.text;
      if (!local || NOT_WORKSPACE_ROOTS.has(name.text.split('.')[0]!)) continue;
      const dotted = name.text;
      pending.set(local, () => {
        const path = this.resolver.resolve(dotted, 0, file);
        const target = path ? this.load(path) : undefined;
        if (target) context.namespaces.set(local, target);
      });
    }
  }

  /** `from M import a, b as c`, `from . import m`, `from .m import *`. */
  private fromImport(context: ModuleContext, statement: Node, file: string, pending: Map<string, () => void>, stars: (() => ModuleContext | undefined)[]): void {
    const moduleNode = statement.childForFieldName('module_name');
    if (!moduleNode) return;
    let level = 0;
    let dotted = moduleNode.text;
    if (moduleNode.type === 'relative_import') {
      const prefix = moduleNode.namedChildren.find((c) => c.type === 'import_prefix');
      level = prefix ? prefix.text.length : 0;
      dotted = moduleNode.namedChildren.find((c) => c.type === 'dotted_name')?.text ?? '';
    }
    if (level === 0 && NOT_WORKSPACE_ROOTS.has(dotted.split('.')[0]!)) return;
    let target: ModuleContext | undefined | null = null;
    const module = () => {
      if (target === null) {
        const path = this.resolver.resolve(dotted, level, file);
        target = path ? this.load(path) : undefined;
      }
      return target;
    };
    if (statement.namedChildren.some((c) => c.type === 'wildcard_import')) {
      stars.push(module);
      return;
    }
    for (const child of statement.childrenForFieldName('name')) {
      const nameNode = child.type === 'aliased_import' ? child.childForFieldName('name') : child;
      const name = nameNode?.text;
      const local = child.type === 'aliased_import' ? child.childForFieldName('alias')?.text : name;
      if (!name || !local) continue;
      pending.set(local, () => {
        const from = module();
        if (from && bindMember(context, local, from, name)) return;
        // `from models import resnet`, `from . import layers`: a submodule.
        const submodulePath = this.resolver.resolve(dotted === '' ? name : `${dotted}.${name}`, level, file);
        const submodule = submodulePath ? this.load(submodulePath) : undefined;
        if (submodule) {
          context.namespaces.set(local, submodule);
          if (from) from.submodules.set(name, submodule);
        }
      });
    }
  }
}

/** Blocks whose imports count as module level (optional-dependency idioms), as frameworks/imports.ts reads them. */
const NESTED: ReadonlySet<string> = new Set(['try_statement', 'if_statement', 'block', 'except_clause', 'else_clause']);

/** Module roots never read from the workspace (resolve.ts has the full list; these skip even the bookkeeping). */
const NOT_WORKSPACE_ROOTS: ReadonlySet<string> = new Set(['torch', 'torchvision', 'keras', 'tensorflow', 'tf_keras', 'flax', 'jax', 'numpy', '__future__', 'typing', 'math', 'os', 'sys']);

/** Binds `local` to what `name` is in `target`: a class, a function, a module, a constant. False when `target` has no such name. */
function bindMember(context: ModuleContext, local: string, target: ModuleContext, name: string): boolean {
  const cls = target.classes.get(name) ?? importedClass(target, name);
  if (cls) {
    context.importedClasses.set(local, cls);
    return true;
  }
  const fn = target.functions.get(name) ?? importedFunction(target, name);
  if (fn) {
    context.importedFunctions.set(local, fn);
    return true;
  }
  const namespace = target.submodules.get(name) ?? namespaceOf(target, name);
  if (namespace) {
    context.namespaces.set(local, namespace);
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
