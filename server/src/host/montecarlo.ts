/**
 * Runs the Monte-Carlo simulation in a worker thread, so the language server keeps
 * answering while a network is drawn and run (seconds for wide or deep ones), and the
 * CLI can simulate several networks at once. Aborting terminates the thread at once.
 *
 * The worker is dist/montecarloWorker.js beside the bundle (or its parent folder, for
 * dist/bench/); run from source (tests via tsx), the TypeScript entry is loaded through
 * tsx in the worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AnalysisCancelled } from '../core/cancellation';
import type { NetworkSimulation } from '../core/simulation/types';
import type { MonteCarloRequest, MonteCarloWorkerMessage } from './montecarloProtocol';

export type { MonteCarloRequest, MonteCarloRunOptions } from './montecarloProtocol';

export const WORKER_BUNDLE = 'montecarloWorker.js';

function startWorker(request: MonteCarloRequest): Worker {
  // Beside dist/server.js and dist/cli.js, or one level up from dist/bench/run.js.
  for (const folder of [__dirname, path.dirname(__dirname)]) {
    const bundled = path.join(folder, WORKER_BUNDLE);
    if (fs.existsSync(bundled)) return new Worker(bundled, { workerData: request });
  }
  const source = path.join(__dirname, 'montecarloWorker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData: request });
}

export function runMonteCarloInWorker(
  request: MonteCarloRequest,
  signal: AbortSignal,
  onProgress?: (done: number, total: number) => void,
): Promise<NetworkSimulation | undefined> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new AnalysisCancelled());
      return;
    }
    const worker = startWorker(request);
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const onAbort = () => finish(() => reject(new AnalysisCancelled()));
    signal.addEventListener('abort', onAbort);
    worker.on('message', (message: MonteCarloWorkerMessage) => {
      switch (message.type) {
        case 'progress':
          if (!settled) onProgress?.(message.done, message.total);
          break;
        case 'result':
          finish(() => resolve(message.simulation));
          break;
        case 'error':
          finish(() => reject(new Error(`Monte-Carlo worker failed: ${message.message}`)));
          break;
      }
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`Monte-Carlo worker exited with code ${code} before answering`))));
  });
}
