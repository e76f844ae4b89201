/**
 * The analytic (mean-field, infinite-width) signal simulation: the forward length map
 * and the backward multiplier of Poole et al. 2016 / Schoenholz et al. 2017, per layer,
 * with bias variance, normalisation, dropout and residual branches
 * (shared/reference/init-math.md §e, shared/oracle/README.md):
 *
 *   forward   q_l = fan_in·Var(W)·m_{l−1} + σ_b²,     m_l = E[φ(√q_l z)²]
 *   backward  g_{l−1} = fan_out·Var(W)·E[φ′(√q_l z)²]·g_l
 *
 * The network input has unit second moment; the gradient at the network output has
 * unit second moment (loss = Σ output·v, v ~ N(0,1), as the oracle measures). Signals
 * are maps of second moments over spatial positions (one entry for flat features), so
 * convolutions see their zero padding (positionMap.ts); a layer reports the spatial
 * mean, as the oracle does. Deterministic; checks the cancellation signal in every loop.
 */
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import { walkOps, type Activation, type Network, type Op, type PoolOp, type WeightLayer } from '../ir';
import { activationFunctions, negativeSlope, SELU_ALPHA, SELU_LAMBDA } from '../knowledge/activations';
import { normalCdf } from '../math/special';
import { gaussianExpectation } from './quadrature';
import { weightVariance } from '../knowledge/initializers';
import { attachFiniteWidthBands } from './finiteWidth';
import { runsOverTokens, simulateTokenStream } from './tokenStream';
import { dualKernel } from './dualKernel';
import { derivativeSecondMoment, outputMean, outputSecondMoment, shiftedMoments } from './moments';
import { poolSignal, type SignalLaw } from './poolSignal';
import { convBackwardSums, convForwardSums, convTapAverages, mean } from './positionMap';
import { simulateThroughTime, type ThroughTime } from './recurrent';
import type { LayerSimulation, NetworkSimulation } from './types';

type SignalMap = Float64Array;

/**
 * The signal between ops: per-position second moments and means. Weight layers (zero-mean
 * weights) output zero-mean pre-activations; activations create a mean (ReLU: √q/√(2π)),
 * which BatchNorm removes: it divides by the variance E[x²] − E[x]², not the second moment.
 *
 * `off` is the part of the second moment that sits in per-unit offsets: a layer fed a
 * signal with mean μ gives unit j the batch mean w_j·μ (plus its bias), zero only on
 * average over units. BatchNorm's batch statistics remove it too (LayerNorm's per-example
 * ones do not), so Linear → BatchNorm → ReLU divides by fan_in·Var(W)·Var(x): the gradient
 * grows ×π/(π−1) ≈ 1.467 per block, as PyTorch measures (Yang et al. 2019,
 * https://arxiv.org/abs/1902.08129; test/unit/analytic.montecarlo.test.ts). The offset is
 * mean field's covariance between distinct positions (and samples), the same for every pair
 * when the input is iid; a nonlinearity carries it by its dual kernel: off′ = E[φ(u)φ(u′)] − μ²
 * at Cov(u, u′) = off (dualKernel.ts). Pooling reads it (poolSignal.ts): an average keeps the
 * offset and averages the rest away.
 *
 * `law` is what is known of the distribution at each position (poolSignal.ts SignalLaw), for
 * a max pool's order statistics; undefined where only the moments are known.
 */
interface SignalState {
  readonly m: SignalMap;
  readonly mu: SignalMap;
  readonly off: SignalMap;
  readonly law?: SignalLaw;
  /**
   * What BatchNorm's per-channel mean removes of `off`: the average over channels of the square
   * of each channel's offset averaged over positions. A conv's offsets differ between border and
   * inner positions (its taps read zeros there), so this is less than mean(off): on a 4×4 map
   * ×0.72 of it (positionMap.ts convTapAverages). Without positions (a dense layer) it is mean(off).
   */
  readonly chan: number;
}

/** One step of the forward pass, remembered for the backward pass. */
type TapeEntry =
  | { readonly kind: 'layer'; readonly layer: WeightLayer; readonly variance: number; readonly input: SignalMap; readonly pre: SignalMap }
  | { readonly kind: 'activation'; readonly activation: Activation; readonly input: SignalMap; readonly derivative?: SignalMap }
  | { readonly kind: 'recurrent'; readonly layer: WeightLayer; readonly input: SignalMap; readonly through: ThroughTime }
  | { readonly kind: 'scale'; readonly gradientFactor: number }
  | { readonly kind: 'flatten'; readonly positions: number }
  | { readonly kind: 'pool'; readonly index: number; readonly backward: (g: SignalMap) => SignalMap }
  | { readonly kind: 'residual'; readonly scale: number; readonly body: readonly TapeEntry[]; readonly shortcut?: readonly TapeEntry[]; readonly streamAfter: number };

