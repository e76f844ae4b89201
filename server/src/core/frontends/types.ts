/**
 * The contract every frontend keeps: source text in, every network it could read out,
 * plus precise findings for what it could not read. It never throws on user input.
 */
import type { Finding } from '../findings';
import type { Edit, Parser } from 'web-tree-sitter';
import type { NetworkSimulation } from '../simulation/types';
import type { DropoutFixBuilder, Network } from '../ir';

export interface FrontendResult {
  readonly networks: readonly Network[];
  /** IW001 (syntax) and IW002 (unknown name) findings, already with fixes where one is clear. */
  readonly findings: readonly Finding[];
  /** Edits on dropout statements (for IW103's AlphaDropout fix). */
  readonly dropoutFixes: DropoutFixBuilder;
  /** Rule results kept from an earlier analysis of the same document, per network (incremental analysis). */
  readonly backend?: BackendMemo;
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
 * What the Python frontends need from the host: a web-tree-sitter parser with the Python
 * grammar loaded (server/src/host/treeSitter.ts). The engine imports only its types.
 */
export interface PythonSupport {
  readonly parser: Parser;
  /** web-tree-sitter's Edit constructor, for incremental re-parsing (the engine imports no runtime values). */
  readonly newEdit?: (edit: Omit<Edit, 'editPoint' | 'editRange'>) => Edit;
  /**
   * Tests only: run every top-level function as a unit, without the pre-pass that skips the
   * functions naming no framework, model class or such function (parse.ts modelFunctions).
   * The result must be the same either way (test/frontends/python.prePass.test.ts).
   */
  readonly withoutPrePass?: boolean;
}
