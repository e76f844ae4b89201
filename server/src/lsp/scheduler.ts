/**
 * Debounce and supersede per document. A change restarts the document's timer (so a
 * burst of keystrokes is linted once, after it) and aborts the run already in flight,
 * whose AbortSignal the engine checks in its loops. The run itself re-checks the
 * document version before publishing: aborting is an optimisation, the version check
 * is the guarantee that nothing stale is ever published.
 */

export type Run = (key: string, signal: AbortSignal) => Promise<void>;

interface Pending {
  timer?: NodeJS.Timeout;
  controller?: AbortController;
}

export class Scheduler {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly run: Run,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** (Re)schedules `key` after `delayMs`, superseding any timer or run for it. */
  schedule(key: string, delayMs: number): void {
    this.cancel(key);
    const entry: Pending = {};
    entry.timer = setTimeout(() => this.start(key, entry), delayMs);
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

  dispose(): void {
    for (const key of [...this.pending.keys()]) this.cancel(key);
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
