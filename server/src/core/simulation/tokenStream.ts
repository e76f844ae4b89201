/**
 * The analytic pass of a network that runs over the tokens of a sequence (it has attention,
 * or an RMSNorm): analytic.ts's length map, carried with a second quantity per token pair,
 * the cross moment c = E[x_i·x_k] of two distinct tokens, so the token correlation ρ = c/m
 * is known after every op and rank collapse shows as a number per layer (Noci et al. 2022).
 *
 *   weight layer   m′ = σ²m + b²,  c′ = σ²c + b²          (a bias is shared by the tokens)
 *   activation     m′ = E[φ(u)²],  c′ = E[φ(u)φ(u′)]      (dualKernel.ts)
 *   LayerNorm      m′ = q/(q+ε),  c′ = (c − μ²)/(q+ε),  q = m − μ²   (per-token centring and
 *                  scaling by √(Var + ε); the gradient's pair divided by q+ε)
 *   RMSNorm        m′ = m/(m+ε),  c′ = c/(m+ε)           (no centring; Zhang & Sennrich 2019)
 *   dropout        m′ = m/(1−p), c′ = c                    (masks differ between tokens)
 *   drop path      m′ = m/(1−p), c′ = c/(1−p)              (stochastic depth, training mode: one mask
 *                  per sequence, so both moments; the gradient's the same. The stream after the sum
 *                  is a mixture over the masks; the pass carries its averages, measured in
 *                  test/reference/droppath/droppath.json)
 *   factor a       m′ = a²m, c′ = a²c                      (`emb(idx) * math.sqrt(d)`; the gradient the same)
 *   residual       m′ = m + s²m_F,  c′ = c + s²c_F         (the branch ends in zero-mean weights)
 *   attention      attention.ts (cross-attention: keys and values from the memory)
 *   memory         the encoder: its ops run over the second input (m = 1, c = ρ_M) and the
 *                  result is the memory; backward, the gradients of every cross-attention are
 *                  summed (independent weights) and carried back through the encoder
 *   position table m′ = m + E[p²],  c′ = c                (ViT's `x + pos_embed`: independent
 *                  zero-mean elements, so no cross term and no correlation between positions)
 *   sinusoidal     m′ = m + 1/2,  c′ = c + E_{p≠q}⟨pe_p, pe_q⟩/d, and the rows' own means carried
 *                  for LayerNorm (a fixed table: sinusoidalTable.ts; a 2-D sin-cos table of a
 *                  grid of patches the same, over all its rows: sinCos2dTable.ts)
 *   token mean     m′ = (m + (n−1)c)/n                     (`x.mean(dim=1)`: one vector per sequence;
 *                  backward g/n to every token; `x[:, 0]`: m′ = m, backward g to that token only)
 *   class token    m′ = (E[t²] + n·m)/(n+1),  c′ = c·(n−1)/(n+1)   (one drawn token in front of
 *                  n: the averages over the n+1 tokens and their pairs; the class token is
 *                  independent of the others, so its pairs add nothing)
 * The gradient carries the same pair (its cotangent is iid, so it starts uncorrelated). The
 * residual stream, the token correlation and the gradient at every residual op are recorded
 * for the rules (IW402, IW403), hover and the signal report. BatchNorm, convolutions and
 * flatten have no token reading here: such a network is not simulated (undefined).
 */
import { type CancellationSignal, throwIfCancelled } from '../cancellation';
import type { Activation, AttentionOp, ClassTokenOp, MemoryOp, Network, Op, PositionTableOp, ResidualOp, WeightLayer } from '../ir';
import { attentionProjections, walkOps } from '../ir';
import { type AttentionStatistics, attentionPass, type MemoryMoments, projectionGains, type TokenMoments } from './attention';
import { dualDerivativeKernel, dualKernel } from './dualKernel';
import { derivativeSecondMoment, outputMean, outputSecondMoment } from './moments';
import { sinCos2dStatistics } from './sinCos2dTable';
import { sinusoidalStatistics } from './sinusoidalTable';
import type { LayerSimulation, NetworkSimulation, StreamMoments } from './types';

