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
 * are). Behind a BatchNorm, which removes the offset, both show: test/reference/pooling/
 * pool_correlation.json measures them, test/unit/pooling.oracle.test.ts GAPS says by how much; a window's inputs that a BatchNorm standardised are read with the offset set to zero
 * (exact when BatchNorm follows a linear layer, as in conv → BN → ReLU → pool).
 */
import type { Activation, PoolOp } from '../ir';
import { activationFunctions } from '../knowledge/activations';
import { convPlan, gatherIndex } from './conv';
import { maxWindowMoments, type MaxWindowMoments, type WindowActivation, type WindowInput } from './poolMoments';

type SignalMap = Float64Array;

/**
 * What the analytic pass knows of the distribution at each position: x = α + β·φ(u), u =
 * ν + o + e with E[u²] = q, Var o = common, Var e = q − ν² − common (ν: `mean`, 0 when absent).
 * Undefined where the pass knows only moments (after dropout, a residual sum, a pool): read as a
 * Gaussian with the state's mean, offset and second moment.
 */
export interface SignalLaw {
  readonly activation: Activation;
  readonly q: SignalMap;
  readonly common: SignalMap;
  readonly mean?: SignalMap;
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
  // Per output o: its window's input positions from[o·taps …] (count[o] of them) and the weight
  // each gets in the backward pass, in flat arrays (no allocation per output).
  const from = new Int32Array(outPer * taps);
  const count = new Int32Array(outPer);
  const weight = new Float64Array(outPer * taps);
  const fns = law ? activationFunctions(law.activation) : undefined;
  const activation: WindowActivation = fns ? { phi: (x) => fns.phi(x), dphi: (x) => fns.dphi(x), kinks: fns.kinks } : IDENTITY;
  const alpha = law?.shift ?? 0;
  const beta = law?.scale ?? 1;
  // Max pools: each input position's window input, numbered by its distinct values, so that a
  // window is known by a few small integers (most windows repeat: maps differ only near padded
  // borders); the key is the numbers in base (classes + 1) while that stays exact.
  const inputOf = op.kind === 'max' ? windowInputs(state, law, dense ? 1 : inPer) : undefined;
  const base = inputOf ? inputOf.inputs.length + 1 : 0;
  const numericKeys = inputOf !== undefined && taps * Math.log2(base) < 52;
  const cache = new Map<number | string, MaxWindowMoments>();
  const offsets = new Float64Array(taps);
  for (let o = 0; o < outPer; o++) {
    const at0 = o * taps;
    let k = 0;
    for (let t = 0; t < taps; t++) {
      const p = index[t * outPer + o]!;
      if (p >= 0) from[at0 + k++] = p;
    }
    count[o] = k;
    if (op.kind === 'average') {
      const divisor = op.countPadding ? taps : k;
      let own = 0;
      let meanSum = 0;
      for (let i = 0; i < k; i++) {
        const p = from[at0 + i]!;
        const offset = Math.max(0, at(state.off, p));
        const mean = at(state.mu, p);
        own += Math.max(0, at(state.m, p) - mean * mean - offset);
        meanSum += mean;
        offsets[i] = offset;
      }
      const offsetPairs = sumOfPairwiseMinima(offsets.subarray(0, k));
      const d2 = divisor * divisor;
      m[o] = (own + meanSum * meanSum + offsetPairs) / d2;
      mu[o] = meanSum / divisor;
      off[o] = offsetPairs / d2;
      weight.fill(1 / d2, at0, at0 + k);
      continue;
    }
    const { inputs: table, classOf } = inputOf!;
    let key: number | string = numericKeys ? 0 : '';
    for (let i = 0; i < k; i++) {
      const c = classOf[dense ? 0 : from[at0 + i]!]!;
      key = numericKeys ? (key as number) * base + c + 1 : `${key as string}${c},`;
    }
    let moments = cache.get(key);
    if (!moments) {
      const inputs: WindowInput[] = [];
      for (let i = 0; i < k; i++) inputs.push(table[classOf[dense ? 0 : from[at0 + i]!]!]!);
      moments = rememberedWindow(law ? `${law.activation.name}:${law.activation.param}` : 'identity', activation, inputs);
      cache.set(key, moments);
    }
    m[o] = alpha * alpha + 2 * alpha * beta * moments.first + beta * beta * moments.second;
    mu[o] = alpha + beta * moments.first;
    off[o] = beta * beta * moments.commonVariance;
    weight.set(moments.routing, at0);
  }
  const backward = (g: SignalMap): SignalMap => {
    const gIn = new Float64Array(inPer);
    for (let o = 0; o < outPer; o++) {
      const gOut = at(g, o);
      const at0 = o * taps;
      for (let i = 0; i < count[o]!; i++) gIn[from[at0 + i]!] = gIn[from[at0 + i]!]! + weight[at0 + i]! * gOut;
    }
    return dense ? Float64Array.of(meanOf(gIn)) : gIn;
  };
  if (dense) return { m: Float64Array.of(meanOf(m)), mu: Float64Array.of(meanOf(mu)), off: Float64Array.of(meanOf(off)), backward };
  return { m, mu, off, backward };
}

