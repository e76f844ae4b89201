/**
 * Issue 15's Monte-Carlo target: a 12-block model's Monte-Carlo check (d_model 768, 12 heads,
 * 128 tokens: GPT-2 small's widths, causal, pre-LN, GELU MLP of 3,072, GPT-2's init with the
 * 1/√(2·n_layer) output projections) no slower than the same measurement in PyTorch, whole
 * process, side by side. `node dist/bench/run.js --transformer-montecarlo-child SEQUENCES` parses
 * the network and runs the Monte-Carlo pass in its worker thread (as the CLI and the language
 * server do); bench/pytorch_transformer_mc.py does the same job in PyTorch, `import torch`
 * included: draw the weights, run SEQUENCES sequences forward keeping every projection's output,
 * the stream after every sublayer and each attention's logit statistics, back-propagate
 * loss = Σ output·v, and reduce each to its float64 second moment (the stream's token cross
 * moment too), as the transformer oracle measures.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { analyze } from '../server/src/core/analyze';
import { runMonteCarloInWorker } from '../server/src/host/montecarlo';
import { timeProcess, timeProcessPairs, type ProcessBench } from './montecarlo';
import { median } from './stats';
import { transformerNetdef } from './transformer';

export const TRANSFORMER_MONTECARLO_CHILD_FLAG = '--transformer-montecarlo-child';

export const BLOCKS = 12;

export function gpt2SmallNetdef(): string {
  return transformerNetdef(BLOCKS, 768, 12, true, { name: 'gpt2_small', tokens: 128, embedding: false });
}

/** The child process's job: print one JSON line with what it measured itself. */
export async function runTransformerMonteCarloChild(sequences: number): Promise<void> {
  const start = performance.now();
  const text = gpt2SmallNetdef();
  const { networks } = analyze({ text, languageId: 'netdef' });
  if (networks[0]?.layers.length !== BLOCKS * 6) throw new Error('expected the 12-block transformer');
  const simulation = await runMonteCarloInWorker(
    { text, languageId: 'netdef', networkIndex: 0, options: { seed: 1, batch: sequences } }, new AbortController().signal,
  );
  if (!simulation) throw new Error('the Monte-Carlo simulation declined the benchmark transformer');
  console.log(JSON.stringify({
    work_s: (performance.now() - start) / 1000,
    last_forward_m2: simulation.layers[BLOCKS * 6 - 1]!.forwardVariance,
    first_gradient_m2: simulation.layers[0]!.gradientVariance,
    max_rss_mib: process.resourceUsage().maxRSS / 1024,
    // CPU time of every thread, user + system, up to here (on a shared machine the figure load does not inflate).
    cpu_s: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
    // The Monte-Carlo worker and, on two cores or more, its kernel helper (host/montecarloWorker.ts).
    threads: os.availableParallelism() >= 2 ? 2 : 1,
  }));
}

/** Median of what each run of a process said its CPU time was. */
export function medianCpuSeconds(bench: ProcessBench): number {
  return median(bench.reports.map((report) => Number(report.cpu_s)));
}

export interface TransformerMonteCarloBench {
  readonly ours: ProcessBench;
  /** Undefined when Debian's PyTorch is not installed (the table says so). */
  readonly torch?: ProcessBench;
  /** Median over interleaved pairs of ours ÷ PyTorch's time. */
  readonly medianRatio?: number;
}

/** Ours and PyTorch's whole processes, interleaved pair by pair (bench/montecarlo.ts timeProcessPairs). */
export function benchTransformerMonteCarlo(root: string, sequences: number, pairs = 5): TransformerMonteCarloBench {
  const ours = { command: process.execPath, args: [path.join(root, 'dist', 'bench', 'run.js'), TRANSFORMER_MONTECARLO_CHILD_FLAG, String(sequences)] };
  const python = '/usr/bin/python3';
  const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ours: timeProcess(ours.command, ours.args, pairs, root) };
  const torch = { command: python, args: [path.join(root, 'bench', 'pytorch_transformer_mc.py'), String(sequences)] };
  const pair = timeProcessPairs(ours, torch, pairs, root);
  return { ours: pair.first, torch: pair.second, medianRatio: pair.medianRatio };
}
