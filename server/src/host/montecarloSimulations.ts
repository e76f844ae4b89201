/**
 * The Monte-Carlo simulations of a file's networks, run on the calling thread: what the
 * CLI's `--simulate montecarlo` uses inside its file jobs (which already run on worker
 * threads when several files are checked; a CLI may block). One seed (seed 1, so a run is
 * reproducible), the default batch (256 for MLPs, 32 with convolutions). A network the pass
 * declines keeps the analytic numbers (analyze() fills the gaps).
 */
import { NEVER_CANCELLED } from '../core/cancellation';
import type { Network } from '../core/ir';
import { defaultBatch, simulateMonteCarlo } from '../core/simulation/montecarlo';
import type { NetworkSimulation } from '../core/simulation/types';

export const CLI_MONTE_CARLO_SEED = 1;

/** `only`: the indices of the networks to run (`initwise report --network`); the others are undefined. */
export function monteCarloSimulations(networks: readonly Network[], only?: ReadonlySet<number>): (NetworkSimulation | undefined)[] {
  return networks.map((network, i) => (only && !only.has(i) ? undefined
    : simulateMonteCarlo(network, { seed: CLI_MONTE_CARLO_SEED, batch: defaultBatch(network) }, NEVER_CANCELLED)));
}
