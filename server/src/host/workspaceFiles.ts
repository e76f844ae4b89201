/**
 * The node side of the engine's workspace layer (core/frontends/python/workspace/): files
 * read from disk for the modules a Python file imports, each with a content hash as its
 * version, and the parsed-module cache. The CLI keeps one of each per thread (the main
 * thread and each worker: a parser is a WebAssembly instance of one thread), so a module
 * imported by many files of a run is read and parsed once per thread.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModuleCache, type ModuleSourceFile, type ModuleSourceProvider, type PythonWorkspace } from '../core/frontends/python/parse';

/** The engine's '/'-separated form of a host path. */
export function modulePath(absolutePath: string): string {
  return absolutePath.split(path.sep).join('/');
}

/** The host form of an engine path. */
export function hostPath(enginePath: string): string {
  return enginePath.split('/').join(path.sep);
}

/**
 * A file's version in the CLI: the SHA-256 of its text (UTF-8, without a byte-order mark),
 * the same hash the result cache (cli/cache.ts) checks a file against, so a result's
 * dependencies are the cache entry's list of reads as they stand.
 */
export function contentVersion(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Files on disk, read once (a run sees each file as it was when first read). */
export class DiskModuleSources implements ModuleSourceProvider {
  private readonly files = new Map<string, ModuleSourceFile | undefined>();

  read(enginePath: string): ModuleSourceFile | undefined {
    if (this.files.has(enginePath)) return this.files.get(enginePath);
    let file: ModuleSourceFile | undefined;
    try {
      const raw = fs.readFileSync(hostPath(enginePath), 'utf8');
      const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      file = { text, version: contentVersion(text) };
    } catch {
      file = undefined;
    }
    this.files.set(enginePath, file);
    return file;
  }

  /** Forgets a file (the CLI wrote fixes into it). */
  forget(enginePath: string): void {
    this.files.delete(enginePath);
  }
}

/** One thread's workspace reading: the files and the parsed modules. */
export class ThreadWorkspace {
  private files = new DiskModuleSources();
  readonly modules = new ModuleCache();

  get sources(): DiskModuleSources {
    return this.files;
  }

  /**
   * A new run reads the files afresh (a run in this process before it, as the tests make,
   * saw them as they were then); parsed modules are kept, each checked against its text.
   */
  startRun(): void {
    this.files = new DiskModuleSources();
  }

  /** The workspace of one document of the run. */
  forDocument(absolutePath: string, projectRoots: readonly string[]): PythonWorkspace {
    return { documentPath: modulePath(absolutePath), projectRoots: projectRoots.map(modulePath), sources: this.sources, modules: this.modules };
  }
}

let threadWorkspace: ThreadWorkspace | undefined;

/** This thread's workspace reading (created on first use). */
export function workspaceOfThread(): ThreadWorkspace {
  threadWorkspace ??= new ThreadWorkspace();
  return threadWorkspace;
}