/**
 * The moments of max windows met before in this process, by activation and exact inputs: a
 * file's networks repeat the same blocks, so the same windows come back pool after pool and
 * network after network (the quadrature of one window is ~10⁴ normal densities and CDFs; the
 * 3,500-line benchmark file's pools asked for 342 windows, 9 of them distinct; issue 16). maxWindowMoments is a
 * pure function of the activation and the inputs, so a remembered value is the one it would
 * compute. Bounded: emptied when full (a few hundred entries of a few numbers each).
 */
const windowMemo = new Map<string, MaxWindowMoments>();
const WINDOW_MEMO_SIZE = 512;

function rememberedWindow(activationKey: string, activation: WindowActivation, inputs: readonly WindowInput[]): MaxWindowMoments {
  let key = activationKey;
  // Template literals write each double's shortest round-trip digits: distinct values, distinct keys.
  for (const input of inputs) key += `|${input.mean},${input.common},${input.own}`;
  let moments = windowMemo.get(key);
  if (!moments) {
    moments = maxWindowMoments(activation, inputs);
    if (windowMemo.size >= WINDOW_MEMO_SIZE) windowMemo.clear();
    windowMemo.set(key, moments);
  }
  return moments;
}

/** Each input position's window input (u = mean + √common·s + √own·e), as a table of distinct ones and each position's index into it. */
function windowInputs(state: PoolState, law: SignalLaw | undefined, positions: number): { inputs: WindowInput[]; classOf: Int32Array } {
  const inputs: WindowInput[] = [];
  // mean → common → own → index: exact values, no strings.
  const seen = new Map<number, Map<number, Map<number, number>>>();
  const classOf = new Int32Array(positions);
  for (let p = 0; p < positions; p++) {
    let mean = 0;
    let common: number;
    let own: number;
    if (law) {
      mean = law.mean ? at(law.mean, p) : 0;
      const variance = Math.max(0, at(law.q, p) - mean * mean);
      common = Math.min(variance, Math.max(0, at(law.common, p)));
      own = variance - common;
    } else {
      mean = at(state.mu, p);
      common = Math.max(0, at(state.off, p));
      own = Math.max(0, at(state.m, p) - mean * mean - common);
    }
    let byCommon = seen.get(mean);
    if (!byCommon) seen.set(mean, (byCommon = new Map<number, Map<number, number>>()));
    let byOwn = byCommon.get(common);
    if (!byOwn) byCommon.set(common, (byOwn = new Map<number, number>()));
    let id = byOwn.get(own);
    if (id === undefined) {
      id = inputs.length;
      inputs.push({ mean, common, own });
      byOwn.set(own, id);
    }
    classOf[p] = id;
  }
  return { inputs, classOf };
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
