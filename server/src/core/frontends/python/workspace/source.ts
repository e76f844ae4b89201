/**
 * What the engine asks the host for when a Python file imports a module of its workspace
 * (like the tree-sitter parser, the host hands it in: the engine reads no file itself).
 */

/** One file as the host has it: an open buffer's text, or the file on disk. */
export interface ModuleSourceFile {
  readonly text: string;
  /**
   * Changes whenever the text changes: a content hash (the CLI) or a buffer's version
   * (the language server). Results name the files they read with it (AnalysisResult.dependencies).
   */
  readonly version: string;
}

export interface ModuleSourceProvider {
  /** The file at `path`, or undefined when there is none (or the host will not read it). Synchronous. */
  read(path: string): ModuleSourceFile | undefined;
}

export type { ModuleDependency } from '../../types';
