/**
 * Keystroke-to-diagnostics latency of the real language server: spawns
 * `node dist/server.js --stdio`, opens a generated 300-line .netdef file, and times
 * didChange -> publishDiagnostics (for that version) over ~100 single-line edits, one
 * at a time, as a user typing would see it. The time includes the server's debounce
 * (default 10 ms), on purpose: that is the latency the user gets.
 */
import { performance } from 'node:perf_hooks';
import { LspTestClient } from '../test/lsp/client';
import { generateNetdef } from './generateNetdef';
import { median, percentile } from './stats';

export interface LatencyResult {
  medianMs: number;
  p95Ms: number;
  samples: number;
}

const LINES = 300;
const WARMUP_EDITS = 5;
const MEASURED_EDITS = 100;

export async function benchLspLatency(): Promise<LatencyResult> {
  const text = generateNetdef(LINES);
  const lines = text.split('\n');
  // Edit the width of a dense layer in the middle of the file: a real re-analysis every time.
  const target = lines.findIndex((line, i) => i > LINES / 2 && /^ {2}dense \d{3} /.test(line));
  if (target < 0) throw new Error('generated file has no dense layer to edit');
  const original = lines[target]!.slice(8, 11);

  const client = await LspTestClient.start();
  try {
    const uri = 'file:///bench/latency.netdef';
    await client.open(uri, 'netdef', text);
    await client.diagnosticsFor(uri, 1, 30_000);

    const samples: number[] = [];
    for (let edit = 0; edit < WARMUP_EDITS + MEASURED_EDITS; edit++) {
      const version = edit + 2;
      // Alternate the width by one in place: three characters replaced, as one keystroke-sized edit.
      const width = edit % 2 === 0 ? String(Number(original) + 1) : original;
      const range = { start: { line: target, character: 8 }, end: { line: target, character: 11 } };
      const sent = performance.now();
      await client.change(uri, version, [{ range, text: width }]);
      const published = await client.diagnosticsFor(uri, version, 30_000);
      if (edit >= WARMUP_EDITS) samples.push(published.receivedAt - sent);
    }
    return { medianMs: median(samples), p95Ms: percentile(samples, 95), samples: samples.length };
  } finally {
    await client.stop();
  }
}
