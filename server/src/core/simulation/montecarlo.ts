/**
 * The Monte-Carlo signal simulation: the user's network drawn at its real widths with
 * its real initializers, run forward on unit-variance Gaussian input and backward from
 * a unit-variance random cotangent, measured layer by layer exactly as the PyTorch
 * oracle measures (shared/oracle/oracle.py):
 *
 *   forwardVariance  = mean square of the layer's pre-activations (W·x + b) over batch × units [× positions]
 *   gradientVariance = mean square of dL/d(layer input), loss = Σ output·v, v ~ N(0, 1)
 *
 * Mean field is an infinite-width limit; at finite width GELU/SiLU networks, padded
 * convolutions and deep narrow stacks differ from it by factors of 2–12 (oracle README),
 * and this pass gets them right because it does what the framework does.
 *
 * Conventions match the analytic pass (analytic.ts): BatchNorm/LayerNorm in training mode
 * (batch statistics, γ = 1, β = 0, ε = 1e-5), inverted dropout and AlphaDropout at training
 * time, softmax as the identity, a residual unit y = x + scale·body(x), and the backward
 * pass starting at the logits of a sigmoid/softmax output head (`gradientAtLogits`). Biases are drawn
 * N(0, σ_b²) with the layer's bias second moment (only that moment enters the statistics).
 *
 * Seeds: seed s of n uses the generator mixSeed(seed, s); per layer the value reported
 * is the arithmetic mean over the seeds (an unbiased estimate of E[second moment], what
 * mean field predicts) and, with two or more seeds, the band is the [min, max] over seeds.
 *
 * Time budget: the unit of work is a seed. A seed either completes or is discarded;
 * when the budget runs out the seeds already done are reported, and when not even the
 * first one finished the result is undefined (the caller keeps the analytic numbers) —
 * half a network has no gradients and would mislead.
 *
 * Networks over tokens (attention or RMSNorm: tokenStream.ts's networks) run on rows of tokens,
 * `batch` sequences × the network's tokens (DEFAULT_TOKENS when the code does not say): dense
 * layers, activations, LayerNorm and RMSNorm per token, attention per sequence and head
 * (attentionMonteCarlo.ts); at every residual op the stream's second moment, its token
 * correlation and the gradient at the op's input are measured as the transformer oracle
 * measures them (simulateTokenMonteCarlo).
 *
 * Float32 storage and products (as PyTorch runs the forward pass), float64 statistics.
 * Deterministic for a given seed; checks the cancellation signal every few milliseconds.
 */
import { sinCos2dRows } from './sinCos2dTable';
import { sinusoidalRows } from './sinusoidalTable';
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import type { Activation, ActivationUse, AttentionOp, ClassTokenOp, MemoryOp, Network, Op, PoolOp, PositionTableOp, TokenPoolOp, WeightLayer } from '../ir';
import { walkOps } from '../ir';
import { activationFunctions, SELU_ALPHA, SELU_LAMBDA } from '../knowledge/activations';
import { convBackward, convForward, convPlan, convWorkspace, transposeGroups, type ConvPlan } from './conv';
import { poolForward } from './pool';
import { jsGemm, transpose, type Gemm } from './matmul';
import { kernelEngine, type HeadBlocks, type KernelEngine, type KernelHelperData } from './kernelEngine';
import { mixSeed, Random } from './prng';
import { type BulkDraw, CannotSample, drawKernel } from './sampling';
import type { LayerSimulation, MeasuredTokens, NetworkSimulation, ThroughTime } from './types';
import { recurrentSpectrum } from '../knowledge/recurrent';
import { RecurrentNotSimulable, runRecurrent, type RecurrentRun } from './recurrentMonteCarlo';
import { maxOf, minOf } from '../util/arrays';
import { AttentionNotSimulable, attentionForward, type AttentionMeasure, type Block } from './attentionMonteCarlo';
import { DEFAULT_TOKENS, runsOverTokens } from './tokenStream';
import { geluForward, geluGradient, geluWithDerivative } from './geluFloat32';

export interface MonteCarloOptions {
  readonly seed: number;
  /** Samples per forward pass; for a network over tokens, sequences (each of the network's tokens). */
  readonly batch: number;
  /** Networks over tokens: the input tokens' correlation (default 0, as the analytic pass). */
  readonly inputCorrelation?: number;
  /** Token correlation of the memory's input (an encoder–decoder's source tokens; default 0). */
  readonly memoryCorrelation?: number;
  /** Independent networks drawn (default 1); with ≥ 2 the layers carry a [min, max] band. */
  readonly seeds?: number;
  /** Stop starting/continuing seeds after this long (see the module comment). */
  readonly timeBudgetMs?: number;
  /** Clock for the budget (default Date.now); injectable for tests. */
  readonly now?: () => number;
  /** Called after each layer's forward or backward step: done out of total steps (all seeds). */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Start the backward pass at the logits of a sigmoid/softmax output head (default true),
   * as the analytic pass does (analytic.ts AnalyticOptions): the head's derivative belongs
   * to the cross-entropy loss. The oracle puts its cotangent after the head; its test turns this off.
   */
  readonly gradientAtLogits?: boolean;
  /**
   * Starts a second thread for the products and weight draws (kernelEngine.ts runKernelHelper
   * with this data) and returns how to stop it; the engine cannot start threads itself (it has no
   * host). Results are the same with or without it.
   */
  readonly startHelper?: (data: KernelHelperData) => () => void;
}

/** Output nonlinearities whose derivative is part of the loss (cross-entropy), as in analytic.ts. */
const OUTPUT_HEADS = new Set(['sigmoid', 'softmax']);

/** The last top-level op when it applies a sigmoid/softmax head. */
function outputHead(network: Network): Op | undefined {
  const last = network.ops[network.ops.length - 1];
  if (last?.op === 'activation' && OUTPUT_HEADS.has(last.activation.name)) return last;
  if (last?.op === 'layer' && last.activation !== 'unknown' && OUTPUT_HEADS.has(last.activation.name)) return last;
  return undefined;
}

/** Defaults the hosts use: 256 samples for MLPs; convolutions cost P positions per sample, so fewer. */
export const DEFAULT_MLP_BATCH = 256;
/**
 * A 64-channel 3×3 conv on 16×16 maps costs ~19 MFLOP per sample and layer against ~0.5 for a
 * width-512 dense layer; 32 samples already average 32·P positions per channel: on the
 * oracle's 10-layer conv stack every layer's second moments at batch 32 are within 0.8% of
 * batch 128 with the same weights (about 1 s instead of 4).
 */
export const DEFAULT_CONV_BATCH = 32;

/**
 * Activations, gradients and weights are all kept for the backward pass; a network whose
 * estimate exceeds this (4 GiB) is declined rather than allowed to exhaust the host's memory
 * (an ImageNet-sized convnet at batch 32 would need tens of GiB). Lower the batch to fit.
 */
export const MAX_MEMORY_BYTES = 4 * 2 ** 30;

/** Bytes the pass will hold at its peak: per weight layer its outputs (pre-activation, output, gradient) and its weights twice. */
export function estimateMemoryBytes(network: Network, sequencesOrBatch: number): number {
  const tokens = runsOverTokens(network) ? tokensOf(network) : 1;
  const batch = sequencesOrBatch * tokens;
  let bytes = 0;
  // Attention keeps each sequence's and head's weights A (tokens × tokens).
  for (const op of walkOps(network.ops)) if (op.op === 'attention') bytes += 4 * sequencesOrBatch * op.heads * tokens * tokens;
  for (const layer of network.layers) {
    const fans = layer.fans;
    if (!fans) continue;
    // A convolution's outputs are its channels at every output position; a transposed conv's
    // output positions are the input positions of the convolution it transposes.
    const channels = convChannels(layer);
    const outSpatial = layer.conv?.outputSpatial ?? layer.transposed?.adjoint?.inputSpatial;
    // A patch convolution over tokens (ir.ts patchTokens) gives each token its output channels.
    const outputs = channels && outSpatial ? channels.outChannels * product(outSpatial) : layer.patchTokens ? fans.fanOut / layer.receptiveField : fans.fanOut;
    const weights = layer.kind === 'embedding' ? 0 : fans.fanIn * (channels ? channels.outChannels : fans.fanOut);
    bytes += 4 * (3 * outputs * batch + 2 * weights);
    // A recurrent layer keeps every step's gates, states and inputs for its backward pass.
    if (layer.recurrent) bytes += 4 * layer.recurrent.steps.value * batch * (2 * fans.fanOut + 2 * layer.recurrent.hidden + fans.fanIn);
  }
  return bytes;
}

/**
 * Sequences per forward pass of a network over tokens: 4 × 128 tokens already average 512 rows per
 * layer (the transformer oracle measures 4 × 64), and a 12-block d_model-768 model costs ~44 GFLOP
 * per sequence forward and back.
 */
export const DEFAULT_TOKEN_BATCH = 4;

function tokensOf(network: Network): number {
  return network.tokens ?? DEFAULT_TOKENS;
}

export function defaultBatch(network: Network): number {
  if (runsOverTokens(network)) return DEFAULT_TOKEN_BATCH;
  return network.layers.some((l) => l.kind === 'conv1d' || l.kind === 'conv2d' || l.kind === 'conv3d') ? DEFAULT_CONV_BATCH : DEFAULT_MLP_BATCH;
}

/** Why a network cannot be drawn (unknown widths, names or geometry); the result is undefined. */
class NotSimulable extends Error {}
/** The time budget ran out inside a seed. */
class BudgetReached extends Error {}

