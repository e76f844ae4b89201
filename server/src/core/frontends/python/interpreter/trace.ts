/**
 * Builds a network from what the model code does to a tensor, in evaluation order:
 * layers, activations, normalisation, dropout, flattening, residual sums. Data flow
 * decides each layer's consumer (the activation its output reaches, past normalisation
 * and dropout), which layers end a branch (their output feeds a sum or the model's
 * output), and the op sequence the simulation runs. Whatever is not understood (a call
 * to an unknown function, a concatenation) makes the consumers it hides unknown.
 */
import type {
  MemoryOp, PositionTableOp, ClassTokenOp, ScaleOp, TokenPoolOp,
  IdenticalBlocks, ActivationUse, AttentionOp, DropoutOp, DropPathOp, Network, NormOp, Op, PoolOp, WeightLayer,
} from '../../../ir';
import type { Span } from '../../../text';
import type { TextEdit } from '../../../findings';
import { isPositivelyHomogeneous } from '../../../knowledge/activations';
import { attentionProjections, walkOps } from '../../../ir';
import { appendAll } from '../../../util/arrays';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type MutableWeightLayer = Mutable<WeightLayer>;

/** A layer before data flow has decided its index, consumer and branch position. */
export type LayerDraft = Omit<WeightLayer, 'index' | 'consumer' | 'normalizedBeforeActivation' | 'isLastInBranch'>;

/** A position table's rows (`num_embeddings`) and the code that states them (`config.block_size`). */
export interface PositionRows {
  readonly count: number;
  readonly text: string;
}

export interface Chain {
  readonly op: Op;
  readonly parent: Chain | undefined;
  readonly depth: number;
}

/**
 * Both sides' pending layers, each (layer, normalized) once. `x = x + norm(x)` hands the same
 * pending layer on from both sides; kept twice, a loop of such blocks doubles the list every
 * pass (2^32 entries for 32 blocks: the analysis ran out of memory). Entries with the same
 * layer and flag are resolved identically, so dropping the repeats changes nothing else.
 */
/**
 * `{ ...input, ...fields }`: the same keys in the same order with the same values. Written as a
 * spread literal with properties after the spread, V8 (Node 20) took a slow path for every
 * object made (~100× Object.assign: Trace.norm and activation alone were ~3% of a from-scratch
 * analysis of the 3,500-line benchmark file; issue 16).
 */
function extended(input: Tensor, fields: Partial<Tensor>): Tensor {
  // A statistic of a hand-written norm (handNorm.ts) is one only as made: any step on it is not the norm's.
  return input.normStep === undefined || 'normStep' in fields ? Object.assign({}, input, fields) : Object.assign({}, input, fields, { normStep: undefined });
}

export function joinPending(a: readonly Pending[], b: readonly Pending[]): Pending[] {
  const joined = [...a];
  for (const p of b) if (!joined.some((q) => q.layer === p.layer && q.normalized === p.normalized)) joined.push(p);
  return joined;
}

export interface Pending {
  readonly layer: MutableWeightLayer;
  readonly normalized: boolean;
  /**
   * Layers that feed this one with nothing in between, inside one framework layer (a
   * SeparableConv's depthwise kernel before its pointwise one): a normalisation after this
   * layer normalises them too.
   */
  readonly linked?: readonly MutableWeightLayer[];
}

/** What the analysis knows about one tensor value of the model code. */
export interface Tensor {
  readonly chain: Chain | undefined;
  /** Linear layer outputs that reach this value without passing a nonlinearity yet. */
  readonly pending: readonly Pending[];
  /** Shape without the batch axis (features last for Keras/Flax), when known. */
  readonly shape: readonly number[] | undefined;
  /** Something not understood happened on the way: the op sequence is incomplete. */
  readonly broken: boolean;
  /** The weight layers whose output reaches this value with no other weight layer in between. */
  readonly sources: readonly MutableWeightLayer[];
  /**
   * When `broken`: the chain position at which the value's history stopped being fully
   * recorded (undefined: from the start). The steps after it are all in the chain, so a
   * residual branch that begins later is still known step by step.
   */
  readonly brokenAt?: Chain | undefined;
  /** Why it is unknown, where a step the trace does not follow said so (unfollowed), carried through residual sums. */
  readonly whyBroken?: string;
  /** Layers whose activation is the last step that set this value's scale (a norm next resets it). */
  readonly activated?: readonly MutableWeightLayer[];
  /** The activation that produced `activated` is positively homogeneous (φ(c·x) = c·φ(x), c > 0). */
  readonly homogeneous?: boolean;
  /**
   * Layers whose weight scale reaches this value only as a positive factor, at most one
   * bias-free layer back: the layer that made it (bias-free at initialisation), and the one
   * before it when a positively homogeneous activation (ReLU, leaky ReLU) sits between. A
   * norm next makes their scale irrelevant (DCGAN's discriminator: Conv → LeakyReLU →
   * Conv(bias=False) → BatchNorm). Further back the scale still shapes how the layers in
   * between learn, so it is judged.
   */
  readonly scaleFree?: readonly MutableWeightLayer[];
  /** The layers of the residual branch this value is the sum of (a norm next is post-LN). */
  readonly branchLayers?: readonly MutableWeightLayer[];
  /** Where this value stands in a hand-written attention (attentionTrace.ts). */
  readonly attn?: AttentionPart;
  /**
   * Token positions `torch.arange(…)` (through reshapes): an embedding looked up with them is a
   * learned position table (positionLookup). Anything else fed with them is unknown (broken).
   */
  readonly positions?: true;
  /**
   * A per-token mask of the input's tokens (`source != 0`, a Keras padding mask: kerasTokens.ts),
   * through subscripts and casts. Given as an attention's mask it removes padded keys, which a
   * sequence whose tokens are all real (what the simulation runs) does not have; fed to anything
   * else the result is unknown (broken).
   */
  readonly tokenMask?: true;
  /**
   * A step of a hand-written LayerNorm/RMSNorm (handNorm.ts): this value is a statistic of
   * another (its mean, square, variance, root), unknown to anything but the next step.
   */
  readonly normStep?: NormStep;
}

