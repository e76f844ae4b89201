/**
 * What the Python frontend remembers about one document between analyses, so that a
 * keystroke costs work in proportion to what it changed (the language server keeps one
 * per open document through AnalysisMemory; the CLI analyses from scratch):
 *   - the previous syntax tree, for tree-sitter's incremental re-parse (about 1 ms after
 *     a one-character edit of a 3,500-line file, against 27 ms for a fresh parse);
 *   - the outcome of each unit of the file (a builder function, a root model class: see
 *     units.ts), keyed by the text of every statement the unit can read.
 */
import type { Edit } from 'web-tree-sitter';
import type { ParsedTree } from '../syntax/parsedTree';
import type { Finding } from '../../../findings';
import type { Network } from '../../../ir';
import type { BackendResult, ModuleDependency, ReachedBy } from '../../types';
import type { SiteKind } from './siteCounts';

/** What running one unit produced, in the offsets of the text it ran on. */
export interface UnitOutcome {
  readonly networks: readonly Network[];
  /** For each network, the class of the module it traced (an instance), for the nested-class filter. */
  readonly networkClasses: readonly (string | undefined)[];
  /** IW002 findings. */
  readonly findings: readonly Finding[];
  /** Constructor and init call sites it counted (siteCounts.ts). */
  readonly sites: readonly (readonly [SiteKind, number])[];
  /** Input shapes it showed for classes (`model.init(rng, jnp.ones(...))`, `model.build(...)`). */
  readonly shapes: readonly (readonly [string, readonly number[]])[];
  /** Classes it instantiated inside other module classes (not roots). */
  readonly nested: readonly string[];
  /** Classes its script instantiated (analysed there, not again with default arguments). */
  readonly instantiated: readonly string[];
  /** Builder functions whose returned model it reports under a variable (not again as the builder's own network). */
  readonly builders: readonly string[];
  /** Filled by analyze(): the rules' output per network. */
  readonly backend: (BackendResult | undefined)[];
  /**
   * The files of the workspace it read or looked for (workspace/), with their versions
   * then: it is reused only while each is unchanged.
   */
  readonly reads: readonly ModuleDependency[];
  /** Its calls of imported modules' classes and functions (workspace/), by the module's path. */
  readonly reached: readonly (readonly [string, ReachedBy])[];
}

export interface UnitEntry {
  readonly outcome: UnitOutcome;
  /** Start offsets of the statements the key is made of, in key order, when it ran. */
  readonly anchors: readonly number[];
  /**
   * The file-wide count of every site it counted, after the whole file ran: a fix edits a
   * site only when it builds one layer, and another unit may build from the same site.
   */
  readonly siteTotals: readonly number[];
}

export class PythonMemory {
  tree: ParsedTree | undefined;
  text: string | undefined;
  /** The module-level statements, quote style and initializer style every unit depends on. */
  context: string | undefined;
  units = new Map<string, UnitEntry>();
  /** Units of the last analysis: reused from the one before, or run (for tests and benchmarks). */
  lastAnalysis = { unitsReused: 0, unitsRun: 0 };
  /** Identifiers of each top-level statement, by its text. */
  identifiers = new Map<string, ReadonlySet<string>>();

  /** Replaces the remembered tree (the old one is freed). */
  keepTree(tree: ParsedTree, text: string): void {
    if (this.tree !== tree) this.tree?.delete();
    this.tree = tree;
    this.text = text;
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.text = undefined;
    this.units.clear();
    this.identifiers.clear();
  }
}

/** The edit that turns `before` into `after`: the common prefix and suffix are kept. */
export function diffEdit(before: string, after: string): Omit<Edit, 'editPoint' | 'editRange'> {
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Never split a surrogate pair or a CRLF: back off one unit.
  if (start > 0 && start < shorter) start--;
  let oldEnd = before.length;
  let newEnd = after.length;
  while (oldEnd > start && newEnd > start && before.charCodeAt(oldEnd - 1) === after.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return {
    startIndex: start, oldEndIndex: oldEnd, newEndIndex: newEnd,
    startPosition: pointAt(before, start), oldEndPosition: pointAt(before, oldEnd), newEndPosition: pointAt(after, newEnd),
  };
}

/** Row and column (UTF-16 units, as web-tree-sitter counts them for JavaScript strings). */
function pointAt(text: string, offset: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}
