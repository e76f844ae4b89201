/**
 * Worker-thread entry (bundled to dist/cliWorker.js): runs file jobs for the main thread
 * of `initwise check`. One message in (a batch of jobs and its first index), one out. The Python
 * parser (native binding or WebAssembly instance: pythonParser.ts) cannot be sent between
 * threads: each worker loads its own, on its first Python file.
 */
import { parentPort } from 'node:worker_threads';
import type { PythonSupport } from '../core/frontends/types';
import { loadCliPythonParser } from './pythonParser';
import { runFileJob, type FileJob } from './fileJob';
import { collectIfGrown } from './heapBetweenFiles';

/** A batch of jobs: one message per file would cost more in messaging than small files take to check. */
export interface JobMessage {
  readonly first: number;
  readonly jobs: readonly FileJob[];
}

export interface OutcomeMessage {
  readonly first: number;
  readonly outcomes: readonly ReturnType<typeof runFileJob>[];
}

let python: Promise<PythonSupport | undefined> | undefined;

/** Loads the parser once; a failure leaves Python files unanalysed, as on the main thread (main.ts says why). */
function pythonSupport(): Promise<PythonSupport | undefined> {
  python ??= loadCliPythonParser().then((loaded) => loaded.support, () => undefined);
  return python;
}

parentPort?.on('message', (message: JobMessage) => {
  void (async () => {
    const support = message.jobs.some((job) => job.languageId === 'python') ? await pythonSupport() : undefined;
    const outcomes = message.jobs.map((job) => {
      collectIfGrown();
      return runFileJob(job, support);
    });
    const reply: OutcomeMessage = { first: message.first, outcomes };
    parentPort?.postMessage(reply);
  })();
});
