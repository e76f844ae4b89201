/**
 * A full garbage collection between two files of a check once the heap has grown by half
 * its live size, and at least 8 MiB, since the last one (issue 16: peak memory under
 * 100 MiB on torchvision's `models/`). Most of what a file's analysis allocates lives as
 * long as that file's analysis: longer than the young generation keeps it (the CLI keeps
 * that small: v8Flags.ts), so it is promoted, and V8 first collects the old generation only
 * when it reaches a limit sized for long-running processes. On torchvision's 60 files the
 * heap grew to 33 MiB of which 9 MiB were live; collected this way the process peaks
 * ~9 MiB lower for ~+3 % CPU (README, Performance). Relative to the live size, the cost
 * stays in proportion to what is allocated however much a run keeps.
 *
 * V8 gives JavaScript its `gc` only behind `--expose-gc` (set with the CLI's other flags,
 * v8Flags.ts, before the bundle is compiled: V8 keys its code cache by the flags); it is
 * installed in contexts made afterwards, so the function comes from a fresh context of its
 * own and the CLI's global scope gains nothing.
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

const MIN_GROWTH = 8 * 2 ** 20;

let collect: (() => void) | undefined;
/** The heap after the last collection; at the first call (before the first file), the heap then. */
let liveAfterLast: number | undefined;

/**
 * The heap in use: what `process.memoryUsage().heapUsed` reports, without the resident set
 * size that call also reads from /proc (system calls once per file, where the process can
 * lose its core on a busy machine).
 */
function heapUsed(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/** Collects garbage when the heap grew enough since the last collection (call between files). */
export function collectIfGrown(): void {
  const used = heapUsed();
  liveAfterLast ??= used;
  if (used - liveAfterLast <= Math.max(MIN_GROWTH, liveAfterLast / 2)) return;
  if (!collect) {
    // Already set where the CLI's flags were (a no-op then); here for a run of this module alone.
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  liveAfterLast = heapUsed();
}
