/**
 * The Monte-Carlo worker host: the worker re-parses the text and returns exactly what
 * the engine computes in-process (for a transformer too, whose products and weight draws the
 * worker shares with its helper thread); progress arrives; aborting rejects at once and ends
 * the thread.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import { AnalysisCancelled, NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { simulateMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { runMonteCarloInWorker } from '../../server/src/host/montecarlo';
import { enableRelaxedSimd, relaxedSimdAvailable } from '../../server/src/host/wasmFeatures';

// The worker turns relaxed SIMD on before its engine compiles the kernels (fused multiply-adds,
// which round differently from a multiply and an add); this thread's engine, compiled when a
// test first runs it, must use the same module for the numbers to be the same.
enableRelaxedSimd();

const TEXT = `network first {
  input 32
  dense 32 activation=relu init=he_normal
}

network second framework=pytorch {
  input 128
  repeat 6 {
    dense 128 activation=gelu init=kaiming_normal(nonlinearity=relu)
  }
}
`;

describe('Monte-Carlo in a worker thread', () => {
  before(() => assert.ok(relaxedSimdAvailable(), 'relaxed SIMD is on in this process as in the worker'));

  it('returns what the engine computes in-process, with progress', async () => {
    const progress: number[] = [];
    const fromWorker = await runMonteCarloInWorker(
      { text: TEXT, languageId: 'netdef', networkIndex: 1, options: { seed: 5, batch: 64, seeds: 2 } },
      new AbortController().signal,
      (done) => progress.push(done),
    );
    const network = analyze({ text: TEXT, languageId: 'netdef' }).networks[1]!;
    const inProcess = simulateMonteCarlo(network, { seed: 5, batch: 64, seeds: 2 }, NEVER_CANCELLED);
    assert.deepEqual(fromWorker, inProcess);
    assert.ok(progress.length > 0 && progress.at(-1) === 24);
  });

  it('returns what one thread computes when the worker shares the work with its helper thread (a transformer)', async function () {
    this.timeout(60_000);
    const transformer = `network small framework=pytorch {
  input 256 tokens=64
  repeat 2 {
    residual {
      layernorm
      attention 4 causal=true init=normal(std=0.02) out_init=normal(std=0.02/sqrt(2*2))
    }
    residual {
      layernorm
      dense 1024 activation=gelu init=normal(std=0.02)
      dense 256 init=normal(std=0.02/sqrt(2*2))
    }
  }
  layernorm
}
`;
    const options = { seed: 3, batch: 4, seeds: 2 };
    const fromWorker = await runMonteCarloInWorker(
      { text: transformer, languageId: 'netdef', networkIndex: 0, options }, new AbortController().signal,
    );
    const network = analyze({ text: transformer, languageId: 'netdef' }).networks[0]!;
    assert.ok(fromWorker);
    assert.deepEqual(fromWorker, simulateMonteCarlo(network, options, NEVER_CANCELLED));
  });

  it('answers undefined for a network index the document does not have', async () => {
    const result = await runMonteCarloInWorker(
      { text: TEXT, languageId: 'netdef', networkIndex: 7, options: { seed: 1 } }, new AbortController().signal,
    );
    assert.equal(result, undefined);
  });

  it('rejects with AnalysisCancelled when aborted mid-run', async () => {
    const controller = new AbortController();
    const wide = 'network wide {\n  input 1024\n  repeat 40 {\n    dense 1024 activation=tanh init=glorot_uniform\n  }\n}\n';
    const started = Date.now();
    const run = runMonteCarloInWorker(
      { text: wide, languageId: 'netdef', networkIndex: 0, options: { seed: 1, batch: 512, seeds: 8 } },
      controller.signal,
      () => controller.abort(), // abort on the first progress report: the worker is busy
    );
    await assert.rejects(run, AnalysisCancelled);
    assert.ok(Date.now() - started < 15_000);
  });
});