/** What a statistic value is: a step of a hand-written norm of `of` (handNorm.ts). */
export type NormStep =
  /** mean(of, axis, keepdim=True) */
  | { readonly stage: 'mean'; readonly of: Tensor; readonly axis: number }
  /** of − mean(of, axis) */
  | { readonly stage: 'centred'; readonly of: Tensor; readonly axis: number }
  /** of², or (of − mean(of, axis))² when `centredAxis` is set */
  | { readonly stage: 'square'; readonly of: Tensor; readonly centredAxis: number | undefined }
  /**
   * The mean of the square over `axis` (the variance when centred), with an epsilon added
   * (`eps`: its folded value, squared where added to the root, `unread` for the module's attribute whose value is not folded),
   * its root taken (`root`). `factor`: the moment's root is `factor` times the norm's divisor
   * (Bessel's correction √(d/(d−1)), an L2 norm's √d), as a function of the width.
   */
  | {
    readonly stage: 'moment'; readonly of: Tensor; readonly axis: number; readonly centred: boolean;
    readonly eps: number | 'unread' | undefined; readonly root: 'none' | 'sqrt' | 'rsqrt'; readonly factor: 'none' | 'bessel' | 'sum';
  };

/**
 * One of q, k, v of a hand-written attention as the code reshapes it. Axes after the batch:
 * `tc` tokens × features (before a head split, or one head), `ct` its transpose, `thd` split
 * into heads, `htd` heads first, `hdt` heads first with the last two axes swapped (a key
 * ready for q @ kᵀ).
 */
export interface ProjectionPart {
  readonly layer: MutableWeightLayer;
  /** The value the projection read (self-attention: q, k and v read the same one). */
  readonly source: Chain | undefined;
  readonly broken: boolean;
  readonly brokenAt?: Chain | undefined;
  readonly pending: readonly Pending[];
  readonly layout: 'tc' | 'ct' | 'thd' | 'htd' | 'hdt';
  readonly heads: number;
  readonly headDim: number;
  /** Constant factors the projection was multiplied by (timm's `q = q * self.scale`). */
  readonly factor: number;
  readonly factorSpans: readonly Span[];
}

/** q·kᵀ formed: the factor applied to it so far and the mask, until the output projection. */
export interface AttentionCore {
  readonly q: ProjectionPart;
  readonly k: ProjectionPart;
  readonly scale: number;
  readonly scaleSpans: readonly Span[];
  readonly causal: boolean;
  /** The expression that forms the logits (or the scaled_dot_product_attention call). */
  readonly span: Span;
  /** Cross-attention: k (and v) read the trace's memory, q the stream. */
  readonly cross?: true;
  /** IW401's edit to 1/√d_head, while no factor but the one it replaces is applied (attentionFixes.ts). */
  readonly standardScale?: TextEdit;
}

export type AttentionPart =
  | { readonly kind: 'projection'; readonly p: ProjectionPart }
  /** A projection's value after a step attention does not follow: not q, k or v any more. */
  | { readonly kind: 'unread' }
  | { readonly kind: 'logits'; readonly core: AttentionCore }
  | { readonly kind: 'weights'; readonly core: AttentionCore }
  | { readonly kind: 'mixed'; readonly core: AttentionCore; readonly v: ProjectionPart; readonly layout: 'tc' | 'thd' | 'htd' }
  /**
   * q, k and v of one fused projection still in one tensor (timm's `qkv.reshape(B, N, 3, H, D)`,
   * then `.permute(2, 0, 3, 1, 4)`): `unbind(0)` or `[i]` hands out each (attentionTrace.ts).
   */
  | { readonly kind: 'packed'; readonly parts: readonly ProjectionPart[]; readonly permuted: boolean };


const LINEAR: ActivationUse = { name: 'linear', explicit: false };

/**
 * The call the interpreter is evaluating (interpreter.ts `call` sets it around each call, the
 * innermost one last): where a value stops being followed, so that a network that is not simulated
 * names the expression instead of only saying that something could not be followed.
 */
export const breakSite: { node: { readonly text: string } | undefined } = { node: undefined };

/** Longest expression text a reason shows as is; a longer one is shortened with an ellipsis. */
const MAX_SITE_TEXT = 60;

const GENERIC_BREAK = 'a concatenation or a call the simulation cannot follow';

function breakReason(): string | undefined {
  const node = breakSite.node;
  if (!node) return undefined;
  const text = node.text.replace(/\s+/g, ' ');
  return `${GENERIC_BREAK}: \`${text.length > MAX_SITE_TEXT ? `${text.slice(0, MAX_SITE_TEXT - 1)}…` : text}\``;
}

export class Trace {
  readonly layers: MutableWeightLayer[] = [];
  private readonly unconsumed = new Set<MutableWeightLayer>();
  /** A layer's consumer before a hand-written norm's statistic made it unknown (statistic, normalised). */
  private readonly beforeStatistics = new Map<MutableWeightLayer, { readonly consumer: MutableWeightLayer['consumer']; readonly unconsumed: boolean }>();
  private readonly callCounts = new Map<number, number>();

  /** Embedding layers looked up with token positions (GPT-2's `wpe(torch.arange(T))`). */
  private readonly positionTables = new Set<MutableWeightLayer>();
  /** Each position table's rows and the code that states them (positionLookup). */
  private readonly positionRows = new Map<MutableWeightLayer, PositionRows>();
  /**
   * Tokens per sequence: the rows of the position table summed onto the stream's input (one row
   * per position, so the longest sequence the model runs: nanoGPT's `block_size`).
   */
  private tokens: PositionRows | undefined;
  /** Learned tables already added to a value of this network (positionTable). */
  private readonly tablesAdded = new Set<object>();
  /** Copied stacks whose blocks share initial weights (Network.identicalBlocks), once per call site. */
  private readonly identical: IdenticalBlocks[] = [];
  /** The weight modules those stacks' blocks still share (the interpreter's module objects). */
  private readonly sharedModules = new Set<object>();
  /** The layers each weight module made, in forward order (layer's `module`): a copied stack's blocks apply the same modules. */
  private readonly layersOfModule = new Map<object, MutableWeightLayer[]>();
  /**
   * The weight layers applied to the value at each chain position (self-attention's wq, wk and wv
   * read one value; so do a SwiGLU's w1 and w3): normalisedWithinBranch marks the siblings of a
   * layer that reads a normalised value, whichever of them the steps recorded up to a break follow.
   */
  private readonly readersOf = new Map<Chain, MutableWeightLayer[]>();
  /** Why the op sequence stops at a chain position (unfollowed): the network's `unsimulable` text. */
  private readonly unfollowedAt = new Map<Chain, string>();

  /** The root of the network's second input (secondInput), made once. */
  private secondRoot: Chain | undefined;
  /** The memory every cross-attention of this trace reads (crossAttentionMemory). */
  private memory: { readonly chain: Chain | undefined; readonly root: Chain | undefined; readonly op: MemoryOp } | undefined;
  /** Cross-attentions read memories the IR cannot hold as one (two different ones, or one made from the stream). */
  private memoryUnreadable = false;

  input(shape: readonly number[] | undefined): Tensor {
    return { chain: undefined, pending: [], shape, broken: false, sources: [] };
  }