/** Activations as a batch of per-sample tensors: `shape` excludes the batch dimension. */
interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** One seed's measurements at one residual op of a network over tokens. */
interface StreamMeasure {
  /** E[x²] of the stream entering the op. */
  readonly before: number;
  /** E[x²] of the stream after the op. */
  secondMoment: number;
  /** Mean over sequences and token pairs i ≠ k of ⟨x_i, x_k⟩/d. */
  cross: number;
  /** E[g²] at the op's input. */
  gradient: number;
  /** 0 for the stream itself, 1 inside a residual branch. */
  readonly depth: number;
  /** Post-LN: the stream after the norm that directly follows the op (what the transformer oracle measures there). */
  normalized?: { secondMoment: number; cross: number };
  /** A residual op of the memory's stream (an encoder). */
  readonly memory?: true;
}

/** One seed's memory (encoder–decoder networks): its rows, and the gradient every cross-attention sends it. */
interface MemoryMeasure {
  readonly rows: Tensor;
  readonly tokens: number;
  readonly gradient: Float32Array;
  secondMoment: number;
  cross: number;
  gradientM2: number;
  inputGradientM2: number;
}

/** One seed's attention: the oracle's statistics and the token correlations it reads and hands on. */
export interface AttentionRecord extends AttentionMeasure {
  readonly inputCorrelation: number;
  /** After the output projection. */
  readonly outputCorrelation: number;
  /** Cross-attention: the memory's token correlation. */
  readonly memoryCorrelation?: number;
  /** The token correlation after the residual op around it (undefined outside one). */
  handsOn?: number;
}

/** What a seed of a network over tokens records besides the layers. */
interface TokenSeed {
  readonly sequences: number;
  readonly tokens: number;
  depth: number;
  readonly stream: StreamMeasure[];
  readonly attention: AttentionRecord[];
  /** Set while the memory's own ops run. */
  inMemory?: boolean;
  memory?: MemoryMeasure;
  /** The token correlation a mean over the tokens (TokenPoolOp) read: the output's is that of one vector per sequence. */
  beforeMean?: number;
}

/** One seed's measurements of one weight layer. */
interface LayerMeasure {
  pre: number;
  input: number;
  gradIn: number;
  gradOut: number;
  /** Recurrent layers: E[h_t²], E[(dL/dx_t)²] per step and E[h_T] (recurrentMonteCarlo.ts). */
  through?: { hidden: number[]; grad: number[]; hiddenMean: number };
}

type Backward = (gradient: Float32Array) => Float32Array;

interface SeedContext {
  readonly network: Network;
  readonly batch: number;
  readonly rng: Random;
  readonly seedValue: number;
  readonly measures: LayerMeasure[];
  readonly checkpoint: () => void;
  readonly step: () => void;
  readonly gemm: Gemm;
  /** The WebAssembly engine, when this runtime has one: dense layers draw their weights into it and multiply them in place. */
  readonly kernels: KernelEngine | undefined;
  /** The output head whose derivative the backward pass skips, if any. */
  readonly logits: Op | undefined;
  /** Set for a network over tokens: `batch` is then sequences × tokens rows. */
  readonly tokens: TokenSeed | undefined;
  readonly inputCorrelation: number;
  readonly memoryCorrelation: number;
  /** Each pool op's measured second moments, by its position among the network's pools in walkOps order (NetworkSimulation.pools). */
  readonly pools: ReadonlyMap<Op, PoolMeasure>;
  /**
   * Residual branches whose backward pass is running (shared by the contexts spread from this
   * one): inside one, dense and LayerNorm gradients go into the engine's arena (no copies in and
   * out of it around each product), let go of when the branch's gradient is summed.
   */
  readonly backwardScopes: { depth: number };
}

/** One pool's mean squares in one seed: its input and output, the gradient at its output and input. */
interface PoolMeasure { input: number; output: number; gradOut: number; gradIn: number }

/** A residual op's stream and gradient, averaged over seeds (simulateTokenMonteCarlo). */
export interface StreamMonteCarlo {
  /** E[x²] entering the op. */
  readonly before: number;
  readonly secondMoment: number;
  readonly correlation: number;
  readonly gradient: number;
  readonly depth: number;
  /** Post-LN: the stream after the norm that directly follows the residual op. */
  readonly normalized?: { readonly secondMoment: number; readonly correlation: number };
  /** A residual op of the memory's stream (an encoder). */
  readonly memory?: true;
}

/** The memory of an encoder–decoder network, averaged over seeds. */
export interface MemoryMonteCarlo {
  readonly secondMoment: number;
  readonly correlation: number;
  /** E[g²] at the memory (every cross-attention's gradient summed). */
  readonly gradient: number;
  /** E[g²] at the memory's input (the source tokens). */
  readonly inputGradient: number;
}

/** The Monte-Carlo pass of a network over tokens: the layers, and the stream and attention as the transformer oracle measures them. */
export interface TokenMonteCarlo {
  readonly simulation: NetworkSimulation;
  readonly stream: readonly StreamMonteCarlo[];
  readonly attention: readonly AttentionRecord[];
  readonly sequences: number;
  readonly tokens: number;
  readonly memory?: MemoryMonteCarlo;
}

interface SeedRun {
  measures: LayerMeasure[];
  output: number;
  inputGradient: number;
  tokens: TokenSeed | undefined;
  /** Over tokens: the output's token correlation. */
  outputCorrelation: number;
  pools: readonly PoolMeasure[];
}

export function simulateMonteCarlo(network: Network, options: MonteCarloOptions, signal: CancellationSignal): NetworkSimulation | undefined {
  return runMonteCarlo(network, options, signal)?.simulation;
}

/** simulateMonteCarlo for a network over tokens, with the residual stream and attention statistics; undefined for any other network. */
export function simulateTokenMonteCarlo(network: Network, options: MonteCarloOptions, signal: CancellationSignal): TokenMonteCarlo | undefined {
  if (!runsOverTokens(network)) return undefined;
  const result = runMonteCarlo(network, options, signal);
  return result?.tokens ? { simulation: result.simulation, ...result.tokens } : undefined;
}

function runMonteCarlo(
  network: Network, options: MonteCarloOptions, signal: CancellationSignal,
): { simulation: NetworkSimulation; tokens?: Omit<TokenMonteCarlo, 'simulation'> } | undefined {
  if (network.layers.length === 0 || network.pretrained || network.unsimulable !== undefined) return undefined;
  if (network.layers.some((layer) => layer.consumer === 'unknown' || layer.activation === 'unknown')) return undefined;
  const seeds = Math.max(1, Math.floor(options.seeds ?? 1));
  const sequences = Math.max(1, Math.floor(options.batch));
  if (estimateMemoryBytes(network, sequences) > MAX_MEMORY_BYTES) return undefined;
  const overTokens = runsOverTokens(network);
  const tokens = overTokens ? tokensOf(network) : 1;
  const batch = sequences * tokens;
  const now = options.now ?? Date.now;
  const start = now();
  const budget = options.timeBudgetMs;
  const total = seeds * 2 * network.layers.length;
  let done = 0;
  const checkpoint = () => {
    throwIfCancelled(signal);
    if (budget !== undefined && now() - start > budget) throw new BudgetReached();
  };
  const runs: SeedRun[] = [];
  const kernels = kernelEngine();
  const stopHelper = kernels && options.startHelper ? options.startHelper(kernels.helperData()) : undefined;
  try {
    for (let s = 0; s < seeds; s++) {
      const seedValue = mixSeed(options.seed, s);
      const context: SeedContext = {
        network, batch, seedValue, rng: new Random(seedValue),
        measures: network.layers.map(() => ({ pre: NaN, input: NaN, gradIn: NaN, gradOut: NaN })),
        checkpoint,
        step: () => options.onProgress?.(++done, total),
        gemm: kernels?.gemm ?? jsGemm,
        kernels,
        logits: options.gradientAtLogits === false ? undefined : outputHead(network),
        tokens: overTokens ? { sequences, tokens, depth: 0, stream: [], attention: [] } : undefined,
        inputCorrelation: Math.min(1, Math.max(0, options.inputCorrelation ?? 0)),
        memoryCorrelation: Math.min(1, Math.max(0, options.memoryCorrelation ?? 0)),
        pools: new Map(walkOps(network.ops).filter((op) => op.op === 'pool').map((op) => [op, { input: NaN, output: NaN, gradOut: NaN, gradIn: NaN }])),
        backwardScopes: { depth: 0 },
      };
      const mark = kernels?.mark();
      try {
        runs.push(runSeed(context));
      } catch (error) {
        if (error instanceof NotSimulable || error instanceof CannotSample || error instanceof AttentionNotSimulable) return undefined;
        if (error instanceof BudgetReached) break;
        throw error;
      } finally {
        if (mark !== undefined) kernels!.release(mark);
      }
    }
  } finally {
    if (stopHelper) {
      kernels!.stopHelpers();
      stopHelper();
    }
  }
  if (runs.length === 0) return undefined;
  const simulation = aggregate(network, runs);
  if (!overTokens) return { simulation };
  const measured = aggregateTokens(runs, sequences, tokens);
  return { simulation: { ...simulation, tokens: measuredTokens(measured, runs) }, tokens: measured };
}

/** The stream and attention as plain data for the hosts (NetworkSimulation.tokens). */
function measuredTokens(measured: Omit<TokenMonteCarlo, 'simulation'>, runs: readonly SeedRun[]): MeasuredTokens {
  return {
    tokens: measured.tokens, sequences: measured.sequences,
    stream: measured.stream.map((p) => ({
      before: p.before, secondMoment: p.secondMoment, correlation: p.correlation, gradient: p.gradient, depth: p.depth, ...(p.memory ? { memory: true as const } : {}),
    })),
    attention: measured.attention.map((a) => ({ ...a })),
    outputCorrelation: runs.reduce((sum, r) => sum + r.outputCorrelation, 0) / runs.length,
    ...(measured.memory ? { memory: { tokens: runs[0]!.tokens!.memory!.tokens, ...measured.memory } } : {}),
  };
}

