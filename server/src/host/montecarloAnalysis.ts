/**
 * analyze() with Monte-Carlo numbers, for hosts that can wait (the CLI's
 * `--simulate montecarlo`): analyse once to find the networks, simulate each in a worker
 * thread (as many at once as there are cores, at most `parallel`), then analyse again with
 * those simulations, so the findings (IW201–IW204) and the JSON report measured numbers.
 * A network the Monte-Carlo pass declines (unknown widths, or not one seed within the
 * time budget) keeps its analytic simulation.
 */
import * as os from 'node:os';
import { analyze, type AnalysisInput, type AnalysisResult } from '../core/analyze';
import type { Settings } from '../core/settings';
import type { NetworkSimulation } from '../core/simulation/types';
import { runMonteCarloInWorker, type MonteCarloRunOptions } from './montecarlo';

export async function analyzeWithMonteCarlo(
  input: AnalysisInput,
  settings: Settings,
  options: MonteCarloRunOptions & { readonly parallel?: number },
  signal: AbortSignal,
): Promise<AnalysisResult> {
  const first = analyze(input, settings, signal);
  if (first.networks.length === 0) return first;
  const simulations: (NetworkSimulation | undefined)[] = new Array<NetworkSimulation | undefined>(first.networks.length);
  const parallel = Math.max(1, Math.min(options.parallel ?? os.availableParallelism(), first.networks.length));
  const runOptions: MonteCarloRunOptions = {
    seed: options.seed,
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    ...(options.seeds !== undefined ? { seeds: options.seeds } : {}),
    ...(options.timeBudgetMs !== undefined ? { timeBudgetMs: options.timeBudgetMs } : {}),
  };
  let next = 0;
  const lane = async () => {
    while (next < first.networks.length) {
      const networkIndex = next++;
      simulations[networkIndex] = await runMonteCarloInWorker(
        { text: input.text, languageId: input.languageId, networkIndex, options: runOptions }, signal,
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  if (simulations.every((sim) => sim === undefined)) return first;
  return analyze({ ...input, simulations }, settings, signal);
}
