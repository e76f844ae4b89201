/**
 * One Python module as the interpreter reads it: the analysed document, or a module of the
 * workspace it imports (workspace/loader.ts). Code runs in the context of the module that
 * wrote it — its imports, its constants, its classes and functions — whichever module
 * called it; a node's offset says which module that is (workspace/moduleCache.ts).
 */
import type { Framework } from '../../../ir';
import { Imports } from '../frameworks/imports';
import { bodyOf, definitionOf, dottedName, type Node } from '../syntax/syntax';
import { LIBRARY_MODULE_BASES, MODULE_BASES } from './modules';
import { bindAssignments, Scope } from './values';
import { foldFunctionCall, registerFunctionHome } from './functionValues';

/** A module class. Its methods are read on first use: most units never touch most classes. */
export class ClassInfo {
  private cachedMethods: Map<string, Node> | undefined;
  private cachedBases: readonly ClassBase[] | undefined;

  constructor(
    readonly name: string, readonly definition: Node, readonly framework: Framework,
    /** Reads what each written base class is (inheritance.ts); read on first use, as imports are. */
    private readonly readBases: () => readonly ClassBase[] = () => [],
  ) {}

  /** The base classes as written (`metaclass=` keywords left out), in the order of `bases`. */
  get baseNodes(): readonly Node[] {
    return baseNodesOf(this.definition);
  }

  /** The class's bases in the order written: classes of the workspace, framework bases, or bases InitWise cannot read. */
  get bases(): readonly ClassBase[] {
    this.cachedBases ??= this.readBases();
    return this.cachedBases;
  }

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

/**
 * A base class: one of the workspace's classes (its methods are inherited), a base that
 * adds no layers or init code of its own (`nn.Module`, `keras.Model`, `object`, `ABC`), or
 * one InitWise cannot read (a third-party class, a name it cannot resolve): any method
 * not found in the readable classes may come from it.
 */
export type ClassBase = ClassInfo | 'framework' | 'unknown' | LibraryBase;

/** A framework module whose constructor InitWise reads (modules.ts LIBRARY_MODULE_BASES); its other methods are not read. */
export interface LibraryBase {
  readonly library: string;
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
  /** Objects written by the snake-case functions (`initializers.he_normal()`): see kerasFunctionStyle. */
  readonly kerasFunctionStyle: boolean;
  readonly classes: Map<string, ClassInfo>;
  readonly functions: Map<string, Node>;
  /** Classes, functions and modules bound by imports from workspace modules. */
  readonly importedClasses: Map<string, ClassInfo>;
  readonly importedFunctions: Map<string, Node>;
  readonly namespaces: Map<string, ModuleContext>;
  /** Submodules of a package (`models.resnet`), as imports reached them. */
  readonly submodules: Map<string, ModuleContext>;
  /** Local names its imports of workspace modules bind (known without reading those modules). */
  readonly importedNames: Set<string>;
  /**
   * Reads what an import binds to `name` on first use (workspace/loader.ts): a module is
   * read only when a name from it is needed. Undefined for a module read alone.
   */
  resolveImport: ((name: string) => void) | undefined;
  /** Called each time a name an import bound is used (the loader counts what its resolution read as read again). */
  usedImport: ((name: string) => void) | undefined;
}

/**
 * The scope above a module's own: the names its workspace imports bind, read on first
 * lookup (a constant `HIDDEN`, or `cfg.HIDDEN` through an imported module).
 */
class ImportScope extends Scope {
  context: ModuleContext | undefined;

  override lookup(name: string): ReturnType<Scope['lookup']> {
    const bound = super.lookup(name);
    const context = this.context;
    if (!context?.resolveImport) return bound;
    if (bound) {
      context.usedImport?.(name);
      return bound;
    }
    context.resolveImport(name);
    const resolved = super.lookup(name);
    if (resolved) {
      context.usedImport?.(name);
      return resolved;
    }
    const dot = name.lastIndexOf('.');
    if (dot < 0) return undefined;
    return namespaceOf(context, name.slice(0, dot))?.moduleScope.lookup(name.slice(dot + 1));
  }

