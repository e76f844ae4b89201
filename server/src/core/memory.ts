/**
 * What the engine may remember about one document between analyses (incremental
 * analysis). The language server keeps one per open document and disposes of it when the
 * document closes; the CLI and most tests pass none and analyse from scratch. Results are
 * the same either way (test/unit/incremental.test.ts checks it on random edits).
 */
import { NetdefMemory } from './frontends/netdef/memory';
import { PythonMemory } from './frontends/python/parse';

export class AnalysisMemory {
  readonly python = new PythonMemory();
  readonly netdef = new NetdefMemory();

  /** Frees the remembered syntax tree (WebAssembly memory is not garbage-collected). */
  dispose(): void {
    this.python.dispose();
  }
}
