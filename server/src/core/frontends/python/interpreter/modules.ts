/**
 * What model code builds, as values the interpreter passes around: framework layers
 * (weight layers with their geometry, activations, normalisation, dropout, reshapes),
 * containers (Sequential, ModuleList, Python lists) and instances of the file's own
 * module classes. Weight layers keep mutable init state: `nn.init.*_` calls and
 * `apply(fn)` set it after construction, in program order.
 */
import type { ActivationUse, ConvGeometry, Fans, Framework, InitUse, NormOp, PoolOp, TransposedConv, WeightLayerKind, FixBuilder } from '../../../ir';
import type { Span } from '../../../text';
import type { TorchFixBuilder } from '../fixes/fixBuilder';
import type { Node } from '../syntax/syntax';
import type { RecurrentModuleState } from './recurrentState';
import type { RecordValue, Scope } from './values';

export interface Geometry {
  readonly fans: Fans | undefined;
  readonly frameworkFans: Fans | undefined;
  readonly receptiveField: number;
  readonly strideProduct: number;
  /** Output shape without the batch axis (NaN for unknown sizes); undefined when nothing is known. */
  readonly outShape: readonly number[] | undefined;
  /** Transposed convolutions only (ir.ts TransposedConv). */
  readonly transposed?: TransposedConv;
  /** A convolution whose input's spatial size is known (convGeometry.ts). */
  readonly conv?: ConvGeometry;
  /** A convolution over disjoint patches: kernel = stride in every dimension, no padding, dilation 1, one group (ir.ts patchTokens). */
  readonly patches?: true;
}

export interface WeightModule {
  readonly kind: 'weight';
  readonly framework: Framework;
  readonly layerKind: WeightLayerKind;
  /** Canonical class name, e.g. `torch.nn.Linear`, `keras.layers.Dense`. */
  readonly className: string;
  readonly call: Node;
  readonly kindSpan: Span;
  geometry(input: readonly number[] | undefined): Geometry;
  readonly activation: ActivationUse | 'unknown';
  init: InitUse;
  biasVariance: number;
  readonly fixes: FixBuilder;
  readonly torchFixes?: TorchFixBuilder;
  /** The second kernel of one framework layer, fed directly by the first (SeparableConv's pointwise). */
  readonly fusedWithPrevious?: boolean;
  /** Attributes init code may read (`m.out_channels`, `m.kernel_size`, `m.__class__.__name__`). */
  readonly record: RecordValue;
  /** Recurrent layers only: the recurrent kernel and gate biases as init code leaves them. */
  recurrent?: RecurrentModuleState;
  /** Keras Embedding only: the mask its output carries (`mask_zero=True`: per token; not a constant: unknown). */
  readonly kerasMask?: 'token' | 'unknown';
}

/** nn.MultiheadAttention (frameworks/attentionLayers.ts). */
export interface AttentionModule {
  readonly kind: 'attention';
  readonly className: string;
  readonly record: RecordValue;
  readonly call: Node;
  readonly heads: number | undefined;
  readonly embedDim: number | undefined;
  /** Why the layer cannot be read as self-attention (the value after it is unknown). */
  readonly unreadable?: string;
  /** query, key, value (slices of in_proj_weight), output (out_proj). */
  readonly projections: readonly [WeightModule, WeightModule, WeightModule, WeightModule];
  /**
   * Flax `nn.MultiHeadDotProductAttention` / `nn.SelfAttention`: widths resolved at the call from
   * the input's features (null: the input's own width).
   */
  readonly flax?: {
    readonly qkvFeatures: number | null;
    readonly outFeatures: number | null;
    /** nnx: the input width the constructor states (the query's features must be it). */
    readonly inFeatures?: number;
    /** nnx: `decode=False` in the constructor (else the call must pass it). */
    readonly decodeGiven?: boolean;
  };
  /**
   * Keras `MultiHeadAttention` (frameworks/kerasAttention.ts): key_dim (value_dim equals it) and
   * output_shape (null: the query's width); fans fixed at the call by the Keras version.
   */
  readonly keras?: { readonly keyDim: number; readonly outputWidth: number | null };
}