/** Stream points and attention statistics averaged over seeds (each seed records the same ops in the same order). */
function aggregateTokens(runs: readonly SeedRun[], sequences: number, tokens: number): Omit<TokenMonteCarlo, 'simulation'> {
  const seeds = runs.map((r) => r.tokens!);
  const mean = (pick: (seed: TokenSeed) => number) => seeds.reduce((sum, seed) => sum + pick(seed), 0) / seeds.length;
  const stream = seeds[0]!.stream.map((point, i) => {
    const secondMoment = mean((seed) => seed.stream[i]!.secondMoment);
    const cross = mean((seed) => seed.stream[i]!.cross);
    const normalizedM2 = mean((seed) => seed.stream[i]!.normalized?.secondMoment ?? NaN);
    const normalizedCross = mean((seed) => seed.stream[i]!.normalized?.cross ?? NaN);
    return {
      before: mean((seed) => seed.stream[i]!.before),
      secondMoment, correlation: secondMoment > 0 ? cross / secondMoment : NaN, gradient: mean((seed) => seed.stream[i]!.gradient), depth: point.depth,
      ...(point.normalized ? { normalized: { secondMoment: normalizedM2, correlation: normalizedCross / normalizedM2 } } : {}),
      ...(point.memory ? { memory: true as const } : {}),
    };
  });
  const memorySecondMoment = mean((seed) => seed.memory?.secondMoment ?? NaN);
  const memory: MemoryMonteCarlo | undefined = seeds[0]!.memory ? {
    secondMoment: memorySecondMoment,
    correlation: mean((seed) => seed.memory!.cross) / memorySecondMoment,
    gradient: mean((seed) => seed.memory!.gradientM2),
    inputGradient: mean((seed) => seed.memory!.inputGradientM2),
  } : undefined;
  const attention = seeds[0]!.attention.map((first, i): AttentionRecord => ({
    logitVariance: mean((seed) => seed.attention[i]!.logitVariance),
    p2: mean((seed) => seed.attention[i]!.p2),
    inputCorrelation: mean((seed) => seed.attention[i]!.inputCorrelation),
    outputCorrelation: mean((seed) => seed.attention[i]!.outputCorrelation),
    ...(first.memoryCorrelation !== undefined ? { memoryCorrelation: mean((seed) => seed.attention[i]!.memoryCorrelation!) } : {}),
    ...(first.handsOn !== undefined ? { handsOn: mean((seed) => seed.attention[i]!.handsOn!) } : {}),
  }));
  return { stream, attention, sequences, tokens, ...(memory ? { memory } : {}) };
}

/** A recurrent layer's per-step measurements, averaged over the seeds. */
function throughTimeOf(layer: WeightLayer, measured: readonly (LayerMeasure['through'])[]): ThroughTime | undefined {
  const spec = layer.recurrent;
  if (!spec || measured.some((m) => !m)) return undefined;
  const runs = measured as readonly NonNullable<LayerMeasure['through']>[];
  const average = (pick: (m: NonNullable<LayerMeasure['through']>) => readonly number[]) =>
    pick(runs[0]!).map((_, t) => runs.reduce((sum, m) => sum + pick(m)[t]!, 0) / runs.length);
  const hidden = average((m) => m.hidden);
  const grad = average((m) => m.grad);
  const T = spec.steps.value;
  return {
    steps: T, stepsFromCode: spec.steps.fromCode, hiddenSecondMoment: hidden, inputGradient: grad,
    hiddenMean: runs.reduce((sum, m) => sum + m.hiddenMean, 0) / runs.length,
    factor: grad[T - 1]! > 0 ? grad[0]! / grad[T - 1]! : NaN,
    spectralScale: recurrentSpectrum(spec)?.scale ?? NaN,
  };
}

function aggregate(network: Network, runs: readonly SeedRun[]): NetworkSimulation {
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const band = (values: readonly number[]): readonly [number, number] | undefined =>
    values.length >= 2 ? [minOf(values), maxOf(values)] : undefined;
  const layers: LayerSimulation[] = runs[0]!.measures.map((_, i) => {
    const of = (pick: (m: LayerMeasure) => number) => runs.map((r) => pick(r.measures[i]!));
    const forward = of((m) => m.pre);
    const gradient = of((m) => m.gradIn);
    const forwardVariance = mean(forward);
    const gradientVariance = mean(gradient);
    const inputM2 = mean(of((m) => m.input));
    const gradOut = mean(of((m) => m.gradOut));
    const forwardBand = band(forward);
    const gradientBand = band(gradient);
    const throughTime = throughTimeOf(network.layers[i]!, runs.map((r) => r.measures[i]!.through));
    return {
      forwardVariance,
      gradientVariance,
      forwardFactor: inputM2 > 0 ? forwardVariance / inputM2 : NaN,
      backwardFactor: gradOut > 0 ? gradientVariance / gradOut : NaN,
      ...(forwardBand ? { forwardBand } : {}),
      ...(gradientBand ? { gradientBand } : {}),
      ...(throughTime ? { throughTime } : {}),
    };
  });
  // Each pool's factors from the seeds' mean squares (ratios of means, as the layers' factors).
  const pools = runs[0]!.pools.map((_, i) => {
    const of = (pick: (m: PoolMeasure) => number) => mean(runs.map((r) => pick(r.pools[i]!)));
    const input = of((m) => m.input);
    const gradOut = of((m) => m.gradOut);
    return { forward: input > 0 ? of((m) => m.output) / input : NaN, backward: gradOut > 0 ? of((m) => m.gradIn) / gradOut : NaN };
  });
  return {
    method: 'montecarlo',
    layers,
    outputVariance: mean(runs.map((r) => r.output)),
    inputGradientVariance: mean(runs.map((r) => r.inputGradient)),
    ...(pools.length > 0 ? { pools } : {}),
  };
}

/** One network drawn, run forward and backward. */
function runSeed(context: SeedContext): SeedRun {
  const { network, batch, rng } = context;
  const first = network.layers[0]!;
  let input: Tensor | undefined;
  // The stream's first op after the memory (an encoder–decoder's encoder runs over its own input).
  const streamStart = network.ops.find((op) => op.op !== 'memory');
  if (!(streamStart?.op === 'layer' && streamStart.kind === 'embedding')) {
    const shape = inputShape(network);
    // A class token is put in front of each sequence later: the input has one token fewer.
    const seed = context.tokens && network.ops.some((op) => op.op === 'classToken') ? { ...context.tokens, tokens: context.tokens.tokens - 1 } : context.tokens;
    const data = new Float32Array((seed ? seed.sequences * seed.tokens : batch) * product(shape));
    rng.fillNormal(data);
    if (seed && context.inputCorrelation > 0) correlateTokens(data, product(shape), seed, context.inputCorrelation, rng);
    input = { data, shape };
  } else if (first.kind !== 'embedding') {
    throw new NotSimulable();
  }
  const backs: Backward[] = [];
  const output = forward(network.ops, input, context, backs, true);
  context.checkpoint();
  const cotangent = new Float32Array(output.data.length);
  rng.fillNormal(cotangent);
  const inputGradient = backward(backs, cotangent);
  const output2 = meanSquare(output.data);
  return {
    measures: context.measures, output: output2, inputGradient: meanSquare(inputGradient), tokens: context.tokens,
    outputCorrelation: context.tokens ? context.tokens.beforeMean ?? tokenCrossMoment(output.data, context.tokens) / output2 : NaN,
    pools: [...context.pools.values()],
  };
}

/**
 * Input tokens with correlation ρ, as the transformer oracle draws them: x_i = √ρ·z + √(1−ρ)·e_i
 * with z shared by the tokens of a sequence (e_i is `data`, already drawn).
 */
function correlateTokens(data: Float32Array, width: number, seed: TokenSeed, rho: number, rng: Random): void {
  const shared = new Float32Array(width);
  const a = Math.sqrt(rho);
  const b = Math.sqrt(1 - rho);
  for (let s = 0; s < seed.sequences; s++) {
    rng.fillNormal(shared);
    for (let t = 0; t < seed.tokens; t++) {
      const at = (s * seed.tokens + t) * width;
      for (let e = 0; e < width; e++) data[at + e] = a * shared[e]! + b * data[at + e]!;
    }
  }
}

/** Mean over sequences and token pairs i ≠ k of ⟨x_i, x_k⟩/d: (|Σ_i x_i|² − Σ_i |x_i|²) / (T(T−1)d) per sequence. */
function tokenCrossMoment(data: Float32Array, seed: TokenSeed): number {
  const n = seed.tokens;
  if (n < 2) return NaN;
  const width = data.length / (seed.sequences * n);
  const engine = data.length >= ENGINE_MIN_VALUES && Number.isInteger(width) ? kernelEngine() : undefined;
  if (engine) {
    // The same sums in WebAssembly (wasmRowKernels.ts crossMoment), finished here in the same order.
    const sums = engine.tokenCrossSums(data, seed.sequences, n);
    let total = 0;
    for (let s = 0; s < seed.sequences; s++) total += sums[s]! / (n * (n - 1) * width);
    return total / seed.sequences;
  }
  const sum = new Float64Array(width);
  let total = 0;
  for (let s = 0; s < seed.sequences; s++) {
    sum.fill(0);
    let diagonal = 0;
    for (let t = 0; t < n; t++) {
      const at = (s * n + t) * width;
      for (let e = 0; e < width; e++) {
        const v = data[at + e]!;
        sum[e]! += v;
        diagonal += v * v;
      }
    }
    let square = 0;
    for (let e = 0; e < width; e++) square += sum[e]! * sum[e]!;
    total += (square - diagonal) / (n * (n - 1) * width);
  }
  return total / seed.sequences;
}

function backward(backs: readonly Backward[], gradient: Float32Array): Float32Array {
  let g = gradient;
  for (let i = backs.length - 1; i >= 0; i--) g = backs[i]!(g);
  return g;
}

