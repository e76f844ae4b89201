/**
 * The language server's view of the Python workspace (issue 11, "The workspace, not one
 * file"): the files the engine may import, with open buffers winning over disk; the parsed
 * modules, kept across analyses of every document (ModuleCache); and which open document
 * read which file (each analysis names them: AnalysisResult.dependencies), so a change to
 * a module — an edit in its buffer, or on disk through workspace/didChangeWatchedFiles —
 * re-analyses exactly the documents that depend on it. A file an analysis looked for and
 * did not find counts too: creating it re-analyses the documents that import it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { ImportGraph, ModuleCache, type ModuleSourceFile, type ModuleSourceProvider, type PythonWorkspace } from '../core/frontends/python/parse';
import type { ModuleDependency, PythonSupport } from '../core/frontends/types';
import { hostPath, modulePath } from '../host/workspaceFiles';

/** The engine path of a file: URI, or undefined for other schemes (untitled buffers import nothing). */
export function enginePathOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return modulePath(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function uriOfEnginePath(path: string): string {
  return pathToFileURL(hostPath(path)).toString();
}

/** Folders never indexed: version control, environments, caches, dependencies. */
const SKIPPED_DIRS = /^(\..*|node_modules|__pycache__|site-packages|dist-packages|venv|env|build|dist)$/;
/** Python files indexed per workspace at most (a monorepo's tail is read by analyses as they need it). */
export const MAX_INDEXED_FILES = 20_000;

/** The .py files under `root` (skipping SKIPPED_DIRS), at most `limit`. */
export function pythonFilesUnder(root: string, limit = MAX_INDEXED_FILES): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length > 0 && out.length < limit) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.test(entry.name)) stack.push(path.join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.py') && out.length < limit) out.push(path.join(dir, entry.name));
    }
  }
  return out;
}

export class WorkspaceIndex {
  readonly modules = new ModuleCache();
  /** Who imports whom among the workspace folders' modules (built by `indexFolders`). */
  readonly graph = new ImportGraph();
  private readonly buffers = new Map<string, ModuleSourceFile>();
  private readonly disk = new Map<string, ModuleSourceFile | undefined>();
  /** Per open document (uri): the files its last analysis read or looked for. */
  private readonly readBy = new Map<string, ReadonlySet<string>>();

  readonly sources: ModuleSourceProvider = {
    read: (path) => this.buffers.get(path) ?? this.fromDisk(path),
  };

  /** The workspace of one document, or undefined when it is no file. */
  workspaceFor(uri: string, projectRoots: readonly string[]): PythonWorkspace | undefined {
    const documentPath = enginePathOf(uri);
    if (documentPath === undefined) return undefined;
    return { documentPath, projectRoots: projectRoots.map(modulePath), sources: this.sources, modules: this.modules };
  }

  /** An open buffer's text (it wins over the file on disk); returns the file's path when it is one. */
  setBuffer(uri: string, text: string, version: number): string | undefined {
    const path = enginePathOf(uri);
    if (path === undefined) return undefined;
    this.buffers.set(path, { text, version: `buffer@${version}` });
    return path;
  }

  /** A buffer closed: the file on disk is the module again. */
  closeBuffer(uri: string): string | undefined {
    const path = enginePathOf(uri);
    this.readBy.delete(uri);
    if (path === undefined) return undefined;
    this.buffers.delete(path);
    this.disk.delete(path);
    return path;
  }

  /** The file changed, appeared or went away on disk (workspace/didChangeWatchedFiles). False when an open buffer holds it (the buffer wins). */
  fileChanged(path: string): boolean {
    this.disk.delete(path);
    if (this.buffers.has(path)) return false;
    this.modules.forget(path);
    return true;
  }

  /** What the last analysis of `uri` read. */
  recordReads(uri: string, dependencies: readonly ModuleDependency[]): void {
    this.readBy.set(uri, new Set(dependencies.map((d) => d.path)));
  }

  /** The open documents whose last analysis read (or looked for) `path`, or that import it through the import graph. */
  dependents(path: string): string[] {
    const importers = this.graph.importersOf(path);
    const out: string[] = [];
    for (const [uri, paths] of this.readBy) {
      const own = enginePathOf(uri);
      if (paths.has(path) || (own !== undefined && importers.has(own))) out.push(uri);
    }
    return out;
  }

  /** Reads what one module imports into the graph (a file created or changed), or drops it (deleted). */
  indexFile(python: PythonSupport, file: string, projectRoots: readonly string[]): void {
    const workspace = this.workspaceFor(uriOfEnginePath(file), projectRoots);
    if (!workspace) return;
    if (this.sources.read(file) === undefined) this.graph.remove(file);
    else this.graph.update(workspace, python.parser, file, python.treeReaders);
  }

  /**
   * Builds the import graph of the workspace folders' Python files, a batch at a time
   * between messages (`yieldToMessages`), so the server answers while it indexes.
   */
  async indexFolders(python: PythonSupport, folders: readonly string[], yieldToMessages: () => Promise<void>): Promise<number> {
    let done = 0;
    for (const folder of folders) {
      const files = pythonFilesUnder(folder);
      for (let i = 0; i < files.length; i++) {
        this.indexFile(python, modulePath(files[i]!), [folder]);
        done++;
        if (i % 50 === 49) await yieldToMessages();
      }
    }
    return done;
  }

  dispose(): void {
    this.modules.dispose();
  }

  private fromDisk(path: string): ModuleSourceFile | undefined {
    if (this.disk.has(path)) return this.disk.get(path);
    let file: ModuleSourceFile | undefined;
    try {
      const raw = fs.readFileSync(hostPath(path), 'utf8');
      const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      file = { text, version: `disk@${createHash('sha1').update(text).digest('hex').slice(0, 16)}` };
    } catch {
      file = undefined;
    }
    this.disk.set(path, file);
    return file;
  }
}