/** The parts of an nn.TransformerEncoderLayer (or the stack nn.TransformerEncoder makes of it), applied in its own order (interpreter.ts). */
export interface EncoderLayerModule {
  readonly kind: 'encoderLayer';
  readonly className: string;
  readonly record: RecordValue;
  readonly call: Node;
  readonly attention: AttentionModule;
  readonly linear1: WeightModule;
  readonly linear2: WeightModule;
  readonly activation: ModuleValue;
  readonly dropout: number | undefined;
  readonly normFirst: boolean | undefined;
  /** layer_norm_eps: ε of the layer's LayerNorms. */
  readonly layerNormEpsilon: NormOp['epsilon'];
  /** How many copies nn.TransformerEncoder stacks (1 for the layer itself). */
  readonly copies: number;
  /** nn.TransformerEncoder(norm=…): a final norm after the stack. */
  readonly finalNorm?: ModuleValue;
  /**
   * nn.TransformerEncoder only: each weight's init when the layer was copied. A weight whose
   * init is still that object at the forward pass was not re-drawn per block: every copy holds
   * the same values (Network.identicalBlocks).
   */
  readonly initsAtCopy?: ReadonlyMap<WeightModule, InitUse>;
  /** Where the stack is bound (`self.encoder = nn.TransformerEncoder(…)`): IW404's fix goes after it. */
  redrawSite?: RedrawSite;
}

/** A statement binding a copied stack to a name, and how the file indents (fixes/redrawBlocks.ts). */
export interface RedrawSite {
  readonly name: string;
  /** Just past the statement (after a trailing comment). */
  readonly offset: number;
  readonly indent: string;
  /** One indentation level as the file writes it. */
  readonly unit: string;
  readonly eol: string;
}

/**
 * nn.TransformerDecoderLayer (or the stack nn.TransformerDecoder makes of it): causal-or-not
 * self-attention, cross-attention to the memory, the MLP, in its own order (interpreter.ts).
 */
export interface DecoderLayerModule {
  readonly kind: 'decoderLayer';
  readonly className: string;
  readonly record: RecordValue;
  readonly call: Node;
  readonly selfAttention: AttentionModule;
  readonly crossAttention: AttentionModule;
  readonly linear1: WeightModule;
  readonly linear2: WeightModule;
  readonly activation: ModuleValue;
  readonly dropout: number | undefined;
  readonly normFirst: boolean | undefined;
  /** layer_norm_eps: ε of the layer's LayerNorms. */
  readonly layerNormEpsilon: NormOp['epsilon'];
  /** How many copies nn.TransformerDecoder stacks (1 for the layer itself). */
  readonly copies: number;
  /** nn.TransformerDecoder(norm=…): a final norm after the stack. */
  readonly finalNorm?: ModuleValue;
  /**
   * nn.TransformerDecoder only: each weight's init when the layer was copied, as
   * EncoderLayerModule.initsAtCopy (the copies share their initial values unless init code draws
   * them afresh: Network.identicalBlocks, IW404).
   */
  readonly initsAtCopy?: ReadonlyMap<WeightModule, InitUse>;
  /** Where the stack is bound (`self.decoder = nn.TransformerDecoder(…)`): IW404's fix goes after it. */
  redrawSite?: RedrawSite;
}

/** A stack a layer is deep-copied into (nn.TransformerEncoder, nn.TransformerDecoder). */
export type CopiedStackModule = EncoderLayerModule | DecoderLayerModule;

/** nn.Transformer: its encoder stack (with a final LayerNorm) makes the memory its decoder stack reads. */
export interface TransformerModule {
  readonly kind: 'transformer';
  readonly className: string;
  readonly record: RecordValue;
  readonly call: Node;
  readonly encoder: EncoderLayerModule;
  readonly decoder: DecoderLayerModule;
}

export interface InstanceModule {
  readonly kind: 'instance';
  readonly className: string;
  readonly definition: Node;
  readonly framework: Framework;
  readonly attributes: Map<string, ModuleValue>;
  /** Learned tensors it holds directly (`self.pos_embed = nn.Parameter(…)`), made on first store. */
  tables?: Map<string, import('./parameterTables').ParameterTable>;
  /** Where the class's methods read `self.X` constants and constructor arguments. */
  readonly scope: Scope;
  readonly record: RecordValue;
}