/** The network's input shape: declared, or what the first weight layer reads. */
function inputShape(network: Network): readonly number[] {
  const first = network.layers[0]!;
  // Patches read as tokens (ir.ts patchTokens): each row is one patch, whatever the image's shape.
  if (first.patchTokens && first.fans && network.ops[0] === first) return [first.fans.fanIn];
  if (network.inputShape && network.inputShape.length > 0) return network.inputShape;
  if (!first.fans) throw new NotSimulable();
  if (first.kind === 'dense') return [first.fans.fanIn];
  const channels = convChannels(first);
  const spatial = first.conv?.inputSpatial ?? first.transposed?.adjoint?.outputSpatial;
  if (!channels || !spatial) throw new NotSimulable();
  return [channels.inChannels, ...spatial];
}

/**
 * Runs ops forward. `input` is undefined only before a leading embedding (token ids are
 * drawn there). Pushes one backward closure per op into `backs`.
 */
function forward(ops: readonly Op[], input: Tensor | undefined, context: SeedContext, backs: Backward[], atStart: boolean): Tensor {
  const classAt = ops.findIndex((op) => op.op === 'classToken');
  if (classAt >= 0) {
    // The ops before a class token run over one token fewer per sequence (tokenStream.ts the same).
    const seed = context.tokens;
    if (!atStart || !seed || seed.depth !== 0 || seed.inMemory || seed.tokens < 2) throw new NotSimulable();
    const shorter: SeedContext = { ...context, batch: seed.sequences * (seed.tokens - 1), tokens: { ...seed, tokens: seed.tokens - 1 } };
    const before = forward(ops.slice(0, classAt), input, shorter, backs, true);
    const withClass = classTokenForward(ops[classAt] as ClassTokenOp, before, context, backs);
    return forward(ops.slice(classAt + 1), withClass, context, backs, false);
  }
  const meanAt = ops.findIndex((op) => op.op === 'tokenPool');
  if (meanAt >= 0) {
    // The ops after a mean over tokens (or the first token) run over one row per sequence (tokenStream.ts the same).
    const seed = context.tokens;
    if (!seed || seed.depth !== 0 || seed.inMemory) throw new NotSimulable();
    const before = forward(ops.slice(0, meanAt), input, context, backs, atStart);
    const averaged = tokenPoolForward((ops[meanAt] as TokenPoolOp).kind, before, seed, backs);
    const shorter: SeedContext = { ...context, batch: seed.sequences, tokens: { ...seed, tokens: 1 } };
    return forward(ops.slice(meanAt + 1), averaged, shorter, backs, false);
  }
  let x = input;
  let lastStreamPoint: StreamMeasure | undefined;
  ops.forEach((op, position) => {
    context.checkpoint();
    if (op.op === 'layer' && op.kind === 'embedding') {
      if (!atStart || ops.slice(0, position).some((o) => o.op !== 'memory')) throw new NotSimulable();
      x = embeddingForward(op, context, backs);
      return;
    }
    // The memory runs over its own input (an encoder–decoder's encoder, before the stream's first op).
    if (op.op === 'memory') {
      memoryForward(op, context, backs);
      return;
    }
    if (!x) throw new NotSimulable();
    // Over tokens, only per-token ops and attention have a reading (as in tokenStream.ts).
    // Pooling over tokens is not followed (as in tokenStream.ts): the rows pass unchanged.
    if (context.tokens && op.op === 'pool') return;
    if (context.tokens && ((op.op === 'layer' && op.kind !== 'dense' && !op.patchTokens) || op.op === 'flatten' || (op.op === 'norm' && op.kind === 'batchnorm'))) {
      throw new NotSimulable();
    }
    switch (op.op) {
      case 'layer':
        x = op.kind === 'recurrent' ? recurrentForwardOp(op, x, context, backs)
          : op.kind === 'dense' || (context.tokens && op.patchTokens) ? denseForward(op, x, context, backs) : convForwardOp(op, x, context, backs);
        break;
      case 'activation':
        x = activationForward(op.activation, x, backs, op === context.logits);
        break;
      case 'norm':
        // ε as the code builds the norm (ir.ts NormOp.epsilon): where the stream is small it decides the output.
        if (op.epsilon === 'unknown') throw new NotSimulable();
        x = op.kind === 'rmsnorm' ? rmsNormForward(x, context.batch, backs, op.epsilon)
          : op.kind === 'layernorm' ? layerNormRows(x, context.batch, backs, op.epsilon, rowsArray(context, x.data.length), context)
          : normForward(op.kind, x, context.batch, backs, op.epsilon);
        if (lastStreamPoint && ops[position - 1]?.op === 'residual') {
          lastStreamPoint.normalized = { secondMoment: meanSquare(x.data), cross: tokenCrossMoment(x.data, context.tokens!) };
        }
        break;
      case 'attention':
        x = attentionOp(op, x, context, backs);
        break;
      case 'dropout':
        x = dropoutForward(op.rate, op.alpha, x, context.rng, backs);
        break;
      case 'dropPath':
        // One mask per sample (per sequence over tokens), as timm's drop_path draws it.
        if (op.rate > 0) x = dropPathForward(op.rate, x, context.tokens ? context.tokens.sequences : context.batch, context.rng, backs);
        break;
      case 'scale':
        x = scaleForward(op.factor, x, backs);
        break;
      case 'flatten': {
        const flat = { data: x.data, shape: [product(x.shape)] };
        x = flat;
        break;
      }
      case 'pool':
        x = poolOp(op, x, context, backs);
        break;
      case 'positionTable':
        x = positionTableForward(op, x, context);
        break;
      case 'classToken':
        throw new NotSimulable();
      case 'residual': {
        const inner: Backward[] = [];
        const firstAttention = context.tokens?.attention.length ?? 0;
        if (context.tokens) context.tokens.depth++;
        const branch = forward(op.body, x, context, inner, false);
        if (context.tokens) context.tokens.depth--;
        // A projection shortcut (ResNet's downsample) runs on the same input with its own weights.
        // Over tokens it is not followed (tokenStream.ts declines it too).
        if (op.shortcut && context.tokens) throw new NotSimulable();
        const shortcutBacks: Backward[] = [];
        const skip = op.shortcut ? forward(op.shortcut, x, context, shortcutBacks, false) : x;
        if (branch.data.length !== skip.data.length) throw new NotSimulable();
        const scale = op.scale;
        // Over tokens, in the engine's arena (a sublayer's ~d_model per row): the LayerNorm, the
        // statistics and the next sum read it there without a copy.
        const y = context.tokens ? rowsArray(context, skip.data.length) : new Float32Array(skip.data.length);
        const xd = skip.data;
        const bd = branch.data;
        if (context.kernels) context.kernels.axpy(y, xd, bd, scale);
        else for (let i = 0; i < y.length; i++) y[i] = xd[i]! + scale * bd[i]!;
        const point = context.tokens ? streamPoint(x.data, y, context.tokens) : undefined;
        lastStreamPoint = point;
        // What an attention inside the branch hands on to the next block (as tokenStream.ts's handsOn).
        if (point) {
          const handsOn = point.cross / point.secondMoment;
          const attention = context.tokens!.attention;
          for (let i = firstAttention; i < attention.length; i++) attention[i]!.handsOn ??= handsOn;
        }
        backs.push((g) => {
          // The branch's gradients are let go of once summed into `out` (on the heap: it outlives them).
          const kernels = context.kernels;
          const mark = kernels?.mark();
          context.backwardScopes.depth++;
          try {
            // A copy either way: the branch's backward steps may work in place (finishLayer's GELU).
            const scaled = backwardArray(context, g.length);
            if (scale === 1) scaled.set(g);
            else for (let i = 0; i < g.length; i++) scaled[i] = scale * g[i]!;
            const through = backward(inner, scaled);
            // Both are gradients at the block's input x: the same length.
            const skipped = op.shortcut ? backward(shortcutBacks, g) : g;
            const out = new Float32Array(through.length);
            if (kernels) kernels.axpy(out, skipped, through, 1);
            else for (let i = 0; i < out.length; i++) out[i] = skipped[i]! + through[i]!;
            if (point) point.gradient = meanSquare(out);
            return out;
          } finally {
            context.backwardScopes.depth--;
            if (mark !== undefined) kernels!.release(mark);
          }
        });
        x = { data: y, shape: skip.shape };
        break;
      }
    }
  });
  if (!x) throw new NotSimulable();
  return x;
}

/**
 * A table of one row per token, drawn once per seed as PyTorch draws the parameter (its init's
 * distribution, elementwise) and added to every sequence: the same table for all of them.
 * Backward the gradient passes unchanged (the table's own gradient is not measured).
 */
function positionTableForward(op: PositionTableOp, x: Tensor, context: SeedContext): Tensor {
  const seed = context.tokens;
  if (!seed) throw new NotSimulable();
  const width = product(x.shape);
  if (x.data.length !== seed.sequences * seed.tokens * width) throw new NotSimulable();
  let table: Float32Array;
  if (op.fixed) {
    // A fixed table: the same rows for every seed, as the code computes them (sinusoidalTable.ts,
    // sinCos2dTable.ts: a 2-D table is added whole, one row per token).
    if (op.fixed.width !== width || (op.fixed.kind === 'sincos2d' ? seed.tokens !== op.fixed.rows : seed.tokens > op.fixed.rows)) throw new NotSimulable();
    table = op.fixed.kind === 'sincos2d' ? sinCos2dRows(op.fixed) : sinusoidalRows(op.fixed, seed.tokens);
  } else {
    if (!op.init) throw new NotSimulable();
    const rng = new Random(mixSeed(context.seedValue, 0x905, op.span.start));
    table = drawKernel(op.init, { fanIn: 1, fanOut: 1 }, { rows: seed.tokens, cols: width }, rng, context.checkpoint);
  }
  const y = new Float32Array(x.data.length);
  const rowLength = seed.tokens * width;
  for (let s = 0, at = 0; s < seed.sequences; s++) {
    for (let i = 0; i < rowLength; i++, at++) y[at] = x.data[at]! + table[i]!;
  }
  return { data: y, shape: x.shape };
}

