/**
 * The contract every frontend keeps: source text in, every network it could read out,
 * plus precise findings for what it could not read. It never throws on user input.
 */
import type { Finding } from '../findings';
import type { Edit } from 'web-tree-sitter';
import type { PythonParser } from './python/syntax/parsedTree';
import type { NetworkSimulation } from '../simulation/types';
import type { DropoutFixBuilder, Network } from '../ir';
import type { Span } from '../text';
import type { PythonWorkspace } from './python/workspace/input';
import type { TreeReaderFactory } from './python/syntax/nodeStore';

export interface FrontendResult {
  readonly networks: readonly Network[];
  /** IW001 (syntax) and IW002 (unknown name) findings, already with fixes where one is clear. */
  readonly findings: readonly Finding[];
  /** Edits on dropout statements (for IW103's AlphaDropout fix). */
  readonly dropoutFixes: DropoutFixBuilder;
  /** Rule results kept from an earlier analysis of the same document, per network (incremental analysis). */
  readonly backend?: BackendMemo;
  /** What a Python analysis read from the workspace (given a PythonSupport.workspace). */
  readonly modules?: ModulesRead;
}

/** A file an analysis read (or looked for), with its version then; `version` undefined: it was not there. */
export interface ModuleDependency {
  readonly path: string;
  readonly version: string | undefined;
}

/** A call of the document of a class or function of an imported module, and the model its value is part of. */
export interface ReachedBy {
  readonly call: Span;
  /** The class or function called. */
  readonly className: string;
  readonly network: string | undefined;
}

/** One imported module an analysis read: where its offsets start (spans at or above `base` lie in it) and its text. */
export interface ModuleRead {
  readonly path: string;
  readonly version: string | undefined;
  readonly base: number;
  readonly text: string;
  readonly reachedBy: readonly ReachedBy[];
}

export interface ModulesRead {
  /** Every file read or looked for, with its version. */
  readonly dependencies: readonly ModuleDependency[];
  readonly modules: readonly ModuleRead[];
}

/** The rules' output for one network under one set of settings (analyze.ts). */
export interface BackendResult {
  readonly settingsKey: string;
  readonly simulation: NetworkSimulation | undefined;
  /** Findings of the per-network rules, before suppressions and settings. */
  readonly findings: readonly Finding[];
}

export interface BackendMemo {
  get(network: Network, settingsKey: string): BackendResult | undefined;
  set(network: Network, result: BackendResult): void;
}

export type LanguageId = 'netdef' | 'python';

/**
 * What the Python frontends need from the host: a tree-sitter parser with the Python
 * grammar loaded, web-tree-sitter's (server/src/host/treeSitter.ts) or the native
 * binding's (server/src/host/nativeTreeSitter.ts, the CLI only). The engine imports only
 * their types.
 */
export interface PythonSupport {
  readonly parser: PythonParser;
  /** web-tree-sitter's Edit constructor, for incremental re-parsing (the engine imports no runtime values). */
  readonly newEdit?: (edit: Omit<Edit, 'editPoint' | 'editRange'>) => Edit;
  /**
   * The host's fast reader of syntax trees (host/treeReader.ts: the binding's cursor
   * functions called directly; host/nativeTreeReader.ts for the native binding, whose
   * trees have no other reader); without it the engine reads a web-tree-sitter tree
   * through its public API, with the same results (python/syntax/nodeStore.ts).
   */
  readonly treeReaders?: TreeReaderFactory;
  /**
   * The document's workspace: imports of its own modules are read through it (the host's
   * files, parsed modules kept between analyses). Without it a file is read alone.
   */
  readonly workspace?: PythonWorkspace;
  /**
   * Tests only: run every top-level function as a unit, without the pre-pass that skips the
   * functions naming no framework, model class or such function (parse.ts modelFunctions).
   * The result must be the same either way (test/frontends/python.prePass.test.ts).
   */
  readonly withoutPrePass?: boolean;
}