  /**
   * The network's second input (an encoder–decoder's target tokens, a decoder block's memory):
   * its values start at a root of their own, so nothing mistakes it for the first input (a sum of
   * the two is no residual). Only a cross-attention's memory can bring the two streams together
   * (crossAttentionMemory); the root is stripped from the ops in finish().
   */
  secondInput(shape: readonly number[] | undefined): Tensor {
    this.secondRoot ??= { op: { op: 'memory', body: [], span: { start: 0, end: 0 } }, parent: undefined, depth: 1 };
    return { chain: this.secondRoot, pending: [], shape, broken: false, sources: [] };
  }

  /** The two values come from different inputs of the network (one of them the second input). */
  separateInputs(a: Tensor, b: Tensor): boolean {
    return this.secondRoot !== undefined && this.rootOf(a.chain) !== this.rootOf(b.chain);
  }

  /** The input root a chain starts from: the second input's, or undefined for the first. */
  private rootOf(chain: Chain | undefined): Chain | undefined {
    let c = chain;
    while (c && c.depth > 1) c = c.parent;
    return c && c === this.secondRoot ? c : undefined;
  }

  /**
   * The memory a cross-attention over `stream` reads from `memory`: the ops that made it from
   * its input root become the network's MemoryOp (recorded once; every cross-attention must read
   * the same value). Undefined when the memory is not a stream of its own: broken, from the same
   * input as the queries, or another memory than the first one (the network is then not simulated).
   */
  crossAttentionMemory(stream: Chain | undefined, memory: Chain | undefined, memoryBroken: boolean, span: Span, tokens: number | undefined): boolean {
    if (memoryBroken) return false;
    const root = this.rootOf(memory);
    if (root === this.rootOf(stream)) return false;
    if (this.memory) {
      if (this.memory.chain === memory) return true;
      this.memoryUnreadable = true;
      return false;
    }
    const body = opsBetween(root, memory);
    this.memory = { chain: memory, root, op: { op: 'memory', body, span, ...(tokens !== undefined ? { tokens } : {}) } };
    return true;
  }

  /**
   * `torch.arange(…)`: the positions 0…T−1 of a sequence. No signal flows from them: fed to
   * anything but an embedding (positionLookup) the result is unknown.
   */
  positions(): Tensor {
    return { chain: undefined, pending: [], shape: undefined, broken: true, brokenAt: undefined, sources: [], positions: true };
  }

  /**
   * Tokens per sequence stated by the model's input (`keras.Input(shape=(100,), dtype="int32")`
   * looked up by an Embedding): the sequence length for certain, ahead of a position table's rows.
   */
  inputTokens(rows: PositionRows): void {
    this.tokens ??= rows;
  }

  /** A per-token mask (Tensor.tokenMask): no signal flows from it. */
  tokenMask(): Tensor {
    return { chain: undefined, pending: [], shape: undefined, broken: true, brokenAt: undefined, sources: [], tokenMask: true };
  }

  /**
   * An embedding looked up with token positions: a learned position table, one distinct row per
   * position. Its output only joins the stream summed onto a token embedding (add); anywhere
   * else the network is not simulated.
   */
  positionLookup(draft: LayerDraft, outShape: readonly number[] | undefined, rows: PositionRows | undefined): Tensor {
    const out = this.layer(this.input(undefined), draft, outShape);
    this.positionTables.add(out.sources[0]!);
    if (rows) this.positionRows.set(out.sources[0]!, rows);
    return out;
  }

  /**
   * `x + self.pos_embed`: a position table of known, zero-mean init added to the stream (ViT, timm);
   * its rows are the tokens per sequence unless a learned position embedding said so first.
   */
  positionTable(input: Tensor, op: PositionTableOp, rows: PositionRows | undefined, table: object): Tensor | undefined {
    // The same table added twice is 2p, not two independent tables: not read.
    if (this.tablesAdded.has(table)) return undefined;
    this.tablesAdded.add(table);
    if (input.broken) return input;
    if (rows) this.tokens ??= rows;
    return extended(input, { chain: push(input.chain, op), activated: undefined, scaleFree: undefined, branchLayers: undefined });
  }

  /** `torch.cat((cls_tokens, x), dim=1)`: a learned token in front of the stream's tokens (ViT). */
  classToken(input: Tensor, op: ClassTokenOp): Tensor {
    if (input.broken) return input;
    return extended(input, { chain: push(input.chain, op), activated: undefined, scaleFree: undefined, branchLayers: undefined });
  }

  /**
   * `fused`: the layer is the second kernel of one framework layer, fed directly by the first.
   * `module`: the interpreter's module whose weights these are (a module applied again, as in a
   * copied stack's blocks, holds the same weights: finish() ties the copies' draws).
   */
  layer(input: Tensor, draft: LayerDraft, outShape: readonly number[] | undefined, fused = false, module?: object): Tensor {
    this.resolve(input.pending, LINEAR);
    const linked = fused ? input.pending.flatMap((p) => [p.layer, ...(p.linked ?? [])]) : undefined;
    if (fused) for (const p of input.pending) p.layer.feedsPointwiseKernel = true;
    const instance = this.callCounts.get(draft.span.start) ?? 0;
    this.callCounts.set(draft.span.start, instance + 1);
    // Every field written out (not spread): one object shape for all layers, and no copy of a copy.
    const layer: MutableWeightLayer = {
      op: 'layer', kind: draft.kind, index: this.layers.length, span: draft.span, kindSpan: draft.kindSpan, fans: draft.fans,
      frameworkFans: draft.frameworkFans, receptiveField: draft.receptiveField, strideProduct: draft.strideProduct,
      activation: draft.activation, consumer: draft.activation, normalizedBeforeActivation: false, init: draft.init,
      biasVariance: draft.biasVariance, isLastInBranch: false, repeatInstance: draft.repeatInstance + instance, fixes: draft.fixes,
    };
    // Optional fields, copied when present (LayerFields below fails to compile when the IR grows one).
    if (draft.conv) layer.conv = draft.conv;
    if (draft.transposed) layer.transposed = draft.transposed;
    if (draft.fanInIsTrue) layer.fanInIsTrue = true;
    if (draft.recurrent) layer.recurrent = draft.recurrent;
    this.layers.push(layer);
    if (input.chain) {
      const readers = this.readersOf.get(input.chain);
      if (readers) readers.push(layer);
      else this.readersOf.set(input.chain, [layer]);
    }
    if (module) {
      const made = this.layersOfModule.get(module);
      if (made) made.push(layer);
      else this.layersOfModule.set(module, [layer]);
    }
    const fusedNonlinear = layer.activation === 'unknown' || layer.activation.name !== 'linear';
    if (!fusedNonlinear) this.unconsumed.add(layer);
    const fusedKnown = fusedNonlinear && layer.activation !== 'unknown';
    // Object.assign, not spreads after the properties (see `extended`).
    return Object.assign(
      {
        chain: push(input.chain, layer),
        pending: fusedNonlinear ? [] : [linked ? { layer, normalized: false, linked } : { layer, normalized: false }],
        shape: outShape,
        broken: input.broken,
        sources: [layer],
      },
      input.broken ? { brokenAt: input.brokenAt, ...(input.whyBroken === undefined ? {} : { whyBroken: input.whyBroken }) } : undefined,
      fusedKnown ? { activated: [layer, ...(linked ?? [])], homogeneous: isPositivelyHomogeneous((layer.activation as ActivationUse).name) } : undefined,
      // W·x with no bias at initialisation is homogeneous in x and in W: both scales pass on.
      layer.biasVariance === 0 && (!fusedNonlinear || (fusedKnown && isPositivelyHomogeneous((layer.activation as ActivationUse).name)))
        ? { scaleFree: input.homogeneous && input.activated ? [...input.activated.filter((l) => l.biasVariance === 0), layer] : [layer] } : undefined,
    );
  }

