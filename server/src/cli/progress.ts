/**
 * A progress bar on stderr for long runs at a terminal: `[#######·······]  412/1000 files`.
 * Only when stderr is a TTY (never in CI logs or pipes) and the run is long enough to
 * wonder about; redrawn at most every 100 ms, and erased before the report is printed.
 */
export const PROGRESS_MIN_FILES = 200;
const WIDTH = 30;
const INTERVAL_MS = 100;

export interface Progress {
  update(done: number, total: number): void;
  clear(): void;
}

export const NO_PROGRESS: Progress = { update: () => undefined, clear: () => undefined };

export function progressBar(write: (text: string) => void, now: () => number = Date.now): Progress {
  let last = -Infinity;
  let drawn = false;
  return {
    update(done, total) {
      const time = now();
      if (done < total && time - last < INTERVAL_MS) return;
      last = time;
      const filled = Math.round((done / Math.max(1, total)) * WIDTH);
      write(`\r[${'#'.repeat(filled)}${'·'.repeat(WIDTH - filled)}] ${String(done).padStart(String(total).length)}/${total} files`);
      drawn = true;
    },
    clear() {
      if (drawn) write('\r\u001b[2K');
      drawn = false;
    },
  };
}
