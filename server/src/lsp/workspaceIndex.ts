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
import { ModuleCache, type ModuleSourceFile, type ModuleSourceProvider, type PythonWorkspace } from '../core/frontends/python/parse';
import type { ModuleDependency } from '../core/frontends/types';
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

export class WorkspaceIndex {
  readonly modules = new ModuleCache();
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

  /** The open documents whose last analysis read (or looked for) `path`. */
  dependents(path: string): string[] {
    const out: string[] = [];
    for (const [uri, paths] of this.readBy) if (paths.has(path)) out.push(uri);
    return out;
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
