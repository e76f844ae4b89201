/**
 * Python's import resolution over the host's files: relative imports from the importing
 * file's package, absolute ones from the import roots — the document's package root and
 * its directory (what `python -m pkg.mod` and `python main.py` put on sys.path), each
 * project root, its `src/`, and what its pyproject.toml declares (pyproject.ts). Every file
 * read or looked for is recorded with its version: the analysis result names them, and an
 * analysis remembered for later is valid only while they are unchanged.
 */
import type { PythonWorkspace } from './input';
import { dirname, isInside, joinPath } from './paths';
import { packageLayout } from './pyproject';
import type { ModuleDependency, ModuleSourceFile } from './source';

/**
 * Modules never looked for in the workspace: the frameworks (the catalog knows their names)
 * and the standard library modules model code imports most. A project's own `config.py`
 * is still found; a project file named like these would shadow them only at runtime.
 */
const NOT_IN_WORKSPACE: ReadonlySet<string> = new Set([
  'torch', 'torchvision', 'keras', 'tensorflow', 'tf_keras', 'flax', 'jax', 'jaxlib', 'optax', 'numpy', 'scipy', 'einops',
  'math', 'os', 'sys', 'typing', 'typing_extensions', 'functools', 'collections', 'dataclasses', 'itertools', 'argparse',
  'random', 'time', 'json', 're', 'copy', 'abc', 'enum', 'pathlib', 'warnings', 'inspect', 'logging', 'contextlib',
  'types', 'numbers', 'operator', 'pickle', 'glob', 'shutil', 'string', 'io', 'csv', 'datetime', 'subprocess', '__future__',
]);

export class ModuleResolver {
  private readonly files = new Map<string, ModuleSourceFile | undefined>();
  private cachedRoots: { roots: string[]; packageDirs: Map<string, string> } | undefined;

  constructor(private readonly workspace: PythonWorkspace) {}

  /** What the running unit read (units.ts keeps it with the unit: it is reused only while these are unchanged). */
  private unitLog: Map<string, string | undefined> | undefined;
  /** Files read to find the import roots (every resolution depends on them). */
  private rootReads: ModuleDependency[] = [];