  activation(input: Tensor, use: ActivationUse | 'unknown', span: Span): Tensor {
    if (use === 'unknown') return this.opaque(input);
    this.resolve(input.pending, use);
    const activated = input.pending.flatMap((p) => [p.layer, ...(p.linked ?? [])]);
    return extended(input, {
      chain: push(input.chain, { op: 'activation', activation: use, span }), pending: [], activated,
      homogeneous: isPositivelyHomogeneous(use.name), scaleFree: isPositivelyHomogeneous(use.name) ? input.scaleFree : undefined, branchLayers: undefined, attn: undefined,
    });
  }

  norm(input: Tensor, kind: NormOp['kind'], epsilon: NormOp['epsilon'], span: Span): Tensor {
    // Activation → norm (Conv → ReLU → BatchNorm): the norm resets what the activation passed on;
    // and a scale that only reached it as a factor cannot change what comes out.
    for (const layer of input.activated ?? []) layer.normalizedAfterActivation = true;
    for (const layer of input.scaleFree ?? []) if (!input.pending.some((p) => p.layer === layer)) layer.normalizedAfterActivation = true;
    // Post-LN (BERT): norm(x + f(x)) resets the sum, so a small scale in f cannot compound either.
    for (const layer of input.branchLayers ?? []) layer.inNormalisedBranch = true;
    return extended(input, {
      chain: push(input.chain, { op: 'norm', kind, epsilon, span }),
      pending: input.pending.map((p) => ({ ...p, normalized: true })),
      activated: undefined,
      homogeneous: undefined,
      scaleFree: undefined,
      branchLayers: undefined,
      attn: undefined,
    });
  }

  /**
   * A statistic of `input` for a hand-written norm (handNorm.ts): an unknown value, as
   * opaque() makes, carrying its step. The consumers opaque() sets to unknown are remembered
   * as they were, for normalised() to restore when the statistic turns out to be the norm's.
   */
  statistic(input: Tensor, step: NormStep): Tensor {
    for (const p of input.pending) {
      if (!this.beforeStatistics.has(p.layer)) this.beforeStatistics.set(p.layer, { consumer: p.layer.consumer, unconsumed: this.unconsumed.has(p.layer) });
    }
    return { ...this.opaque(input), normStep: step };
  }

  /** The norm a hand-written LayerNorm/RMSNorm computes from `input`: its statistics were the norm's own steps. */
  normalised(input: Tensor, kind: NormOp['kind'], epsilon: NormOp['epsilon'], span: Span): Tensor {
    for (const p of input.pending) {
      const before = this.beforeStatistics.get(p.layer);
      if (!before) continue;
      this.beforeStatistics.delete(p.layer);
      if (p.layer.consumer !== 'unknown') continue;
      p.layer.consumer = before.consumer;
      if (before.unconsumed) this.unconsumed.add(p.layer);
    }
    return this.norm(input, kind, epsilon, span);
  }

  dropout(input: Tensor, op: DropoutOp): Tensor {
    return extended(input, { chain: push(input.chain, op) });
  }

  /** Stochastic depth on a branch's output (ir.ts DropPathOp): per sample, so what feeds what is kept as through dropout. */
  dropPath(input: Tensor, op: DropPathOp): Tensor {
    return extended(input, { chain: push(input.chain, op) });
  }

  flatten(input: Tensor, span: Span): Tensor {
    const shape = input.shape?.reduce((a, b) => a * b, 1);
    return extended(input, { chain: push(input.chain, { op: 'flatten', span }), shape: shape === undefined ? undefined : [shape] });
  }

  /** Convolutions over disjoint patches (Geometry.patches), as the interpreter made them. */
  private readonly patchConvolutions = new WeakSet<MutableWeightLayer>();
  /** `conv(x).flatten(2)` of such a convolution: the value before the flatten, until `.transpose(1, 2)` makes its positions tokens. */
  private readonly patchGrids = new WeakMap<Tensor, { readonly before: Tensor; readonly layer: MutableWeightLayer }>();

  patchConvolution(layer: MutableWeightLayer): void {
    this.patchConvolutions.add(layer);
  }

  /**
   * `x.flatten(2)` (channels × positions): a flatten as before, remembered when x is the plain
   * output of a convolution over disjoint patches (nothing applied to it yet, no activation fused).
   */
  flattenPositions(input: Tensor, span: Span): Tensor {
    const flat = this.flatten(input, span);
    const top = input.chain?.op;
    const pending = input.pending[0];
    if (top?.op === 'layer' && this.patchConvolutions.has(top) && input.pending.length === 1 && pending?.layer === top && !pending.normalized && !input.attn
      && top.activation !== 'unknown' && top.activation.name === 'linear') {
      this.patchGrids.set(flat, { before: input, layer: top });
    }
    return flat;
  }

  /**
   * `.transpose(1, 2)` of such a flattened map: its positions are the tokens, its channels their
   * features (timm's PatchEmbed). The flatten is no step of the stream: over tokens the
   * convolution is each patch's dense map (ir.ts patchTokens). Undefined for any other value.
   */
  tokensFromPatches(input: Tensor): Tensor | undefined {
    const grid = this.patchGrids.get(input);
    if (!grid) return undefined;
    grid.layer.patchTokens = true;
    const channels = grid.layer.fans ? grid.layer.fans.fanOut / grid.layer.receptiveField : NaN;
    return { ...grid.before, shape: Number.isInteger(channels) ? [NaN, channels] : undefined };
  }

