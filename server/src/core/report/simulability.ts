/**
 * Why a network has no simulation, in words a user can act on ("input width unknown").
 * The simulation itself only says "undefined"; the code lens, the report and the CLI
 * need the reason, and it must match the simulation's own preconditions
 * (simulation/analytic.ts: every layer needs fans, an initializer with a finite Var(W)
 * and a resolved activation and consumer).
 */
import type { Network, RecurrentSpec } from '../ir';
import { weightVariance } from '../knowledge/initializers';
import { estimateMemoryBytes, MAX_MEMORY_BYTES } from '../simulation/montecarlo';

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

/**
 * Why the Monte-Carlo pass declines a network before drawing it (simulation/montecarlo.ts's
 * preconditions), in words a user can act on; undefined when nothing is known to stop it (it may
 * still run out of its time budget or meet an op it cannot follow).
 */
export function whyNoMonteCarlo(network: Network, batch: number): string | undefined {
  if (network.layers.length === 0) return 'no weight layers';
  if (network.pretrained) return 'its weights are loaded from a checkpoint';
  if (network.unsimulable !== undefined) return network.unsimulable;
  for (const layer of network.layers) {
    const which = `layer ${layer.index + 1}`;
    if (!layer.fans || !layer.frameworkFans) return `widths of ${which} unknown`;
    if (layer.activation === 'unknown' || layer.consumer === 'unknown') return `activation of ${which} unknown`;
    if (!layer.init.semantics) return `initializer of ${which} unknown`;
    const conv = layer.kind === 'conv1d' || layer.kind === 'conv2d' || layer.kind === 'conv3d';
    if (conv && !layer.conv && !layer.transposed?.adjoint) {
      // PyTorch layers state their channels only: the spatial size comes from a sample in the file.
      return network.framework === 'pytorch' && network.inputShape === undefined
        ? 'the input\'s spatial size is unknown: the file passes the model no sample such as `model(torch.randn(1, 3, 32, 32))`'
        : `the spatial size at ${which} is unknown (a dilated conv, a padding other than zeros or 'same'/'valid', or a step whose output shape is not followed)`;
    }
  }
  const bytes = estimateMemoryBytes(network, batch);
  if (bytes > MAX_MEMORY_BYTES) {
    return `it would hold about ${(bytes / 2 ** 30).toFixed(1)} GiB at batch ${batch} (the limit is ${MAX_MEMORY_BYTES / 2 ** 30} GiB): run it with a smaller batch`;
  }
  return undefined;
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