/**
 * A class token in front of each sequence: one row drawn per seed by its init, the same for every
 * sequence (`cls_token.expand(b, -1, -1)`). Backward the gradient of the input's tokens is the
 * stream's at their rows (the class token's own row goes to the parameter).
 */
function classTokenForward(op: ClassTokenOp, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  const seed = context.tokens!;
  const width = product(x.shape);
  const before = seed.tokens - 1;
  if (x.data.length !== seed.sequences * before * width) throw new NotSimulable();
  const rng = new Random(mixSeed(context.seedValue, 0xc15, op.span.start));
  const row = drawKernel(op.init, { fanIn: 1, fanOut: 1 }, { rows: 1, cols: width }, rng, context.checkpoint);
  const y = new Float32Array(seed.sequences * seed.tokens * width);
  for (let s = 0; s < seed.sequences; s++) {
    y.set(row, s * seed.tokens * width);
    y.set(x.data.subarray(s * before * width, (s + 1) * before * width), (s * seed.tokens + 1) * width);
  }
  backs.push((g) => {
    const gIn = new Float32Array(x.data.length);
    for (let s = 0; s < seed.sequences; s++) gIn.set(g.subarray((s * seed.tokens + 1) * width, (s + 1) * seed.tokens * width), s * before * width);
    return gIn;
  });
  return { data: y, shape: x.shape };
}

/** Each sequence's tokens averaged, or its first token (ir.ts TokenPoolOp); backward every token receives g/n, or the first g. */
function tokenPoolForward(kind: TokenPoolOp['kind'], x: Tensor, seed: TokenSeed, backs: Backward[]): Tensor {
  const n = seed.tokens;
  const width = product(x.shape);
  if (x.data.length !== seed.sequences * n * width) throw new NotSimulable();
  const second = meanSquare(x.data);
  seed.beforeMean = second > 0 ? tokenCrossMoment(x.data, seed) / second : NaN;
  const y = new Float32Array(seed.sequences * width);
  if (kind === 'first') {
    for (let s = 0; s < seed.sequences; s++) y.set(x.data.subarray(s * n * width, (s * n + 1) * width), s * width);
    backs.push((g) => {
      const gIn = new Float32Array(x.data.length);
      for (let s = 0; s < seed.sequences; s++) gIn.set(g.subarray(s * width, (s + 1) * width), s * n * width);
      return gIn;
    });
    return { data: y, shape: x.shape };
  }
  const sum = new Float64Array(width);
  for (let s = 0; s < seed.sequences; s++) {
    sum.fill(0);
    for (let t = 0; t < n; t++) {
      const at = (s * n + t) * width;
      for (let e = 0; e < width; e++) sum[e]! += x.data[at + e]!;
    }
    for (let e = 0; e < width; e++) y[s * width + e] = sum[e]! / n;
  }
  backs.push((g) => {
    const gIn = new Float32Array(x.data.length);
    for (let s = 0; s < seed.sequences; s++) {
      for (let t = 0; t < n; t++) {
        const at = (s * n + t) * width;
        for (let e = 0; e < width; e++) gIn[at + e] = g[s * width + e]! / n;
      }
    }
    return gIn;
  });
  return { data: y, shape: x.shape };
}

function streamPoint(x: Float32Array, y: Float32Array, seed: TokenSeed): StreamMeasure {
  const point = { before: meanSquare(x), secondMoment: meanSquare(y), cross: tokenCrossMoment(y, seed), gradient: NaN, depth: seed.depth, ...(seed.inMemory ? { memory: true as const } : {}) };
  seed.stream.push(point);
  return point;
}

/**
 * The memory of an encoder–decoder network: the source tokens drawn (sequences × the memory's
 * tokens, correlated as the input), the encoder's ops run over them in a context of those rows,
 * and the result kept for the cross-attentions. Its backward step (before theirs on the tape,
 * so after them backward) carries their summed gradient back through the encoder.
 */
function memoryForward(op: MemoryOp, context: SeedContext, backs: Backward[]): void {
  const seed = context.tokens;
  if (!seed || seed.inMemory) throw new NotSimulable();
  const tokens = op.tokens ?? seed.tokens;
  const width = memoryWidth(op, context.network);
  const rowsCount = seed.sequences * tokens;
  const data = new Float32Array(rowsCount * width);
  context.rng.fillNormal(data);
  // The memory's stream points and attentions go to the seed's lists; the flag marks them.
  const memorySeed: TokenSeed = { ...seed, tokens, depth: 0, inMemory: true };
  if (context.memoryCorrelation > 0) correlateTokens(data, width, memorySeed, context.memoryCorrelation, context.rng);
  const inner: Backward[] = [];
  const memoryContext: SeedContext = { ...context, batch: rowsCount, tokens: memorySeed };
  // An encoder that looks up the source tokens (a Keras encoder–decoder's second keras.Input) draws its ids as a network's first lookup does.
  const lookup = op.body[0]?.op === 'layer' && op.body[0].kind === 'embedding';
  const rows = forward(op.body, lookup ? undefined : { data, shape: [width] }, memoryContext, inner, lookup);
  const measure: MemoryMeasure = {
    rows, tokens, gradient: new Float32Array(rows.data.length),
    secondMoment: meanSquare(rows.data), cross: tokenCrossMoment(rows.data, memorySeed), gradientM2: NaN, inputGradientM2: NaN,
  };
  seed.memory = measure;
  backs.push((g) => {
    measure.gradientM2 = meanSquare(measure.gradient);
    measure.inputGradientM2 = meanSquare(backward(inner, measure.gradient));
    return g;
  });
}

/** Width of the memory's input: its encoder's first layer reads it, or the first cross-attention's key. */
function memoryWidth(op: MemoryOp, network: Network): number {
  for (const inner of walkOps(op.body)) {
    if (inner.op === 'layer' && inner.fans) return inner.fans.fanIn;
    if (inner.op === 'attention' && inner.query.fans) return inner.query.fans.fanIn;
    if (inner.op === 'layer' || inner.op === 'attention') throw new NotSimulable();
  }
  for (const inner of walkOps(network.ops)) {
    if (inner.op === 'attention' && inner.crossAttention) {
      if (!inner.key.fans) throw new NotSimulable();
      return inner.key.fans.fanIn;
    }
  }
  throw new NotSimulable();
}

/** One attention over the rows' sequences (attentionMonteCarlo.ts); its projections are dense layers of this pass. */
function attentionOp(op: AttentionOp, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  const seed = context.tokens;
  if (!seed) throw new NotSimulable();
  const memory = op.crossAttention ? seed.memory : undefined;
  if (op.crossAttention && (!memory || seed.inMemory)) throw new NotSimulable();
  const memoryContext: SeedContext | undefined = memory ? { ...context, batch: seed.sequences * memory.tokens } : undefined;
  const run = attentionForward(op, x, {
    sequences: seed.sequences, tokens: seed.tokens, gemm: context.gemm, checkpoint: context.checkpoint,
    allocate: (length) => rowsArray(context, length),
    ...(context.kernels ? {
      multiplyBlocks: (a: Block, b: Block, transposed: boolean, c: Block) => context.kernels!.multiplyBlocks(
        a.rows, c.cols, a.cols, a.data, a.at, a.stride, b.data, b.at, b.stride, transposed, c.data, c.at, c.stride, context.checkpoint,
      ),
      softmax: (scores: Float32Array, weights: Float32Array, rows: number, n: number, m: number, causal: boolean, scale: number) =>
        context.kernels!.softmax(scores, weights, rows, n, m, causal, scale, context.checkpoint),
      softmaxBackward: (weights: Float32Array, gradient: Float32Array, rows: number, m: number, scale: number) =>
        context.kernels!.softmaxBackward(weights, gradient, rows, m, scale, context.checkpoint),
      multiplyHeads: (m: number, n: number, k: number, a: HeadBlocks, b: HeadBlocks, transposed: boolean, c: HeadBlocks) =>
        context.kernels!.multiplyHeads(seed.sequences, op.heads, m, n, k, a, b, transposed, c, context.checkpoint),
      axpy: (out: Float32Array, a: Float32Array, b: Float32Array, scale: number) => context.kernels!.axpy(out, a, b, scale),
      sum3: (out: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array) => context.kernels!.sum3(out, a, b, c),
      transposeBlocks: (from: Float32Array, to: Float32Array, blocks: number, n: number, m: number) =>
        context.kernels!.transposeBlocks(from, to, blocks, n, m, context.checkpoint),
      scope: <T>(run: () => T): T => {
        const mark = context.kernels!.mark();
        try {
          return run();
        } finally {
          context.kernels!.release(mark);
        }
      },
    } : {}),
    project: (layer, rows) => {
      const own: Backward[] = [];
      const out = denseForward(layer, rows, memory && rows === memory.rows ? memoryContext! : context, own);
      return { out, backward: own[0]! };
    },
    ...(memory ? { memory: { rows: memory.rows, tokens: memory.tokens } } : {}),
  });
  const inputM2 = meanSquare(x.data);
  const outputM2 = meanSquare(run.output.data);
  seed.attention.push({
    ...run.measure,
    inputCorrelation: tokenCrossMoment(x.data, seed) / inputM2,
    outputCorrelation: tokenCrossMoment(run.output.data, seed) / outputM2,
    ...(memory ? { memoryCorrelation: memory.cross / memory.secondMoment } : {}),
  });
  backs.push((g) => {
    const back = run.backward(g);
    if (memory && back.memory) {
      const sum = memory.gradient;
      for (let i = 0; i < sum.length; i++) sum[i]! += back.memory[i]!;
    }
    return back.input;
  });
  return run.output;
}

function knownActivation(use: ActivationUse | 'unknown'): Activation {
  if (use === 'unknown') throw new NotSimulable();
  return use;
}

/**
 * The layer whose draw this one uses: itself, or for a block of a copied stack the first block's
 * layer (WeightLayer.copyOf): every copy then holds the same weights and bias, as PyTorch's deepcopy.
 */
function drawIndex(layer: WeightLayer): number {
  return layer.copyOf ?? layer.index;
}

