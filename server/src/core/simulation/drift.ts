/**
 * The drift that depth causes, with width changes factored out (spec/rules.md,
 * IW201–IW204). A change of width contributes a one-off factor that telescopes across
 * the network (He et al. 2015 §2.2): forward fan_in/n_mode, backward fan_out/n_mode per
 * layer, where n_mode is the fan the initializer normalises by. Dividing those out leaves
 * what the depth does, so a wide-to-narrow head or a funnel is never "vanishing". A pool on
 * the main path is such a one-off too (NetworkSimulation.pools: a 2×2 max pool after ReLU
 * ×3.1 forward, a global average pool over n positions ÷n² backward per position): the
 * architecture's, which no initializer changes, so it is divided out the same way.
 *
 * The drift is followed along the main path: the network's top-level weight layers and
 * the stream through residual blocks (a branch's inside is not the signal's path; a
 * zero-initialised branch end is deliberate). The raw per-layer second moments (what
 * PyTorch measures) stay untouched elsewhere.
 */
import { walkOps, type Network, type Op, type WeightLayer } from '../ir';
import { fanFor, judgingFans, ownFanMode } from '../knowledge/initializers';
import type { NetworkSimulation } from './types';
import { maxOf, minOf } from '../util/arrays';

export interface DirectionDrift {
  /** Main-path layer indices (into Network.layers), in forward order. */
  readonly path: readonly number[];
  /** Depth-caused ratio at each main-path layer, relative to the start (input = 1; gradient at the output = 1). */
  readonly normalized: readonly number[];
  /** At the far end: the last main-path layer's pre-activations (forward), the network input (backward). */
  readonly total: number;
  /** Position in `path` where the drift first leaves the band in the direction of travel; undefined when it stays in. */
  readonly exitPosition: number | undefined;
  /**
   * The per-layer step responsible: the median ratio between consecutive main-path layers
   * (the first layer's ratio to the input is a one-off, not a per-layer step).
   */
  readonly typicalFactor: number;
  /**
   * The total without the single most extreme per-layer step: when this is inside the band,
   * one layer accounts for the drift (the per-layer init rules report it), not depth.
   */
  readonly withoutWorstStep: { readonly vanishing: number; readonly exploding: number };
}

export interface DepthDrift {
  readonly forward: DirectionDrift;
  readonly backward: DirectionDrift;
  readonly band: number;
}

/**
 * One-off width factors of a layer: forward fan_in/n_mode, backward fan_out/n_mode (a
 * strided conv's backward and a transposed conv's forward divided by their strides).
 */
export function widthFactors(layer: WeightLayer): { forward: number; backward: number } {
  const fans = layer.fans;
  const semantics = layer.init.semantics;
  const judged = semantics ? judgingFans(layer, semantics) : undefined;
  if (!fans || !judged || !semantics) return { forward: 1, backward: 1 };
  const n = semantics.kind === 'orthogonal' ? Math.max(judged.fanIn, judged.fanOut / layer.receptiveField) : fanFor(ownFanMode(semantics), judged);
  if (!(n > 0)) return { forward: 1, backward: 1 };
  return { forward: fans.fanIn / (layer.transposed?.upsampling ?? 1) / n, backward: fans.fanOut / layer.strideProduct / n };
}

/** Top-level weight layers; a network made only of residual blocks follows every layer. */
function mainPath(network: Network): number[] {
  const top = network.ops.filter((op): op is WeightLayer => op.op === 'layer').map((layer) => layer.index);
  return top.length > 0 ? top : network.layers.map((layer) => layer.index);
}

/**
 * The pools of the network's top level (the main path; a pool inside a residual branch reaches
 * the stream diluted by the shortcut and is left in) grouped by the main-path layer they come
 * before: `before[p]` multiplies the pools between path[p − 1] and path[p], `after` those after
 * the last path layer. Forward and backward factors from NetworkSimulation.pools.
 */
function poolFactorsAlong(network: Network, path: readonly number[], simulation: NetworkSimulation): {
  before: { forward: number; backward: number }[]; after: { forward: number; backward: number };
} {
  const before = path.map(() => ({ forward: 1, backward: 1 }));
  const after = { forward: 1, backward: 1 };
  const pools = simulation.pools;
  if (!pools || pools.length === 0) return { before, after };
  const walkIndex = new Map<Op, number>();
  for (const op of walkOps(network.ops)) if (op.op === 'pool') walkIndex.set(op, walkIndex.size);
  const position = new Map(path.map((layer, p) => [layer, p]));
  // Path layers are top-level ops unless the network is made only of residual blocks.
  const topLevel = network.ops.some((op) => op.op === 'layer');
  let next = 0;
  const pending: number[] = [];
  const flush = (target: { forward: number; backward: number }) => {
    for (const i of pending) {
      const factors = pools[i];
      if (factors && factors.forward > 0 && factors.backward > 0) {
        target.forward *= factors.forward;
        target.backward *= factors.backward;
      }
    }
    pending.length = 0;
  };
  for (const op of topLevel ? network.ops : walkOps(network.ops)) {
    if (op.op === 'pool') pending.push(walkIndex.get(op)!);
    else if (op.op === 'layer' && position.has(op.index)) {
      next = position.get(op.index)!;
      flush(before[next]!);
    }
  }
  flush(after);
  return { before, after };
}

