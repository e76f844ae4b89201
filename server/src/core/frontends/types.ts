/**
 * The contract every frontend keeps: source text in, every network it could read out,
 * plus precise findings for what it could not read. It never throws on user input.
 */
import type { Finding } from '../findings';
import type { Parser } from 'web-tree-sitter';
import type { DropoutFixBuilder, Network } from '../ir';

export interface FrontendResult {
  readonly networks: readonly Network[];
  /** IW001 (syntax) and IW002 (unknown name) findings, already with fixes where one is clear. */
  readonly findings: readonly Finding[];
  /** Edits on dropout statements (for IW103's AlphaDropout fix). */
  readonly dropoutFixes: DropoutFixBuilder;
}

export type LanguageId = 'netdef' | 'python';

/**
 * What the Python frontends need from the host: a web-tree-sitter parser with the Python
 * grammar loaded (server/src/host/treeSitter.ts). The engine imports only its types.
 */
export interface PythonSupport {
  readonly parser: Parser;
}
