/**
 * Notebook benchmarks (issue 14):
 *   (a) the language server on a 100-cell notebook: didChange of one cell (a width in a
 *       middle cell, alternated in place) → publishDiagnostics for that cell's version,
 *       over the real server's stdio with the LSP notebook notifications (target: median
 *       < 30 ms; includes the 10 ms debounce and the publish on every cell);
 *   (b) `initwise check` of a notebook with 50 MB of image outputs beside the same notebook
 *       without them, as whole processes: only the sources are read (core/notebook/ipynb.ts),
 *       so the difference is reading the file, not analysing it;
 *   (c) the scanner alone on that 50 MB file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseNotebook } from '../server/src/core/notebook/ipynb';
import { LspTestClient } from '../test/lsp/client';
import { generatePython } from './generatePython';
import { summarize, type Summary } from './stats';

const CELLS = 100;

/** A generated model file cut into `CELLS` code cells at top-level statements, with a few IPython lines. */
export function generateNotebookCells(lines = 2000): string[] {
  const text = generatePython(lines);
  const boundaries = [...text.matchAll(/\n\n\n(?=\S)/g)].map((m) => m.index + 1);
  if (boundaries.length < CELLS - 1) throw new Error(`the generated file has only ${boundaries.length + 1} top-level blocks`);
  const cuts = Array.from({ length: CELLS - 1 }, (_, i) => boundaries[Math.floor(((i + 1) * boundaries.length) / CELLS)]!);
  const cells = [0, ...cuts].map((start, i) => text.slice(start, cuts[i] ?? text.length).replace(/^\n+/, '').replace(/\n+$/, ''));
  cells[0] = `%matplotlib inline\n${cells[0]}`;
  cells[CELLS - 1] = `!nvidia-smi\n${cells[CELLS - 1]}`;
  return cells;
}

function notebookJson(cells: readonly string[], outputs: unknown[] = []): string {
  const split = (source: string) => source.split(/(?<=\n)/);
  return JSON.stringify({
    cells: cells.map((source, i) => ({ cell_type: 'code', execution_count: i + 1, id: `c${i}`, metadata: {}, outputs: i === 1 ? outputs : [], source: split(source) })),
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  }, null, 1) + '\n';
}

export async function benchNotebookEdit(edits = 100): Promise<{ summary: Summary; note: string }> {
  const cells = generateNotebookCells();
  const target = cells.findIndex((cell, i) => i >= CELLS / 2 && /d_in=\d{3}/.test(cell));
  if (target < 0) throw new Error('no width to edit in the second half of the notebook');
  const lines = cells[target]!.split('\n');
  const line = lines.findIndex((l) => /d_in=\d{3}/.test(l));
  const character = /d_in=(\d{3})/.exec(lines[line]!)!.index + 'd_in='.length;
  const original = lines[line]!.slice(character, character + 3);

  const client = await LspTestClient.start();
  try {
    const uri = 'file:///bench/notebook.ipynb';
    const cellUri = (i: number) => `vscode-notebook-cell:/bench/notebook.ipynb#C${i}`;
    await client.openNotebook(uri, cells.map((text, i) => ({ uri: cellUri(i), languageId: 'python', version: 1, text })));
    const first = await client.diagnosticsFor(cellUri(target), 1, 60_000);
    const samples: number[] = [];
    for (let edit = 0; edit < 5 + edits; edit++) {
      const version = edit + 2;
      const width = edit % 2 === 0 ? String(Number(original) + 1) : original;
      const range = { start: { line, character }, end: { line, character: character + 3 } };
      const sent = performance.now();
      await client.changeNotebook(uri, version, { cells: { textContent: [{ document: { uri: cellUri(target), version }, changes: [{ range, text: width }] }] } });
      const published = await client.diagnosticsFor(cellUri(target), version, 30_000);
      if (edit >= 5) samples.push(published.receivedAt - sent);
    }
    const totalLines = cells.reduce((sum, cell) => sum + cell.split('\n').length, 0);
    return { summary: summarize(samples), note: `${CELLS} cells, ${totalLines} lines; edit in cell ${target + 1}; ${first.diagnostics.length} findings in that cell` };
  } finally {
    await client.stop();
  }
}

export function benchNotebookOutputs(root: string, runs = 5): { plain: Summary; huge: Summary; scan: Summary; note: string } {
  const cli = path.join(root, 'dist', 'cli.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-bench-nb-'));
  try {
    const cells = generateNotebookCells();
    const image = 'iVBORw0KGgo' + 'A'.repeat(50 * 1024 * 1024);
    fs.writeFileSync(path.join(dir, 'plain.ipynb'), notebookJson(cells));
    const hugeText = notebookJson(cells, [{ data: { 'image/png': image, 'text/plain': ['<Figure>'] }, metadata: {}, output_type: 'display_data' }]);
    fs.writeFileSync(path.join(dir, 'huge.ipynb'), hugeText);
    const time = (file: string) => {
      const samples: number[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const start = performance.now();
        const child = spawnSync(process.execPath, [cli, 'check', file, '--exit-zero'], { cwd: dir, encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`initwise check ${file} exited with ${child.status}: ${child.stderr}`);
        if (i > 0) samples.push(performance.now() - start);
      }
      return summarize(samples);
    };
    const scans: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const start = performance.now();
      const parsed = parseNotebook(hugeText);
      if (!parsed.ok) throw new Error(parsed.error.message);
      if (i > 0) scans.push(performance.now() - start);
    }
    return { plain: time('plain.ipynb'), huge: time('huge.ipynb'), scan: summarize(scans), note: `${(hugeText.length / 2 ** 20).toFixed(0)} MiB file` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
