/**
 * Keystroke-to-diagnostics latency of the real language server: spawns
 * `node dist/server.js --stdio`, opens a generated 300-line .netdef file, and times
 * didChange -> publishDiagnostics (for that version) over ~100 single-line edits, one
 * at a time, as a user typing would see it. The time includes the server's debounce
 * (default 10 ms), on purpose: that is the latency the user gets.
 */
import { performance } from 'node:perf_hooks';
import { LspTestClient } from '../test/lsp/client';

export interface LatencyResult {
  medianMs: number;
  p95Ms: number;
  samples: number;
}

const LINES = 300;
const WARMUP_EDITS = 5;
const MEASURED_EDITS = 100;

const ACTIVATIONS = ['relu', 'tanh', 'gelu', 'selu', 'leaky_relu(0.2)', 'sigmoid'];
const INITS = ['he_normal', 'glorot_uniform', 'lecun_normal', 'kaiming_uniform', 'orthogonal', 'normal(std=0.02)'];

/** Several realistic networks (with repeats, residuals, norms, and some mistakes) filling exactly `lines` lines. */
export function generateNetdef(lines: number): string {
  const out: string[] = [];
  let n = 0;
  while (out.length < lines - 12) {
    out.push(`# network ${n}: a generated block for the latency benchmark`);
    out.push(`network net${n} framework=${['pytorch', 'keras', 'flax'][n % 3]!} {`);
    out.push('  input 256');
    for (let i = 0; i < 20 && out.length < lines - 8; i++) {
      const activation = ACTIVATIONS[(n + i) % ACTIVATIONS.length]!;
      const init = INITS[(n * 7 + i) % INITS.length]!;
      if (i % 7 === 3) {
        out.push('  residual scale=0.5 {', `    dense 256 activation=${activation} init=${init}`, '  }');
      } else if (i % 5 === 4) {
        out.push('  repeat 3 {', `    dense 256 activation=${activation}`, '    layernorm', '  }');
      } else {
        out.push(`  dense 256 activation=${activation} init=${init}`);
      }
    }
    out.push('  dense 10 activation=softmax init=glorot_uniform', '}', '');
    n++;
  }
  while (out.length < lines) out.push('# padding');
  return out.join('\n');
}

function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export async function benchLspLatency(): Promise<LatencyResult> {
  const text = generateNetdef(LINES);
  const lines = text.split('\n');
  // Edit the width of a dense layer in the middle of the file: a real re-analysis every time.
  const target = lines.findIndex((line, i) => i > LINES / 2 && /^ {2}dense 256 /.test(line));
  if (target < 0) throw new Error('generated file has no dense layer to edit');

  const client = await LspTestClient.start();
  try {
    const uri = 'file:///bench/latency.netdef';
    await client.open(uri, 'netdef', text);
    await client.diagnosticsFor(uri, 1, 30_000);

    const samples: number[] = [];
    for (let edit = 0; edit < WARMUP_EDITS + MEASURED_EDITS; edit++) {
      const version = edit + 2;
      // Alternate 256 <-> 257 in place: three characters replaced, as one keystroke-sized edit.
      const width = edit % 2 === 0 ? '257' : '256';
      const range = { start: { line: target, character: 8 }, end: { line: target, character: 11 } };
      const sent = performance.now();
      await client.change(uri, version, [{ range, text: width }]);
      const published = await client.diagnosticsFor(uri, version, 30_000);
      if (edit >= WARMUP_EDITS) samples.push(published.receivedAt - sent);
    }
    samples.sort((a, b) => a - b);
    return { medianMs: percentile(samples, 50), p95Ms: percentile(samples, 95), samples: samples.length };
  } finally {
    await client.stop();
  }
}