  /** Every file read or looked for, by path. */
  get dependencies(): ModuleDependency[] {
    return [...this.files].map(([path, file]) => ({ path, version: file?.version })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  read(path: string): ModuleSourceFile | undefined {
    let file: ModuleSourceFile | undefined;
    if (this.files.has(path)) file = this.files.get(path);
    else {
      file = this.workspace.sources.read(path);
      this.files.set(path, file);
    }
    this.unitLog?.set(path, file?.version);
    return file;
  }

  /** The file as it is now, without counting it as read (checking a remembered unit's reads). */
  peek(path: string): ModuleSourceFile | undefined {
    return this.files.has(path) ? this.files.get(path) : this.workspace.sources.read(path);
  }

  /** Counts files as read by this analysis and by the running unit (a reused unit's reads, a name's resolution used again). */
  note(dependencies: readonly ModuleDependency[]): void {
    for (const d of dependencies) {
      if (!this.files.has(d.path)) this.files.set(d.path, d.version === undefined ? undefined : this.peek(d.path));
      this.unitLog?.set(d.path, d.version);
    }
  }

  startUnit(): void {
    this.unitLog = new Map();
  }

  /** What the unit read; with the root files when it read anything (its resolutions used them). */
  endUnit(): ModuleDependency[] {
    const log = this.unitLog ?? new Map<string, string | undefined>();
    this.unitLog = undefined;
    if (log.size > 0) for (const d of this.rootReads) log.set(d.path, d.version);
    return [...log].map(([path, version]) => ({ path, version }));
  }

  /** Starts recording reads into a list of their own (a name's resolution); returns a function that stops and gives them. */
  record(): () => ModuleDependency[] {
    const outer = this.unitLog;
    const own = new Map<string, string | undefined>();
    this.unitLog = own;
    return () => {
      this.unitLog = outer;
      for (const [path, version] of own) outer?.set(path, version);
      return [...own].map(([path, version]) => ({ path, version }));
    };
  }

  /**
   * The folders from the document's up to the project root holding it, nearest first (the
   * document's folder alone when no root holds it): where a project pins its requirements.
   */
  projectFolders(): string[] {
    const folders: string[] = [];
    const root = this.workspace.projectRoots.find((r) => isInside(this.workspace.documentPath, r));
    for (let dir = dirname(this.workspace.documentPath), depth = 0; depth < 16 && dir !== ''; depth++, dir = dirname(dir)) {
      folders.push(dir);
      if (root === undefined || dir === root || !isInside(dir, root) || dir === '/') break;
    }
    return folders;
  }

  /** The import roots, in Python's order. */
  private roots(): { roots: string[]; packageDirs: Map<string, string> } {
    if (this.cachedRoots) return this.cachedRoots;
    const stop = this.record();
    const roots: string[] = [];
    const packageDirs = new Map<string, string>();
    const documentDir = dirname(this.workspace.documentPath);
    // The document's own top-level package (torchvision/models/resnet.py → torchvision), found
    // where Python would find it; only that package, not its neighbours (an installed
    // package's root is site-packages: PIL beside torchvision is not the workspace).
    let packageDir: string | undefined;
    for (let dir = documentDir, depth = 0; depth < 16 && dir !== '' && dir !== '/' && this.read(joinPath(dir, '__init__.py')); depth++, dir = dirname(dir)) packageDir = dir;
    if (packageDir) packageDirs.set(packageDir.slice(packageDir.lastIndexOf('/') + 1), packageDir);
    roots.push(documentDir);
    for (const root of this.workspace.projectRoots) {
      roots.push(root, joinPath(root, 'src'));
      const pyproject = this.read(joinPath(root, 'pyproject.toml'));
      if (!pyproject) continue;
      const layout = packageLayout(root, pyproject.text);
      roots.push(...layout.roots);
      for (const [pkg, dir] of layout.packageDirs) if (!packageDirs.has(pkg)) packageDirs.set(pkg, dir);
    }
    this.cachedRoots = { roots: [...new Set(roots)], packageDirs };
    this.rootReads = stop();
    return this.cachedRoots;
  }

  /**
   * The file of module `dotted` (`a.b`) imported with `level` leading dots from `fromFile`:
   * `a/b.py` or `a/b/__init__.py`. Undefined when it is not a workspace module.
   */
  resolve(dotted: string, level: number, fromFile: string): string | undefined {
    const parts = dotted === '' ? [] : dotted.split('.');
    if (level > 0) {
      let dir = dirname(fromFile);
      for (let i = 1; i < level; i++) dir = dirname(dir);
      if (dir === '' || dir === '/') return undefined;
      return parts.length === 0 ? this.fileIn(dir, []) ?? undefined : this.fileIn(dir, parts);
    }
    if (parts.length === 0 || NOT_IN_WORKSPACE.has(parts[0]!)) return undefined;
    const { roots, packageDirs } = this.roots();
    const mapped = packageDirs.get(parts[0]!);
    if (mapped) return this.fileIn(mapped, parts.slice(1));
    for (const root of roots) {
      const file = this.fileIn(root, parts);
      if (file) return file;
    }
    return undefined;
  }

  /** `dir/a/b.py` or `dir/a/b/__init__.py` (for no parts: `dir/__init__.py`). */
  private fileIn(dir: string, parts: readonly string[]): string | undefined {
    if (parts.length === 0) {
      const init = joinPath(dir, '__init__.py');
      return this.read(init) ? init : undefined;
    }
    const module = joinPath(dir, ...parts.slice(0, -1), `${parts[parts.length - 1]}.py`);
    if (this.read(module)) return module;
    const init = joinPath(dir, ...parts, '__init__.py');
    return this.read(init) ? init : undefined;
  }

  /** The submodule `name` of the package whose `__init__.py` is `packageFile`, if there is one. */
  submodule(packageFile: string, name: string): string | undefined {
    if (!packageFile.endsWith('/__init__.py')) return undefined;
    return this.fileIn(dirname(packageFile), [name]);
  }

  /** True when `path` lies in one of the import roots (the document's own tree, a project). */
  inWorkspace(path: string): boolean {
    return this.roots().roots.some((root) => isInside(path, root));
  }
}