  /**
   * Pooling with a known geometry: an op of its own, so the Monte-Carlo pass pools where the
   * positions change (the analytic pass carries the mean through it, as through a passThrough).
   */
  pool(input: Tensor, op: PoolOp, shape: readonly number[] | undefined): Tensor {
    return extended(input, { chain: push(input.chain, op), shape });
  }

  /**
   * A pool whose geometry is not known (the input's spatial size, or an argument it cannot read):
   * it changes the second moment and divides each position's gradient by its windows in ways that
   * depend on that geometry, so reading it as a step that keeps the scale gives wrong numbers
   * (pytorch-cifar's `F.avg_pool2d(out, 4)` without a sample: the gradient before it ×330 of
   * PyTorch's, test/unit/cifarResnet.oracle.test.ts). The network says it is not simulated.
   */
  unreadPool(input: Tensor, shape: readonly number[] | undefined, written: string): Tensor {
    const text = written.length <= 48 ? written : `${written.slice(0, 45)}…`;
    const spatialKnown = input.shape !== undefined && input.shape.length >= 2 && input.shape.every((d) => Number.isInteger(d) && d >= 1);
    const why = spatialKnown ? 'pools with arguments InitWise cannot read' : 'pools a map whose size InitWise does not know (a sample call such as `model(torch.randn(1, 3, 32, 32))` states it)';
    return this.unfollowed(this.passThrough(input, shape), `\`${text.replace(/\s+/g, ' ')}\` ${why}, which the simulation needs`);
  }

  /** A step that keeps the signal's scale questions unchanged (pooling, reshape); may change the shape. */
  passThrough(input: Tensor, shape: readonly number[] | undefined): Tensor {
    return extended(input, { shape });
  }

  /**
   * The value as a projection of an attention: its own tag, or the plain output of a linear
   * dense layer (nothing applied to it yet). Undefined otherwise.
   */
  projectionOf(input: Tensor): ProjectionPart | undefined {
    if (input.attn) return input.attn.kind === 'projection' ? input.attn.p : undefined;
    const top = input.chain?.op;
    const pending = input.pending[0];
    if (top?.op !== 'layer' || top.kind !== 'dense' || input.pending.length !== 1 || pending?.layer !== top || pending.normalized) return undefined;
    if (top.activation === 'unknown' || top.activation.name !== 'linear' || !top.fans) return undefined;
    return {
      layer: pending.layer, source: input.chain!.parent, broken: input.broken, ...(input.broken ? { brokenAt: input.brokenAt } : {}),
      pending: input.pending, layout: 'tc', heads: 1, headDim: top.fans.fanOut, factor: 1, factorSpans: [],
    };
  }

  /**
   * A fused projection (GPT-2's `c_attn`, d → 3d) split into `count` equal parts: the layer is
   * replaced by one layer per part, each with its own true fans (d → d) and the framework's
   * fans of the whole weight (its init reads those), at the same place in the file.
   */
  sliceLayer(part: ProjectionPart, count: number): ProjectionPart[] | undefined {
    const layer = part.layer;
    const at = this.layers.indexOf(layer);
    if (at < 0 || !layer.fans || layer.fans.fanOut % count !== 0 || part.layout !== 'tc') return undefined;
    const width = layer.fans.fanOut / count;
    const slices: MutableWeightLayer[] = Array.from({ length: count }, () => ({ ...layer, fans: { fanIn: layer.fans!.fanIn, fanOut: width } }));
    for (const slice of slices) this.slicesOf.set(slice, slices);
    this.layers.splice(at, 1, ...slices);
    for (let i = at; i < this.layers.length; i++) this.layers[i]!.index = i;
    this.unconsumed.delete(layer);
    for (const slice of slices) this.unconsumed.add(slice);
    return slices.map((slice) => ({ ...part, layer: slice, pending: [{ layer: slice, normalized: false }], headDim: width }));
  }

  /** The slices of one fused projection (sliceLayer), by each slice. */
  private readonly slicesOf = new Map<MutableWeightLayer, readonly MutableWeightLayer[]>();

  /**
   * q·kᵀ formed from two projections: they are an attention's query and key whether or not the
   * rest of the attention can be read (Swin adds a relative position bias to the logits), so
   * their small scale is the attention's convention (knowledge/branches.ts); when both are
   * slices of one fused projection (timm's `qkv`), so is its third, the value.
   */
  logitsFormed(q: ProjectionPart, k: ProjectionPart): void {
    q.layer.attentionProjection = true;
    k.layer.attentionProjection = true;
    const slices = this.slicesOf.get(q.layer);
    if (slices && slices.length === 3 && slices.includes(k.layer)) for (const slice of slices) slice.attentionProjection = true;
  }

  /**
   * A value made inside an attention (logits, weights, the mixed values): anything other than
   * the attention's own next step sees an unknown value (broken from the source on), and the
   * projections feeding it have unknown consumers unless the attention completes.
   */
  attentionValue(parts: readonly ProjectionPart[], attn: AttentionPart): Tensor {
    const first = parts[0]!;
    return {
      chain: first.source, pending: parts.flatMap((p) => p.pending), shape: undefined, broken: true, sources: [],
      brokenAt: first.broken ? first.brokenAt : first.source, attn,
    };
  }

  /**
   * The attention complete: `output` is the output projection applied to the mixed values
   * (this.layer). Its value continues from the projections' common source with the attention
   * op (which holds the four layers), so a residual sum around it sees a branch. `output`
   * undefined: no output projection, the merged heads (of unknown shape here) go on.
   */
  attention(parts: readonly ProjectionPart[], output: Tensor | undefined, op: AttentionOp): Tensor {
    for (const p of parts) this.resolve(p.pending, LINEAR);
    for (const p of parts) p.layer.attentionProjection = true;
    const first = parts[0]!;
    return {
      ...(output ?? { pending: [], shape: undefined, sources: [] }), chain: push(first.source, op), broken: first.broken,
      ...(first.broken ? { brokenAt: first.brokenAt } : { brokenAt: undefined }), attn: undefined,
    };
  }

  /**
   * A step that changes the signal's scale in a way the simulation has no op for (a constant
   * factor, an added parameter or constant): what feeds what is kept, so each layer is still
   * judged, but the op sequence is incomplete from here and the network says why it is not
   * simulated. Before any layer the input's scale is the simulation's assumption (unit
   * variance), so a step there (`x / 255`) changes nothing it reports.
   */
  unfollowed(input: Tensor, reason: string): Tensor {
    if (input.broken) return input;
    if (input.chain === undefined) return input;
    this.unfollowedAt.set(input.chain, reason);
    return extended(input, { broken: true, brokenAt: input.chain, whyBroken: reason });
  }

