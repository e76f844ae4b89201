/**
 * The drift that depth causes, with width changes factored out (spec/rules.md,
 * IW201–IW204). A change of width contributes a one-off factor that telescopes across
 * the network (He et al. 2015 §2.2): forward fan_in/n_mode, backward fan_out/n_mode per
 * layer, where n_mode is the fan the initializer normalises by. Dividing those out leaves
 * what the depth does, so a wide-to-narrow head or a funnel is never "vanishing".
 * The raw per-layer second moments (what PyTorch measures) stay untouched elsewhere.
 */
import type { Network, WeightLayer } from '../ir';
import { fanFor, ownFanMode } from '../knowledge/initializers';
import type { NetworkSimulation } from './types';

export interface DirectionDrift {
  /** Depth-caused ratio at every weight layer, relative to the start (input = 1; gradient at the output = 1). */
  readonly normalized: readonly number[];
  /** The value at the far end: last layer (forward) or first layer (backward). */
  readonly total: number;
  /** Index of the first layer (in the direction of travel) where the drift leaves the band; undefined when it stays in. */
  readonly exitLayer: number | undefined;
  /** Geometric mean of the per-layer ratio over the layers up to the exit (or all layers). */
  readonly typicalFactor: number;
}

export interface DepthDrift {
  readonly forward: DirectionDrift;
  readonly backward: DirectionDrift;
  readonly band: number;
}

/** One-off width factors of a layer: forward fan_in/n_mode, backward fan_out/n_mode. */
export function widthFactors(layer: WeightLayer): { forward: number; backward: number } {
  const fans = layer.fans;
  const semantics = layer.init.semantics;
  if (!fans || !semantics) return { forward: 1, backward: 1 };
  const n = semantics.kind === 'orthogonal' ? Math.max(fans.fanIn, fans.fanOut / layer.receptiveField) : fanFor(ownFanMode(semantics), fans);
  if (!(n > 0)) return { forward: 1, backward: 1 };
  return { forward: fans.fanIn / n, backward: fans.fanOut / layer.strideProduct / n };
}

export function depthDrift(network: Network, simulation: NetworkSimulation, band: number): DepthDrift {
  const layers = network.layers;
  // Forward: q_l divided by the product of width factors up to and including l.
  const forward: number[] = [];
  let widthProduct = 1;
  layers.forEach((layer, i) => {
    widthProduct *= widthFactors(layer).forward;
    forward.push(simulation.layers[i]!.forwardVariance / widthProduct);
  });
  // Backward: g at layer l's input divided by the product of width factors from l to the end.
  const backward: number[] = new Array<number>(layers.length);
  widthProduct = 1;
  for (let i = layers.length - 1; i >= 0; i--) {
    widthProduct *= widthFactors(layers[i]!).backward;
    backward[i] = simulation.layers[i]!.gradientVariance / widthProduct;
  }
  return {
    forward: summarize(forward, band, false),
    backward: summarize(backward, band, true),
    band,
  };
}

function summarize(normalized: readonly number[], band: number, reverse: boolean): DirectionDrift {
  const order = normalized.map((_, i) => (reverse ? normalized.length - 1 - i : i));
  const outside = (v: number) => !(v >= 1 / band && v <= band);
  const exitPosition = order.findIndex((i) => outside(normalized[i]!));
  const exitLayer = exitPosition >= 0 ? order[exitPosition] : undefined;
  const total = normalized[order[order.length - 1]!] ?? 1;
  // Per-layer ratio: the drift at the exit (or the end) spread over the layers travelled.
  const span = exitPosition >= 0 ? exitPosition + 1 : order.length;
  const reached = exitPosition >= 0 ? normalized[order[exitPosition]!]! : total;
  const typicalFactor = span > 0 && reached > 0 && Number.isFinite(reached) ? reached ** (1 / span) : reached > 0 ? Infinity : 0;
  return { normalized, total, exitLayer, typicalFactor };
}
