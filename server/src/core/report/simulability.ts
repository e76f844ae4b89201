/**
 * Why a network has no simulation, in words a user can act on ("input width unknown").
 * The simulation itself only says "undefined"; the code lens, the report and the CLI
 * need the reason, and it must match the simulation's own preconditions
 * (simulation/analytic.ts: every layer needs fans, an initializer with a finite Var(W)
 * and a resolved activation and consumer).
 */
import type { Network, RecurrentSpec } from '../ir';
import { weightVariance } from '../knowledge/initializers';

export function whyNotSimulable(network: Network): string {
  if (network.layers.length === 0) return 'no weight layers';
  if (network.unsimulable !== undefined) return network.unsimulable;
  // Copied blocks: the analytic pass would draw them independently; Monte-Carlo draws them as built.
  if (network.monteCarloOnly !== undefined) return `${network.monteCarloOnly}, which the analytic pass does not follow (it draws every block independently): run Monte-Carlo`;
  if (network.inputShape === undefined && network.layers.some((layer) => !layer.fans)) return 'input width unknown';
  for (const layer of network.layers) {
    const which = `layer ${layer.index + 1}`;
    if (!layer.fans || !layer.frameworkFans) return `widths of ${which} unknown`;
    if (layer.activation === 'unknown' || layer.consumer === 'unknown') return `activation of ${which} unknown`;
    if (!layer.init.semantics) return `initializer of ${which} unknown`;
    if (!Number.isFinite(weightVariance(layer.init.semantics, layer.frameworkFans, layer.receptiveField))) {
      return `Var(W) of ${which} is not finite`;
    }
    const spec = layer.recurrent;
    const recurrent = spec ? whyRecurrentNotSimulable(spec) : undefined;
    if (recurrent) return `${which} ${recurrent}`;
  }
  return 'an operation the simulation cannot follow';
}

/** What keeps a recurrent layer out of the analytic pass (simulation/recurrent.ts), or undefined. */
function whyRecurrentNotSimulable(spec: RecurrentSpec): string | undefined {
  if (spec.stacked) return 'stacks several recurrent layers (num_layers > 1): judged, not simulated';
  if (spec.recurrentInit.kind === 'identity') return 'has an identity recurrent kernel, which has no mean field: run Monte-Carlo';
  if (!spec.recurrentInit.init.semantics) return 'has an unknown recurrent kernel';
  if (!spec.gateBiases) return 'has unknown gate biases';
  if (spec.nonlinearity === 'unknown') return 'has a cell nonlinearity InitWise does not simulate';
  return undefined;
}