  /**
   * `x * c`, `x / c`, `x *= c` with c a known number (ir.ts ScaleOp): what feeds what is kept (a
   * pending linear layer still feeds the nonlinearity after the factor). A positive factor keeps
   * what a norm next would make irrelevant (the scale of the layers before it); a negative one
   * clears it. Before any layer the input's scale is the simulation's assumption: no step.
   */
  scaled(input: Tensor, op: ScaleOp): Tensor {
    if (input.chain === undefined) return input;
    const kept = op.factor > 0 ? {} : { activated: undefined, homogeneous: undefined, scaleFree: undefined };
    // A projection's tag stays: used as q or k the attention reads the factor from it (attentionTrace.ts), not this op.
    return extended(input, { chain: push(input.chain, op), ...kept });
  }

  /**
   * `x.mean(dim=1)` or `x[:, 0]` of a stream of tokens, (batch, tokens, features): the mean over
   * each sequence's tokens or its first (ir.ts TokenPoolOp, vit-pytorch's `pool`). Undefined where the
   * value is not known to be such a stream: its history must hold a token op (a lookup, patches
   * read as tokens, an attention, a position table or a class token), no convolution over
   * positions (a Conv1d's (batch, channels, length) has its channels on axis 1), no recurrent
   * layer and no earlier mean over tokens.
   */
  tokenPool(input: Tensor, kind: TokenPoolOp['kind'], span: Span): Tensor | undefined {
    // The shape is often not followed through a stream (einops, heads merged): unknown is accepted, a known one must be (tokens, features).
    if (input.broken || (input.shape !== undefined && input.shape.length !== 2) || !overTokens(input.chain)) return undefined;
    return extended(input, { chain: push(input.chain, { op: 'tokenPool', kind, span }), shape: input.shape ? [input.shape[1]!] : undefined });
  }

  /** A call the analysis does not understand: the layers feeding it have unknown consumers. */
  opaque(input: Tensor): Tensor {
    this.resolve(input.pending, 'unknown');
    const why = input.broken ? input.whyBroken : breakReason();
    return Object.assign(
      { chain: input.chain, pending: [], shape: undefined, broken: true, sources: [], brokenAt: input.broken ? input.brokenAt : input.chain },
      why === undefined ? {} : { whyBroken: why },
    );
  }

  /**
   * y = a + b. When one side is the other's input (an identity shortcut) this is a
   * residual op over the other side's steps. The layers ending a branch are marked; a
   * linear branch end still feeds whatever nonlinearity follows the sum (ResNet's
   * conv → BN → (+x) → ReLU), so its pending output is carried into the sum.
   */
  add(a: Tensor, b: Tensor, span: Span): Tensor {
    const summed = this.embeddingSum(a, b) ?? this.embeddingSum(b, a);
    if (summed) return summed;
    const prefix = commonPrefix(a.chain, b.chain);
    // The shortcut side (the branch's own input) ends nothing.
    for (const side of [a, b]) {
      if (side.chain !== prefix || side.broken) for (const layer of side.sources) layer.isLastInBranch = true;
    }
    const pending = joinPending(a.pending, b.pending);
    const shape = a.shape ?? b.shape;
    const bodyA = opsBetween(prefix, a.chain);
    const bodyB = opsBetween(prefix, b.chain);
    // An identity shortcut around a branch that starts with a normalisation (pre-LN), known
    // step by step even when what came before the branch was not (an attention before it).
    const identity = bodyA.length === 0 ? a : bodyB.length === 0 ? b : undefined;
    const branch = identity === a ? b : identity === b ? a : undefined;
    let branchLayers: MutableWeightLayer[] | undefined;
    if (identity && branch && recordedAfter(branch, prefix)) {
      branchLayers = layersIn(branch === a ? bodyA : bodyB);
      if ((branch === a ? bodyA : bodyB)[0]?.op === 'norm') for (const layer of branchLayers) layer.inNormalisedBranch = true;
    }
    if (identity && branch) normalisedWithinBranch(branch, prefix, this.readersOf);
    const known = branchLayers && branchLayers.length > 0 ? { branchLayers } : {};
    if (a.broken || b.broken || (bodyA.length > 0 && bodyB.length > 0 && !(convolutionalBlock(bodyA) && convolutionalBlock(bodyB)))) {
      // Unknown from the branch point on, or from earlier if either side already was.
      const brokenAt = [a, b].reduce((at, side) => (side.broken && recordedAfter(side, prefix) ? commonPrefix(at, side.brokenAt) : at), prefix);
      const whyBroken = [a, b].find((side) => side.broken && side.whyBroken !== undefined)?.whyBroken;
      return Object.assign({ chain: prefix, pending, shape, broken: true, sources: [], brokenAt }, known, whyBroken === undefined ? {} : { whyBroken });
    }
    if (bodyA.length > 0 && bodyB.length > 0 && convolutionalBlock(bodyA) && convolutionalBlock(bodyB)) {
      // Both sides transform the input: a projection shortcut (ResNet's downsample). The side
      // with more weight layers is the block's body, the other its shortcut; the sum is the same.
      const [body, shortcut] = layersIn(bodyB).length > layersIn(bodyA).length ? [bodyB, bodyA] : [bodyA, bodyB];
      return { chain: push(prefix, { op: 'residual', scale: 1, body, shortcut, span }), pending, shape, broken: false, sources: [], ...known };
    }
    const body = bodyA.length > 0 ? bodyA : bodyB;
    return Object.assign({ chain: push(prefix, { op: 'residual', scale: 1, body, span }), pending, shape, broken: false, sources: [] }, known);
  }

  /**
   * `wte(idx) + wpe(pos)` (either order): a token embedding at the network's start plus a
   * position table (positionLookup), both plain lookups with nothing applied yet. The stream's
   * input is their sum; the table rides on the token embedding (WeightLayer.positionEmbedding).
   */
  private embeddingSum(token: Tensor, position: Tensor): Tensor | undefined {
    const tokenLayer = plainLookup(token);
    const positionLayer = plainLookup(position);
    if (!tokenLayer || !positionLayer || this.positionTables.has(tokenLayer) || !this.positionTables.has(positionLayer)) return undefined;
    if (tokenLayer.positionEmbedding) return undefined;
    tokenLayer.positionEmbedding = positionLayer;
    this.positionTables.delete(positionLayer);
    this.tokens ??= this.positionRows.get(positionLayer);
    return { ...token, pending: [...token.pending, ...position.pending], sources: [tokenLayer, positionLayer] };
  }