/**
 * Token correlation at which a stack counts as collapsed (IW403, the report's line). Uniform
 * attention hands on the mean token (correlation 1 − O(1/T)); 0.99 leaves 1% of the stream's
 * energy to tell tokens apart, and the gradient to queries and keys scales with it (attention.ts:
 * dq ∝ m − c).
 */
export const COLLAPSED_CORRELATION = 0.99;

/** Tokens per sequence when the code does not say (the hover and report say it was assumed). */
export const DEFAULT_TOKENS = 128;

/** The residual stream right after one residual op. */
export interface StreamPoint extends StreamMoments {
  readonly op: ResidualOp;
}

export interface AttentionPoint extends AttentionStatistics {
  readonly op: AttentionOp;
  /** Token correlation of the stream the attention's residual op hands on; undefined outside a residual. */
  readonly handsOn?: number;
}

export interface TokenStreamSimulation {
  readonly simulation: NetworkSimulation;
  readonly stream: readonly StreamPoint[];
  readonly attention: readonly AttentionPoint[];
  readonly tokens: number;
  readonly tokensAssumed: boolean;
  /** The code the count was read from (Network.tokensFrom), when it was read from Python. */
  readonly tokensFrom?: string;
  readonly inputCorrelation: number;
  readonly outputCorrelation: number;
  /** Encoder–decoder networks: the memory cross-attentions read, and the gradient they send it. */
  readonly memory?: MemoryResult;
}

export interface MemoryResult {
  readonly op: MemoryOp;
  readonly tokens: number;
  /** E[x²] and token correlation of the memory (the encoder's output). */
  readonly secondMoment: number;
  readonly correlation: number;
  /** E[g²] of the gradient at the memory, summed over every cross-attention. */
  readonly gradient: number;
  /** E[g²] at the second input (through the encoder). */
  readonly inputGradient: number;
}

export interface TokenStreamOptions {
  readonly gradientAtLogits?: boolean;
  /** Token correlation of the network input (default 0: distinct tokens are independent draws). */
  readonly inputCorrelation?: number;
  /** Token correlation of the memory's input (the source tokens; default 0). */
  readonly memoryCorrelation?: number;
}

/** True when the network runs over tokens: it has an attention or an RMSNorm. */
export function runsOverTokens(network: Network): boolean {
  for (const op of walkOps(network.ops)) {
    if (op.op === 'attention' || (op.op === 'norm' && op.kind === 'rmsnorm')) return true;
    // A position table means a sequence of tokens (and only this pass sums it on).
    if (op.op === 'layer' && op.positionEmbedding) return true;
    if (op.op === 'positionTable' || op.op === 'classToken' || op.op === 'tokenPool') return true;
  }
  return false;
}

class NotSimulable extends Error {}

/**
 * mu: the mean every element shares (an activation's E[φ]). nu2, nuc: what a fixed table adds to
 * the tokens' own means over their features, E_p[ν_p²] and E_{p≠q}[ν_p·ν_q] (sinusoidalTable.ts);
 * absent: 0. LayerNorm removes them per token; a layer's output no longer has them.
 */
interface State extends TokenMoments { readonly mu: number; readonly nu2?: number; readonly nuc?: number }

/**
 * The gradient backward: m and c are its averages over the tokens and over ordered token pairs
 * (what PyTorch's mean over a whole stream gradient measures). `first`, where the head read the
 * first token alone (`x[:, 0]`, ViT's `pool = 'cls'`), is that token's own E[g_0²]: it alone
 * receives the head's gradient, the residual stream carries it straight back to it, and the
 * other tokens receive only what attention mixes into them, so its row and theirs differ by up to
 * ×T. Every per-token op scales both alike; attention's value and key paths sum over the queries
 * (they read the averages and reach every token alike), its query path goes to each token's own
 * gradient (attentionStep). The pair moments stay one number: they start at 0 at the head
 * and every op adds or scales the class token's pairs and the others' alike.
 */
interface GradientMoments extends TokenMoments { readonly first?: number }
type Backward = (g: GradientMoments) => GradientMoments;

/** g with its moments times fm (second) and fc (cross); the first token's row as every token's. */
function scaled(g: GradientMoments, fm: number, fc: number): GradientMoments {
  return { m: g.m * fm, c: g.c * fc, ...(g.first === undefined ? {} : { first: g.first * fm }) };
}