interface MutableLayerSimulation {
  forwardVariance: number;
  gradientVariance: number;
  forwardFactor: number;
  backwardFactor: number;
  streamForward?: number;
  streamGradient?: number;
  throughTime?: ThroughTime;
}

/**
 * A mean this small next to the second moment (μ² ≤ 1e-12·m) changes an activation's moments
 * below double precision's reach in the rest of the pass: the zero-mean tables are used.
 */
const ZERO_MEAN = 1e-12;

/** Why a network cannot be simulated (widths or names unresolved); undefined result. */
class NotSimulable extends Error {}
/**
 * The one instance thrown: an Error made per throw captures a stack trace, ~0.4% of a
 * from-scratch analysis of the 3,500-line benchmark file, and nothing reads it (issue 16).
 */
const NOT_SIMULABLE = new NotSimulable();

export interface AnalyticOptions {
  /**
   * Start the backward pass at the logits of a sigmoid or softmax output head (default):
   * cross-entropy's gradient with respect to the logits is what training sees, and the
   * head's own derivative belongs to the loss. The oracle measures a unit cotangent after
   * every unit, including a final sigmoid; its tests turn this off.
   */
  readonly gradientAtLogits?: boolean;
}

/** Output nonlinearities whose derivative is part of the loss (cross-entropy). */
const OUTPUT_HEADS = new Set(['sigmoid', 'softmax']);

export function simulateAnalytic(network: Network, signal: CancellationSignal, options: AnalyticOptions = {}): NetworkSimulation | undefined {
  // monteCarloOnly: the analytic pass draws every layer independently, which is not what the framework built.
  if (network.layers.length === 0 || network.unsimulable !== undefined || network.monteCarloOnly !== undefined) return undefined;
  // A layer feeding something unresolved (an unknown stand-alone activation, a dropped
  // statement) would be simulated as if that step were absent: report nothing rather than guess.
  if (network.layers.some((layer) => layer.consumer === 'unknown')) return undefined;
  // A network with attention runs over tokens: its own pass carries the token correlation too.
  if (runsOverTokens(network)) return simulateTokenStream(network, signal, options)?.simulation;
  const results: MutableLayerSimulation[] = network.layers.map(() => ({
    forwardVariance: NaN, gradientVariance: NaN, forwardFactor: NaN, backwardFactor: NaN,
  }));
  const pools = network.ops.length > 0 ? poolIndices(network.ops) : new Map<PoolOp, number>();
  const poolFactors: MutablePoolFactors[] = [...pools.keys()].map(() => ({ forward: NaN, backward: NaN }));
  try {
    const { state: { m }, tape } = forward(network.ops, { m: Float64Array.of(1), mu: Float64Array.of(0), off: Float64Array.of(0), chan: 0 }, signal, { pools, poolFactors, offsets: readsOffsets(network.ops) });
    const logits = options.gradientAtLogits === false ? undefined : outputHead(tape);
    const inputGradient = backward(tape, new Float64Array(m.length).fill(1), results, signal, logits, poolFactors);
    const simulation: NetworkSimulation = {
      method: 'analytic', layers: results, outputVariance: mean(m), inputGradientVariance: mean(inputGradient),
      ...(poolFactors.length > 0 ? { pools: poolFactors } : {}),
    };
    return attachFiniteWidthBands(network, simulation);
  } catch (error) {
    if (error instanceof NotSimulable) return undefined;
    throw error;
  }
}

interface MutablePoolFactors { forward: number; backward: number }

/** Where the pass records each pool's factors (NetworkSimulation.pools, in walkOps order). */
interface PassContext {
  readonly pools: ReadonlyMap<PoolOp, number>;
  readonly poolFactors: MutablePoolFactors[];
  /**
   * Whether anything reads the per-unit offsets (a BatchNorm or a pool): otherwise they are never
   * seen and not computed (a conv's offset map and an activation's dual kernel per layer
   * doubled the pass's time on the benchmark file's networks).
   */
  readonly offsets: boolean;
}

function readsOffsets(ops: readonly Op[]): boolean {
  return walkOps(ops).some((op) => op.op === 'pool' || (op.op === 'norm' && op.kind === 'batchnorm'));
}

/** Each pool op's position among the network's pools, in walkOps order. */
function poolIndices(ops: readonly Op[]): Map<PoolOp, number> {
  const pools = new Map<PoolOp, number>();
  for (const op of walkOps(ops)) if (op.op === 'pool') pools.set(op, pools.size);
  return pools;
}

