/**
 * Analysis in steps (issue 12: the server stays responsive to other documents while one
 * document's analysis is long). The engine's long loops — the Python frontend's units, the
 * `.netdef` parser's networks, the rules over each network — are generators that yield
 * between two pieces of work; a yield is a point where the host may let other work run or
 * stop the analysis. analyze() runs the steps to the end at once (the CLI and the tests);
 * the language server drives them a time slice at a time (lsp/analysisRuns.ts) and drops
 * a run whose document changed. Nothing else differs: the same code runs in the same order.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs every step at once: the synchronous result. */
export function runToEnd<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