interface MutableLayer { forwardVariance: number; gradientVariance: number; forwardFactor: number; backwardFactor: number }

interface Context {
  /** Tokens per sequence of the stream being run (the memory's own while its ops run). */
  tokens: number;
  readonly signal: CancellationSignal;
  readonly layers: MutableLayer[];
  readonly stream: (StreamPoint & { gradient: number })[];
  readonly attention: AttentionPoint[];
  readonly logits: Op | undefined;
  readonly memoryCorrelation: number;
  /** Set while the memory's own ops run: their residual points belong to the memory's stream. */
  inMemory: boolean;
  /** The token correlation a mean over the tokens (TokenPoolOp) read: the last the stream has. */
  correlationBeforeMean?: number;
  /** The memory the next cross-attentions read, and the gradient they have sent it so far. */
  memory?: { readonly moments: MemoryMoments; readonly gradient: { m: number; c: number }; result: MemoryResult };
}

const OUTPUT_HEADS = new Set(['sigmoid', 'softmax']);

function known(use: WeightLayer['activation']): Activation {
  if (use === 'unknown') throw new NotSimulable();
  return use;
}

function activate(activation: Activation, pre: TokenMoments): State {
  if (activation.name === 'linear') return { ...pre, mu: 0 };
  return {
    m: outputSecondMoment(activation, pre.m),
    c: dualKernel(activation, pre.m, pre.c),
    mu: outputMean(activation, pre.m),
  };
}

function activationBackward(activation: Activation, pre: TokenMoments, g: GradientMoments, atLogits: boolean): GradientMoments {
  if (atLogits || activation.name === 'linear') return g;
  return scaled(g, derivativeSecondMoment(activation, pre.m), dualDerivativeKernel(activation, pre.m, pre.c));
}

function layerStep(layer: WeightLayer, x: State, context: Context, tape: Backward[]): State {
  if (layer.kind !== 'dense' && layer.kind !== 'embedding' && !layer.patchTokens) throw new NotSimulable();
  const gains = patchAware(projectionGains(layer), layer);
  if (!gains) throw new NotSimulable();
  // A learned position table summed on (GPT-2's wte + wpe): one independent row per position,
  // so it adds Var(wpe) to every token's second moment and nothing to the cross moment.
  const position = layer.positionEmbedding ? projectionGains(layer.positionEmbedding) : undefined;
  if (layer.positionEmbedding && !position) throw new NotSimulable();
  const added = position ? position.forward + position.bias : 0;
  const pre = { m: gains.forward * x.m + gains.bias + added, c: gains.forward * x.c + gains.bias };
  const activation = known(layer.activation);
  const record = context.layers[layer.index]!;
  const positionRecord = layer.positionEmbedding ? context.layers[layer.positionEmbedding.index]! : undefined;
  if (positionRecord) {
    positionRecord.forwardVariance = added;
    positionRecord.forwardFactor = NaN;
  }
  record.forwardVariance = pre.m;
  record.forwardFactor = x.m > 0 ? pre.m / x.m : NaN;
  const atLogits = layer === context.logits;
  tape.push((g) => {
    const gPre = activationBackward(activation, pre, g, atLogits);
    const gIn = scaled(gPre, gains.backward, gains.backward);
    record.gradientVariance = gIn.m;
    record.backwardFactor = g.m > 0 ? gIn.m / g.m : NaN;
    if (positionRecord && position) {
      positionRecord.gradientVariance = position.backward * gPre.m;
      positionRecord.backwardFactor = g.m > 0 ? positionRecord.gradientVariance / g.m : NaN;
    }
    return gIn;
  });
  return activate(activation, pre);
}

