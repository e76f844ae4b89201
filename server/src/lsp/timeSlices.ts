/**
 * Drives an analysis in steps (core/steps.ts) a time slice at a time on the server's one
 * thread: steps run back to back for up to SLICE_MS, then the event loop gets a turn
 * (setImmediate: messages already received — a hover on another document, the edit that
 * makes this run stale — are handled before the next slice). A keystroke's analysis
 * (~10 ms on the 3,500-line bench file) fits one slice and pays nothing; a long one pauses
 * between units, so other documents wait at most a slice plus one unit (whose own step
 * budget bounds it), not the whole analysis (issue 12: a hover waited 20.6 s).
 */
import { performance } from 'node:perf_hooks';
import { AnalysisCancelled, type CancellationSignal } from '../core/cancellation';
import type { Steps } from '../core/steps';

/** Long enough that an analysis of a keystroke runs in one go, short enough for a hover to feel immediate. */
export const SLICE_MS = 20;

export interface SliceObserver {
  /** Called at each pause: `steps` units (Python) or networks (.netdef) analysed so far. */
  paused?(steps: number): void;
}

/**
 * The result of `steps`, run in slices. When `signal` fires it is seen before the next
 * step: the generator is ended (`return()`, so its `finally` blocks run) and the promise
 * rejects with AnalysisCancelled. Nothing of the engine runs between two steps.
 */
export async function runInSlices<T>(steps: Steps<T>, signal: CancellationSignal, observer?: SliceObserver): Promise<T> {
  let done = 0;
  for (;;) {
    const sliceEnd = performance.now() + SLICE_MS;
    do {
      if (signal.aborted) {
        steps.return(undefined as never);
        throw new AnalysisCancelled();
      }
      const next = steps.next();
      if (next.done) return next.value;
      done++;
    } while (performance.now() < sliceEnd);
    observer?.paused?.(done);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