export type ModuleValue =
  | WeightModule
  | InstanceModule
  | AttentionModule
  | EncoderLayerModule
  | DecoderLayerModule
  | TransformerModule
  | { readonly kind: 'activation'; readonly use: ActivationUse | 'unknown'; readonly span: Span; readonly className: string; readonly record: RecordValue }
  | { readonly kind: 'norm'; readonly normKind: NormOp['kind']; readonly epsilon: NormOp['epsilon']; readonly span: Span; readonly className: string; readonly record: RecordValue }
  | { readonly kind: 'dropout'; readonly rate: number | undefined; readonly alpha: boolean; readonly span: Span; readonly kindSpan: Span; readonly className: string; readonly record: RecordValue }
  | { readonly kind: 'flatten'; readonly span: Span; readonly className: string; readonly record: RecordValue }
  /**
   * timm's DropPath, torchvision's StochasticDepth (stochastic depth, Huang et al. 2016; ir.ts
   * DropPathOp): per sample the branch is dropped with probability p and kept scaled by 1/(1−p).
   * `rate` undefined: not known, or the code's choice of it and nn.Identity cannot be decided
   * (`DropPath(p) if p > 0. else nn.Identity()`). `unread`: a form that is not this op (why).
   */
  | { readonly kind: 'dropPath'; readonly rate: number | undefined; readonly unread?: string; readonly span: Span; readonly className: string; readonly record: RecordValue }
  /** Keeps the scale question unchanged (pooling, identity, reshape); may change the shape. */
  | { readonly kind: 'pass'; readonly reshape: (shape: readonly number[] | undefined) => readonly number[] | undefined; readonly className: string; readonly record: RecordValue;
      /** Pooling: the op for an input of this shape, when its geometry is known (undefined: a step the simulation does not see). */
      readonly pool?: (shape: readonly number[] | undefined) => Omit<PoolOp, 'span'> | undefined;
      readonly span?: Span }
  | { readonly kind: 'sequence'; readonly items: readonly ModuleValue[]; readonly className: string; readonly record: RecordValue;
      /** Keras: the shape a leading `keras.Input(shape=...)` declares. */
      readonly inputShape?: readonly number[];
      /** One framework layer made of several kernels (SeparableConv): a layer, not a model. */
      readonly fused?: boolean }
  | { readonly kind: 'list'; readonly items: readonly ModuleValue[]; readonly className: string; readonly record: RecordValue }
  /** A module the analysis cannot see into (another file, attention, a recurrent layer). */
  /** `outShape`: a library backbone whose output shape the catalog knows (a keras.applications model without its top). */
  | { readonly kind: 'opaque'; readonly className: string; readonly record: RecordValue; readonly outShape?: readonly number[] };

/**
 * The record init code sees for a module (`m.out_channels`, `m.__class__.__name__`). Built
 * on first read: every layer has one, few are ever read, and two Maps per layer were a
 * measurable share of a large file's analysis.
 */
export function classRecord(className: string, attributes?: Record<string, import('./values').Value>): RecordValue {
  return new ClassRecord(className, attributes);
}

/**
 * One object per record, its getter on the prototype: an object literal with a getter made
 * a closure and its context per layer (issue 16).
 */
class ClassRecord implements RecordValue {
  private built: ReadonlyMap<string, import('./values').Value> | undefined;

  constructor(private readonly className: string, private readonly extra: Record<string, import('./values').Value> | undefined) {}

  get attributes(): ReadonlyMap<string, import('./values').Value> {
    if (!this.built) {
      const name = this.className.split('.').pop() ?? this.className;
      const klass: RecordValue = { attributes: new Map([['__name__', name]]) };
      this.built = new Map<string, import('./values').Value>([['__class__', klass], ...Object.entries(this.extra ?? {})]);
    }
    return this.built;
  }
}

/** Every module in a tree, parents before children (what `apply` and `modules()` visit). */
export function allModules(root: ModuleValue, out: ModuleValue[] = [], depth = 0): ModuleValue[] {
  if (depth > 64) return out;
  out.push(root);
  if (root.kind === 'sequence' || root.kind === 'list') for (const item of root.items) allModules(item, out, depth + 1);
  if (root.kind === 'instance') for (const child of root.attributes.values()) allModules(child, out, depth + 1);
  if (root.kind === 'attention') for (const projection of root.projections) allModules(projection, out, depth + 1);
  if (root.kind === 'encoderLayer') for (const part of [root.attention, root.linear1, root.linear2]) allModules(part, out, depth + 1);
  if (root.kind === 'decoderLayer') for (const part of [root.selfAttention, root.crossAttention, root.linear1, root.linear2]) allModules(part, out, depth + 1);
  if (root.kind === 'transformer') for (const part of [root.encoder, root.decoder]) allModules(part, out, depth + 1);
  return out;
}

/**
 * Framework modules a model class may subclass whose constructor InitWise reads
 * (`class TransformerModel(nn.Transformer)` in pytorch/examples' word_language_model):
 * `super().__init__(...)` builds the module from its arguments and sets its parts on the
 * instance (interpreter.ts libraryBaseInit); every other method of the base is not read.
 */
export const LIBRARY_MODULE_BASES: Readonly<Record<string, Framework>> = { 'torch.nn.Transformer': 'pytorch' };

/** Frameworks' base classes for modules. */
export const MODULE_BASES: Readonly<Record<string, Framework>> = {
  'torch.nn.Module': 'pytorch', 'keras.Model': 'keras', 'keras.models.Model': 'keras', 'keras.layers.Layer': 'keras',
  'keras.Layer': 'keras', 'flax.linen.Module': 'flax', 'flax.nnx.Module': 'flax',
};
