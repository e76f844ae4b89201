/**
 * Pooling in the analytic pass (ir.ts PoolOp): per output position, the second moment, the
 * mean and the per-channel offset of max or average pooling of the signal maps analytic.ts
 * carries, and the backward map of the gradient.
 *
 * The model (mean field, iid network input): every position of a channel holds
 * x = α + β·φ(u), u = ν + o + e, where o is the channel's offset (variance C, the same draw
 * at every position and sample: analytic.ts's `off`) and e is the position's own part
 * (variance V), independent across positions. Distinct positions then share the cross
 * moment E[x_p·x_p′] = μ_p·μ_p′ + min(off_p, off_p′) (a border position's offset sums a subset
 * of the interior's taps: sumOfPairwiseMinima).
 *
 * - Average over a window W with divisor d: E[y²] = (Σ_W own_i + (Σ_W μ_i)² + Σ_{i,j∈W} min(off_i, off_j))/d²,
 *   the own parts adding as independent variables, the mean and the offset coherently. The
 *   gradient: each input of W receives g/d, so E[g_in²] = Σ_{W ∋ p} E[g_W²]/d_W².
 * - Max over W: the order statistics of poolMoments.ts (x_max = α + β·φ(max u) for a
 *   non-decreasing φ); the gradient goes to the position that is the maximum, weighted by
 *   E[1(argmax = p)·φ′(u_p)²]/E[φ′(u_p)²] so that the activation's backward step, which
 *   multiplies by E[φ′(u_p)²], gives the joint expectation.
 *
 * Assumed, and measured against PyTorch (test/reference/pooling/): the gradients of distinct
 * output positions are uncorrelated (true for the oracle's iid cotangent carried back through
 * convolutions; after a global average pool the gradient is the same at every position, which
 * only matters for windows that overlap); the outputs of two overlapping max windows share no
 * more than the channel offset (a later pool sees neighbours a little less correlated than they
 * are); a window's inputs that a BatchNorm standardised are read with the offset set to zero
 * (exact when BatchNorm follows a linear layer, as in conv → BN → ReLU → pool).
 */
import type { Activation, PoolOp } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { convPlan, gatherIndex } from './conv';
import { maxWindowMoments, type MaxWindowMoments, type WindowActivation, type WindowInput } from './poolMoments';

type SignalMap = Float64Array;

/**
 * What the analytic pass knows of the distribution at each position: x = α + β·φ(u), u =
 * ν + o + e with Var o = common, Var e = q − common (ν = 0 unless said). Undefined where the
 * pass knows only moments (after dropout, a residual sum, a pool): read as a Gaussian with the
 * state's mean, offset and second moment.
 */
export interface SignalLaw {
  readonly activation: Activation;
  readonly q: SignalMap;
  readonly common: SignalMap;
  readonly shift: number;
  readonly scale: number;
}

export interface PoolState {
  readonly m: SignalMap;
  readonly mu: SignalMap;
  readonly off: SignalMap;
}

export interface PooledSignal extends PoolState {
  /** E[g²] at the pool's input (the input map's length) from E[g²] at its output. */
  readonly backward: (g: SignalMap) => SignalMap;
}

const IDENTITY: WindowActivation = { phi: (x) => x, dphi: () => 1, kinks: [] };

function at(map: SignalMap, p: number): number {
  return map.length === 1 ? map[0]! : map[p]!;
}

/**
 * Pools the state maps. `inputLength` is the length the incoming maps have: 1 (the dense view,
 * the same at every position) or the op's input positions; the output keeps that choice.
 */
