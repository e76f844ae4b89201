/**
 * Finite-width uncertainty bands. Mean field is the infinite-width limit; a network
 * actually drawn at width n lands around it with log-normal spread whose variance grows
 * with depth over width: var(log q_l) ≈ Σ_{k ≤ l} c_k / n_k forward and
 * var(log g_l) ≈ Σ_{k ≥ l} c_k / n_k backward (Hanin & Rolnick 2018,
 * https://arxiv.org/abs/1801.03744, derive 5/n per layer for ReLU's forward pass).
 *
 * The constants c are CALIBRATED, not derived: least-squares fits of the per-seed
 * variance of log(pre_m2) and log(grad_in_m2) in shared/oracle/ground_truth.json (10
 * seeds per network, so each constant is known to about ±50%). ReLU's forward fit, 5.8,
 * agrees with the theory's 5. For GELU/SiLU/Mish/ELU in their ReLU-like regime the
 * PyTorch measurements are biased away from mean field, not just spread (the oracle
 * README: 5× forward, 12× gradient at width 256, depth 20); the band widens there and
 * the simulation carries a caveat recommending Monte-Carlo.
 */
import type { Network, Op } from '../ir';
import type { LayerSimulation, NetworkSimulation } from './types';

interface SpreadConstants {
  readonly forward: number;
  readonly backward: number;
}

/** Fitted on the oracle's per-seed spread (see the file comment). */
const RELU_LIKE: SpreadConstants = { forward: 5.8, backward: 1.8 };
const SATURATING_OR_LINEAR: SpreadConstants = { forward: 0.1, backward: 0.1 };
const SELU: SpreadConstants = { forward: 0.02, backward: 0.02 };
/** GELU/SiLU/Mish/ELU with pre-activations of order 1 or more behave like ReLU, and worse. */
const SMOOTH_NONLINEAR: SpreadConstants = { forward: 9.4, backward: 17 };
/** Below this pre-activation scale GELU/SiLU/Mish/ELU are in their near-linear regime. */
const SMOOTH_LINEAR_REGIME_Q = 0.5;
/** Two standard deviations: the band holds a drawn network with ~95% probability. */
const BAND_SIGMAS = 2;

export const MEAN_FIELD_CAVEAT =
  'GELU/SiLU/Mish/ELU in their ReLU-like regime: at finite width PyTorch lands several times away from mean field ' +
  '(5× forward, 12× gradient at width 256, depth 20). Run the Monte-Carlo simulation for real-width numbers.';

function constantsFor(op: Op & { op: 'layer' }, q: number): SpreadConstants {
  const consumer = op.consumer === 'unknown' ? undefined : op.consumer;
  switch (consumer?.name) {
    case 'relu': case 'leaky_relu': case 'prelu': case 'relu6':
      return RELU_LIKE;
    case 'gelu': case 'silu': case 'mish': case 'elu':
      return q >= SMOOTH_LINEAR_REGIME_Q ? SMOOTH_NONLINEAR : SATURATING_OR_LINEAR;
    case 'selu':
      return SELU;
    default:
      return SATURATING_OR_LINEAR;
  }
}

/** Returns the simulation with forwardBand/gradientBand on every layer (and a caveat where mean field is unreliable). */
export function attachFiniteWidthBands(network: Network, simulation: NetworkSimulation): NetworkSimulation {
  // The constants are calibrated on feed-forward stacks; a recurrent layer's spread over its
  // sequence is not (test/reference/recurrent/ has 6 seeds per setting): no band rather than a guess.
  if (network.layers.some((layer) => layer.recurrent)) return simulation;
  const n = network.layers.length;
  const forwardVar = new Array<number>(n).fill(0);
  const backwardTerm = new Array<number>(n).fill(0);
  let smoothNonlinear = 0;
  let accumulated = 0;
  const visit = (ops: readonly Op[]) => {
    for (const op of ops) {
      if (op.op === 'norm') accumulated = 0; // normalisation re-measures the scale per batch
      if (op.op === 'residual' && op.shortcut) {
        // The shortcut starts from the block's input, as the body does; the sum carries the larger spread.
        const atInput = accumulated;
        visit(op.body);
        const afterBody = accumulated;
        accumulated = atInput;
        visit(op.shortcut);
        accumulated = Math.max(afterBody, accumulated);
      } else if (op.op === 'residual' || op.op === 'memory') visit(op.body);
      if (op.op !== 'layer') continue;
      const result = simulation.layers[op.index]!;
      const width = op.fans ? op.fans.fanOut / Math.max(1, op.receptiveField) : Infinity;
      const c = constantsFor(op, result.forwardVariance);
      if (c === SMOOTH_NONLINEAR) smoothNonlinear++;
      accumulated += c.forward / width;
      forwardVar[op.index] = accumulated;
      backwardTerm[op.index] = c.backward / width;
    }
  };
  visit(network.ops);
  let backwardAccumulated = 0;
  const layers: LayerSimulation[] = simulation.layers.map((layer) => ({ ...layer }));
  for (let i = n - 1; i >= 0; i--) {
    backwardAccumulated += backwardTerm[i]!;
    const layer = layers[i]!;
    layers[i] = {
      ...layer,
      forwardBand: band(layer.forwardVariance, forwardVar[i]!),
      gradientBand: band(layer.gradientVariance, backwardAccumulated),
    };
  }
  // A couple of such layers barely move the numbers; a stack of them does (oracle: depth 20).
  const caveat = smoothNonlinear >= 4 ? MEAN_FIELD_CAVEAT : undefined;
  return { ...simulation, layers, ...(caveat ? { caveat } : {}) };
}

function band(value: number, logVariance: number): readonly [number, number] {
  const spread = Math.exp(BAND_SIGMAS * Math.sqrt(logVariance));
  return [value / spread, value * spread];
}
