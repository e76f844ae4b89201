/**
 * Monte-Carlo forward + backward, 50 dense layers of width 512 (ReLU, He init), batch 256,
 * as a whole process: `node dist/bench/run.js --montecarlo-child` parses the network,
 * runs the simulation in its worker thread (as the CLI and the language server do) and
 * exits. Measured side by side with the same job in PyTorch (bench/pytorch_mc.py,
 * `import torch` included) when Debian's python3-torch is installed. Peak RSS is each
 * process's own getrusage maximum (worker threads included).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyze } from '../server/src/core/analyze';
import { runMonteCarloInWorker } from '../server/src/host/montecarlo';
import { median, summarize, type Summary } from './stats';

export const MONTECARLO_CHILD_FLAG = '--montecarlo-child';

const NETWORK = 'network deep framework=pytorch {\n  input 512\n  repeat 50 {\n    dense 512 activation=relu init=he_normal\n  }\n}\n';

/** The child process's job: print one JSON line with what it measured itself. */
export async function runMonteCarloChild(): Promise<void> {
  const start = performance.now();
  const { networks } = analyze({ text: NETWORK, languageId: 'netdef' });
  if (networks[0]?.layers.length !== 50) throw new Error('expected a 50-layer network');
  const simulation = await runMonteCarloInWorker(
    { text: NETWORK, languageId: 'netdef', networkIndex: 0, options: { seed: 1, batch: 256 } }, new AbortController().signal,
  );
  if (!simulation) throw new Error('the Monte-Carlo simulation declined the benchmark network');
  console.log(JSON.stringify({
    work_s: (performance.now() - start) / 1000,
    last_forward_m2: simulation.layers[49]!.forwardVariance,
    first_gradient_m2: simulation.layers[0]!.gradientVariance,
    max_rss_mib: process.resourceUsage().maxRSS / 1024,
  }));
}

export interface ProcessBench {
  readonly wall: Summary;
  readonly maxRssMib: number;
  /** What the process said about itself (last run). */
  readonly report: Record<string, unknown>;
  /** What it said in each timed run. */
  readonly reports: readonly Record<string, unknown>[];
}

interface ProcessRun {
  readonly elapsedMs: number;
  readonly report: Record<string, unknown>;
}

function runProcess(command: string, args: readonly string[], cwd: string): ProcessRun {
  const start = performance.now();
  const child = spawnSync(command, args, { cwd, encoding: 'utf8' });
  const elapsedMs = performance.now() - start;
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${child.status}: ${child.stderr}`);
  return { elapsedMs, report: JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
}

function collect(runs: readonly ProcessRun[]): ProcessBench {
  return {
    wall: summarize(runs.map((run) => run.elapsedMs)),
    maxRssMib: Math.max(0, ...runs.map((run) => Number(run.report.max_rss_mib ?? 0))),
    report: runs.at(-1)?.report ?? {},
    reports: runs.map((run) => run.report),
  };
}

export function timeProcess(command: string, args: readonly string[], runs: number, cwd: string): ProcessBench {
  runProcess(command, args, cwd); // the first run warms the page cache
  const timed: ProcessRun[] = [];
  for (let i = 0; i < runs; i++) timed.push(runProcess(command, args, cwd));
  return collect(timed);
}

export interface Command {
  readonly command: string;
  readonly args: readonly string[];
}

export interface ProcessPair {
  readonly first: ProcessBench;
  readonly second: ProcessBench;
  /** Median over the pairs of first ÷ second: each pair ran back to back, under the same load. */
  readonly medianRatio: number;
}

/**
 * Two whole processes timed side by side: after one warm-up run of each, `pairs` pairs run back
 * to back, the order alternating from pair to pair, so that a change in the machine's load (other
 * jobs on a shared machine) falls on both sides alike instead of on whichever ran in that minute.
 */
export function timeProcessPairs(first: Command, second: Command, pairs: number, cwd: string): ProcessPair {
  runProcess(first.command, first.args, cwd);
  runProcess(second.command, second.args, cwd);
  const a: ProcessRun[] = [];
  const b: ProcessRun[] = [];
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      a.push(runProcess(first.command, first.args, cwd));
      b.push(runProcess(second.command, second.args, cwd));
    } else {
      b.push(runProcess(second.command, second.args, cwd));
      a.push(runProcess(first.command, first.args, cwd));
    }
  }
  return { first: collect(a), second: collect(b), medianRatio: median(a.map((run, i) => run.elapsedMs / b[i]!.elapsedMs)) };
}

export function benchMonteCarlo(root: string, runs = 5): ProcessBench {
  return timeProcess(process.execPath, [path.join(root, 'dist', 'bench', 'run.js'), MONTECARLO_CHILD_FLAG], runs, root);
}

/** Undefined when Debian's PyTorch is not installed (the table says so). */
export function benchPyTorch(root: string, runs = 5): ProcessBench | undefined {
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  return timeProcess(python, [path.join(root, 'bench', 'pytorch_mc.py')], runs, root);
}
