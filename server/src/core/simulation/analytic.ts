/**
 * The analytic (mean-field, infinite-width) signal simulation: the forward length map
 * and the backward multiplier of Poole et al. 2016 / Schoenholz et al. 2017, per layer,
 * with bias variance, normalisation, dropout and residual branches
 * (shared/reference/init-math.md §e, shared/oracle/README.md):
 *
 *   forward   q_l = fan_in·Var(W)·m_{l−1} + σ_b²,     m_l = E[φ(√q_l z)²]
 *   backward  g_{l−1} = (fan_out/stride)·Var(W)·E[φ′(√q_l z)²]·g_l
 *
 * The network input has unit second moment; the gradient at the network output has
 * unit second moment (loss = Σ output·v, v ~ N(0,1), as the oracle measures).
 * Convolutions use the dense view (fans per output position); zero padding at the
 * borders is not modelled yet. Deterministic; checks the cancellation signal in every loop.
 */
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import type { Activation, Network, Op, WeightLayer } from '../ir';
import { SELU_ALPHA, SELU_LAMBDA } from '../knowledge/activations';
import { weightVariance } from '../knowledge/initializers';
import { derivativeSecondMoment, outputSecondMoment } from './moments';
import type { LayerSimulation, NetworkSimulation } from './types';

/** One step of the forward pass, remembered for the backward pass. */
type TapeEntry =
  | { readonly kind: 'layer'; readonly layer: WeightLayer; readonly variance: number; readonly inputM2: number; readonly pre: number }
  | { readonly kind: 'scale'; readonly gradientFactor: number }
  | { readonly kind: 'residual'; readonly scale: number; readonly body: readonly TapeEntry[] };

interface MutableLayerSimulation {
  forwardVariance: number;
  gradientVariance: number;
  forwardFactor: number;
  backwardFactor: number;
}

/** Why a network cannot be simulated (widths or names unresolved); undefined result. */
class NotSimulable extends Error {}

export function simulateAnalytic(network: Network, signal: CancellationSignal): NetworkSimulation | undefined {
  if (network.layers.length === 0) return undefined;
  // A layer feeding something unresolved (an unknown stand-alone activation, a dropped
  // statement) would be simulated as if that step were absent: report nothing rather than guess.
  if (network.layers.some((layer) => layer.consumer === 'unknown')) return undefined;
  const results: MutableLayerSimulation[] = network.layers.map(() => ({
    forwardVariance: NaN, gradientVariance: NaN, forwardFactor: NaN, backwardFactor: NaN,
  }));
  try {
    const { m: outputVariance, tape } = forward(network.ops, 1, signal);
    const inputGradientVariance = backward(tape, 1, results, signal);
    return { method: 'analytic', layers: results, outputVariance, inputGradientVariance };
  } catch (error) {
    if (error instanceof NotSimulable) return undefined;
    throw error;
  }
}

function knownActivation(use: WeightLayer['activation']): Activation {
  if (use === 'unknown') throw new NotSimulable();
  return use;
}

/** Runs ops forward from input second moment m; returns the output second moment and the tape. */
function forward(ops: readonly Op[], m: number, signal: CancellationSignal): { m: number; tape: TapeEntry[] } {
  const tape: TapeEntry[] = [];
  for (const op of ops) {
    throwIfCancelled(signal);
    switch (op.op) {
      case 'layer': {
        if (!op.fans || !op.frameworkFans || !op.init.semantics) throw new NotSimulable();
        const variance = weightVariance(op.init.semantics, op.frameworkFans, op.receptiveField);
        if (!Number.isFinite(variance)) throw new NotSimulable();
        const pre = op.fans.fanIn * variance * m + op.biasVariance;
        tape.push({ kind: 'layer', layer: op, variance, inputM2: m, pre });
        m = outputSecondMoment(knownActivation(op.activation), pre);
        break;
      }
      case 'activation': {
        // A stand-alone activation sees the previous output as its pre-activation.
        tape.push({ kind: 'scale', gradientFactor: derivativeSecondMoment(op.activation, m) });
        m = outputSecondMoment(op.activation, m);
        break;
      }
      case 'norm':
        // BatchNorm/LayerNorm rescale to unit variance (γ = 1 at init); the gradient is divided
        // by the same standard deviation, so a weight rescale is undone in both directions.
        tape.push({ kind: 'scale', gradientFactor: m > 0 ? 1 / m : 1 });
        m = 1;
        break;
      case 'dropout':
        if (op.alpha) {
          // AlphaDropout keeps mean and variance (Klambauer et al. 2017); its gradient is
          // a·mask with a = ((1−p)(1 + p·α′²))^(−1/2), α′ = −λα, so E[g²] shrinks by 1/(1 + p·α′²).
          const alphaPrime = -SELU_LAMBDA * SELU_ALPHA;
          tape.push({ kind: 'scale', gradientFactor: 1 / (1 + op.rate * alphaPrime * alphaPrime) });
        } else {
          // Inverted dropout at training time: kept units are scaled by 1/(1−p), so E[x²] and E[g²] grow by 1/(1−p).
          const keep = 1 - op.rate;
          tape.push({ kind: 'scale', gradientFactor: keep > 0 ? 1 / keep : 1 });
          m = keep > 0 ? m / keep : m;
        }
        break;
      case 'flatten':
        break;
      case 'residual': {
        // y = x + s·F(x), branch output uncorrelated with x: E[y²] = E[x²] + s²·E[F(x)²].
        const branch = forward(op.body, m, signal);
        tape.push({ kind: 'residual', scale: op.scale, body: branch.tape });
        m = m + op.scale * op.scale * branch.m;
        break;
      }
    }
  }
  return { m, tape };
}

/** Runs the tape backward from gradient second moment g at its output; fills per-layer results. */
function backward(tape: readonly TapeEntry[], g: number, results: MutableLayerSimulation[], signal: CancellationSignal): number {
  for (let i = tape.length - 1; i >= 0; i--) {
    throwIfCancelled(signal);
    const entry = tape[i]!;
    switch (entry.kind) {
      case 'layer': {
        const { layer, variance, inputM2, pre } = entry;
        const fans = layer.fans!;
        const gradPre = g * derivativeSecondMoment(knownActivation(layer.activation), pre);
        const gradIn = (fans.fanOut / layer.strideProduct) * variance * gradPre;
        const r = results[layer.index]!;
        r.forwardVariance = pre;
        r.forwardFactor = inputM2 > 0 ? pre / inputM2 : NaN;
        r.gradientVariance = gradIn;
        r.backwardFactor = g > 0 ? gradIn / g : NaN;
        g = gradIn;
        break;
      }
      case 'scale':
        g *= entry.gradientFactor;
        break;
      case 'residual': {
        // dL/dx = dL/dy + s·J_F ᵀ dL/dy: the branch sees s²·g at its output.
        const branchInput = backward(entry.body, entry.scale * entry.scale * g, results, signal);
        g = g + branchInput;
        break;
      }
    }
  }
  return g;
}

export type { LayerSimulation };
