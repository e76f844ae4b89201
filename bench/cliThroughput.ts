/**
 * `initwise check` throughput on a generated corpus of 1,000 model files, one worker
 * thread against all cores (issue 6): files per second of the whole process (start-up,
 * discovery, reading, analysis, output), which is what a CI job or a pre-commit hook on a
 * large repository pays. Two corpora: PyTorch modules (`.py`, the Python frontend) and
 * `.netdef` files of the same shape.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateNetdef } from './generateNetdef';
import { summarize, type Summary } from './stats';

export const CORPUS_FILES = 1000;

const ACTIVATIONS = ['relu', 'gelu', 'tanh', 'silu'] as const;
const PY_INITS = ['kaiming_normal_(w, nonlinearity="relu")', 'xavier_uniform_(w)', 'normal_(w, std=0.02)', 'orthogonal_(w)'] as const;

/** A PyTorch module of 6–10 layers with explicit and default inits, about 40 lines; deterministic in `seed`. */
export function generatePyTorchModule(seed: number): string {
  const depth = 6 + (seed % 5);
  const width = [128, 256, 512][seed % 3]!;
  const activation = ACTIVATIONS[seed % ACTIVATIONS.length]!;
  const lines = ['import torch', 'import torch.nn as nn', 'import torch.nn.functional as F', '', '', `class Model${seed}(nn.Module):`, '    def __init__(self):', '        super().__init__()'];
  for (let i = 0; i < depth; i++) lines.push(`        self.fc${i} = nn.Linear(${i === 0 ? 784 : width}, ${width})`);
  lines.push(`        self.head = nn.Linear(${width}, 10)`);
  for (let i = 0; i < depth; i += 2) {
    const init = PY_INITS[(seed + i) % PY_INITS.length]!.replace('(w', `(self.fc${i}.weight`);
    lines.push(`        nn.init.${init}`);
  }
  lines.push('', '    def forward(self, x):');
  for (let i = 0; i < depth; i++) lines.push(`        x = F.${activation}(self.fc${i}(x))`);
  lines.push('        return self.head(x)', '');
  return lines.join('\n');
}

export function writeCorpus(kind: 'py' | 'netdef'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `initwise-corpus-${kind}-`));
  for (let i = 0; i < CORPUS_FILES; i++) {
    const folder = path.join(dir, `pkg${Math.floor(i / 100)}`);
    fs.mkdirSync(folder, { recursive: true });
    const text = kind === 'py' ? generatePyTorchModule(i) : generateNetdef(40 + (i % 20));
    fs.writeFileSync(path.join(folder, `model${i}.${kind}`), text);
  }
  return dir;
}

export interface ThroughputRow {
  readonly kind: 'py' | 'netdef';
  readonly threads: 'one' | 'all';
  readonly wall: Summary;
  readonly filesPerSecond: number;
  readonly findings: number;
}

export function benchCliThroughput(root: string, runs = 3): ThroughputRow[] {
  const cli = path.join(root, 'dist', 'cli.js');
  const rows: ThroughputRow[] = [];
  for (const kind of ['py', 'netdef'] as const) {
    const dir = writeCorpus(kind);
    try {
      for (const threads of ['one', 'all'] as const) {
        // Explicit thread counts: without --jobs the CLI stays on one thread below 4 MiB of source.
        const jobs = threads === 'one' ? '1' : String(os.availableParallelism());
        const args = [cli, 'check', '.', '--statistics', '--format', 'json', '--jobs', jobs];
        const samples: number[] = [];
        let findings = 0;
        for (let i = 0; i < runs + 1; i++) {
          const start = performance.now();
          const child = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
          const elapsed = performance.now() - start;
          if (child.status !== 0 && child.status !== 1) throw new Error(`initwise check (${kind}, ${threads}) exited with ${child.status}: ${child.stderr}`);
          findings = (JSON.parse(child.stdout) as { count: number }[]).reduce((sum, row) => sum + row.count, 0);
          if (i > 0) samples.push(elapsed); // the first run warms the file-system cache
        }
        const wall = summarize(samples);
        rows.push({ kind, threads, wall, filesPerSecond: CORPUS_FILES / (wall.medianMs / 1000), findings });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}
