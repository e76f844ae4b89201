/**
 * Worker-thread entry of the Monte-Carlo simulation (bundled to dist/montecarloWorker.js).
 * Re-parses the document with the engine's own frontend (loading the Python parser in this
 * thread for a Python document: WebAssembly instances are per thread), picks the requested network and
 * simulates it, posting progress and then the result. The host cancels by terminating
 * the thread, so the engine runs here with no signal of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyze } from '../core/analyze';
import { NEVER_CANCELLED } from '../core/cancellation';
import { defaultBatch, simulateMonteCarlo } from '../core/simulation/montecarlo';
import type { MonteCarloRequest, MonteCarloWorkerMessage } from './montecarloProtocol';
import { loadPythonSupport } from './treeSitter';

function post(message: MonteCarloWorkerMessage): void {
  parentPort?.postMessage(message);
}

async function run(request: MonteCarloRequest): Promise<void> {
  const python = request.languageId === 'python' ? await loadPythonSupport() : undefined;
  // Only the frontend's networks are needed (the same, in the same order, as the server's analysis).
  const { networks } = analyze({ text: request.text, languageId: request.languageId, ...(python ? { python } : {}) });
  const network = networks[request.networkIndex];
  if (!network) {
    post({ type: 'result', simulation: undefined });
    return;
  }
  let lastPost = 0;
  const simulation = simulateMonteCarlo(network, {
    ...request.options,
    batch: request.options.batch ?? defaultBatch(network),
    onProgress: (done, total) => {
      // At most ~20 messages a second: progress is for people, not for the event loop.
      const now = Date.now();
      if (now - lastPost < 50 && done < total) return;
      lastPost = now;
      post({ type: 'progress', done, total });
    },
  }, NEVER_CANCELLED);
  post({ type: 'result', simulation });
}

run(workerData as MonteCarloRequest).catch((error: unknown) => {
  post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