  override configClass(name: string): Node | undefined {
    const context = this.context;
    if (!context?.resolveImport) return super.configClass(name);
    context.resolveImport(name);
    const found = super.configClass(name);
    if (found) context.usedImport?.(name);
    return found;
  }
}

/** The class an import of the module binds to `name` (read on first use). */
export function importedClass(context: ModuleContext, name: string): ClassInfo | undefined {
  return imported(context, context.importedClasses, name);
}

export function importedFunction(context: ModuleContext, name: string): Node | undefined {
  return imported(context, context.importedFunctions, name);
}

/** The module an import binds to `name` (`R` of `import models.resnet as R`, or `models.resnet`). */
export function namespaceOf(context: ModuleContext, name: string): ModuleContext | undefined {
  return imported(context, context.namespaces, name);
}

function imported<T>(context: ModuleContext, bound: ReadonlyMap<string, T>, name: string): T | undefined {
  if (!context.resolveImport) return bound.get(name);
  context.resolveImport(name);
  const found = bound.get(name);
  if (found !== undefined) context.usedImport?.(name);
  return found;
}

/**
 * The file's classes, whose class attributes a class passed as a value reads (`block.expansion`
 * with `block` = BasicBlock). Config dataclasses (`@dataclass class GPTConfig: n_embd: int = 768`)
 * besides: a call to one is a record of its fields, so `nn.Linear(cfg.n_embd, 4 * cfg.n_embd)`
 * reads its widths when the file passes `GPTConfig(...)` (values.ts configRecord).
 */
function registerClasses(statements: readonly Node[], scope: Scope): void {
  for (const statement of statements) {
    const definition = definitionOf(statement);
    const name = definition.childForFieldName('name')?.text;
    if (definition.type !== 'class_definition' || name === undefined) continue;
    scope.registerClass(name, definition);
    // `@dataclass`, `@dataclasses.dataclass(...)`, Flax's `@struct.dataclass` / `@flax.struct.dataclass`.
    const dataclass = statement.type === 'decorated_definition' &&
      statement.namedChildren.some((d) => d.type === 'decorator' && /^@\s*(dataclasses\.|(flax\.)?struct\.)?dataclass\b/.test(d.text));
    // `class Config(NamedTuple): hidden: int = 256` (typing.NamedTuple): fields in order, with defaults.
    const bases = definition.childForFieldName('superclasses')?.namedChildren.map((b) => b.text) ?? [];
    const namedTuple = bases.length === 1 && /^(typing\.)?NamedTuple$/.test(bases[0]!);
    if (dataclass || namedTuple) scope.registerConfigClass(name, definition);
  }
}

/** The quote the file mostly uses in keyword arguments, for strings a fix writes. */
export function preferredQuote(text: string): string {
  // Keyword arguments only: `if __name__ == "__main__":` says nothing about them. Counts
  // what /(?<![=!<>])=\s*'/g and its double-quote twin count, one `=` at a time: the
  // look-behind kept V8 from scanning for `=`, and the two regexes took ~3% of analyze() on
  // the 3,500-line benchmark file (issue 16).
  let single = 0;
  let double = 0;
  const afterSpace = /\s*/y;
  for (let at = text.indexOf('='); at >= 0; at = text.indexOf('=', at + 1)) {
    const before = at > 0 ? text.charCodeAt(at - 1) : 0;
    if (before === 0x3d || before === 0x21 || before === 0x3c || before === 0x3e) continue; // = ! < >
    afterSpace.lastIndex = at + 1;
    afterSpace.test(text);
    const next = text.charCodeAt(afterSpace.lastIndex);
    if (next === 0x27) single++;
    else if (next === 0x22) double++;
  }
  return single > double ? "'" : '"';
}

/** The fix style of a module: read once per parse (a module's statements array is kept with its parse: workspace/moduleCache.ts). */
interface ModuleStyle { quote: string; kerasObjectStyle: boolean; kerasFunctionStyle: boolean }
const styles = new WeakMap<readonly Node[], ModuleStyle>();

/**
 * Keras initializer objects written with the snake-case functions (`initializers.he_normal()`,
 * Keras 2's spelling, also TF 1's: `tf.keras.initializers.HeNormal` does not exist before
 * TF 2), when the module calls them that way and never calls a class; or, writing none, when
 * it builds TF 1 layers (`tf.layers.dense`, `tf.compat.v1.layers`).
 */
function kerasFunctionStyle(source: string): boolean {
  if (/initializers\.[A-Z]\w*\s*\(/.test(source)) return false;
  return /initializers\.[a-z]\w*\s*\(/.test(source) || /\btf\.(?:compat\.v1\.)?layers\.[a-z]/.test(source);
}

function styleOf(statements: readonly Node[], source: string): ModuleStyle {
  let style = styles.get(statements);
  if (!style) {
    style = { quote: preferredQuote(source), kerasObjectStyle: /kernel_initializer\s*=\s*[A-Za-z_]/.test(source), kerasFunctionStyle: kerasFunctionStyle(source) };
    styles.set(statements, style);
  }
  return style;
}

/** A module's context before its workspace imports are bound (loader.ts binds them, then readClasses). */
export function moduleContext(path: string | undefined, base: number, source: string, statements: readonly Node[]): ModuleContext {
  const imports = new ImportScope(undefined);
  const moduleScope = new Scope(imports);
  moduleScope.bindValue('__name__', path === undefined ? '__main__' : path);
  bindAssignments(statements, moduleScope);
  registerClasses(statements, moduleScope);
  const functions = new Map<string, Node>();
  for (const statement of statements) {
    const def = definitionOf(statement);
    if (def.type !== 'function_definition') continue;
    const name = def.childForFieldName('name')?.text;
    if (name) functions.set(name, def);
    // A decorated function may be anything its decorator returns: never folded.
    if (statement.type === 'function_definition') registerFunctionHome(def, moduleScope);
  }
  const style = styleOf(statements, source);
  const context: ModuleContext = {
    path, base, source, statements, imports: new Imports(statements), moduleScope,
    quote: style.quote, kerasObjectStyle: style.kerasObjectStyle, kerasFunctionStyle: style.kerasFunctionStyle,
    classes: new Map(), functions, importedClasses: new Map(), importedFunctions: new Map(), namespaces: new Map(), submodules: new Map(),
    importedNames: new Set(), resolveImport: undefined, usedImport: undefined,
  };
  imports.context = context;
  // `pair(image_size)`: calls of the module's functions (and those it imports) fold to their value (functionValues.ts).
  moduleScope.registerFunctions((name) => functions.get(name) ?? (context.resolveImport ? importedFunction(context, name) : undefined), foldFunctionCall);
  return context;
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
      const canonical = context.imports.canonical(written);
      framework ??= MODULE_BASES[canonical] ?? LIBRARY_MODULE_BASES[canonical] ?? context.classes.get(written)?.framework
        ?? (context.importedNames.has(written) ? importedClass(context, written)?.framework : undefined);
    }
    if (!framework) continue;
    const classFramework = framework;
    context.classes.set(name, new ClassInfo(name, def, framework, () => basesOf(context, def, classFramework)));
  }
}

/** Bases that add neither layers nor init code: the frameworks' module classes and Python's own. */
const PLAIN_BASES: ReadonlySet<string> = new Set(['object', 'abc.ABC', 'typing.Generic', 'typing.Protocol']);

function basesOf(context: ModuleContext, definition: Node, framework: Framework): ClassBase[] {
  const out: ClassBase[] = [];
  for (const base of baseNodesOf(definition)) {
    // `Generic[T]`: the subscripted class.
    const written = dottedName(base.type === 'subscript' ? base.childForFieldName('value') ?? base : base);
    if (written === undefined) {
      out.push('unknown');
      continue;
    }
    const canonical = context.imports.canonical(written);
    if (MODULE_BASES[canonical] !== undefined) {
      out.push('framework');
      continue;
    }
    if (LIBRARY_MODULE_BASES[canonical] !== undefined) {
      out.push({ library: canonical });
      continue;
    }
    const cls = context.classes.get(written) ?? plainClass(context, written, framework) ?? importedClass(context, written);
    if (cls) out.push(cls.definition === definition ? 'unknown' : cls);
    else out.push(PLAIN_BASES.has(context.imports.canonical(written)) || PLAIN_BASES.has(`abc.${written}`) || PLAIN_BASES.has(`typing.${written}`) ? 'framework' : 'unknown');
  }
  return out;
}

/** `metaclass=ABCMeta` is no base. */
function baseNodesOf(definition: Node): Node[] {
  return (definition.childForFieldName('superclasses')?.namedChildren ?? []).filter((b) => b.type !== 'keyword_argument');
}

/** Plain classes of a module read as bases (a mixin `class InitMixin:` holding `init_weights`), one ClassInfo per definition. */
const plainClasses = new WeakMap<Node, ClassInfo>();

/** `name` as a class of the module that is no model class (a mixin): it passes its methods on to the model class that names it as a base. */
function plainClass(context: ModuleContext, name: string, framework: Framework): ClassInfo | undefined {
  for (const statement of context.statements) {
    const def = definitionOf(statement);
    if (def.type !== 'class_definition' || def.childForFieldName('name')?.text !== name) continue;
    let cls = plainClasses.get(def);
    if (!cls) {
      cls = new ClassInfo(name, def, framework, () => basesOf(context, def, framework));
      plainClasses.set(def, cls);
    }
    return cls;
  }
  return undefined;
}
