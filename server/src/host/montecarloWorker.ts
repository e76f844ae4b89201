/**
 * Worker-thread entry of the Monte-Carlo simulation (bundled to dist/montecarloWorker.js).
 * Re-parses the document with the engine's own frontend (loading the Python parser in this
 * thread for a Python document: WebAssembly instances are per thread), picks the requested network and
 * simulates it, posting progress and then the result. The host cancels by terminating
 * the thread, so the engine runs here with no signal of its own.
 *
 * On a machine with two cores or more the thread starts one helper thread, this same file with
 * `kernelHelper` in its workerData, which takes half of the large products and weight draws
 * (core/simulation/kernelEngine.ts); it ends with the simulation, and is terminated with this thread.
 */
import * as os from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { analyze } from '../core/analyze';
import { NEVER_CANCELLED } from '../core/cancellation';
import { runKernelHelper, type KernelHelperData } from '../core/simulation/kernelEngine';
import { defaultBatch, simulateMonteCarlo } from '../core/simulation/montecarlo';
import type { MonteCarloRequest, MonteCarloWorkerMessage } from './montecarloProtocol';
import { loadPythonSupport } from './treeSitter';
import { enableRelaxedSimd } from './wasmFeatures';

function post(message: MonteCarloWorkerMessage): void {
  parentPort?.postMessage(message);
}

/** Starts the helper thread; the simulation runs on without it if it fails to start. */
function startKernelHelper(data: KernelHelperData): () => void {
  const helperData = { kernelHelper: data };
  const worker = __filename.endsWith('.ts')
    ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: helperData })
    : new Worker(__filename, { workerData: helperData });
  worker.on('error', () => {});
  worker.unref();
  return () => void worker.terminate();
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
    ...(os.availableParallelism() >= 2 ? { startHelper: startKernelHelper } : {}),
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

const helper = (workerData as { kernelHelper?: KernelHelperData } | null)?.kernelHelper;
// Before the engine compiles its kernels (the helper is handed the compiled module).
if (!helper) enableRelaxedSimd();
if (helper) {
  runKernelHelper(helper);
} else {
  run(workerData as MonteCarloRequest).catch((error: unknown) => {
    post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  });
}
