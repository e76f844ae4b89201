/**
 * The workspace, not one file (issue 11): (a) the language server's import graph of 1,000
 * generated modules that import each other (lsp/workspaceIndex.ts: parse, read imports,
 * resolve), built from scratch; (b) through the real server over stdio, a one-character
 * edit of a module that 10 open documents import, timed from didChange to the last of the
 * 10 importers' republished diagnostics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadPythonSupport } from '../server/src/host/treeSitter';
import { WorkspaceIndex } from '../server/src/lsp/workspaceIndex';
import { LspTestClient } from '../test/lsp/client';
import { summarize, type Summary } from './stats';

const MODULES = 1000;

/** Module i of a package: a block class with widths from a config module, built on two earlier modules' blocks. */
function moduleText(i: number): string {
  const a = Math.floor(i / 2);
  const b = Math.floor(i / 3);
  return [
    'import torch.nn as nn',
    '',
    'from .config import WIDTH',
    ...(i > 0 ? [`from .m${a} import Block${a}`, `from . import m${b}`] : []),
    '',
    '',
    `class Block${i}(nn.Module):`,
    '    def __init__(self, width=WIDTH):',
    '        super().__init__()',
    '        self.fc = nn.Linear(width, width)',
    '        self.act = nn.ReLU()',
    ...(i > 0 ? [`        self.inner = Block${a}(width)`, `        self.other = m${b}.Block${b}(width)`] : []),
    '',
    '    def forward(self, x):',
    `        return self.act(self.fc(${i > 0 ? 'self.other(self.inner(x))' : 'x'}))`,
    '',
  ].join('\n');
}

function generateWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-bench-workspace-'));
  fs.mkdirSync(path.join(dir, 'pkg'));
  fs.writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
  fs.writeFileSync(path.join(dir, 'pkg', 'config.py'), 'WIDTH = 512\n');
  for (let i = 0; i < MODULES; i++) fs.writeFileSync(path.join(dir, 'pkg', `m${i}.py`), moduleText(i));
  return dir;
}

export async function benchWorkspaceIndex(runs = 5): Promise<{ summary: Summary; note: string }> {
  const python = await loadPythonSupport();
  const dir = generateWorkspace();
  try {
    const samples: number[] = [];
    let edges = 0;
    for (let run = 0; run < runs + 1; run++) {
      const index = new WorkspaceIndex();
      const start = performance.now();
      const files = await index.indexFolders(python, [dir], () => Promise.resolve());
      const elapsed = performance.now() - start;
      if (files !== MODULES + 2) throw new Error(`indexed ${files} files, expected ${MODULES + 2}`);
      edges = index.graph.importersOf(path.join(dir, 'pkg', 'config.py').split(path.sep).join('/')).size;
      index.dispose();
      if (run > 0) samples.push(elapsed); // the first run warms the file-system cache and the JIT
    }
    return { summary: summarize(samples), note: `${MODULES + 2} files; config.py is imported by ${edges} modules` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const IMPORTERS = 10;
const EDITS = 30;

export async function benchWorkspaceRepublish(): Promise<{ summary: Summary; note: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-bench-republish-'));
  const shared = 'HIDDEN = 512\n';
  fs.writeFileSync(path.join(dir, 'shared.py'), shared);
  const importer = (i: number) => [
    'import torch.nn as nn',
    '',
    'from shared import HIDDEN',
    '',
    '',
    `class Model${i}(nn.Module):`,
    '    def __init__(self):',
    '        super().__init__()',
    '        self.fc = nn.Linear(HIDDEN, HIDDEN)',
    '        self.act = nn.ReLU()',
    '        self.out = nn.Linear(HIDDEN, 10)',
    '        nn.init.normal_(self.fc.weight, std=0.01)',
    '',
    '    def forward(self, x):',
    '        return self.out(self.act(self.fc(x)))',
    '',
  ].join('\n');
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).toString();
  for (let i = 0; i < IMPORTERS; i++) fs.writeFileSync(path.join(dir, `model${i}.py`), importer(i));
  const client = await LspTestClient.start({ workspaceFolders: [pathToFileURL(dir).toString()] });
  try {
    for (let i = 0; i < IMPORTERS; i++) {
      await client.open(uri(`model${i}.py`), 'python', importer(i));
      await client.diagnosticsFor(uri(`model${i}.py`), 1, 30_000);
    }
    await client.open(uri('shared.py'), 'python', shared);
    await client.diagnosticsFor(uri('shared.py'), 1, 30_000);
    const samples: number[] = [];
    for (let edit = 0; edit < EDITS + 3; edit++) {
      const width = edit % 2 === 0 ? '513' : '512';
      const before = client.publishes.length;
      const sent = performance.now();
      await client.change(uri('shared.py'), edit + 2, [{ range: { start: { line: 0, character: 9 }, end: { line: 0, character: 12 } }, text: width }]);
      const arrivals = await Promise.all(Array.from({ length: IMPORTERS }, (_, i) =>
        client.waitForDiagnostics(uri(`model${i}.py`), (p) => client.publishes.indexOf(p) >= before && p.diagnostics.some((d) => (d.message as string).includes(`fan_in ${width}`)), 30_000)));
      if (edit >= 3) samples.push(Math.max(...arrivals.map((a) => a.receivedAt)) - sent);
    }
    return { summary: summarize(samples), note: `${IMPORTERS} open importers; includes the 10 ms debounce` };
  } finally {
    await client.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