export function poolSignal(op: PoolOp, state: PoolState, law: SignalLaw | undefined): PooledSignal {
  const plan = convPlan(1, 1, 1, op.geometry);
  const index = gatherIndex(plan);
  const taps = plan.kernel[0] * plan.kernel[1] * plan.kernel[2];
  const outPer = plan.outSize[0] * plan.outSize[1] * plan.outSize[2];
  const inPer = plan.inSize[0] * plan.inSize[1] * plan.inSize[2];
  const dense = state.m.length === 1 && (!law || law.q.length === 1);
  const m = new Float64Array(outPer);
  const mu = new Float64Array(outPer);
  const off = new Float64Array(outPer);
  // Per output: the input positions of its window and the weight each gets in the backward pass.
  const sources: Int32Array[] = [];
  const weights: Float64Array[] = [];
  const fns = law ? activationFunctions(law.activation) : undefined;
  const activation: WindowActivation = fns ? { phi: (x) => fns.phi(x), dphi: (x) => fns.dphi(x), kinks: fns.kinks } : IDENTITY;
  const alpha = law?.shift ?? 0;
  const beta = law?.scale ?? 1;
  const cache = new Map<string, MaxWindowMoments>();
  for (let o = 0; o < outPer; o++) {
    const window: number[] = [];
    for (let t = 0; t < taps; t++) {
      const p = index[t * outPer + o]!;
      if (p >= 0) window.push(p);
    }
    sources.push(Int32Array.from(window));
    if (op.kind === 'average') {
      const divisor = op.countPadding ? taps : window.length;
      let own = 0;
      let meanSum = 0;
      const offsets = new Float64Array(window.length);
      window.forEach((p, i) => {
        const offset = Math.max(0, at(state.off, p));
        const mean = at(state.mu, p);
        own += Math.max(0, at(state.m, p) - mean * mean - offset);
        meanSum += mean;
        offsets[i] = offset;
      });
      const offsetPairs = sumOfPairwiseMinima(offsets);
      const d2 = divisor * divisor;
      m[o] = (own + meanSum * meanSum + offsetPairs) / d2;
      mu[o] = meanSum / divisor;
      off[o] = offsetPairs / d2;
      weights.push(new Float64Array(window.length).fill(1 / d2));
      continue;
    }
    const inputs: WindowInput[] = window.map((p) => {
      if (law) {
        const q = Math.max(0, at(law.q, p));
        const common = Math.min(q, Math.max(0, at(law.common, p)));
        return { mean: 0, common, own: q - common };
      }
      const mean = at(state.mu, p);
      const common = Math.max(0, at(state.off, p));
      return { mean, common, own: Math.max(0, at(state.m, p) - mean * mean - common) };
    });
    // The dense view: every window with as many real inputs is the same window.
    const key = dense ? `${window.length}` : inputs.map((input) => `${input.mean.toPrecision(7)},${input.common.toPrecision(7)},${input.own.toPrecision(7)}`).join(';');
    let moments = cache.get(key);
    if (!moments) {
      moments = maxWindowMoments(activation, inputs);
      cache.set(key, moments);
    }
    m[o] = alpha * alpha + 2 * alpha * beta * moments.first + beta * beta * moments.second;
    mu[o] = alpha + beta * moments.first;
    off[o] = beta * beta * moments.commonVariance;
    weights.push(moments.routing);
  }
  const backward = (g: SignalMap): SignalMap => {
    const gIn = new Float64Array(inPer);
    for (let o = 0; o < outPer; o++) {
      const gOut = at(g, o);
      const from = sources[o]!;
      const w = weights[o]!;
      for (let i = 0; i < from.length; i++) gIn[from[i]!] = gIn[from[i]!]! + w[i]! * gOut;
    }
    return dense ? Float64Array.of(meanOf(gIn)) : gIn;
  };
  if (dense) return { m: Float64Array.of(meanOf(m)), mu: Float64Array.of(meanOf(mu)), off: Float64Array.of(meanOf(off)), backward };
  return { m, mu, off, backward };
}

/**
 * Σ_i Σ_j min(a_i, a_j): the offsets' summed covariance when E[o_p·o_p′] = min(off_p, off_p′).
 * A padded conv's offset at a border position sums a subset of the interior's taps (the same
 * weights times the same input mean), so the offsets of two positions share the smaller one.
 */
function sumOfPairwiseMinima(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  // The i-th smallest is the minimum of its pairs with itself and the n − 1 − i larger ones, both ways round.
  for (let i = 0; i < sorted.length; i++) total += sorted[i]! * (2 * (sorted.length - 1 - i) + 1);
  return total;
}

function meanOf(map: SignalMap): number {
  let total = 0;
  for (let i = 0; i < map.length; i++) total += map[i]!;
  return map.length > 0 ? total / map.length : 0;
}