export function depthDrift(network: Network, simulation: NetworkSimulation, band: number): DepthDrift {
  const path = mainPath(network);
  const layers = network.layers;
  const pools = poolFactorsAlong(network, path, simulation);
  let product = 1;
  const forward = path.map((i, p) => {
    product *= widthFactors(layers[i]!).forward * pools.before[p]!.forward;
    return simulation.layers[i]!.forwardVariance / product;
  });
  const backward = new Array<number>(path.length);
  product = pools.after.backward;
  for (let p = path.length - 1; p >= 0; p--) {
    product *= widthFactors(layers[path[p]!]!).backward;
    backward[p] = simulation.layers[path[p]!]!.gradientVariance / product;
    product *= pools.before[p]!.backward;
  }
  // The gradient reaching the network input includes residual blocks before the first top-level layer.
  const backwardTotal = simulation.inputGradientVariance / product;
  return {
    forward: summarize(path, forward, forward[forward.length - 1] ?? 1, band, false),
    backward: summarize(path, backward, backwardTotal, band, true),
    band,
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 1;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.sqrt(sorted[mid - 1]! * sorted[mid]!);
}

function summarize(path: readonly number[], normalized: readonly number[], total: number, band: number, reverse: boolean): DirectionDrift {
  const order = normalized.map((_, i) => (reverse ? normalized.length - 1 - i : i));
  const outside = (v: number) => !(v >= 1 / band && v <= band);
  const found = order.findIndex((i) => outside(normalized[i]!));
  const exitPosition = found >= 0 ? order[found] : undefined;
  // Per-layer steps along the direction of travel, the last one ending at the total.
  const values = [...order.map((i) => normalized[i]!), total];
  const steps = values.map((v, k) => (k === 0 ? v : v / values[k - 1]!)).filter((s) => s > 0 && Number.isFinite(s));
  const smallest = minOf(steps, 1);
  const largest = maxOf(steps, 1);
  const typicalFactor = median(steps.length > 1 ? steps.slice(1) : steps);
  return {
    path,
    normalized,
    total,
    exitPosition,
    typicalFactor,
    withoutWorstStep: { vanishing: total / Math.min(1, smallest), exploding: total / Math.max(1, largest) },
  };
}

/**
 * The per-layer steps of the depth drift (issue 13, item 3), keyed by layer index: forward,
 * the ratio of this main-path layer's depth-normalised pre-activation second moment to the
 * previous one's (the previous activation, any norm or dropout between, residual blocks
 * between, this layer's fan_in·Var(W), with the width change divided out); backward, the
 * same for the gradient coming back from the output. The forward steps multiply to
 * `forward.total` and the backward ones to `backward.total` — the drift the code lens and
 * IW201–IW204 show. Layers inside residual branches are not on the path and have none.
 */
export function depthSteps(drift: DepthDrift): { forward: ReadonlyMap<number, number>; backward: ReadonlyMap<number, number> } {
  const forward = new Map<number, number>();
  const { path, normalized } = drift.forward;
  path.forEach((layer, p) => forward.set(layer, p === 0 ? normalized[0]! : normalized[p]! / normalized[p - 1]!));
  const backward = new Map<number, number>();
  const b = drift.backward;
  for (let p = b.path.length - 1; p >= 0; p--) {
    const step = p === b.path.length - 1 ? b.normalized[p]! : b.normalized[p]! / b.normalized[p + 1]!;
    backward.set(b.path[p]!, step);
  }
  // Residual blocks before the first main-path layer change the gradient reaching the input:
  // folded into the first layer's step, so the steps still multiply to the total.
  const first = b.path[0];
  if (first !== undefined && b.normalized[0]! > 0) backward.set(first, backward.get(first)! * (b.total / b.normalized[0]!));
  return { forward, backward };
}

/** The geometric mean of the per-layer steps, total^(1/steps): what IW201–IW204 and the report call "per layer on average". */
export function averageStep(total: number, steps: number): number {
  return steps > 0 && total > 0 ? total ** (1 / steps) : total;
}
