/**
 * Python frontend benchmarks, measured side by side with tree-sitter's own parse of the
 * same text (alternating runs, so machine load hits both alike):
 *   (a) analyze() of a generated 3,500-line model file (target < 100 ms);
 *   (b) that time over the bare parse time (target ≤ 2×); beside it, the floor any analysis
 *       through web-tree-sitter's JavaScript API pays: the parse plus one cursor walk reading
 *       each named node's type and extent once (every read crosses into WebAssembly);
 *   (c) re-analysis after a one-character edit, as the language server does on a keystroke
 *       (target: median < 30 ms): with the document's AnalysisMemory, as the server keeps
 *       one per open document, so tree-sitter re-parses incrementally and the units the
 *       edit did not touch are reused. Half the edits change a digit of a width, half
 *       insert a character (every later offset shifts, so reused results are moved).
 */
import { performance } from 'node:perf_hooks';
import type { Tree } from 'web-tree-sitter';
import { analyze } from '../server/src/core/analyze';
import { AnalysisMemory } from '../server/src/core/memory';
import { loadPythonSupport } from '../server/src/host/treeSitter';
import { generatePython } from './generatePython';
import { median, summarize, type Summary } from './stats';

export interface PythonBench {
  readonly analyze: Summary;
  readonly parse: Summary;
  /** median(analyze) / median(parse). */
  readonly ratio: number;
  /** Parse plus one walk reading every named node's type, start and end. */
  readonly floor: Summary;
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
  const floorMs: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    let start = performance.now();
    const tree = python.parser.parse(text);
    const parsed = performance.now() - start;
    const walkStart = performance.now();
    if (tree) readEveryNamedNode(tree);
    const floor = parsed + performance.now() - walkStart;
    tree?.delete();
    start = performance.now();
    analyze({ text, languageId: 'python', python });
    const analysed = performance.now() - start;
    if (i < 2) continue; // warm-up
    parseMs.push(parsed);
    floorMs.push(floor);
    analyzeMs.push(analysed);
  }
  // One-character edits spread over the file, each on the text the previous one left.
  const memory = new AnalysisMemory();
  const editMs: number[] = [];
  let current = text;
  analyze({ text: current, languageId: 'python', python, memory });
  for (let i = 0; i < 2 * runs; i++) {
    const digits = [...current.matchAll(/\d/g)].map((m) => m.index);
    const at = digits[Math.floor(((i + 0.5) * digits.length) / (2 * runs))]!;
    current = i % 2 === 0
      ? current.slice(0, at) + String((Number(current[at]) + 1) % 10) + current.slice(at + 1)
      : `${current.slice(0, at)}1${current.slice(at)}`;
    const start = performance.now();
    analyze({ text: current, languageId: 'python', python, memory });
    editMs.push(performance.now() - start);
  }
  memory.dispose();
  const layers = first.networks.reduce((sum, n) => sum + n.layers.length, 0);
  return {
    analyze: summarize(analyzeMs),
    parse: summarize(parseMs),
    ratio: median(analyzeMs) / median(parseMs),
    floor: summarize(floorMs),
    edit: summarize(editMs),
    note: `${text.split('\n').length} lines, ${first.networks.length} networks, ${layers} weight layers, ${first.findings.length} findings`,
  };
}

/** One TreeCursor walk over the whole tree, reading each named node's type, start and end. */
function readEveryNamedNode(tree: Tree): number {
  const cursor = tree.walk();
  let checksum = 0;
  for (;;) {
    if (cursor.nodeIsNamed) checksum += cursor.nodeType.length + cursor.startIndex + cursor.endIndex;
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        cursor.delete();
        return checksum;
      }
    }
  }
}