/**
 * The per-unit offset after an activation of pre-activations with second moment q and offset c
 * (mean field's cross moment of two distinct positions): E[φ(u)φ(u′)] − E[φ(u)]² at Cov = c.
 * The piecewise-linear family in closed form per position; others by one dual kernel at the
 * map's mean, scaled to each position's second moment (the maps differ only at padded borders).
 */
function activationOffsets(activation: Activation, q: SignalMap, c: SignalMap, m: SignalMap, mu: SignalMap): SignalMap {
  const at = (map: SignalMap, p: number) => (map.length === 1 ? map[0]! : map[p]!);
  const size = Math.max(q.length, c.length);
  const cheap = activation.name === 'linear' || negativeSlope(activation) !== undefined;
  if (cheap || size === 1) {
    return new Float64Array(size).map((_, p) => {
      const qp = at(q, p);
      const cp = Math.min(qp, Math.max(0, at(c, p)));
      return cp > 0 ? Math.max(0, dualKernel(activation, qp, cp) - at(mu, p) ** 2) : 0;
    });
  }
  const qMean = mean(q);
  const cMean = Math.min(qMean, Math.max(0, mean(c)));
  const mMean = outputSecondMoment(activation, qMean);
  const ratio = cMean > 0 && mMean > 0 ? Math.max(0, dualKernel(activation, qMean, cMean) - outputMean(activation, qMean) ** 2) / mMean : 0;
  return new Float64Array(size).map((_, p) => ratio * at(m, p));
}

/**
 * The per-unit offset after an activation whose input has a mean μ (shiftedMoments): to first
 * order in the offset's variance c, Var_o E[φ(μ + o + e) | o] = E[φ′(u)]²·c, E[φ′] over
 * u ~ N(μ, m − μ²) (ReLU: Φ(μ/σ)). The offsets a residual stream carries are small next to its
 * variance (each branch's BatchNorm removed its own), where the first order holds.
 */
function shiftedActivationOffsets(activation: Activation, m: SignalMap, mu: SignalMap, c: SignalMap): SignalMap {
  const at = (map: SignalMap, p: number) => (map.length === 1 ? map[0]! : map[p]!);
  const fns = activationFunctions(activation);
  const slopeMean = (mean: number, second: number): number => {
    const variance = Math.max(0, second - mean * mean);
    if (!(variance > 0)) return fns.dphi(mean);
    if (fns.homogeneous) {
      const t = mean / Math.sqrt(variance);
      return normalCdf(t) + fns.dphi(-1) * normalCdf(-t);
    }
    return gaussianExpectation((x) => fns.dphi(mean + x), variance, fns.kinks.map((k) => k - mean));
  };
  const size = Math.max(m.length, mu.length, c.length);
  return new Float64Array(size).map((_, p) => {
    const offset = Math.max(0, at(c, p));
    return offset > 0 ? slopeMean(at(mu, p), at(m, p)) ** 2 * offset : 0;
  });
}

