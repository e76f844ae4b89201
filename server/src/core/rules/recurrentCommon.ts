/**
 * What IW411 and IW412 share: the recurrent layers of a network, their simulated gradient
 * through time, and the same simulation with one change (the counterfactual a message quotes).
 */
import { NEVER_CANCELLED } from '../cancellation';
import type { Network, RecurrentSpec, WeightLayer } from '../ir';
import { formatNumber } from '../format/numbers';
import { simulateThroughTime, type ThroughTime } from '../simulation/recurrent';
import type { NetworkSimulation } from '../simulation/types';

export interface RecurrentLayer {
  readonly layer: WeightLayer;
  readonly spec: RecurrentSpec;
}

/** Each statement's recurrent layers once (repeats report the first instance). */
export function recurrentLayers(network: Network): RecurrentLayer[] {
  return network.layers.filter((l) => l.recurrent && l.repeatInstance === 0).map((layer) => ({ layer, spec: layer.recurrent! }));
}

/**
 * The gradient through time of the layer as the network simulation found it, or simulated on
 * its own from a unit-variance input when the network as a whole is not simulable.
 */
export function throughTimeOf(layer: WeightLayer, simulation: NetworkSimulation | undefined): ThroughTime | undefined {
  return simulation?.layers[layer.index]?.throughTime ?? simulateThroughTime(layer, 1, NEVER_CANCELLED);
}

/** The same layer with its recurrent part changed, simulated on a unit-variance input. */
export function throughTimeWith(layer: WeightLayer, change: Partial<RecurrentSpec>): ThroughTime | undefined {
  return simulateThroughTime({ ...layer, recurrent: { ...layer.recurrent!, ...change } }, 1, NEVER_CANCELLED);
}

/**
 * "×3.1e-40 over 100 steps (the default sequence length)". For LSTM and GRU cells mean field
 * still decays somewhat faster than the real tied kernel (simulation/recurrent.ts; PyTorch's
 * default LSTM over 100 steps: ×1.1e-43 where mean field says ×2.7e-44; GRU ×8.9e-43 vs
 * ×2.9e-43, 1.1% a step), and the message says so.
 */
export function overSteps(through: ThroughTime, cell: RecurrentSpec['cell']): string {
  const steps = through.stepsFromCode ? `${through.steps} steps` : `${through.steps} steps (the default: the code states no sequence length)`;
  const bound = cell === 'rnn' ? '' : ' (mean field, which overstates the decay in gated cells: run Monte-Carlo for the measured value)';
  // A kernel whose carry gates correlate strongly across steps: the value itself is approximate (ThroughTime.approximate).
  return `${through.approximate ? '≈' : ''}×${formatNumber(through.factor)} over ${steps}${bound}`;
}
