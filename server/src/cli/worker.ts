/**
 * Worker-thread entry (bundled to dist/cliWorker.js): runs file jobs for the main thread
 * of `initwise check`. One message in (a job with its index), one message out. The Python
 * parser is a WebAssembly instance and cannot be sent between threads: each worker loads
 * its own, on its first Python file.
 */
import { parentPort } from 'node:worker_threads';
import type { PythonSupport } from '../core/frontends/types';
import { loadPythonSupport } from '../host/treeSitter';
import { runFileJob, type FileJob } from './fileJob';

export interface JobMessage {
  readonly index: number;
  readonly job: FileJob;
}

export interface OutcomeMessage {
  readonly index: number;
  readonly outcome: ReturnType<typeof runFileJob>;
}

let python: Promise<PythonSupport | undefined> | undefined;

/** Loads the parser once; a failure leaves Python files unanalysed, as on the main thread (main.ts says why). */
function pythonSupport(): Promise<PythonSupport | undefined> {
  python ??= loadPythonSupport().catch(() => undefined);
  return python;
}

parentPort?.on('message', (message: JobMessage) => {
  void (async () => {
    const support = message.job.languageId === 'python' ? await pythonSupport() : undefined;
    const reply: OutcomeMessage = { index: message.index, outcome: runFileJob(message.job, support) };
    parentPort?.postMessage(reply);
  })();
});
