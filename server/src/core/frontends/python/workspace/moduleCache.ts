/**
 * Parsed modules kept between analyses: the language server keeps one cache for all open
 * documents, the CLI one per worker thread, so a module imported by many files is parsed
 * once per version. Each path gets a slot for good: its nodes' offsets are shifted by
 * slot × MODULE_OFFSET_BASE, so every span built from them (a layer, a finding, a fix edit)
 * says which file it lies in, and analyze() hands those findings to their own file.
 */
import type { ParsedTree, PythonParser } from '../syntax/parsedTree';
import type { TreeReaderFactory } from '../syntax/nodeStore';
import { parserText } from '../syntax/parserText';
import { moduleStatements, type Node, SyntaxTree } from '../syntax/syntax';
import type { ModuleSourceFile } from './source';

/** Offsets of imported module k (k ≥ 1) start at k × this; the analysed document's at 0. Above any file the frontend reads (5 MB). */
export const MODULE_OFFSET_BASE = 2 ** 32;

/** Modules longer than this are not read (a generated file, data in a .py). */
const MAX_MODULE_LENGTH = 1_000_000;
/** Parsed modules kept at most; the oldest is dropped first (its tree freed). */
const MAX_ENTRIES = 4096;

export interface ParsedModule {
  readonly path: string;
  readonly version: string;
  readonly text: string;
  readonly base: number;
  readonly statements: readonly Node[];
  readonly hasError: boolean;
}

interface Entry extends ParsedModule {
  readonly tree: ParsedTree;
}

/** The slot of an offset: 0 for the analysed document, k for the module at base k × MODULE_OFFSET_BASE. */
export function slotOf(offset: number): number {
  return offset < MODULE_OFFSET_BASE ? 0 : Math.floor(offset / MODULE_OFFSET_BASE);
}

export class ModuleCache {
  private readonly slots = new Map<string, number>();
  private readonly paths: string[] = [''];
  private readonly entries = new Map<string, Entry>();
  /** How many parses this cache did (bench and tests read it). */
  parses = 0;
  /** Analyses under way that may hold nodes of this cache's trees (`hold`). */
  private holders = 0;
  /** Trees replaced or forgotten while an analysis held the cache: freed when the last one ends. */
  private retired: ParsedTree[] = [];

  /**
   * Keeps every tree alive until the returned release is called. The language server runs
   * analyses in steps (core/steps.ts), so while one document's run is paused another may
   * replace a module both read, or its file may change on disk: the paused run's nodes
   * must stay readable until it ends (WebAssembly trees are freed by hand, not collected).
   */
  hold(): () => void {
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holders > 0) return;
      for (const tree of this.retired.splice(0)) tree.delete();
    };
  }

  /** The module parsed at this version: from the cache, or parsed now. Undefined when too long. */
  parsed(path: string, file: ModuleSourceFile, parser: PythonParser, readers?: TreeReaderFactory): ParsedModule | undefined {
    const kept = this.entries.get(path);
    if (kept && kept.version === file.version && kept.text === file.text) return kept;
    if (kept) this.drop(path);
    if (file.text.length > MAX_MODULE_LENGTH) return undefined;
    // The same text the document's own parse reads (lone CRs as LF, whole-line comments blanked).
    const parsedText = parserText(file.text);
    const tree = parser.parse(parsedText);
    if (!tree) return undefined;
    this.parses++;
    const base = this.slotFor(path) * MODULE_OFFSET_BASE;
    const syntax = new SyntaxTree(tree, parsedText, base, readers);
    const entry: Entry = { path, version: file.version, text: file.text, base, statements: moduleStatements(syntax.root), hasError: tree.rootNode.hasError, tree };
    this.entries.set(path, entry);
    if (this.entries.size > MAX_ENTRIES) this.drop(this.entries.keys().next().value!);
    return entry;
  }

  /**
   * A tree for a document being analysed: a copy of the cached module's when it has the
   * same text (a file checked that other files import is parsed once), else undefined.
   */
  treeFor(path: string, text: string): ParsedTree | undefined {
    const kept = this.entries.get(path);
    return kept && kept.text === text ? kept.tree.copy() : undefined;
  }

  /** Keeps a copy of a document's fresh parse as the module at `path`, when the host's file has the same text. */
  adopt(path: string, file: ModuleSourceFile, tree: ParsedTree, readers?: TreeReaderFactory): void {
    const kept = this.entries.get(path);
    if (kept?.version === file.version && kept.text === file.text) return;
    if (kept) this.drop(path);
    if (file.text.length > MAX_MODULE_LENGTH) return;
    const copy = tree.copy();
    const base = this.slotFor(path) * MODULE_OFFSET_BASE;
    const syntax = new SyntaxTree(copy, parserText(file.text), base, readers);
    this.entries.set(path, { path, version: file.version, text: file.text, base, statements: moduleStatements(syntax.root), hasError: copy.rootNode.hasError, tree: copy });
    if (this.entries.size > MAX_ENTRIES) this.drop(this.entries.keys().next().value!);
  }

  /** The offset base of the path's nodes, if it was ever parsed here. */
  baseOf(path: string): number | undefined {
    const slot = this.slots.get(path);
    return slot === undefined ? undefined : slot * MODULE_OFFSET_BASE;
  }

  /** The path whose modules are at this slot. */
  pathOfSlot(slot: number): string | undefined {
    return this.paths[slot];
  }

  /** Forgets a module (its file changed or was deleted): the next read parses it again. */
  forget(path: string): void {
    if (this.entries.has(path)) this.drop(path);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Frees every tree (WebAssembly memory is not garbage-collected). */
  dispose(): void {
    for (const path of [...this.entries.keys()]) this.drop(path);
  }

  private slotFor(path: string): number {
    let slot = this.slots.get(path);
    if (slot === undefined) {
      slot = this.paths.length;
      this.paths.push(path);
      this.slots.set(path, slot);
    }
    return slot;
  }

  private drop(path: string): void {
    const tree = this.entries.get(path)?.tree;
    if (tree && this.holders > 0) this.retired.push(tree);
    else tree?.delete();
    this.entries.delete(path);
  }
}