function attentionStep(op: AttentionOp, x: State, context: Context, tape: Backward[]): State {
  const memory = op.crossAttention ? context.memory : undefined;
  if (op.crossAttention && (!memory || context.inMemory)) throw new NotSimulable();
  const pass = attentionPass(op, x, context.tokens, memory?.moments);
  if (!pass) throw new NotSimulable();
  const point: AttentionPoint = { op, ...pass.statistics };
  context.attention.push(point);
  // Without an output projection (ir.ts AttentionOp.output) the fourth entry has no layer to record.
  const layers = attentionProjections(op);
  const keyInput = memory ? memory.moments.m : x.m;
  layers.forEach((layer, i) => {
    const record = context.layers[layer.index]!;
    record.forwardVariance = pass.projections[i]!;
    const from = i === 3 ? pass.projections[2] : i === 0 ? x.m : keyInput;
    record.forwardFactor = from > 0 ? pass.projections[i]! / from : NaN;
  });
  tape.push((g) => {
    const back = pass.backward(g);
    if (memory && back.memory) {
      memory.gradient.m += back.memory.m;
      memory.gradient.c += back.memory.c;
    }
    layers.forEach((layer, i) => {
      const record = context.layers[layer.index]!;
      record.gradientVariance = back.projections[i]!;
      record.backwardFactor = g.m > 0 ? back.projections[i]! / g.m : NaN;
    });
    if (g.first === undefined) return back.input;
    // The value and key paths sum over the queries and reach every token alike; the query path
    // (projections[0], linear in the cotangent) goes to each token's own gradient.
    const own = g.m > 0 ? g.first / g.m : 1;
    return { ...back.input, first: back.input.m + back.projections[0] * (own - 1) };
  });
  return { ...pass.output, mu: 0 };
}

/**
 * A patch convolution read over tokens (ir.ts patchTokens) is each patch's dense map: forward
 * fanIn·Var(W) as any layer; backward each input pixel reaches the output channels of one
 * token, fanOut/strideProduct of them (kernel = stride).
 */
function patchAware(gains: ReturnType<typeof projectionGains>, layer: WeightLayer): ReturnType<typeof projectionGains> {
  return gains && layer.patchTokens ? { ...gains, backward: gains.backward / layer.strideProduct } : gains;
}

function run(ops: readonly Op[], input: State, context: Context, tape: Backward[], depth: number): State {
  let x = input;
  for (const op of ops) {
    throwIfCancelled(context.signal);
    switch (op.op) {
      case 'layer':
        x = layerStep(op, x, context, tape);
        break;
      case 'activation': {
        const pre = { m: x.m, c: x.c };
        const atLogits = op === context.logits;
        tape.push((g) => activationBackward(op.activation, pre, g, atLogits));
        x = activate(op.activation, pre);
        break;
      }
      case 'norm': {
        if (op.kind === 'batchnorm' || op.epsilon === 'unknown') throw new NotSimulable();
        // LayerNorm subtracts each token's own mean: the shared one, and a fixed table's per token.
        const layer = op.kind === 'layernorm';
        const centre = layer ? x.mu * x.mu + (x.nu2 ?? 0) : 0;
        const centreCross = layer ? x.mu * x.mu + (x.nuc ?? 0) : 0;
        const scale = x.m - centre;
        if (!(scale > 0)) throw new NotSimulable();
        // x̂ = (x − x̄)/√(v + ε), v the token's own variance over its d features, q in the wide
        // limit: E[x̂²] = q/(q + ε). Backward the Jacobian (I − 11ᵀ/d − x̂x̂ᵀ/d)/√(v + ε) passes
        // E[g²]/(q + ε) (the two projections take O(1/d)). Keras's ε = 1e-3 on its ±0.05
        // embeddings (q ≈ 1.7e-3) leaves 0.63 (test/reference/transformer/keras_cross_attention).
        const divisor = scale + op.epsilon;
        tape.push((g) => scaled(g, 1 / divisor, 1 / divisor));
        // RMSNorm keeps the means, divided as every element is.
        const m = scale / divisor;
        x = layer || (x.nu2 ?? 0) === 0 ? { m, c: (x.c - centreCross) / divisor, mu: 0 } : { m, c: x.c / divisor, mu: 0, nu2: x.nu2! / divisor, nuc: x.nuc! / divisor };
        break;
      }
      case 'dropout': {
        const keep = op.alpha ? 1 : 1 - op.rate;
        if (!(keep > 0)) throw new NotSimulable();
        tape.push((g) => scaled(g, 1 / keep, 1));
        x = { ...x, m: x.m / keep };
        break;
      }
      case 'dropPath': {
        // One Bernoulli(1−p)/(1−p) factor per sequence (ir.ts DropPathOp): every moment within the
        // sequence times 1/(1−p), the mean over sequences kept. A mean the elements share would
        // no longer be the same in every sequence (LayerNorm's centring reads it): not simulated.
        const keep = 1 - op.rate;
        if (!(keep > 0) || (op.rate > 0 && (x.mu !== 0 || (x.nu2 ?? 0) !== 0))) throw new NotSimulable();
        if (op.rate === 0) break;
        tape.push((g) => scaled(g, 1 / keep, 1 / keep));
        x = { m: x.m / keep, c: x.c / keep, mu: 0 };
        break;
      }
      case 'scale': {
        // Every element times c: both moments (and a fixed table's means, squared) times c².
        const c = op.factor;
        const c2 = c * c;
        tape.push((g) => scaled(g, c2, c2));
        x = { m: x.m * c2, c: x.c * c2, mu: x.mu * c, ...(x.nu2 === undefined ? {} : { nu2: x.nu2 * c2, nuc: x.nuc! * c2 }) };
        break;
      }
      case 'flatten':
        throw new NotSimulable();
      case 'pool':
        // Pooling over tokens (Keras GlobalAveragePooling1D before a head): not followed, as before it was an op.
        break;
      case 'attention':
        x = attentionStep(op, x, context, tape);
        break;
      case 'residual':
        x = residualStep(op, x, context, tape, depth);
        break;
      case 'memory':
        memoryStep(op, context, tape);
        break;
      case 'positionTable':
        x = positionTableStep(op, x, context, tape, depth);
        break;
      case 'classToken':
        x = classTokenStep(op, x, context, tape, depth);
        break;
      case 'tokenPool':
        x = tokenPoolStep(op.kind, x, context, tape, depth);
        break;
    }
  }
  return x;
}