function layerRng(context: SeedContext, layer: WeightLayer): Random {
  // Each layer draws from its own stream: adding a layer does not reshuffle the others.
  return new Random(mixSeed(context.seedValue, 0x5eed, drawIndex(layer)));
}

/**
 * The layer's weights drawn into the engine's memory, where its products read them; the
 * elementwise draws in 64 Ki-value chunks, each from its own stream of the layer's seed
 * (kernelEngine.ts), so the numbers do not depend on how many threads drew them.
 */
function bulkDraw(context: SeedContext, layer: WeightLayer): BulkDraw | undefined {
  const kernels = context.kernels;
  if (!kernels) return undefined;
  const seed = mixSeed(context.seedValue, 0xb01c, drawIndex(layer));
  return {
    allocate: (count) => kernels.allocate(count),
    normal: (out, mean, std, low, high) => kernels.fillNormal(out, seed, mean, std, low, high, context.checkpoint),
    uniform: (out, low, high) => kernels.fillUniform(out, seed, low, high, context.checkpoint),
  };
}

function drawLayer(layer: WeightLayer, rows: number, cols: number, context: SeedContext): { weights: Float32Array; bias: Float32Array | undefined } {
  if (!layer.frameworkFans || !layer.init.semantics) throw new NotSimulable();
  const rng = layerRng(context, layer);
  const weights = drawKernel(layer.init.semantics, layer.frameworkFans, { rows, cols }, rng, context.checkpoint, bulkDraw(context, layer));
  let bias: Float32Array | undefined;
  if (layer.biasVariance > 0) {
    bias = new Float32Array(rows);
    rng.fillNormal(bias, 0, Math.sqrt(layer.biasVariance));
  }
  return { weights, bias };
}

/**
 * Applies the layer's fused activation to its pre-activations, records the forward
 * statistics and returns the output plus the backward closure's activation part.
 */
function finishLayer(
  layer: WeightLayer, x: Tensor, pre: Float32Array, shape: readonly number[], context: SeedContext, backs: Backward[],
  gradientAtInput: (gPre: Float32Array) => Float32Array,
): Tensor {
  const activation = knownActivation(layer.activation);
  const measure = context.measures[layer.index]!;
  measure.pre = meanSquare(pre);
  measure.input = x.data.length > 0 ? meanSquare(x.data) : NaN;
  // GELU: its derivative is computed with the output (one Φ and φ per element, not two) and kept instead of the pre-activations.
  const gelu = activation.name === 'gelu' && layer !== context.logits ? geluOf(pre, context) : undefined;
  const out = gelu ? gelu.out : applyActivation(activation, pre);
  const kept = gelu ? gelu.derivative : pre; // the backward closure holds only this
  context.step();
  backs.push((g) => {
    context.checkpoint();
    measure.gradOut = meanSquare(g);
    // GELU: g·GELU′ in place (g is this step's own: each backward step hands on a new array).
    const gPre = layer === context.logits ? g : gelu ? multiplyInPlace(g, kept) : activationGradient(activation, kept, g);
    const gIn = gradientAtInput(gPre);
    measure.gradIn = meanSquare(gIn);
    context.step();
    return gIn;
  });
  return { data: out, shape };
}

/** GELU and its derivative (geluFloat32.ts), on both of the engine's threads when `pre` is in its arena. */
function geluOf(pre: Float32Array, context: SeedContext): { out: Float32Array; derivative: Float32Array } {
  const kernels = context.kernels;
  if (kernels) {
    // The output over the pre-activations (measured already, not kept: finishLayer keeps the
    // derivative): GELU reads each value before it writes it, and GPT-2 small's MLPs keep
    // 72 MiB less, pages the arena would otherwise have to fault in.
    const derivative = kernels.allocate(pre.length);
    if (kernels.gelu(pre, pre, derivative, context.checkpoint)) return { out: pre, derivative };
  }
  return geluWithDerivative(pre);
}

/**
 * An array of activations the forward pass keeps: in the engine's arena when there is one (a
 * product then reads it in place, and writes its result there without a copy; the arena is let
 * go with the seed), otherwise on the heap. Its contents are the arena's leftovers: every value
 * must be written.
 */
function rowsArray(context: SeedContext, length: number): Float32Array {
  return context.kernels ? context.kernels.allocate(length) : new Float32Array(length);
}

/**
 * An array for a gradient of the backward pass: in the engine's arena inside a residual branch's
 * backward pass (let go of when the branch's gradient is summed), on the heap otherwise (the
 * arena keeps what it holds until the seed ends).
 */
function backwardArray(context: SeedContext, length: number): Float32Array {
  return context.kernels && context.backwardScopes.depth > 0 ? context.kernels.allocate(length) : new Float32Array(length);
}

function multiplyInPlace(a: Float32Array, b: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * b[i]!;
  return a;
}

function denseForward(layer: WeightLayer, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  const fans = layer.fans;
  if (!fans) throw new NotSimulable();
  const nIn = fans.fanIn;
  // A patch convolution over tokens (ir.ts patchTokens): each patch's dense map to the output channels, W as PyTorch
  // holds it flattened to (out_channels, in_channels·kernel), drawn with the convolution's own fans.
  const nOut = layer.patchTokens ? fans.fanOut / layer.receptiveField : fans.fanOut;
  if (!Number.isInteger(nOut)) throw new NotSimulable();
  if (product(x.shape) !== nIn) throw new NotSimulable();
  const { weights, bias } = drawLayer(layer, nOut, nIn, context);
  const batch = context.batch;
  const pre = rowsArray(context, batch * nOut);
  const kernels = context.kernels;
  if (kernels) kernels.timesTransposed(batch, nOut, nIn, x.data, weights, pre, context.checkpoint);
  else context.gemm(batch, nOut, nIn, x.data, transpose(weights, nOut, nIn), pre, context.checkpoint);
  if (bias) addBias(pre, bias, batch, nOut, 1);
  return finishLayer(layer, x, pre, [nOut], context, backs, (gPre) => {
    const gIn = backwardArray(context, batch * nIn);
    if (kernels) kernels.times(batch, nIn, nOut, gPre, weights, gIn, context.checkpoint);
    else context.gemm(batch, nIn, nOut, gPre, weights, gIn, context.checkpoint);
    return gIn;
  });
}

/** A recurrent layer over its sequence; the network sees h_T (recurrentMonteCarlo.ts). */
function recurrentForwardOp(layer: WeightLayer, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  let run: RecurrentRun;
  try {
    run = runRecurrent(layer, x.data, context.batch, layerRng(context, layer), context.gemm, context.checkpoint);
  } catch (error) {
    if (error instanceof RecurrentNotSimulable) throw new NotSimulable();
    throw error;
  }
  const measure = context.measures[layer.index]!;
  measure.pre = meanSquare(run.output);
  measure.input = meanSquare(x.data);
  let sum = 0;
  for (let i = 0; i < run.output.length; i++) sum += run.output[i]!;
  measure.through = { hidden: run.hiddenSecondMoment, grad: [], hiddenMean: sum / run.output.length };
  context.step();
  backs.push((g) => {
    context.checkpoint();
    measure.gradOut = meanSquare(g);
    const back = run.backward(g);
    measure.gradIn = meanSquare(back.inputGradient);
    measure.through!.grad = back.inputGradientSecondMoment;
    context.step();
    return back.inputGradient;
  });
  return { data: run.output, shape: [layer.recurrent!.hidden] };
}

/**
 * A convolution's channels and groups (a transposed one's as it runs: in → out). The groups are
 * the geometry's when stated, else PyTorch's count (true fan_out is per group, the framework's
 * is not); the channels follow from the true fans, (C/G)·∏k. Undefined for other layers.
 */
export function convChannels(layer: WeightLayer): { inChannels: number; outChannels: number; groups: number } | undefined {
  const fans = layer.fans;
  const frameworkFans = layer.frameworkFans;
  const geometry = layer.conv ?? layer.transposed?.adjoint;
  if (!fans || !frameworkFans || !geometry || !(layer.receptiveField > 0)) return undefined;
  const rf = layer.receptiveField;
  const groups = geometry.groups ?? (layer.transposed ? undefined : frameworkFans.fanOut / fans.fanOut);
  if (groups === undefined) return undefined;
  const inChannels = (fans.fanIn / rf) * groups;
  const outChannels = (fans.fanOut / rf) * groups;
  if (![outChannels, groups, inChannels].every((v) => Number.isInteger(v) && v > 0)) return undefined;
  return { inChannels, outChannels, groups };
}

/** The convolution's plan (conv.ts); for a transposed layer, the plan of the convolution it transposes. */
function planConv(layer: WeightLayer): ConvPlan {
  const channels = convChannels(layer);
  if (!channels) throw new NotSimulable();
  if (layer.transposed) {
    const adjoint = layer.transposed.adjoint;
    if (!adjoint) throw new NotSimulable();
    return convPlan(channels.outChannels, channels.inChannels, channels.groups, adjoint);
  }
  return convPlan(channels.inChannels, channels.outChannels, channels.groups, layer.conv!);
}

/** Pooling per channel (pool.ts); the input must be laid out as the op's geometry says. */
function poolOp(op: PoolOp, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  const channels = x.shape[0]!;
  if (x.shape.length !== op.geometry.inputSpatial.length + 1 || product(x.shape) !== channels * product(op.geometry.inputSpatial)) {
    throw new NotSimulable();
  }
  const run = poolForward(op, x.data, context.batch, channels, context.checkpoint);
  const measure = context.pools.get(op);
  if (measure) {
    measure.input = meanSquare(x.data);
    measure.output = meanSquare(run.output);
  }
  backs.push((g) => {
    const gIn = run.backward(g);
    if (measure) {
      measure.gradOut = meanSquare(g);
      measure.gradIn = meanSquare(gIn);
    }
    return gIn;
  });
  return { data: run.output, shape: op.flat ? [channels * product(op.geometry.outputSpatial)] : [channels, ...op.geometry.outputSpatial] };
}

