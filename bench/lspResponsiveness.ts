/**
 * How long a hover on one document waits while another document's analysis is long
 * (issue 12, item 4: it waited 20.6 s). The real server over stdio: a small .netdef is
 * open and analysed; then, per sample, a long document is opened, the bench lets its
 * analysis get under way (100 ms), and times a hover on the small document. Two long
 * documents: many units (40 model classes, 900 appends each: the server answers between
 * units) and issue 12's nested-append model (one unit: a unit is not interrupted, so the
 * wait is bounded by the unit's step budget). `INITWISE_DIST=<other build>/dist` times
 * another build (the client spawns that server).
 */
import { performance } from 'node:perf_hooks';
import { LspTestClient } from '../test/lsp/client';
import { MLP_GLOROT_RELU } from '../test/lsp/fixtures';
import { appendLoops, manyLoopModels } from '../test/hostile/inputs';
import { median, percentile } from './stats';

export interface ResponsivenessResult {
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly samples: number;
}

const SAMPLES = 5;
const HEAD_START_MS = 100;

export async function benchHoverDuringLongAnalysis(long: 'many units' | 'one unit'): Promise<ResponsivenessResult> {
  const text = long === 'many units' ? manyLoopModels(40, 30) : appendLoops();
  const client = await LspTestClient.start();
  try {
    const other = 'file:///bench/other.netdef';
    await client.open(other, 'netdef', MLP_GLOROT_RELU);
    await client.diagnosticsFor(other, 1, 30_000);
    const samples: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const uri = `file:///bench/long-${i}.py`;
      await client.open(uri, 'python', text);
      await new Promise((resolve) => setTimeout(resolve, HEAD_START_MS));
      const sent = performance.now();
      const hover = await client.hover(other, { line: 3, character: 6 });
      samples.push(performance.now() - sent);
      if (!hover) throw new Error('no hover on the small document');
      // The next sample starts from an idle server.
      await client.diagnosticsFor(uri, 1, 120_000);
      await client.close(uri);
    }
    return { medianMs: median(samples), p95Ms: percentile(samples, 95), samples: samples.length };
  } finally {
    await client.stop();
  }
}