/**
 * Runs the encoder over the second input and keeps its output as the memory. On the tape, the
 * step comes before every cross-attention that reads it, so backward it runs after all of them
 * and carries their summed gradient back through the encoder.
 */
function memoryStep(op: MemoryOp, context: Context, tape: Backward[]): void {
  if (context.inMemory) throw new NotSimulable();
  const inner: Backward[] = [];
  const tokens = op.tokens ?? context.tokens;
  const streamTokens = context.tokens;
  context.inMemory = true;
  context.tokens = tokens;
  const out = run(op.body, { m: 1, c: context.memoryCorrelation, mu: 0 }, context, inner, 0);
  context.inMemory = false;
  context.tokens = streamTokens;
  if (!(out.m > 0) || tokens < 1) throw new NotSimulable();
  const result: MemoryResult = { op, tokens, secondMoment: out.m, correlation: out.c / out.m, gradient: NaN, inputGradient: NaN };
  const memory = { moments: { m: out.m, c: out.c, tokens }, gradient: { m: 0, c: 0 }, result };
  context.memory = memory;
  tape.push((g) => {
    let back: TokenMoments = { m: memory.gradient.m, c: memory.gradient.c };
    for (let i = inner.length - 1; i >= 0; i--) back = inner[i]!(back);
    memory.result = { ...memory.result, gradient: memory.gradient.m, inputGradient: back.m };
    return g;
  });
}

/**
 * One drawn token put in front of the n tokens of each sequence (ViT's class token). The pass
 * carries averages over tokens: the new token's second moment enters the mean with weight
 * 1/(n+1), and of the (n+1)·n ordered pairs only the n·(n−1) among the old tokens have a cross
 * moment (the class token is independent of the input and zero-mean). Tokens are then no longer
 * exchangeable; the later ops see the averages (an approximation, measured in
 * test/reference/transformer/vit_position.json). Backward the other tokens receive the stream's
 * gradient; where the head read the class token alone (GradientMoments.first), theirs is the
 * average without its row: (T·m − first)/(T − 1).
 */
function classTokenStep(op: ClassTokenOp, x: State, context: Context, tape: Backward[], depth: number): State {
  if (depth !== 0 || context.inMemory || x.mu !== 0 || (x.nu2 ?? 0) !== 0) throw new NotSimulable();
  const n = context.tokens;
  const total = n + 1;
  context.tokens = total;
  tape.push((g) => (g.first === undefined ? g : { m: Math.max(0, total * g.m - g.first) / n, c: g.c }));
  return { m: (op.secondMoment + n * x.m) / total, c: (x.c * (n - 1)) / total, mu: 0 };
}