/** Activations that never decrease: max(φ(x_i)) = φ(max x_i), so a max pool commutes with them. */
const NON_DECREASING = new Set(['linear', 'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'hard_tanh', 'softplus']);

function nonDecreasing(activation: Activation): boolean {
  if (activation.name === 'leaky_relu' || activation.name === 'prelu') return (negativeSlope(activation) ?? -1) >= 0;
  return NON_DECREASING.has(activation.name) && (activation.name !== 'elu' || (activation.param ?? 1) >= 0);
}

/**
 * A max pool followed by a non-decreasing activation (conv → MaxPool → ReLU) is the activation
 * followed by the pool: the same values, the same gradients (the winner's φ′ is the one the
 * gradient meets either way). Run in that order, the pool sees the activation's law, which the
 * pass knows, instead of a pooled Gaussian the activation would misread as zero-mean.
 */
function commuteMaxPools(ops: readonly Op[]): readonly Op[] {
  let out: Op[] | undefined;
  for (let i = 0; i + 1 < ops.length; i++) {
    const pool = ops[i]!;
    const next = ops[i + 1]!;
    if (pool.op === 'pool' && pool.kind === 'max' && next.op === 'activation' && nonDecreasing(next.activation)) {
      out ??= [...ops];
      out[i] = next;
      out[i + 1] = pool;
      i++;
    }
  }
  return out ?? ops;
}

/** The last step of the tape when it applies a sigmoid/softmax head (its derivative is skipped). */
function outputHead(tape: readonly TapeEntry[]): TapeEntry | undefined {
  const last = tape[tape.length - 1];
  if (last?.kind === 'activation' && OUTPUT_HEADS.has(last.activation.name)) return last;
  if (last?.kind === 'layer' && last.layer.activation !== 'unknown' && OUTPUT_HEADS.has(last.layer.activation.name)) return last;
  return undefined;
}

function knownActivation(use: WeightLayer['activation']): Activation {
  if (use === 'unknown') throw NOT_SIMULABLE;
  return use;
}

/**
 * f at every position of a map, f pure. A map holds long runs of equal values (a padded conv's
 * interior), and its rows repeat the same few values (the border's, the interior's), so f's
 * results for the last two distinct values are kept: the activation moments are looked up a
 * few times per map instead of once per position (issue 16). Zero is never reused (f may
 * tell −0 from +0); NaN never equals itself, so it is never reused either. Written out in
 * each loop: a helper returning the number boxed it, one allocation per position.
 */
function mapEach(map: SignalMap, f: (v: number) => number): SignalMap {
  const out = new Float64Array(map.length);
  let v1 = NaN;
  let r1 = NaN;
  let v2 = NaN;
  let r2 = NaN;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (v !== v1 || v === 0) {
      const r = v === v2 && v !== 0 ? r2 : f(v);
      v2 = v1;
      r2 = r1;
      v1 = v;
      r1 = r;
    }
    out[i] = r1;
  }
  return out;
}

/** gradient[p]·f(q[p]) at every position (the gradient broadcast when it has one entry), f's results reused as in mapEach. */
function timesEach(q: SignalMap, gradient: SignalMap, f: (q: number) => number): SignalMap {
  const out = new Float64Array(q.length);
  const broadcast = gradient.length === 1;
  let v1 = NaN;
  let r1 = NaN;
  let v2 = NaN;
  let r2 = NaN;
  for (let p = 0; p < q.length; p++) {
    const v = q[p]!;
    if (v !== v1 || v === 0) {
      const r = v === v2 && v !== 0 ? r2 : f(v);
      v2 = v1;
      r2 = r1;
      v1 = v;
      r1 = r;
    }
    out[p] = (broadcast ? gradient[0]! : gradient[p]!) * r1;
  }
  return out;
}

/**
 * The square of a layer's per-channel offset averaged over positions (SignalState.chan): a conv
 * with geometry sums, per tap, the input mean it reads averaged over output positions (μ's map)
 * and the input's own channel offsets, which a tap reads at the fraction of positions where it is
 * inside the map; anything else has no positions, and it is the offsets' mean.
 */
function layerChannelOffset(layer: WeightLayer, variance: number, mu: SignalMap, chan: number, offsets: SignalMap): number {
  const geometry = layer.conv;
  if (!geometry || layer.receptiveField <= 0) return mean(offsets);
  const perTap = (variance * layer.fans!.fanIn) / layer.receptiveField;
  const { meanSquares, fractionSquares } = convTapAverages(geometry, mapOver(mu, geometry.inputSpatial));
  return perTap * (meanSquares + fractionSquares * chan) + layer.biasVariance;
}

/** The per-unit offsets a layer makes from its input's mean and offsets: the forward map of μ² + off, plus the bias. */
function layerOffsets(layer: WeightLayer, variance: number, mu: SignalMap, off: SignalMap): SignalMap {
  const at = (map: SignalMap, p: number) => (map.length === 1 ? map[0]! : map[p]!);
  const size = Math.max(mu.length, off.length);
  const input = new Float64Array(size);
  for (let p = 0; p < size; p++) input[p] = at(mu, p) ** 2 + at(off, p);
  return layerForward(layer, variance, input);
}

/**
 * The input map as a convolution over `spatial` positions reads it: itself, or its spatial mean
 * broadcast when it is laid out otherwise (a step between the two that changed the positions
 * without an op of its own, as the dense view would).
 */
function mapOver(m: SignalMap, spatial: readonly number[]): SignalMap {
  return m.length === 1 || m.length === spatial.reduce((a, b) => a * b, 1) ? m : Float64Array.of(mean(m));
}

function layerForward(layer: WeightLayer, variance: number, m: SignalMap): SignalMap {
  const fans = layer.fans!;
  const geometry = layer.conv;
  if (geometry && layer.receptiveField > 0) {
    // Var(W)·(C_in/G)·Σ_valid taps m = Var(W)·fan_in/∏k·Σ_valid taps m.
    const perTap = (variance * fans.fanIn) / layer.receptiveField;
    return mapEach(convForwardSums(geometry, mapOver(m, geometry.inputSpatial)), (s) => perTap * s + layer.biasVariance);
  }
  const adjoint = layer.transposed?.adjoint;
  if (adjoint && layer.receptiveField > 0) {
    // A transposed conv: output position o sums the (input position, tap) pairs of the
    // convolution it transposes that land on o (positionMap.ts, the backward direction).
    const broadcast = mapOver(m, adjoint.outputSpatial);
    const input = broadcast.length === 1 ? new Float64Array(adjoint.outputSpatial.reduce((a, b) => a * b, 1)).fill(broadcast[0]!) : broadcast;
    const perTap = (variance * fans.fanIn) / layer.receptiveField;
    return mapEach(convBackwardSums(adjoint, input), (s) => perTap * s + layer.biasVariance);
  }
  // Dense view: flat features (or a conv whose geometry is unknown) see the mean. A
  // transposed conv's output sums fanIn/upsampling inputs on average (ir.ts TransposedConv).
  return Float64Array.of((fans.fanIn / (layer.transposed?.upsampling ?? 1)) * variance * mean(m) + layer.biasVariance);
}

function layerBackward(layer: WeightLayer, variance: number, gradPre: SignalMap, inputPositions: number): SignalMap {
  const fans = layer.fans!;
  const geometry = layer.conv;
  if (geometry && layer.receptiveField > 0) {
    const perTap = (variance * fans.fanOut) / layer.receptiveField;
    const sums = mapEach(convBackwardSums(geometry, gradPre), (s) => perTap * s);
    return sums.length === inputPositions ? sums : new Float64Array(inputPositions).fill(mean(sums));
  }
  const adjoint = layer.transposed?.adjoint;
  if (adjoint && layer.receptiveField > 0) {
    // Each input position feeds its valid taps' outputs: the forward direction of the convolution it transposes.
    const perTap = (variance * fans.fanOut) / layer.receptiveField;
    const sums = mapEach(convForwardSums(adjoint, gradPre), (s) => perTap * s);
    return sums.length === inputPositions ? sums : new Float64Array(inputPositions).fill(mean(sums));
  }
  const g = (fans.fanOut / layer.strideProduct) * variance * mean(gradPre);
  return new Float64Array(inputPositions).fill(g);
}

/** Runs ops forward from an input signal; returns the output signal and the tape. */
function forward(ops: readonly Op[], input: SignalState, signal: CancellationSignal, context: PassContext): { state: SignalState; tape: TapeEntry[] } {
  const tape: TapeEntry[] = [];
  let { m, mu, off, law, chan } = input;
  for (const op of commuteMaxPools(ops)) {
    throwIfCancelled(signal);
    switch (op.op) {
      case 'layer': {
        if (op.recurrent) {
          // The sequence's steps are simulated inside the layer; the network sees its last state.
          const through = simulateThroughTime(op, mean(m), signal);
          if (!through) throw NOT_SIMULABLE;
          tape.push({ kind: 'recurrent', layer: op, input: m, through });
          m = Float64Array.of(through.hiddenSecondMoment[through.steps - 1]!);
          mu = Float64Array.of(through.hiddenMean);
          off = Float64Array.of(0);
          law = undefined;
          chan = 0;
          break;
        }
        if (!op.fans || !op.frameworkFans || !op.init.semantics) throw NOT_SIMULABLE;
        const variance = weightVariance(op.init.semantics, op.frameworkFans, op.receptiveField);
        if (!Number.isFinite(variance)) throw NOT_SIMULABLE;
        const pre = layerForward(op, variance, m);
        tape.push({ kind: 'layer', layer: op, variance, input: m, pre });
        const activation = knownActivation(op.activation);
        const linear = activation.name === 'linear';
        const preOffsets = linear || context.offsets ? layerOffsets(op, variance, mu, off) : new Float64Array(pre.length);
        const preChan = linear || context.offsets ? layerChannelOffset(op, variance, mu, chan, preOffsets) : 0;
        law = { activation, q: pre, common: preOffsets, shift: 0, scale: 1 };
        m = mapEach(pre, (q) => outputSecondMoment(activation, q));
        mu = mapEach(pre, (q) => outputMean(activation, q));
        off = linear || !context.offsets ? preOffsets : activationOffsets(activation, pre, preOffsets, m, mu);
        // Through the activation the channel's share keeps its fraction of the offsets (it acts per position).
        chan = linear ? preChan : mean(preOffsets) > 0 ? (preChan * mean(off)) / mean(preOffsets) : 0;
        break;
      }
      case 'activation': {
        // A stand-alone activation sees the previous output as its pre-activation: zero-mean,
        // unless it has a mean (ResNet's ReLU after `out += identity`: moments.ts shiftedMoments).
        if (op.activation.name === 'linear') {
          tape.push({ kind: 'activation', activation: op.activation, input: m });
          break;
        }
        const at = (map: SignalMap, p: number) => (map.length === 1 ? map[0]! : map[p]!);
        const inMu = mu;
        const input = m;
        const common = off;
        const centred = m.every((q, p) => at(inMu, p) ** 2 <= ZERO_MEAN * q);
        if (centred) {
          tape.push({ kind: 'activation', activation: op.activation, input: m });
          mu = mapEach(m, (q) => outputMean(op.activation, q));
          m = mapEach(m, (q) => outputSecondMoment(op.activation, q));
        } else {
          const moments = Array.from(m, (q, p) => shiftedMoments(op.activation, at(inMu, p), q));
          tape.push({ kind: 'activation', activation: op.activation, input: m, derivative: Float64Array.from(moments, (x) => x.derivative) });
          mu = Float64Array.from(moments, (x) => x.mean);
          m = Float64Array.from(moments, (x) => x.second);
        }
        // What a max pool reads: u = μ + o + e, the mean the activation reads, the per-unit offset o, the rest e.
        law = { activation: op.activation, q: input, common, shift: 0, scale: 1, ...(centred ? {} : { mean: inMu }) };
        off = !context.offsets ? new Float64Array(m.length)
          : centred ? activationOffsets(op.activation, input, common, m, mu) : shiftedActivationOffsets(op.activation, input, inMu, common);
        // The channel's share of the offset keeps its fraction of the offsets (an activation acts per position).
        chan = mean(common) > 0 ? (chan * mean(off)) / mean(common) : 0;
        break;
      }
      case 'norm': {
        // BatchNorm/LayerNorm rescale to zero mean and unit variance (γ = 1, β = 0 at init) with
        // statistics over positions; the gradient is divided by the same variance, so a weight
        // rescale is undone in both directions.
        // BatchNorm's statistics are per unit over the batch: the per-unit offsets go too. Both
        // divide by √(Var + ε) (ir.ts NormOp.epsilon): E[x̂²] = Var/(Var + ε), the gradient 1/(Var + ε).
        if (op.kind === 'rmsnorm' || op.epsilon === 'unknown') throw NOT_SIMULABLE;
        const epsilon = op.epsilon;
        const batch = op.kind === 'batchnorm';
        const centred = new Float64Array(m.length);
        for (let p = 0; p < m.length; p++) {
          centred[p] = m[p]! - (mu.length === 1 ? mu[0]! : mu[p]!) ** 2 - (batch ? (off.length === 1 ? off[0]! : off[p]!) : 0);
        }
        const scale = mean(centred);
        // BatchNorm divides by each channel's variance over batch and positions: its second moment
        // less the square of its mean over positions (the mean map's average, and `chan`), which at
        // the borders is less than the per-position squares `centred` subtracts.
        const channelVariance = batch ? mean(m) - mean(mu) ** 2 - chan : scale;
        const divisor = channelVariance > 0 ? channelVariance : scale;
        tape.push({ kind: 'scale', gradientFactor: divisor > 0 ? 1 / (divisor + epsilon) : 1 });
        // x ↦ (x − E x)/√(scale + ε) keeps the law's shape (BatchNorm also removes the offset it reads).
        law = law && scale > 0
          ? {
            ...law,
            ...(batch ? { q: law.q.map((q, p) => Math.max(0, q - law!.common[law!.common.length === 1 ? 0 : p]!)), common: new Float64Array(law.common.length) } : {}),
            shift: (law.shift - mean(mu)) / Math.sqrt(scale + epsilon),
            scale: law.scale / Math.sqrt(scale + epsilon),
          }
          : undefined;
        m = scale > 0 ? mapEach(centred, (v) => v / (scale + epsilon)) : centred;
        mu = new Float64Array(m.length);
        off = new Float64Array(m.length);
        chan = 0;
        break;
      }
      case 'dropout':
        law = undefined;
        if (op.alpha) {
          // AlphaDropout keeps mean and variance (Klambauer et al. 2017); its gradient is
          // a·mask with a = ((1−p)(1 + p·α′²))^(−1/2), α′ = −λα, so E[g²] shrinks by 1/(1 + p·α′²).
          const alphaPrime = -SELU_LAMBDA * SELU_ALPHA;
          tape.push({ kind: 'scale', gradientFactor: 1 / (1 + op.rate * alphaPrime * alphaPrime) });
        } else {
          // Inverted dropout at training time: kept units are scaled by 1/(1−p), so E[x²] and E[g²]
          // grow by 1/(1−p); the mean is kept.
          const keep = 1 - op.rate;
          if (keep > 0) {
            tape.push({ kind: 'scale', gradientFactor: 1 / keep });
            m = mapEach(m, (v) => v / keep);
          }
        }
        break;
      case 'dropPath': {
        // Stochastic depth in training mode (ir.ts DropPathOp): a sample's branch output times
        // b/(1−p), b ~ Bernoulli(1−p). E[x²] and E[g²] grow by 1/(1−p), the mean over samples is
        // kept. The cross moment of two positions of one sample grows the same, but what is shared
        // between samples (the per-unit offsets BatchNorm removes) does not, and a mean is no longer
        // the same in every sample: the offsets and the mean this pass carries would each need two
        // readings. A branch ends in a zero-mean layer (timm, ConvNeXt), where neither arises; a
        // mean or offsets read later are not simulated (undefined).
        const keep = 1 - op.rate;
        if (!(keep > 0)) throw NOT_SIMULABLE;
        if (op.rate === 0) break;
        if (mu.some((v, p) => v * v > ZERO_MEAN * m[m.length === 1 ? 0 : p]!)) throw NOT_SIMULABLE;
        if (context.offsets && (off.some((v) => v > 0) || chan > 0)) throw NOT_SIMULABLE;
        tape.push({ kind: 'scale', gradientFactor: 1 / keep });
        m = mapEach(m, (v) => v / keep);
        law = undefined;
        break;
      }
      case 'scale': {
        // x ↦ c·x (ir.ts ScaleOp): second moments and offsets times c², the mean times c; the
        // gradient's second moment times c² on the way back.
        const c = op.factor;
        const c2 = c * c;
        tape.push({ kind: 'scale', gradientFactor: c2 });
        m = mapEach(m, (v) => v * c2);
        mu = mapEach(mu, (v) => v * c);
        off = mapEach(off, (v) => v * c2);
        chan *= c2;
        // A max pool reads the law's order: a positive factor keeps it, a negative one reverses it.
        law = law && c > 0 ? { ...law, shift: law.shift * c, scale: law.scale * c } : undefined;
        break;
      }
      case 'flatten':
        tape.push({ kind: 'flatten', positions: m.length });
        m = Float64Array.of(mean(m));
        mu = Float64Array.of(mean(mu));
        off = Float64Array.of(mean(off));
        law = undefined;
        break;
      case 'pool': {
        // Max and average pooling's moments (poolSignal.ts), on maps laid out as the op's input.
        const spatial = op.geometry.inputSpatial;
        const onInput = (map: SignalMap) => mapOver(map, spatial);
        const pooled = poolSignal(op, { m: onInput(m), mu: onInput(mu), off: onInput(off) },
          law && { ...law, q: onInput(law.q), common: onInput(law.common), ...(law.mean ? { mean: onInput(law.mean) } : {}) });
        const index = context.pools.get(op)!;
        context.poolFactors[index]!.forward = mean(m) > 0 ? mean(pooled.m) / mean(m) : NaN;
        tape.push({ kind: 'pool', index, backward: pooled.backward });
        ({ m, mu, off } = pooled);
        // The pooled map's offsets, as the offsets' mean (the border deficit is averaged into them).
        chan = mean(off);
        law = undefined;
        break;
      }
      case 'attention':
      case 'memory':
      case 'positionTable':
      case 'classToken':
      case 'tokenPool':
        throw NOT_SIMULABLE;
      case 'residual': {
        // y = S(x) + s·F(x), F(x) uncorrelated with S(x) (S the identity, or a projection shortcut
        // with its own weights, drawn independently of F's): E[y²] = E[S²] + s²·E[F²] + 2s·E[S]·E[F].
        const branch = forward(op.body, { m, mu, off, law, chan }, signal, context);
        const projection = op.shortcut ? forward(op.shortcut, { m, mu, off, law, chan }, signal, context) : undefined;
        const residualEntry: { kind: 'residual'; scale: number; body: readonly TapeEntry[]; shortcut?: readonly TapeEntry[]; streamAfter: number } = {
          kind: 'residual', scale: op.scale, body: branch.tape, ...(projection ? { shortcut: projection.tape } : {}), streamAfter: NaN,
        };
        tape.push(residualEntry);
        const s1 = op.scale;
        const at = (map: SignalMap, p: number) => (map.length === 1 ? map[0]! : map[p]!);
        const inM = projection?.state.m ?? m;
        const inMu = projection?.state.mu ?? mu;
        const inOff = projection?.state.off ?? off;
        const size = Math.max(inM.length, branch.state.m.length);
        m = new Float64Array(size);
        mu = new Float64Array(size);
        off = new Float64Array(size);
        for (let p = 0; p < size; p++) {
          m[p] = at(inM, p) + s1 * s1 * at(branch.state.m, p) + 2 * s1 * at(inMu, p) * at(branch.state.mu, p);
          mu[p] = at(inMu, p) + s1 * at(branch.state.mu, p);
          // The shortcut's and the branch's per-unit offsets come from different weights: uncorrelated.
          off[p] = at(inOff, p) + s1 * s1 * at(branch.state.off, p);
        }
        law = undefined;
        chan = (projection?.state.chan ?? chan) + s1 * s1 * branch.state.chan;
        residualEntry.streamAfter = mean(m);
        break;
      }
    }
  }
  return { state: { m, mu, off, chan, ...(law ? { law } : {}) }, tape };
}

/** Runs the tape backward from a gradient map at its output; fills per-layer results. */
function backward(
  tape: readonly TapeEntry[], g: SignalMap, results: MutableLayerSimulation[], signal: CancellationSignal, logits: TapeEntry | undefined,
  poolFactors: MutablePoolFactors[],
): SignalMap {
  for (let i = tape.length - 1; i >= 0; i--) {
    throwIfCancelled(signal);
    const entry = tape[i]!;
    switch (entry.kind) {
      case 'layer': {
        const { layer, variance, input, pre } = entry;
        const activation = knownActivation(layer.activation);
        const gOut = g.length === pre.length ? g : new Float64Array(pre.length).fill(mean(g));
        const gradPre = entry === logits ? gOut : timesEach(pre, gOut, (q) => derivativeSecondMoment(activation, q));
        const gradIn = layerBackward(layer, variance, gradPre, input.length);
        const r = results[layer.index]!;
        const [preMean, inputMean, gradInMean, gOutMean] = [mean(pre), mean(input), mean(gradIn), mean(gOut)];
        r.forwardVariance = preMean;
        r.forwardFactor = inputMean > 0 ? preMean / inputMean : NaN;
        r.gradientVariance = gradInMean;
        r.backwardFactor = gOutMean > 0 ? gradInMean / gOutMean : NaN;
        g = gradIn;
        break;
      }
      case 'recurrent': {
        // Linear in the gradient at h_T: the input x_T receives gx_T times it (earlier steps' inputs
        // get inputGradient[t], the layer's throughTime; only x_T's reaches the layers before).
        const { through, input } = entry;
        const gT = mean(g);
        const gx = through.inputGradient[through.steps - 1]!;
        const r = results[entry.layer.index]!;
        r.forwardVariance = through.hiddenSecondMoment[through.steps - 1]!;
        r.forwardFactor = mean(input) > 0 ? r.forwardVariance / mean(input) : NaN;
        r.gradientVariance = gx * gT;
        r.backwardFactor = gx;
        r.throughTime = through;
        g = new Float64Array(input.length).fill(gx * gT);
        break;
      }
      case 'activation': {
        if (entry === logits) break;
        const shifted = entry.derivative;
        if (shifted) {
          const gradient = g;
          g = new Float64Array(entry.input.length);
          for (let p = 0; p < g.length; p++) g[p] = (gradient.length === 1 ? gradient[0]! : gradient[p]!) * shifted[p]!;
        } else {
          g = timesEach(entry.input, g, (q) => derivativeSecondMoment(entry.activation, q));
        }
        break;
      }
      case 'scale':
        g = mapEach(g, (v) => v * entry.gradientFactor);
        break;
      case 'flatten':
        g = new Float64Array(entry.positions).fill(mean(g));
        break;
      case 'pool': {
        const gIn = entry.backward(g);
        poolFactors[entry.index]!.backward = mean(g) > 0 ? mean(gIn) / mean(g) : NaN;
        g = gIn;
        break;
      }
      case 'residual': {
        // dL/dx = dL/dy + s·J_Fᵀ dL/dy: the branch sees s²·g at its output.
        const s2 = entry.scale * entry.scale;
        // A projection shortcut passes dL/dy back through its own layers: S's Jacobian, not the identity.
        const outer = entry.shortcut ? backward(entry.shortcut, g, results, signal, undefined, poolFactors) : g;
        const branchInput = backward(entry.body, mapEach(g, (v) => v * s2), results, signal, undefined, poolFactors);
        if (branchInput.length === outer.length) {
          g = new Float64Array(outer.length);
          for (let p = 0; p < outer.length; p++) g[p] = branchInput[p]! + outer[p]!;
        } else {
          const branchMean = mean(branchInput);
          g = mapEach(outer, (v) => v + branchMean);
        }
        // The residual stream, for the report's plot: after the block at its last layer,
        // the gradient at the block's input at its first (an enclosing block overwrites both later).
        const layers = tapeLayers(entry.body);
        if (layers.length > 0) {
          results[layers[layers.length - 1]!]!.streamForward = entry.streamAfter;
          results[layers[0]!]!.streamGradient = mean(g);
        }
        break;
      }
    }
  }
  return g;
}

/** Weight-layer indices of a tape, nested blocks included, in forward order. */
function tapeLayers(tape: readonly TapeEntry[]): number[] {
  return tape.flatMap((entry) => (entry.kind === 'layer' ? [entry.layer.index] : entry.kind === 'residual' ? tapeLayers(entry.body) : []));
}

export type { LayerSimulation };
