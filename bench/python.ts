/**
 * Python frontend benchmarks, measured side by side with tree-sitter's own parse of the
 * same text (alternating runs, so machine load hits both alike):
 *   (a) analyze() of a generated 3,500-line model file (target < 100 ms);
 *   (b) that time over the bare parse time (target ≤ 2×);
 *   (c) re-analysis after a one-character edit, as the language server does on a keystroke
 *       (target: median < 30 ms).
 */
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { loadPythonSupport } from '../server/src/host/treeSitter';
import { generatePython } from './generatePython';
import { median, summarize, type Summary } from './stats';

export interface PythonBench {
  readonly analyze: Summary;
  readonly parse: Summary;
  /** median(analyze) / median(parse). */
  readonly ratio: number;
  readonly edit: Summary;
  readonly note: string;
}

export async function benchPython(lines = 3500, runs = 20): Promise<PythonBench> {
  const python = await loadPythonSupport();
  const text = generatePython(lines);
  const first = analyze({ text, languageId: 'python', python });
  if (first.networks.length === 0) throw new Error('the generated Python file yields no networks');
  const analyzeMs: number[] = [];
  const parseMs: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    let start = performance.now();
    const tree = python.parser.parse(text);
    const parsed = performance.now() - start;
    tree?.delete();
    start = performance.now();
    analyze({ text, languageId: 'python', python });
    const analysed = performance.now() - start;
    if (i < 2) continue; // warm-up
    parseMs.push(parsed);
    analyzeMs.push(analysed);
  }
  // One-character edits: each changes one digit of a width, as typing does.
  const digits = [...text.matchAll(/\d/g)].map((m) => m.index);
  const editMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const at = digits[Math.floor((i * digits.length) / runs)]!;
    const edited = text.slice(0, at) + String((Number(text[at]) + 1) % 10) + text.slice(at + 1);
    const start = performance.now();
    analyze({ text: edited, languageId: 'python', python });
    editMs.push(performance.now() - start);
  }
  const layers = first.networks.reduce((sum, n) => sum + n.layers.length, 0);
  return {
    analyze: summarize(analyzeMs),
    parse: summarize(parseMs),
    ratio: median(analyzeMs) / median(parseMs),
    edit: summarize(editMs),
    note: `${text.split('\n').length} lines, ${first.networks.length} networks, ${layers} weight layers, ${first.findings.length} findings`,
  };
}
