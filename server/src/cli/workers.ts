/**
 * Runs file jobs on all cores. Each worker takes the next job as soon as it finishes one
 * (files differ a lot in size), and outcomes are stored by job index so the report's order
 * never depends on which worker was faster. Few files, one core, or no worker bundle (the
 * tests run the TypeScript sources in-process): the jobs run on this thread.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { PythonSupport } from '../core/frontends/types';
import { workspaceOfThread } from '../host/workspaceFiles';
import { runFileJob, type FileJob, type FileOutcome } from './fileJob';
import { collectIfGrown } from './heapBetweenFiles';
import type { JobMessage, OutcomeMessage } from './worker';

/** Below this many files, starting workers (≈30 ms each) costs more than it saves. */
export const PARALLEL_THRESHOLD = 24;
/**
 * Unless --jobs asks for threads, workers start only for this much source: each one
 * compiles the engine afresh (≈0.4 s of CPU before it is fast) and results are copied
 * back, so on 1,000 generated .netdef files (1.3 MB, ≈1.2 s on one thread) two threads
 * were slower, 1.5–1.7 s against 1.25 s (bench/cliThroughput.ts, 2 cores).
 */
export const PARALLEL_MIN_BYTES = 4 * 1024 * 1024;

export interface RunOptions {
  /** Thread count; undefined: one per core. */
  readonly threads: number | undefined;
  readonly onProgress?: (done: number, total: number) => void;
  /** The Python parser of this thread, for jobs run here (workers load their own). */
  readonly python?: PythonSupport;
  /** Loads it when `python` is not given and a Python job runs here (a warm cache needs no parser). */
  readonly loadPython?: () => Promise<PythonSupport | undefined>;
  /** Where the worker bundle lives (dist/ next to cli.js). */
  readonly workerScript?: string;
}

export function defaultWorkerScript(): string {
  return path.join(__dirname, 'cliWorker.js');
}

export async function runJobs(jobs: readonly FileJob[], options: RunOptions): Promise<FileOutcome[]> {
  const threads = Math.min(options.threads ?? os.availableParallelism(), jobs.length);
  const script = options.workerScript ?? defaultWorkerScript();
  const here = threads <= 1 || jobs.length < PARALLEL_THRESHOLD || !fs.existsSync(script) || (options.threads === undefined && totalBytes(jobs) < PARALLEL_MIN_BYTES);
  if (!here) return runInWorkers(jobs, threads, script, options);
  const python = options.python ?? (jobs.some((job) => job.languageId === 'python') ? await options.loadPython?.() : undefined);
  return await runHere(jobs, { ...options, python });
}

function totalBytes(jobs: readonly FileJob[]): number {
  let total = 0;
  for (const job of jobs) {
    try {
      total += fs.statSync(job.absolutePath).size;
    } catch {
      // Unreadable: the job itself reports it.
    }
    if (total >= PARALLEL_MIN_BYTES) break;
  }
  return total;
}

async function runHere(jobs: readonly FileJob[], options: RunOptions): Promise<FileOutcome[]> {
  workspaceOfThread().startRun();
  const outcomes: FileOutcome[] = [];
  for (const [i, job] of jobs.entries()) {
    // Back to the event loop between files: Node runs the native tree-sitter binding's
    // finalizers there, so a file's native trees, let go once read (host/nativeTreeReader.ts),
    // are freed during the run and not all at its end (torchvision's `models/`: −15 MiB peak).
    await new Promise((resolve) => setImmediate(resolve));
    collectIfGrown();
    const outcome = runFileJob(job, options.python);
    options.onProgress?.(i + 1, jobs.length);
    outcomes.push(outcome);
  }
  return outcomes;
}

function runInWorkers(jobs: readonly FileJob[], threads: number, script: string, options: RunOptions): Promise<FileOutcome[]> {
  // Loaded only here: most checks run on this thread, and Node's worker module costs a few
  // milliseconds of every start (issue 16).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Worker: WorkerThread } = require('node:worker_threads') as typeof import('node:worker_threads');
  return new Promise((resolve, reject) => {
    const outcomes = new Array<FileOutcome | undefined>(jobs.length);
    let next = 0;
    let done = 0;
    const workers: Worker[] = [];
    const finish = (error?: unknown) => {
      for (const worker of workers) void worker.terminate();
      if (error !== undefined) reject(error instanceof Error ? error : new Error('a worker thread failed'));
      else resolve(outcomes as FileOutcome[]);
    };
    // Batches shrink towards the end so the workers finish together: about eight batches per
    // thread in all, never more than 64 files at a time.
    const feed = (worker: Worker) => {
      if (next >= jobs.length) return;
      const remaining = jobs.length - next;
      const size = Math.max(1, Math.min(64, Math.ceil(remaining / (threads * 4))));
      const message: JobMessage = { first: next, jobs: jobs.slice(next, next + size) };
      next += size;
      worker.postMessage(message);
    };
    for (let t = 0; t < threads; t++) {
      const worker = new WorkerThread(script);
      workers.push(worker);
      worker.on('message', (message: OutcomeMessage) => {
        message.outcomes.forEach((outcome, i) => {
          outcomes[message.first + i] = outcome;
        });
        done += message.outcomes.length;
        options.onProgress?.(done, jobs.length);
        if (done === jobs.length) finish();
        else feed(worker);
      });
      // A worker that dies is our bug; fail the run (exit 2 with the stack) rather than hang.
      worker.on('error', (error) => finish(error));
      feed(worker);
    }
  });
}