/**
 * One vector per sequence from its n tokens (ir.ts TokenPoolOp); the pass goes on with one token
 * (no pairs, c′ = m′). The mean: E[x̄²] = (m + (n−1)·c)/n, and backward each token receives the
 * same g/n: E[g²]/n² for every token and every pair. The first token (a class token; the tokens'
 * averages stand for it, exact after a LayerNorm): m′ = m, and backward only it receives g:
 * E[g²]/n over the tokens, no cross moment, and its own row E[g²] carried apart (GradientMoments). A fixed table's per-token means would need their own
 * treatment: not simulated then, nor inside a branch.
 */
function tokenPoolStep(kind: 'mean' | 'first', x: State, context: Context, tape: Backward[], depth: number): State {
  if (depth !== 0 || context.inMemory || (x.nu2 ?? 0) !== 0 || context.tokens < 1) throw new NotSimulable();
  const n = context.tokens;
  const m = kind === 'mean' ? (x.m + (n - 1) * x.c) / n : x.m;
  context.tokens = 1;
  context.correlationBeforeMean = x.m > 0 ? x.c / x.m : 1;
  tape.push(kind === 'mean' ? (g) => ({ m: g.m / (n * n), c: g.m / (n * n) }) : (g) => ({ m: g.m / n, c: 0, first: g.m }));
  return { m, c: m, mu: x.mu };
}

/**
 * A drawn table is independent of the signal and zero-mean: its square adds, its pairs add
 * nothing. A fixed sinusoidal table (ir.ts SinusoidalTable) is a constant: its mean square adds,
 * its rows' mean cross product adds to the tokens' cross moment, and its rows' own means are
 * carried for LayerNorm (over the stream's tokens; an approximation where they differ per token).
 * The signal must have no mean of its own then. Backward the gradient passes unchanged.
 */
function positionTableStep(op: PositionTableOp, x: State, context: Context, tape: Backward[], depth: number): State {
  tape.push((g) => g);
  if (!op.fixed) return { ...x, m: x.m + op.secondMoment };
  if (depth !== 0 || context.inMemory || x.mu !== 0 || (x.nu2 ?? 0) !== 0 || context.tokens < 2 || context.tokens > op.fixed.rows) throw new NotSimulable();
  // A 2-D table (sinCos2dTable.ts) is added whole: one row per token, all of them.
  if (op.fixed.kind === 'sincos2d' && context.tokens !== op.fixed.rows) throw new NotSimulable();
  const table = op.fixed.kind === 'sincos2d' ? sinCos2dStatistics(op.fixed) : sinusoidalStatistics(op.fixed, context.tokens);
  return { m: x.m + table.secondMoment, c: x.c + table.cross, mu: 0, nu2: table.meanSquare, nuc: table.meanCross };
}

function residualStep(op: ResidualOp, x: State, context: Context, tape: Backward[], depth: number): State {
  // A projection shortcut over tokens (a width change between stages) is not read: no token reading.
  if (op.shortcut) throw new NotSimulable();
  const inner: Backward[] = [];
  const firstAttention = context.attention.length;
  const branch = run(op.body, x, context, inner, depth + 1);
  const s2 = op.scale * op.scale;
  const cross = 2 * op.scale * x.mu * branch.mu;
  // A fixed table's per-token means stay in the stream (the branch's output has none).
  const means = x.nu2 ? { nu2: x.nu2, nuc: x.nuc! } : {};
  const out: State = { m: x.m + s2 * branch.m + cross, c: x.c + s2 * branch.c + cross, mu: x.mu + op.scale * branch.mu, ...means };
  const correlation = out.m > 0 ? out.c / out.m : 1;
  // The correlation this residual hands on is what an attention inside it passes to the next block.
  for (let i = firstAttention; i < context.attention.length; i++) {
    if (context.attention[i]!.handsOn === undefined) context.attention[i] = { ...context.attention[i]!, handsOn: correlation };
  }
  const point = { op, before: x.m, secondMoment: out.m, correlation, gradient: NaN, depth, ...(context.inMemory ? { memory: true as const } : {}) };
  context.stream.push(point);
  tape.push((g) => {
    let through = scaled(g, s2, s2);
    for (let i = inner.length - 1; i >= 0; i--) through = inner[i]!(through);
    const first = g.first === undefined ? {} : { first: g.first + (through.first ?? through.m) };
    const gIn = { m: g.m + through.m, c: g.c + through.c, ...first };
    point.gradient = gIn.m;
    return gIn;
  });
  return out;
}

