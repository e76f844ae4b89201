/**
 * Keystroke-to-diagnostics latency of the real language server: spawns
 * `node dist/server.js --stdio`, opens a generated file (300-line .netdef, or 3,500-line
 * Python), and times didChange -> publishDiagnostics (for that version) over ~100 edits of
 * a width in the middle of the file, one at a time, as a user typing would see it. The
 * time includes the server's debounce (default 10 ms), on purpose: that is the latency
 * the user gets.
 */
import { performance } from 'node:perf_hooks';
import { LspTestClient } from '../test/lsp/client';
import { generateNetdef } from './generateNetdef';
import { generatePython } from './generatePython';
import { median, percentile } from './stats';

export interface LatencyResult {
  medianMs: number;
  p95Ms: number;
  samples: number;
}

const WARMUP_EDITS = 5;
const MEASURED_EDITS = 100;

/** The file, and a three-digit width in its middle to edit: a real re-analysis every time. */
function subject(language: 'netdef' | 'python'): { text: string; line: number; character: number } {
  const text = language === 'netdef' ? generateNetdef(300) : generatePython(3500);
  const lines = text.split('\n');
  // Python: a model's input width (`d_in=784`) in a class in the middle of the file.
  const width = language === 'netdef' ? /^ {2}dense \d{3} / : /d_in=\d{3}/;
  for (let line = Math.floor(lines.length / 2); line < lines.length; line++) {
    const match = /\d{3}/.exec(lines[line]!);
    if (match && width.test(lines[line]!)) return { text, line, character: match.index };
  }
  throw new Error(`generated ${language} file has no width to edit`);
}

export async function benchLspLatency(language: 'netdef' | 'python' = 'netdef'): Promise<LatencyResult> {
  const { text, line: target, character } = subject(language);
  const original = text.split('\n')[target]!.slice(character, character + 3);

  const client = await LspTestClient.start();
  try {
    const uri = `file:///bench/latency.${language === 'netdef' ? 'netdef' : 'py'}`;
    await client.open(uri, language, text);
    await client.diagnosticsFor(uri, 1, 30_000);

    const samples: number[] = [];
    for (let edit = 0; edit < WARMUP_EDITS + MEASURED_EDITS; edit++) {
      const version = edit + 2;
      // Alternate the width by one in place: three characters replaced, as one keystroke-sized edit.
      const width = edit % 2 === 0 ? String(Number(original) + 1) : original;
      const range = { start: { line: target, character }, end: { line: target, character: character + 3 } };
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