  /**
   * A copied stack (nn.TransformerEncoder's blocks): `shared`, the weight modules every block
   * still holds as the first block's; `blocks`, when IW404 reports it (Network.identicalBlocks).
   */
  copiedBlocks(blocks: IdenticalBlocks | undefined, shared: Iterable<object>): void {
    if (blocks && !this.identical.some((b) => b.span.start === blocks.span.start)) this.identical.push(blocks);
    for (const module of shared) this.sharedModules.add(module);
  }

  /** Every later layer of a shared module draws as its first one (WeightLayer.copyOf). */
  private tieCopies(): void {
    for (const module of this.sharedModules) {
      const [first, ...copies] = this.layersOfModule.get(module) ?? [];
      for (const copy of copies) copy.copyOf = first!.index;
    }
  }

  /** Several values merged in a way the simulation cannot follow (concatenation, products). */
  merge(inputs: readonly Tensor[], shape: readonly number[] | undefined): Tensor {
    for (const t of inputs) this.resolve(t.pending, 'unknown');
    const first = inputs[0];
    const why = first?.broken ? first.whyBroken : breakReason();
    return Object.assign(
      { chain: first?.chain, pending: [], shape, broken: true, sources: [], brokenAt: first?.broken ? first.brokenAt : first?.chain },
      why === undefined ? {} : { whyBroken: why },
    );
  }

  /**
   * The finished network. Layers whose output reached the model's output unconsumed
   * end their branch. The op sequence is the output's; when it is incomplete (something
   * opaque, a merge, several outputs) the network carries no ops and says why it is not
   * simulated (Network.unsimulable).
   */
  finish(outputs: readonly Tensor[], meta: Pick<Network, 'name' | 'span' | 'nameSpan' | 'framework' | 'inputShape' | 'pretrained' | 'instantiation'>): Network {
    for (const t of outputs) {
      for (const layer of t.sources) layer.isLastInBranch = true;
      for (const p of t.pending) if (p.normalized) markNormalized(p);
    }
    for (const layer of this.unconsumed) layer.isLastInBranch = true;
    const output = outputs.length === 1 ? outputs[0] : undefined;
    const root = output ? this.rootOf(output.chain) : undefined;
    const stream = output && !output.broken ? opsBetween(root, output.chain) : [];
    // The memory comes first: it is made before the stream's first cross-attention reads it.
    const memory = this.memory && !this.memoryUnreadable && this.memory.root !== root ? this.memory.op : undefined;
    const ops = memory ? [memory, ...stream] : stream;
    const tokens = this.tokens ? { tokens: this.tokens.count, tokensFrom: this.tokens.text } : {};
    const identical = this.identical.length > 0 ? { identicalBlocks: [...this.identical] } : {};
    if ((!this.memory || memory) && countLayers(ops) === this.layers.length) {
      this.tieCopies();
      if (this.identical.length === 0) return { ...meta, ops, layers: this.layers, ...tokens };
      // Copies drawn once add up coherently (test/reference/transformer/cloned_blocks.json: a
      // 12-block pre-LN stack's stream ×13.7 against ×1.9 for independent blocks). The analytic
      // pass draws each block afresh, so its numbers would not be PyTorch's; the Monte-Carlo pass
      // draws the shared weights once (copyOf) and measures what PyTorch builds.
      const first = this.identical[0]!;
      const monteCarloOnly = `its ${first.copies} blocks start from identical weights (${first.className.split('.').pop()} copies one initialised layer)`;
      return { ...meta, ops, layers: this.layers, monteCarloOnly, ...identical, ...tokens };
    }
    const unsimulable = outputs.length === 0 ? 'the model\'s output could not be traced'
      : outputs.length > 1 ? 'several outputs'
        : this.memory && !memory ? 'cross-attentions read more than one memory'
          : (output?.brokenAt && this.unfollowedAt.get(output.brokenAt)) ?? output?.whyBroken ?? GENERIC_BREAK;
    return { ...meta, ops: [], layers: this.layers, unsimulable, ...identical };
  }

  private resolve(pending: readonly Pending[], consumer: ActivationUse | 'unknown'): void {
    for (const p of pending) {
      this.unconsumed.delete(p.layer);
      p.layer.consumer = consumer;
      if (p.normalized) markNormalized(p);
    }
  }
}

/** A normalisation follows the pending layer (and the kernels fused before it) before any activation. */
function markNormalized(p: Pending): void {
  p.layer.normalizedBeforeActivation = true;
  for (const layer of p.linked ?? []) layer.normalizedBeforeActivation = true;
}

/** Every WeightLayer field layer() writes: a field added to the IR and not copied there is a type error here. */
type LayerFields = 'op' | 'kind' | 'index' | 'span' | 'kindSpan' | 'fans' | 'frameworkFans' | 'receptiveField' | 'strideProduct'
  | 'activation' | 'consumer' | 'normalizedBeforeActivation' | 'init' | 'biasVariance' | 'isLastInBranch' | 'repeatInstance'
  | 'fixes' | 'conv' | 'transposed' | 'fanInIsTrue' | 'feedsPointwiseKernel' | 'normalizedAfterActivation' | 'inNormalisedBranch' | 'recurrent'
  | 'positionEmbedding' | 'copyOf' | 'patchTokens' | 'attentionProjection';
const everyLayerFieldWritten: [Exclude<keyof WeightLayer, LayerFields>] extends [never] ? true : never = true;
void everyLayerFieldWritten;

/** The embedding layer whose plain output this is (its only step, at the network's start), else undefined. */
/**
 * A chain position that is a network input: the first input (undefined) or the second input's
 * root (Trace.secondInput: a Keras encoder–decoder's other `keras.Input`).
 */
export function atInput(chain: Chain | undefined): boolean {
  return chain === undefined || (chain.parent === undefined && chain.op.op === 'memory');
}

/** A lookup from an input with nothing applied yet. */
function plainLookup(t: Tensor): MutableWeightLayer | undefined {
  const op = t.chain?.op;
  // Looked up from an input: the first (no parent) or the second (its root, Trace.secondInput: a Keras encoder–decoder's target).
  if (t.broken || !t.chain || !atInput(t.chain.parent) || op?.op !== 'layer' || op.kind !== 'embedding') return undefined;
  if (t.pending.length !== 1 || t.pending[0]!.layer !== op || t.pending[0]!.normalized) return undefined;
  return op;
}

/** Every step of `tensor` after `prefix` is in its chain (it was not broken after `prefix`). */
function recordedAfter(tensor: Tensor, prefix: Chain | undefined): boolean {
  if (!tensor.broken) return true;
  const at = tensor.brokenAt;
  if (at === undefined) return true;
  let c = prefix;
  while (c && c.depth > at.depth) c = c.parent;
  return c === at;
}