function convForwardOp(layer: WeightLayer, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  if (layer.transposed) return transposedForwardOp(layer, x, context, backs);
  const plan = planConv(layer);
  const inSpatial = plan.inSize[0] * plan.inSize[1] * plan.inSize[2];
  if (x.shape[0] !== plan.inChannels || product(x.shape) !== plan.inChannels * inSpatial) throw new NotSimulable();
  const kc = (plan.inChannels / plan.groups) * layer.receptiveField;
  const { weights, bias } = drawLayer(layer, plan.outChannels, kc, context);
  const work = convWorkspace(plan);
  const batch = context.batch;
  const p = plan.outSize[0] * plan.outSize[1] * plan.outSize[2];
  const pre = new Float32Array(batch * plan.outChannels * p);
  convForward(plan, work, weights, x.data, pre, batch, context.gemm, context.checkpoint);
  if (bias) addBias(pre, bias, batch, plan.outChannels, p);
  const weightsT = transposeGroups(plan, weights);
  return finishLayer(layer, x, pre, [plan.outChannels, ...layer.conv!.outputSpatial], context, backs, (gPre) => {
    const gIn = new Float32Array(x.data.length);
    convBackward(plan, work, weightsT, gPre, gIn, batch, context.gemm, context.checkpoint);
    return gIn;
  });
}

/**
 * A transposed convolution is the gradient of the convolution it transposes (ir.ts
 * TransposedConv.adjoint): its forward pass is that convolution's backward product and its
 * backward pass that convolution's forward one. The weights are drawn in PyTorch's layout
 * (in, out/groups, k…), which is the transposed convolution's own [C_out, C_in/G, k…].
 */
function transposedForwardOp(layer: WeightLayer, x: Tensor, context: SeedContext, backs: Backward[]): Tensor {
  const plan = planConv(layer);
  const adjoint = layer.transposed!.adjoint!;
  const outSpatial = plan.inSize[0] * plan.inSize[1] * plan.inSize[2];
  const inSpatial = plan.outSize[0] * plan.outSize[1] * plan.outSize[2];
  if (x.shape[0] !== plan.outChannels || product(x.shape) !== plan.outChannels * inSpatial) throw new NotSimulable();
  const kc = (plan.inChannels / plan.groups) * layer.receptiveField;
  const { weights } = drawLayer(layer, plan.outChannels, kc, context);
  // The bias is per output channel of the layer: the plan's input channels.
  const bias = layer.biasVariance > 0 ? drawBias(layer, plan.inChannels, context) : undefined;
  const work = convWorkspace(plan);
  const batch = context.batch;
  const weightsT = transposeGroups(plan, weights);
  const pre = new Float32Array(batch * plan.inChannels * outSpatial);
  convBackward(plan, work, weightsT, x.data, pre, batch, context.gemm, context.checkpoint);
  if (bias) addBias(pre, bias, batch, plan.inChannels, outSpatial);
  return finishLayer(layer, x, pre, [plan.inChannels, ...adjoint.inputSpatial], context, backs, (gPre) => {
    const gIn = new Float32Array(x.data.length);
    convForward(plan, work, weights, gPre, gIn, batch, context.gemm, context.checkpoint);
    return gIn;
  });
}

/** A bias drawn N(0, σ_b²) from its own stream (a transposed conv's bias is not per row of its drawn weights). */
function drawBias(layer: WeightLayer, channels: number, context: SeedContext): Float32Array {
  const bias = new Float32Array(channels);
  new Random(mixSeed(context.seedValue, 0xb1a5, layer.index)).fillNormal(bias, 0, Math.sqrt(layer.biasVariance));
  return bias;
}

/**
 * A lookup table at the network's start: each sample is one token id, uniform over the
 * vocabulary. Only the rows looked up are drawn (a row is iid with the others for every
 * elementwise initializer); orthogonal tables are drawn whole. The gradient "at the input"
 * is the one with respect to the one-hot vector, (W·g) over the vocabulary, estimated on
 * the rows drawn (the analytic pass's fan_out·Var(W)·g).
 */
function embeddingForward(layer: WeightLayer, context: SeedContext, backs: Backward[]): Tensor {
  const fans = layer.fans;
  const frameworkFans = layer.frameworkFans;
  const semantics = layer.init.semantics;
  if (!fans || !frameworkFans || !semantics) throw new NotSimulable();
  const dim = fans.fanOut;
  const vocab = context.network.framework === 'keras' ? frameworkFans.fanIn : frameworkFans.fanOut;
  const batch = context.batch;
  const ids = new Int32Array(batch);
  for (let b = 0; b < batch; b++) ids[b] = context.rng.below(vocab);
  const rowsUsed = [...new Set(ids)];
  const rowOf = new Map<number, Float32Array>();
  if (semantics.kind === 'orthogonal') {
    if (vocab * dim > 1 << 22) throw new NotSimulable();
    const table = drawLayer(layer, vocab, dim, context).weights;
    for (const r of rowsUsed) rowOf.set(r, table.subarray(r * dim, (r + 1) * dim));
  } else {
    for (const r of rowsUsed) {
      const rng = new Random(mixSeed(context.seedValue, 0xe3b, drawIndex(layer), r));
      rowOf.set(r, drawKernel(semantics, frameworkFans, { rows: 1, cols: dim }, rng, context.checkpoint));
    }
  }
  const pre = new Float32Array(batch * dim);
  for (let b = 0; b < batch; b++) pre.set(rowOf.get(ids[b]!)!, b * dim);
  const rows = rowsUsed.map((r) => rowOf.get(r)!);
  const positionBackward = layer.positionEmbedding ? addPositionRows(layer.positionEmbedding, pre, dim, context) : undefined;
  return finishLayer(layer, { data: new Float32Array(0), shape: [] }, pre, [dim], context, backs, (gPre) => {
    positionBackward?.(gPre);
    // Mean over samples and drawn rows of (row · g_b)².
    let sum = 0;
    for (let b = 0; b < batch; b++) {
      context.checkpoint();
      for (const row of rows) {
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += row[d]! * gPre[b * dim + d]!;
        sum += dot * dot;
      }
    }
    const value = sum / (batch * rows.length);
    // The ids are not differentiable: hand back a one-element stand-in with the same mean square.
    return Float32Array.of(Math.sqrt(value));
  });
}

/**
 * GPT-2's `wte(idx) + wpe(torch.arange(T))`: rows 0…T−1 of the position table, drawn as the token
 * table's rows are, added to token t of every sequence. The table's measures are those the
 * analytic pass records for it (tokenStream.ts layerStep): its rows' second moment forward, and
 * backward the gradient with respect to its one-hot positions, (row · g)² over sequences and rows,
 * at the gradient of the sum (the returned function, which the token layer's backward calls).
 */
function addPositionRows(table: WeightLayer, pre: Float32Array, dim: number, context: SeedContext): (gPre: Float32Array) => void {
  const seed = context.tokens;
  const frameworkFans = table.frameworkFans;
  const semantics = table.init.semantics;
  if (!seed || !frameworkFans || !semantics || semantics.kind === 'orthogonal' || table.fans?.fanOut !== dim) throw new NotSimulable();
  const positions = seed.tokens;
  const rows = new Float32Array(positions * dim);
  for (let t = 0; t < positions; t++) {
    const rng = new Random(mixSeed(context.seedValue, 0xe3b, table.index, t));
    rows.set(drawKernel(semantics, frameworkFans, { rows: 1, cols: dim }, rng, context.checkpoint), t * dim);
  }
  for (let s = 0, at = 0; s < seed.sequences; s++) {
    for (let i = 0; i < rows.length; i++, at++) pre[at] = pre[at]! + rows[i]!;
  }
  const measure = context.measures[table.index]!;
  measure.pre = meanSquare(rows);
  measure.input = NaN;
  context.step();
  // Called by the token layer's backward with the gradient at the sum (at most 32 of the rows:
  // each is an independent draw, so a few estimate the mean as well as all of them).
  const sampled = Math.min(positions, 32);
  return (gPre) => {
    let sum = 0;
    for (let s = 0; s < seed.sequences; s++) {
      context.checkpoint();
      for (let t = 0; t < positions; t++) {
        const at = (s * positions + t) * dim;
        for (let r = 0; r < sampled; r++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += rows[r * dim + d]! * gPre[at + d]!;
          sum += dot * dot;
        }
      }
    }
    measure.gradIn = sum / (seed.sequences * positions * sampled);
    measure.gradOut = meanSquare(gPre);
    context.step();
  };
}

function addBias(pre: Float32Array, bias: Float32Array, batch: number, channels: number, positions: number): void {
  for (let b = 0, at = 0; b < batch; b++) {
    for (let c = 0; c < channels; c++) {
      const v = bias[c]!;
      for (let p = 0; p < positions; p++, at++) pre[at] = pre[at]! + v;
    }
  }
}

function applyActivation(activation: Activation, pre: Float32Array): Float32Array {
  if (activation.name === 'linear' || activation.name === 'softmax') return pre;
  if (activation.name === 'gelu') return geluForward(pre);
  const out = new Float32Array(pre.length);
  if (activation.name === 'relu') {
    for (let i = 0; i < pre.length; i++) out[i] = pre[i]! > 0 ? pre[i]! : 0;
    return out;
  }
  const fns = activationFunctions(activation);
  for (let i = 0; i < pre.length; i++) out[i] = fns.phi(pre[i]!);
  return out;
}

function activationGradient(activation: Activation, pre: Float32Array, g: Float32Array): Float32Array {
  if (activation.name === 'linear' || activation.name === 'softmax') return g;
  if (activation.name === 'gelu') return geluGradient(pre, g);
  const out = new Float32Array(g.length);
  if (activation.name === 'relu') {
    for (let i = 0; i < g.length; i++) out[i] = pre[i]! > 0 ? g[i]! : 0;
    return out;
  }
  const fns = activationFunctions(activation);
  for (let i = 0; i < g.length; i++) out[i] = g[i]! * fns.dphi(pre[i]!);
  return out;
}

