/**
 * Debounce and supersede per document.
 *
 * A change that follows a quiet period (no change to the document for `quietMs`) is
 * linted at once, on the next turn of the event loop: a single keystroke should not
 * pay the debounce as latency. A change that comes within `quietMs` of the previous
 * one is part of a burst (fast typing, a paste applied as many edits, undo runs): it
 * restarts the timer, so the burst is linted once, `quietMs` after its last change.
 *
 * A new schedule also aborts the run already in flight, whose AbortSignal the engine
 * checks in its loops. The run itself reads the document version when it starts and
 * re-checks it before publishing: aborting saves work, the version check is the
 * guarantee that nothing stale is ever published.
 */
import { performance } from 'node:perf_hooks';

export type Run = (key: string, signal: AbortSignal) => Promise<void>;

interface Pending {
  timer?: NodeJS.Timeout;
  controller?: AbortController;
}

export class Scheduler {
  private readonly pending = new Map<string, Pending>();
  /** When each key was last scheduled (performance.now()), to tell a burst from an isolated change. */
  private readonly lastScheduled = new Map<string, number>();

  constructor(
    private readonly run: Run,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /**
   * Schedules a run for `key`, superseding any timer or run for it: at once after a
   * quiet period, else `quietMs` from now. `quietMs = 0` always runs at once.
   */
  schedule(key: string, quietMs: number): void {
    const now = performance.now();
    const previous = this.lastScheduled.get(key);
    this.lastScheduled.set(key, now);
    const timerPending = this.pending.get(key)?.timer !== undefined;
    const inBurst = timerPending || (previous !== undefined && now - previous < quietMs);

    this.cancel(key);
    const entry: Pending = {};
    // Even "at once" goes through a 0 ms timer: the rest of a burst that arrived in the
    // same chunk of input is read first, and joins this run instead of following it.
    entry.timer = setTimeout(() => this.start(key, entry), inBurst ? quietMs : 0);
    this.pending.set(key, entry);
  }

  /** Drops the timer and aborts the run in flight for `key`. */
  cancel(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.controller?.abort();
    this.pending.delete(key);
  }

  /** Cancels and forgets `key` entirely (its document closed). */
  forget(key: string): void {
    this.cancel(key);
    this.lastScheduled.delete(key);
  }

  dispose(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
    this.lastScheduled.clear();
  }

  private start(key: string, entry: Pending): void {
    entry.timer = undefined;
    const controller = new AbortController();
    entry.controller = controller;
    void this.run(key, controller.signal)
      .catch((error: unknown) => this.onError(key, error))
      .finally(() => {
        // Only forget the entry if a newer schedule() has not replaced it meanwhile.
        if (this.pending.get(key) === entry) this.pending.delete(key);
      });
  }
}