/**
 * A side of a sum that may be a projection shortcut or the body beside one: weight layers of
 * dense/conv kinds and what acts per unit between them (ResNet's conv → BN → ReLU, a pool).
 * Lookups, attention, recurrent layers and token tables are not: `wte(idx) + wpe(idx)` looks up
 * the same ids twice (no position table), and the token pass reads no shortcut.
 */
function convolutionalBlock(ops: readonly Op[]): boolean {
  return ops.every((op) => {
    switch (op.op) {
      case 'layer':
        return op.kind !== 'embedding' && !op.recurrent;
      case 'activation': case 'norm': case 'dropout': case 'dropPath': case 'pool': case 'flatten': case 'scale':
        return true;
      case 'residual':
        return convolutionalBlock(op.body) && (!op.shortcut || convolutionalBlock(op.shortcut));
      default:
        return false;
    }
  });
}

/** The chain holds a token op and no convolution over positions (Trace.tokenPool). */
function overTokens(chain: Chain | undefined): boolean {
  let tokens = false;
  for (let c = chain; c; c = c.parent) {
    for (const op of c.op.op === 'residual' || c.op.op === 'memory' ? walkOps([c.op]) : [c.op]) {
      if (op.op === 'layer' && (op.kind === 'conv1d' || op.kind === 'conv2d' || op.kind === 'conv3d') && !op.patchTokens) return false;
      if ((op.op === 'layer' && op.recurrent) || op.op === 'tokenPool') return false;
      if ((op.op === 'layer' && (op.kind === 'embedding' || op.patchTokens)) || op.op === 'attention' || op.op === 'positionTable' || op.op === 'classToken') tokens = true;
    }
  }
  return tokens;
}

/** The weight layers of a branch body, nested residual bodies included. */
function layersIn(ops: readonly Op[]): MutableWeightLayer[] {
  const out: MutableWeightLayer[] = [];
  for (const op of ops) {
    if (op.op === 'layer') out.push(op);
    else if (op.op === 'attention') out.push(...(attentionProjections(op) as MutableWeightLayer[]));
    else if (op.op === 'residual') {
      appendAll(out, layersIn(op.body));
      if (op.shortcut) appendAll(out, layersIn(op.shortcut));
    }
  }
  return out;
}

function push(chain: Chain | undefined, op: Op): Chain {
  return { op, parent: chain, depth: (chain?.depth ?? 0) + 1 };
}

function commonPrefix(a: Chain | undefined, b: Chain | undefined): Chain | undefined {
  let x = a;
  let y = b;
  while (x && y && x.depth > y.depth) x = x.parent;
  while (x && y && y.depth > x.depth) y = y.parent;
  if (!x || !y) return undefined;
  while (x && y && x !== y) {
    x = x.parent;
    y = y.parent;
  }
  return x;
}

/** The ops from just after `from` up to and including `to`, in forward order. */
/**
 * Layers of an identity-shortcut branch that holds a normalisation: after it (ConvNeXt's block:
 * depthwise conv → LayerNorm → Linear → GELU → Linear → LayerScale, then `x + drop_path(…)`) their
 * input is normalised whatever the stream's scale; before it (Swin V2's res-post-norm,
 * `x + drop_path(norm2(mlp(x)))`) what they pass on is. Either way a small scale there only
 * weakens the branch's addition or is undone, and cannot compound with depth, as in a pre-LN
 * branch (knowledge/branches.ts). Only the steps recorded before a break the branch may have
 * count: what follows an unknown step is not known to be normalised, nor to reach the norm.
 */
function normalisedWithinBranch(branch: Tensor, prefix: Chain | undefined, readersOf: ReadonlyMap<Chain, readonly MutableWeightLayer[]>): void {
  const end = branch.broken && branch.brokenAt !== undefined && !recordedAfter(branch, prefix) ? branch.brokenAt : branch.chain;
  let c = end;
  while (c && c !== prefix) c = c.parent;
  // The break happened on another line of steps than the branch's own: nothing known.
  if (c !== prefix) return;
  const body = opsBetween(prefix, end);
  if (!body.some((op) => op.op === 'norm')) return;
  for (const layer of layersIn(body)) layer.inNormalisedBranch = true;
  // A layer that reads a value after the branch's first norm reads it normalised, as its sibling on
  // the recorded line does: LLaMA's wk and wv beside wq, whose line ends at the rotary embedding
  // (`torch.view_as_complex`, not followed). Marking wq alone judged one init statement's three
  // layers two ways (issue 15: pytorch/examples llama2_model.py:187).
  const line: Chain[] = [];
  for (let at = end; at && at !== prefix; at = at.parent) line.push(at);
  let firstNorm = line.length - 1;
  while (firstNorm >= 0 && line[firstNorm]!.op.op !== 'norm') firstNorm--;
  for (const at of line.slice(0, firstNorm + 1)) for (const layer of readersOf.get(at) ?? []) layer.inNormalisedBranch = true;
  // And what those readers compute, read further inside the branch: a squeeze-excitation gate's
  // second conv reads its first conv's ReLU, and the two are one gate (pytorch-cifar senet.py:26
  // quiet, :27 firing judged one gate two ways). Called as the branch is summed, so the layers
  // recorded so far are this block's and earlier ones; a chain shallower than the first norm
  // cannot descend from it.
  if (firstNorm < 0) return;
  const normalised = new Set(line.slice(0, firstNorm + 1));
  const floor = line[firstNorm]!.depth;
  const descends = new Map<Chain, boolean>();
  const fromNormalised = (start: Chain): boolean => {
    const path: Chain[] = [];
    let c: Chain | undefined = start;
    let answer = false;
    while (c && c.depth >= floor && c !== prefix) {
      const known = descends.get(c);
      if (known !== undefined) { answer = known; break; }
      if (normalised.has(c)) { answer = true; break; }
      path.push(c);
      c = c.parent;
    }
    for (const p of path) descends.set(p, answer);
    return answer;
  };
  readersOf.forEach((layers, at) => {
    if (at.depth > floor && fromNormalised(at)) for (const layer of layers) layer.inNormalisedBranch = true;
  });
}

function opsBetween(from: Chain | undefined, to: Chain | undefined): Op[] {
  const out: Op[] = [];
  for (let c = to; c && c !== from; c = c.parent) out.push(c.op);
  return out.reverse();
}

function countLayers(ops: readonly Op[]): number {
  let n = 0;
  for (const op of ops) {
    if (op.op === 'layer') n += op.positionEmbedding ? 2 : 1;
    else if (op.op === 'attention') n += attentionProjections(op).length;
    else if (op.op === 'residual' || op.op === 'memory') n += countLayers(op.body);
    if (op.op === 'residual' && op.shortcut) n += countLayers(op.shortcut);
  }
  return n;
}