function activationForward(activation: Activation, x: Tensor, backs: Backward[], isLogitsHead: boolean): Tensor {
  const out = applyActivation(activation, x.data);
  backs.push((g) => (isLogitsHead ? g : activationGradient(activation, x.data, g)));
  return { data: out, shape: x.shape };
}

/** LayerNorm: each sample's (token's) row of contiguous features is one group (normForward's formulas, direct loops). */
function layerNormRows(x: Tensor, rows: number, backs: Backward[], epsilon: number, xHat: Float32Array = new Float32Array(x.data.length), context?: SeedContext): Tensor {
  const width = x.data.length / rows;
  const kernels = context?.kernels;
  const checkpoint = context?.checkpoint ?? (() => {});
  // On both threads in WebAssembly (wasmRowKernels.ts layerNorm), the same numbers as the loops below.
  const rowInverse = kernels?.layerNorm(x.data, rows, xHat, epsilon, checkpoint);
  if (kernels && rowInverse) {
    backs.push((g) => {
      const out = backwardArray(context, g.length);
      if (!kernels.layerNormBackward(g, xHat, rowInverse, rows, out, checkpoint)) throw new Error('layerNormBackward declined its own forward rows');
      return out;
    });
    return { data: xHat, shape: x.shape };
  }
  const inverse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    const end = start + width;
    let sum = 0;
    let sumSq = 0;
    for (let i = start; i < end; i++) { const v = x.data[i]!; sum += v; sumSq += v * v; }
    const mean = sum / width;
    const inv = 1 / Math.sqrt(Math.max(0, sumSq / width - mean * mean) + epsilon);
    inverse[r] = inv;
    for (let i = start; i < end; i++) xHat[i] = (x.data[i]! - mean) * inv;
  }
  backs.push((g) => {
    const out = new Float32Array(g.length);
    for (let r = 0; r < rows; r++) {
      const start = r * width;
      const end = start + width;
      let sumG = 0;
      let sumGx = 0;
      for (let i = start; i < end; i++) { sumG += g[i]!; sumGx += g[i]! * xHat[i]!; }
      const meanG = sumG / width;
      const meanGx = sumGx / width;
      const inv = inverse[r]!;
      for (let i = start; i < end; i++) out[i] = (g[i]! - meanG - xHat[i]! * meanGx) * inv;
    }
    return out;
  });
  return { data: xHat, shape: x.shape };
}

/**
 * RMSNorm per row (Zhang & Sennrich 2019), γ = 1: y = x / √(mean(x²) + ε), as the transformer
 * oracle writes it. Backward: dx = (g − y·mean(g·y)) / rms.
 */
function rmsNormForward(x: Tensor, rows: number, backs: Backward[], epsilon: number): Tensor {
  const width = x.data.length / rows;
  const y = new Float32Array(x.data.length);
  const inverse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sumSq = 0;
    for (let i = r * width; i < (r + 1) * width; i++) sumSq += x.data[i]! * x.data[i]!;
    const inv = 1 / Math.sqrt(sumSq / width + epsilon);
    inverse[r] = inv;
    for (let i = r * width; i < (r + 1) * width; i++) y[i] = x.data[i]! * inv;
  }
  backs.push((g) => {
    const out = new Float32Array(g.length);
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let i = r * width; i < (r + 1) * width; i++) dot += g[i]! * y[i]!;
      const mean = dot / width;
      const inv = inverse[r]!;
      for (let i = r * width; i < (r + 1) * width; i++) out[i] = (g[i]! - y[i]! * mean) * inv;
    }
    return out;
  });
  return { data: y, shape: x.shape };
}

/**
 * Training-mode normalisation, γ = 1, β = 0. BatchNorm: per channel over batch and
 * positions; LayerNorm: per sample over all its features (layerNormRows). Backward (Ioffe &
 * Szegedy 2015): dx = (g − mean(g) − x̂·mean(g·x̂)) / σ over the same groups.
 */
function normForward(kind: 'batchnorm' | 'layernorm', x: Tensor, batch: number, backs: Backward[], epsilon: number): Tensor {
  if (kind === 'layernorm') return layerNormRows(x, batch, backs, epsilon);
  const channels = x.shape[0] ?? 1;
  const positions = product(x.shape.slice(1));
  const perSample = product(x.shape);
  // Group g's members: for BatchNorm channel c, every (sample, position).
  const groups = channels;
  const members = (group: number, visit: (at: number) => void) => {
    for (let b = 0; b < batch; b++) {
      const base = b * perSample + group * positions;
      for (let p = 0; p < positions; p++) visit(base + p);
    }
  };
  const count = batch * positions;
  const xHat = new Float32Array(x.data.length);
  const invStd = new Float64Array(groups);
  for (let gi = 0; gi < groups; gi++) {
    let sum = 0;
    let sumSq = 0;
    members(gi, (at) => { const v = x.data[at]!; sum += v; sumSq += v * v; });
    const mean = sum / count;
    const variance = Math.max(0, sumSq / count - mean * mean);
    const inv = 1 / Math.sqrt(variance + epsilon);
    invStd[gi] = inv;
    members(gi, (at) => { xHat[at] = (x.data[at]! - mean) * inv; });
  }
  backs.push((g) => {
    const out = new Float32Array(g.length);
    for (let gi = 0; gi < groups; gi++) {
      let sumG = 0;
      let sumGx = 0;
      members(gi, (at) => { sumG += g[at]!; sumGx += g[at]! * xHat[at]!; });
      const meanG = sumG / count;
      const meanGx = sumGx / count;
      const inv = invStd[gi]!;
      members(gi, (at) => { out[at] = (g[at]! - meanG - xHat[at]! * meanGx) * inv; });
    }
    return out;
  });
  return { data: xHat, shape: x.shape };
}

/**
 * Inverted dropout: keep with probability 1 − p, scale kept units by 1/(1 − p).
 * AlphaDropout (Klambauer et al. 2017, PyTorch's alpha_dropout): dropped units are set to
 * α′ = −λα, then a·x + b with a = ((1 − p)(1 + p·α′²))^(−1/2), b = −a·α′·p, which keeps
 * mean 0 and variance 1 for SELU activations; the gradient is a·mask.
 */
/** x ↦ c·x elementwise (ir.ts ScaleOp), in float32 as the framework multiplies; backward g ↦ c·g. */
function scaleForward(factor: number, x: Tensor, backs: Backward[]): Tensor {
  const c = Math.fround(factor);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! * c;
  backs.push((g) => {
    const gx = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) gx[i] = g[i]! * c;
    return gx;
  });
  return { data: out, shape: x.shape };
}

/**
 * Stochastic depth (ir.ts DropPathOp, timm's drop_path): each of the `samples` consecutive
 * blocks of x (a sample, or a sequence's rows) kept with probability 1 − p and scaled by
 * 1/(1 − p), or zeroed; backward the gradient the same.
 */
function dropPathForward(rate: number, x: Tensor, samples: number, rng: Random, backs: Backward[]): Tensor {
  const keep = 1 - rate;
  const size = x.data.length / samples;
  if (!(keep > 0) || !Number.isInteger(size)) throw new NotSimulable();
  const factors = new Float32Array(samples);
  for (let s = 0; s < samples; s++) factors[s] = rng.uniform() < keep ? Math.fround(1 / keep) : 0;
  const apply = (data: Float32Array): Float32Array => {
    const out = new Float32Array(data.length);
    for (let s = 0; s < samples; s++) {
      const f = factors[s]!;
      if (f !== 0) for (let i = s * size; i < (s + 1) * size; i++) out[i] = data[i]! * f;
    }
    return out;
  };
  backs.push(apply);
  return { data: apply(x.data), shape: x.shape };
}

function dropoutForward(rate: number, alpha: boolean, x: Tensor, rng: Random, backs: Backward[]): Tensor {
  const keep = 1 - rate;
  if (!(keep > 0)) throw new NotSimulable();
  const mask = new Uint8Array(x.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1 : 0;
  const out = new Float32Array(x.data.length);
  if (alpha) {
    const alphaPrime = -SELU_LAMBDA * SELU_ALPHA;
    const a = 1 / Math.sqrt(keep * (1 + rate * alphaPrime * alphaPrime));
    const b = -a * alphaPrime * rate;
    for (let i = 0; i < out.length; i++) out[i] = a * (mask[i] ? x.data[i]! : alphaPrime) + b;
    backs.push((g) => {
      const gx = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) gx[i] = mask[i] ? a * g[i]! : 0;
      return gx;
    });
  } else {
    const scale = 1 / keep;
    for (let i = 0; i < out.length; i++) out[i] = mask[i] ? x.data[i]! * scale : 0;
    backs.push((g) => {
      const gx = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) gx[i] = mask[i] ? g[i]! * scale : 0;
      return gx;
    });
  }
  return { data: out, shape: x.shape };
}

/**
 * Values from which meanSquare and tokenCrossMoment hand an array to the engine's WebAssembly
 * (the same numbers: wasmRowKernels.ts): below, copying it in costs more than it saves.
 */
const ENGINE_MIN_VALUES = 4096;

/** Mean of the squares, in float64: four running sums (one would wait on each addition's latency), added at the end. */
function meanSquare(values: Float32Array): number {
  const n = values.length;
  const engine = n >= ENGINE_MIN_VALUES ? kernelEngine() : undefined;
  if (engine) return engine.meanSquare(values);
  const n4 = n - (n % 4);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i < n4; i += 4) {
    const v0 = values[i]!, v1 = values[i + 1]!, v2 = values[i + 2]!, v3 = values[i + 3]!;
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  for (let i = n4; i < n; i++) s0 += values[i]! * values[i]!;
  return n > 0 ? ((s0 + s1) + (s2 + s3)) / n : NaN;
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}