function outputHead(ops: readonly Op[]): Op | undefined {
  const last = ops[ops.length - 1];
  if (last?.op === 'activation' && OUTPUT_HEADS.has(last.activation.name)) return last;
  if (last?.op === 'layer' && last.activation !== 'unknown' && OUTPUT_HEADS.has(last.activation.name)) return last;
  return undefined;
}

/** Class tokens at the top of the stream (0 or 1); undefined where one is anywhere else or there are several. */
function countClassTokens(ops: readonly Op[]): number | undefined {
  let top = 0;
  let all = 0;
  for (const op of ops) if (op.op === 'classToken') top++;
  for (const op of walkOps(ops)) if (op.op === 'classToken') all++;
  return all === top && top <= 1 ? top : undefined;
}

/** Results per network and options: the analytic pass, the rules and hover all ask for the same one. */
const MEMO = new WeakMap<Network, Map<string, TokenStreamSimulation | undefined>>();

/** The token-stream pass; undefined when an op has no token reading or a width or init is unknown. */
export function simulateTokenStream(network: Network, signal: CancellationSignal, options: TokenStreamOptions = {}): TokenStreamSimulation | undefined {
  const key = `${options.gradientAtLogits !== false}|${options.inputCorrelation ?? 0}|${options.memoryCorrelation ?? 0}`;
  let memo = MEMO.get(network);
  if (memo?.has(key)) return memo.get(key);
  const result = computeTokenStream(network, signal, options);
  if (!memo) MEMO.set(network, (memo = new Map<string, TokenStreamSimulation | undefined>()));
  memo.set(key, result);
  return result;
}

function computeTokenStream(network: Network, signal: CancellationSignal, options: TokenStreamOptions): TokenStreamSimulation | undefined {
  // Copied blocks (Network.monteCarloOnly): independent draws per block would not be the network built.
  if (network.layers.length === 0 || network.unsimulable !== undefined || network.monteCarloOnly !== undefined) return undefined;
  if (network.layers.some((layer) => layer.consumer === 'unknown')) return undefined;
  const tokens = network.tokens ?? DEFAULT_TOKENS;
  // A class token is put in front of the input's tokens: before it, the sequence is one shorter.
  const classTokens = countClassTokens(network.ops);
  if (classTokens === undefined || (classTokens > 0 && tokens - classTokens < 1)) return undefined;
  const context: Context = {
    tokens: tokens - classTokens, signal,
    layers: network.layers.map(() => ({ forwardVariance: NaN, gradientVariance: NaN, forwardFactor: NaN, backwardFactor: NaN })),
    stream: [], attention: [],
    logits: options.gradientAtLogits === false ? undefined : outputHead(network.ops),
    memoryCorrelation: options.memoryCorrelation ?? 0, inMemory: false,
  };
  try {
    const tape: Backward[] = [];
    const rho0 = options.inputCorrelation ?? 0;
    const out = run(network.ops, { m: 1, c: rho0, mu: 0 }, context, tape, 0);
    let g: TokenMoments = { m: 1, c: 0 };
    for (let i = tape.length - 1; i >= 0; i--) {
      throwIfCancelled(signal);
      g = tape[i]!(g);
    }
    const layers: LayerSimulation[] = context.layers;
    return {
      simulation: { method: 'analytic', layers, outputVariance: out.m, inputGradientVariance: g.m },
      stream: context.stream,
      attention: context.attention,
      tokens,
      tokensAssumed: network.tokens === undefined,
      ...(network.tokens !== undefined && network.tokensFrom !== undefined ? { tokensFrom: network.tokensFrom } : {}),
      inputCorrelation: rho0,
      outputCorrelation: context.correlationBeforeMean ?? (out.m > 0 ? out.c / out.m : 1),
      ...(context.memory ? { memory: context.memory.result } : {}),
    };
  } catch (error) {
    if (error instanceof NotSimulable) return undefined;
    throw error;
  }
}
