/**
 * The intermediate representation every frontend produces and every rule, the
 * simulation and the hosts consume. It describes what the user's code does to the
 * signal (layers, activations, normalisation, residual branches), with source spans
 * pointing at what the user wrote, and nothing about how it was written: the only
 * frontend-specific part is the FixBuilder each layer carries.
 */
import type { Span } from './text';
import type { TextEdit } from './findings';

export type Framework = 'keras' | 'pytorch' | 'flax';
export const FRAMEWORKS: readonly Framework[] = ['keras', 'pytorch', 'flax'];

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';

/** Canonical activation names (aliases are resolved by knowledge/activations.ts). */
export type ActivationName =
  | 'linear' | 'relu' | 'relu6' | 'leaky_relu' | 'prelu' | 'elu' | 'selu' | 'gelu'
  | 'silu' | 'mish' | 'tanh' | 'sigmoid' | 'hard_tanh' | 'softplus' | 'softmax';

/** An activation as applied: canonical name plus its parameter (slope, alpha). */
export interface Activation {
  readonly name: ActivationName;
  /** leaky_relu slope, prelu initial slope, elu alpha; undefined when the activation has none. */
  readonly param?: number;
}

/** Where and how an activation was written, when it was. */
export interface ActivationUse extends Activation {
  /** The span of the activation's name as written (for fixes and hover); undefined when implicit. */
  readonly span?: Span;
  /** True when the user wrote it; false for an implicit `linear`. */
  readonly explicit: boolean;
}

/**
 * The real semantics of an initializer: exactly enough to compute Var(W) for given
 * fans (knowledge/initializers.ts). Each variant mirrors one framework code path.
 */
export type InitSemantics =
  /** Keras / JAX VarianceScaling and everything built on it (glorot_*, he_*, lecun_*). Var = scale/n exactly. */
  | { readonly kind: 'variance_scaling'; readonly scale: number; readonly mode: FanMode;
      readonly distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform' }
  /** PyTorch kaiming_normal_ / kaiming_uniform_. Var = calculate_gain(nonlinearity, a)² / n_mode. */
  | { readonly kind: 'kaiming'; readonly mode: 'fan_in' | 'fan_out'; readonly nonlinearity: string;
      readonly a: number; readonly distribution: 'normal' | 'uniform';
      /** What the user actually wrote, so IW102 can tell "told relu" from "left at the default". */
      readonly written: { readonly nonlinearity: boolean; readonly a: boolean } }
  /** PyTorch xavier_normal_ / xavier_uniform_. Var = gain² · 2/(n_in + n_out). */
  | { readonly kind: 'xavier'; readonly gain: number; readonly distribution: 'normal' | 'uniform' }
  /** Orthogonal (PyTorch, Keras, JAX): per-entry mean square gain²/max(rows, cols). */
  | { readonly kind: 'orthogonal'; readonly gain: number }
  /** N(mean, std²), no fan scaling. */
  | { readonly kind: 'normal'; readonly mean: number; readonly std: number }
  /** N(mean, std²) restricted to [low, high] (absolute bounds), no std correction. */
  | { readonly kind: 'truncated_normal'; readonly mean: number; readonly std: number; readonly low: number; readonly high: number }
  /** U(low, high). */
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  /** Every weight equal (zeros, ones, constant). */
  | { readonly kind: 'constant'; readonly value: number };

/** The initializer a layer's kernel actually gets. */
export interface InitUse {
  /** Undefined when the frontend could not determine it (then no rule judges it). */
  readonly semantics: InitSemantics | undefined;
  /** How to show it to the user: `he_normal`, `kaiming_normal(nonlinearity=relu)`, `default (kaiming_uniform, a=√5)`. */
  readonly label: string;
  /** True when the user wrote an initializer; false when the framework default applies. */
  readonly explicit: boolean;
  /** True when the user explicitly asked for the framework default (`init=default`): an accepted choice. */
  readonly acceptedDefault: boolean;
  /** Span of the initializer as written, when explicit. */
  readonly span?: Span;
  /**
   * Set when a hand-written std or bound is computed from the layer's width
   * (`math.sqrt(2.0 / self.in_features)`): the fan its names follow, or 'width' when they
   * name no single fan. Such an init scales with the width (IW105 leaves it alone).
   */
  readonly scaleFollows?: 'fan_in' | 'fan_out' | 'width';
}

export type WeightLayerKind = 'dense' | 'conv1d' | 'conv2d' | 'conv3d' | 'embedding' | 'recurrent';

/** The recurrent cells (knowledge/recurrent.ts gives their gates). */
export type RecurrentCellKind = 'rnn' | 'lstm' | 'gru';

/**
 * A recurrent kernel's init: drawn by an initializer (its semantics give Var(W); the
 * structure follows from them: orthogonal or iid entries), or a scaled identity
 * (IRNN, Le et al. 2015: `nn.init.eye_`, Keras `Identity`), which no InitSemantics
 * describes because its entries are not drawn.
 */
export type RecurrentKernelInit =
  | { readonly kind: 'drawn'; readonly init: InitUse }
  | { readonly kind: 'identity'; readonly gain: number; readonly label: string; readonly span?: Span };

/** One gate's bias at init, summed over the framework's bias vectors (PyTorch has b_ih and b_hh). */
export interface GateBias {
  readonly mean: number;
  /** Second moment minus mean², from the input side's bias (b_ih). */
  readonly varianceIh: number;
  /** From the recurrent side's bias (b_hh; GRU's candidate gate multiplies it by the reset gate). */
  readonly varianceHh: number;
}

/**
 * What a recurrent layer adds to a weight layer (issue 15). The layer's own `init`,
 * `fans` and `frameworkFans` are the input kernel's (all gates stacked: fanOut =
 * gates·hidden); this holds the recurrent kernel, judged separately, and the sequence the
 * gradient travels back through.
 */
export interface RecurrentSpec {
  readonly cell: RecurrentCellKind;
  readonly hidden: number;
  /** The cell's state nonlinearity: tanh, or relu for nn.RNN(nonlinearity='relu') / SimpleRNN(activation='relu'). */
  readonly nonlinearity: Activation | 'unknown';
  readonly recurrentInit: RecurrentKernelInit;
  /** The recurrent kernel's fans as the framework's init code computes them (PyTorch weight_hh: (gates·hidden, hidden)). */
  readonly recurrentFrameworkFans: Fans;
  /** Per gate, in the order of knowledge/recurrent.ts (LSTM i, f, g, o; GRU r, z, n); undefined when unknown. */
  readonly gateBiases: readonly GateBias[] | undefined;
  /** Where the forget-gate bias is (or would be) set: the constructor's span, or the statement that sets it. */
  readonly forgetBiasSpan?: Span;
  /** Steps of the gradient through time: from the code, or the documented default (`fromCode` false). */
  readonly steps: { readonly value: number; readonly fromCode: boolean };
  readonly bidirectional: boolean;
  /**
   * Several layers stacked in one module (PyTorch num_layers > 1, or unknown): judged (every
   * layer's parameters agree, or they are unknown), not simulated step by step.
   */
  readonly stacked?: true;
  /** Edits for the recurrent kernel and the forget gate, in the file's style (undefined: no fix offered). */
  readonly fixes?: RecurrentFixBuilder;
}

/** Fixes on a recurrent layer, in the frontend's own language and style. */
export interface RecurrentFixBuilder {
  /** Sets the forget-gate bias to `value` at init (PyTorch: bias_ih/bias_hh slice; netdef: forget_bias=). */
  setForgetBias?(value: number): readonly TextEdit[] | undefined;
  /** Orthogonal recurrent kernel (tanh/gated cells, Saxe et al. 2014). */
  useOrthogonalRecurrent?(): readonly TextEdit[] | undefined;
  /** Identity recurrent kernel (ReLU RNNs, Le et al. 2015). */
  useIdentityRecurrent?(): readonly TextEdit[] | undefined;
}

/** Per spatial dimension (channels excluded), in the layer's own order. */
export interface ConvGeometry {
  readonly inputSpatial: readonly number[];
  readonly outputSpatial: readonly number[];
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  /** Zeros added before the first position in each dimension (after is implied by the sizes). */
  readonly padBefore: readonly number[];
  /**
   * Channel groups (a depthwise conv: its input channels), when the frontend states them; else
   * the simulation reads them from the fans as PyTorch counts them (framework fan_out / true fan_out).
   */
  readonly groups?: number;
}

/**
 * What sets a transposed convolution apart (init-math.md §c). Its `fans` count channels ×
 * kernel as a convolution's do (stride-free, the convention init judging uses for strided
 * convs too); the stride enters the forward pass instead of the backward one.
 */
export interface TransposedConv {
  /**
   * ∏ strides: each output position sums fanIn/upsampling inputs on average (exactly when
   * every stride divides its kernel size; ConvTranspose2d(128, 64, 4, stride=2): 2048/4 = 512).
   * The backward pass is exact: each input position feeds fanOut outputs (strideProduct 1).
   */
  readonly upsampling: number;
  /**
   * The framework's kernel layout has the output channels where a convolution has its
   * inputs (PyTorch (in, out/groups, *k), Keras (*k, filters, in), Flax with
   * `transpose_kernel=True`): its `fan_in` mode normalises by the layer's fanOut and
   * `fan_out` by its fanIn. Judging maps each mode to the direction it really measures
   * (He et al. 2015 §2.2: either direction suffices).
   */
  readonly layoutSwapped: boolean;
  /**
   * The convolution this layer is the transpose of, when the input's spatial size is known: it
   * maps the layer's output positions (its `inputSpatial`) back to the layer's input positions
   * (its `outputSpatial`) with the layer's kernel, stride and padding. Output position
   * i·s + k − padBefore receives input position i through tap k; the simulation's per-position
   * maps and the Monte-Carlo pass run this convolution's two directions swapped.
   */
  readonly adjoint?: ConvGeometry;
}

export interface Fans {
  readonly fanIn: number;
  /** For convolutions: output channels (per group for the true fans) × receptive field; no stride factor. */
  readonly fanOut: number;
}

/** A layer with a weight matrix or kernel: the unit the init rules judge and the JSON lists. */
export interface WeightLayer {
  readonly op: 'layer';
  readonly kind: WeightLayerKind;
  /** Position among the network's weight layers in forward order (0-based, repeats expanded). */
  readonly index: number;
  /** The whole statement or call that builds the layer. */
  readonly span: Span;
  /** Span of the layer's kind keyword / constructor name, for related information. */
  readonly kindSpan: Span;
  /**
   * True fans of the forward pass (per output position for conv), used for propagation.
   * Undefined when widths could not be resolved.
   */
  readonly fans: Fans | undefined;
  /**
   * Fans as the framework's init code computes them (they differ from the true ones for
   * grouped/depthwise and transposed convs, init-math.md §c); Var(W) uses these.
   */
  readonly frameworkFans: Fans | undefined;
  /** ∏ kernel dims for convolutions, 1 for dense and embedding (orthogonal init reshapes by it). */
  readonly receptiveField: number;
  /**
   * ∏ strides for convolutions, 1 otherwise. The backward pass reaches each input position
   * from fanOut/strideProduct outputs on average; judging an init uses fanOut unchanged
   * (He fan_out is correct on strided convs).
   */
  readonly strideProduct: number;
  /**
   * Spatial geometry of a convolution, when the input shape is known: the simulation
   * tracks a per-position map of second moments so zero padding at the borders counts
   * (over 20 layers the dense view is off by 2×, shared/oracle/README.md).
   */
  readonly conv?: ConvGeometry;
  /** Set for transposed convolutions only. */
  readonly transposed?: TransposedConv;
  /** Set for recurrent layers only (kind 'recurrent'). */
  readonly recurrent?: RecurrentSpec;
  /**
   * On a token embedding at the network's start: a learned position table summed onto its
   * output (GPT-2/nanoGPT's `wte(idx) + wpe(torch.arange(T))`). The stream's input is the sum:
   * second moment Var(wte) + Var(wpe), token correlation unchanged (each position its own row).
   * The table is a weight layer of the network too (in `layers`, judged as any embedding).
   */
  readonly positionEmbedding?: WeightLayer;
  /**
   * A convolution over disjoint patches (kernel = stride, no padding, dilation or groups) whose
   * output positions the code makes a stream's tokens (`self.proj(x).flatten(2).transpose(1, 2)`:
   * timm's PatchEmbed). Over tokens it is each patch's dense map, fanIn → fanOut/receptiveField
   * (the output channels), and each input pixel reaches one token's channels on the way back.
   */
  readonly patchTokens?: true;
  /**
   * A block of a copied stack (Network.identicalBlocks) whose weights are still the first
   * block's: the index of that block's corresponding layer. The Monte-Carlo pass draws the weights
   * (and bias) once and uses them in every copy, as PyTorch's deepcopy leaves them.
   */
  readonly copyOf?: number;
  /**
   * Set on the depthwise kernel of a Keras SeparableConv: it feeds the layer's pointwise
   * kernel directly (no activation between), so it is judged as a linear layer and the
   * messages name it as that kernel rather than "this linear layer".
   */
  readonly feedsPointwiseKernel?: true;
  /**
   * The framework computes this layer's fan_in as it really is, at any width (dense layers and
   * convolutions, grouped ones too; not Keras depthwise kernels, not transposed layouts): a
   * fan_in-scaled initializer can be judged even where the widths are unknown
   * (knowledge/assess.ts widthFreeScale, issue 11 §6).
   */
  readonly fanInIsTrue?: true;
  /** The activation fused into the layer (`activation=` option); `linear` when none. */
  readonly activation: ActivationUse | 'unknown';
  /**
   * The nonlinearity the layer's output feeds: the fused one, or a stand-alone activation
   * that follows (past a normalisation or dropout). `unknown` when it cannot be resolved.
   */
  readonly consumer: ActivationUse | 'unknown';
  /** A normalisation layer sits between this layer and its consumer activation. */
  readonly normalizedBeforeActivation: boolean;
  /**
   * A normalisation follows this layer's activation before any other weight layer
   * (Conv → ReLU → BatchNorm, ConvMixer's Conv → GELU → BatchNorm): it resets the scale the
   * next layer sees, so this layer's init scale cannot compound with depth either. Also set
   * when the layer's scale reaches the next norm as a mere factor through one bias-free
   * layer and a positively homogeneous activation (DCGAN's Conv → LeakyReLU →
   * Conv(bias=False) → BatchNorm): the norm removes it.
   */
  readonly normalizedAfterActivation?: true;
  /**
   * Inside a residual branch that starts with a normalisation (pre-LN transformers) or whose
   * sum is normalised (post-LN, BERT's norm(x + f(x))), found while tracing even where the
   * network's op sequence is incomplete (an attention the simulation cannot follow before
   * it): a small scale there is deliberate (knowledge/branches.ts).
   */
  readonly inNormalisedBranch?: true;
  /**
   * A query, key or value projection of an attention the frontend read: its scale reaches the
   * logits (IW401 judges them on the simulated stream) and the value path of the attention's
   * branch, not a chain of layers, so a small scale is not called too small (knowledge/branches.ts),
   * also where the network around it is not simulated.
   */
  readonly attentionProjection?: true;
  readonly init: InitUse;
  /** Second moment of the bias at initialisation (0 for zeros / no bias). */
  readonly biasVariance: number;
  /** Last weight layer of the network or of a residual branch (zero init is deliberate there). */
  readonly isLastInBranch: boolean;
  /** Set for every expansion of a `repeat` after the first; rules report each statement once. */
  readonly repeatInstance: number;
  /** Frontend-specific edit builder for fixes. */
  readonly fixes: FixBuilder;
}

export interface ActivationOp {
  readonly op: 'activation';
  readonly activation: ActivationUse;
  readonly span: Span;
}

export interface NormOp {
  readonly op: 'norm';
  /** RMSNorm (Zhang & Sennrich 2019) divides by the root mean square without centring. */
  readonly kind: 'batchnorm' | 'layernorm' | 'rmsnorm';
  /**
   * ε in x/√(Var + ε) as the code builds the norm (PyTorch `eps=` 1e-5, Keras `epsilon=` 1e-3,
   * Flax `epsilon=` 1e-6 by default; knowledge/normEpsilon.ts); 'unknown' when the code passes a
   * value InitWise cannot read: the simulation then declines (where the stream is small, ε decides
   * the norm's output: Keras's 1e-3 on a variance of 1.7e-3 leaves 0.63 of it).
   */
  readonly epsilon: number | 'unknown';
  readonly span: Span;
}

export interface DropoutOp {
  readonly op: 'dropout';
  /** Drop probability p; the kept units are scaled by 1/(1-p) at training time. */
  readonly rate: number;
  readonly alpha: boolean;
  readonly span: Span;
  /** Span of the keyword, for the AlphaDropout fix. */
  readonly kindSpan: Span;
}

/**
 * Stochastic depth (timm's DropPath, `drop_path(x, p, training)`, torchvision's
 * `StochasticDepth(p, 'row')`; Huang et al. 2016) at the end of a residual branch, simulated in
 * training mode as dropout is (DropoutOp): each SAMPLE's whole branch output is multiplied by
 * b/(1−p), b ~ Bernoulli(1−p), one draw for all its tokens and features. The mean is kept; every
 * second moment and every cross moment within a sample (two tokens, two positions) is multiplied
 * by 1/(1−p), and the gradient through it the same; the stream it is added to is untouched.
 */
export interface DropPathOp {
  readonly op: 'dropPath';
  /** p (0 ≤ p < 1) as simulated: read from the code, or 0 where it is not known (`assumed`). */
  readonly rate: number;
  /**
   * Set where the code does not decide p (`DropPath(p) if p > 0. else nn.Identity()` with p from a
   * config): simulated at p = 0 (the identity, every moment's lower bound: each p > 0 multiplies
   * the branch's moments by 1/(1−p) ≥ 1), and hover and report say so.
   */
  readonly assumed?: true;
  /** The class or function as written (`DropPath`, `drop_path`, `StochasticDepth`). */
  readonly label: string;
  readonly span: Span;
}

export interface FlattenOp {
  readonly op: 'flatten';
  readonly span: Span;
}

/**
 * Max or average pooling over windows of each channel's positions (PyTorch MaxPool/AvgPool,
 * Keras MaxPooling/AveragePooling, their global forms: one window over every position). The
 * Monte-Carlo pass pools as the framework does; the analytic pass carries the pool's moments
 * (simulation/poolSignal.ts: a max window's order statistics, an average's own parts averaged
 * away and its per-channel offset kept, the gradient routed as the pool routes it).
 */
export interface PoolOp {
  readonly op: 'pool';
  readonly kind: 'max' | 'average';
  /** Window, stride and zeros before the first position, per spatial dimension (a global pool: the whole input). */
  readonly geometry: ConvGeometry;
  /**
   * Average pooling only: padded positions count in the divisor (PyTorch's count_include_pad=True
   * default); false: the mean of the real positions (Keras 'same'). Max pooling never picks padding.
   */
  readonly countPadding: boolean;
  /** The output is flat (Keras GlobalAveragePooling2D: [channels]), else [channels, ...outputSpatial]. */
  readonly flat: boolean;
  readonly span: Span;
}

export interface ResidualOp {
  readonly op: 'residual';
  /** y = x + scale · body(x), or shortcut(x) + scale · body(x) when `shortcut` is set. */
  readonly scale: number;
  readonly body: readonly Op[];
  /**
   * A projection shortcut (ResNet's `downsample` / `shortcut`: a strided 1×1 convolution and a
   * BatchNorm where the block changes width or resolution): the sum's other side, run on the same
   * input. Absent: the identity.
   */
  readonly shortcut?: readonly Op[];
  readonly span: Span;
}

/**
 * Multi-head self-attention over the tokens of a sequence (simulation/attention.ts):
 * per head, softmax(scale · q·kᵀ [+ causal mask]) · v, heads concatenated, then the output
 * projection. The four projections are weight layers of the network (in `layers`, in the
 * order query, key, value, output), each judged like any linear layer.
 */
export interface AttentionOp {
  readonly op: 'attention';
  readonly heads: number;
  /** Width of one head (d_model / heads unless written). */
  readonly headDim: number;
  /** The factor actually applied to q·kᵀ; undefined when the frontend cannot determine it. */
  readonly logitScale: number | undefined;
  /** How the scale reads in the source: `1/√64`, `1/64`, `none`, `0.125`. */
  readonly scaleLabel: string;
  /** Span of the scale as written, when it was written. */
  readonly scaleSpan?: Span;
  /** Each query sees only the keys up to its own position (GPT-style decoders). */
  readonly causal: boolean;
  /**
   * Cross-attention (encoder–decoder): the queries come from the op's input, the keys and values
   * from the memory, the stream the network's last `MemoryOp` before this op made. Absent:
   * self-attention (queries, keys and values from the same input).
   */
  readonly crossAttention?: true;
  readonly query: WeightLayer;
  readonly key: WeightLayer;
  readonly value: WeightLayer;
  /**
   * The output projection of the merged heads; absent where the code has none (vit-pytorch's
   * `to_out = nn.Identity()` when `project_out = not (heads == 1 and dim_head == dim)` is false):
   * the merged heads are the attention's output.
   */
  readonly output?: WeightLayer;
  readonly span: Span;
  readonly kindSpan: Span;
  /** Frontend-specific edits for IW401's fix; absent where the frontend cannot write them. */
  readonly fixes?: AttentionFixBuilder;
}

/** Edits an attention's logit scale in the file's own spelling. */
export interface AttentionFixBuilder {
  /** Sets the scale to 1/√head_dim; undefined when it cannot be written safely. */
  useStandardScale(): readonly TextEdit[] | undefined;
}

/**
 * The memory of an encoder–decoder network (nn.Transformer: the encoder's output; a decoder
 * block's `memory` argument): `body` runs over the network's second input (the source tokens)
 * and its output is what later cross-attentions read keys and values from; the main stream
 * passes through unchanged. An empty body: the memory is an input of the network (unit second
 * moment). The gradient every cross-attention sends to the memory is summed and carried back
 * through `body`.
 */
export interface MemoryOp {
  readonly op: 'memory';
  readonly body: readonly Op[];
  /** Tokens per memory sequence (the source length); undefined: the network's own tokens. */
  readonly tokens?: number;
  readonly span: Span;
}

/**
 * A table with one row per token added to the stream of tokens, whose init is known (ViT's
 * `x + self.pos_embedding` with `nn.Parameter(torch.randn(1, n + 1, dim))`, timm's
 * `trunc_normal_(self.pos_embed, std=.02)`). Its elements are independent zero-mean draws of
 * `init` (docs/python.md "Position tables"), so it adds `secondMoment` to every token's second
 * moment and nothing to the cross moment of two tokens; a table left at zero adds nothing.
 */
export interface PositionTableOp {
  readonly op: 'positionTable';
  /** The learned table's init (undefined for a fixed table: `fixed`). */
  readonly init: InitSemantics | undefined;
  /** A fixed table computed by the code, not drawn (a registered sin/cos buffer, a 2-D sin-cos table). */
  readonly fixed?: FixedPositionTable;
  /** E[p²] of one element (Var of the init; exact for a truncated normal with its bounds; 1/2 for a sinusoidal table). */
  readonly secondMoment: number;
  /** How the init reads (`trunc_normal_(std=0.02)`, `randn`). */
  readonly label: string;
  readonly span: Span;
}

/**
 * Vaswani et al.'s fixed table (2017, §3.5): pe[p, 2i] = sin(p·ω_i), pe[p, 2i+1] = cos(p·ω_i),
 * ω_i = base^(−2i/width), rows p = 0…T−1 (simulation/sinusoidalTable.ts). Unlike a drawn table its
 * rows are correlated (the slow columns are nearly constant) and each row has a mean over its
 * columns, which LayerNorm removes per token.
 */
export interface SinusoidalTable {
  readonly kind: 'sinusoidal';
  readonly base: number;
  /** d_model (even): the table's columns. */
  readonly width: number;
  /** Rows the code computes (max_len): the stream may use at most these. */
  readonly rows: number;
}

/**
 * The 2-D sin-cos table of a grid of patches (vit-pytorch's `posemb_sincos_2d`; Chen, Xie & He
 * 2021, MoCo v3): row p = r·gridWidth + c is [sin(c·ω_i), cos(c·ω_i), sin(r·ω_i), cos(r·ω_i)] over
 * i < width/4, ω_i = base^(−i/(width/4 − 1)) (simulation/sinCos2dTable.ts). Added whole: the
 * stream has exactly `rows` tokens.
 */
export interface SinCos2dTable {
  readonly kind: 'sincos2d';
  readonly base: number;
  /** 4·(dim // 4): the table's columns. */
  readonly width: number;
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** gridHeight·gridWidth. */
  readonly rows: number;
}

export type FixedPositionTable = SinusoidalTable | SinCos2dTable;

/**
 * A learned token put in front of every sequence (ViT's class token: `torch.cat((cls_tokens, x),
 * dim=1)` with `cls_token = nn.Parameter(torch.randn(1, 1, dim))`): the same drawn row for every
 * sequence, independent of the input. The stream after it has one token more than before.
 */
export interface ClassTokenOp {
  readonly op: 'classToken';
  readonly init: InitSemantics;
  readonly secondMoment: number;
  readonly label: string;
  readonly span: Span;
}

/**
 * The signal multiplied by a known constant c (`emb(idx) * math.sqrt(d_model)`, the transformer
 * tutorial's and Vaswani et al.'s √d on the token embedding, §3.4; `x *= 0.5`; `h / 2`): every
 * element times c, so the second moment and the cross moment of two tokens times c², the mean
 * times c, and backward the gradient times c, its second moment times c². A factor the frontend
 * cannot fold to a number is no op: the network is not simulated.
 */
export interface ScaleOp {
  readonly op: 'scale';
  /** The factor c (finite, not ±1: an identity is no step). */
  readonly factor: number;
  /** The expression as written (`math.sqrt(self.d_model)`), for the report. */
  readonly label: string;
  readonly span: Span;
}

/**
 * One vector per sequence from its tokens, as a ViT's head reads them (vit-pytorch's `pool`):
 * `mean`, `x.mean(dim = 1)` of a (batch, tokens, features) stream: E[x̄²] = (m + (n−1)·c)/n of
 * the tokens' second moment m and cross moment c, and backward every token receives the gradient
 * / n; `first`, `x[:, 0]` (the class token): its second moment, and backward the gradient reaches
 * that token only (E[g²] over the tokens / n, no cross moment).
 */
export interface TokenPoolOp {
  readonly op: 'tokenPool';
  readonly kind: 'mean' | 'first';
  readonly span: Span;
}

export type Op = WeightLayer | ActivationOp | NormOp | DropoutOp | DropPathOp | FlattenOp | PoolOp | ResidualOp | AttentionOp | MemoryOp | PositionTableOp | ClassTokenOp | ScaleOp | TokenPoolOp;

export interface Network {
  readonly name: string;
  /** The header (for network-level findings). */
  readonly span: Span;
  readonly nameSpan: Span;
  readonly framework: Framework;
  /** Input shape, channels first; undefined when missing. */
  readonly inputShape: readonly number[] | undefined;
  readonly ops: readonly Op[];
  /** Every weight layer in forward order (residual bodies and repeats expanded). */
  readonly layers: readonly WeightLayer[];
  /** Weights are loaded (from_pretrained, load_state_dict, ...): init findings are moot. */
  readonly pretrained: boolean;
  /**
   * Set when `ops` cannot represent the data flow (a concatenation, a sum of two sides that are
   * not both convolutional blocks, a call the Python frontend cannot follow): the rules still judge the layers, the simulation
   * declines, and this says why.
   */
  readonly unsimulable?: string;
  /**
   * Where a script builds the network (`mlp = TabularMLP()`), when the network is anchored
   * at the class or builder function that defines it: network findings list it as related information.
   */
  readonly instantiation?: { readonly span: Span; readonly name: string };
  /**
   * Tokens per sequence when the network runs over a sequence (attention): from the code, or
   * undefined (the token-stream simulation then assumes DEFAULT_TOKENS and says so).
   */
  readonly tokens?: number;
  /**
   * The code `tokens` was read from, for hover and report (`config.block_size`: the rows of a
   * learned position table, nanoGPT's `nn.Embedding(config.block_size, n_embd)`).
   */
  readonly tokensFrom?: string;
  /**
   * Stacks whose blocks start from identical weights: `nn.TransformerEncoder(layer, N)` deep-copies
   * one initialised layer (torch/nn/modules/transformer.py `_get_clones`), and the weights no
   * init code re-draws per block stay copies (their layers carry `WeightLayer.copyOf`). IW404
   * reports the stack. The analytic pass assumes independent draws, so it declines the network
   * (`monteCarloOnly` says why); the Monte-Carlo pass draws the shared weights once.
   */
  readonly identicalBlocks?: readonly IdenticalBlocks[];
  /**
   * Set when only the Monte-Carlo pass can simulate the network (its ops are complete, but the
   * analytic pass's independent draws are not what the framework builds): why, in words
   * ("its 12 blocks start from identical weights (TransformerEncoder copies one initialised layer)").
   */
  readonly monteCarloOnly?: string;
}

/** A stack of N blocks copied from one initialised block (Network.identicalBlocks). */
export interface IdenticalBlocks {
  /** The call that copies (`nn.TransformerEncoder(layer, num_layers=6)`). */
  readonly span: Span;
  readonly className: string;
  readonly copies: number;
  /** The weights every block still shares at init, as PyTorch names them within a block (`linear1.weight`). */
  readonly weights: readonly string[];
  /** How many random weights a block has (4 in an encoder layer, 6 in a decoder layer): all shared when `weights` has as many. */
  readonly blockWeights: number;
  /** The block's attentions as PyTorch names them (`self_attn`, and a decoder layer's `multihead_attn`): what a re-draw resets. */
  readonly attentions: readonly string[];
  /** Edits that draw each block afresh with the layer's own defaults, when they can be written (IW404's fix). */
  readonly redraw?: readonly TextEdit[];
}

/** The recommended initializer a fix switches to, independent of spelling. */
export type InitChoice =
  | { readonly family: 'he_normal'; readonly negativeSlope?: number }
  | { readonly family: 'glorot_uniform' }
  | { readonly family: 'lecun_normal' }
  | { readonly family: 'variance_scaling'; readonly scale: number; readonly mode: FanMode;
      readonly distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform' }
  | { readonly family: 'framework_default' };

/**
 * Builds text edits in the file's own language and style. Each method returns
 * undefined when the frontend cannot express the change safely; the rule then offers
 * no fix rather than a broken one.
 */
export interface FixBuilder {
  setInitializer(choice: InitChoice): readonly TextEdit[] | undefined;
  setActivation(activation: Activation): readonly TextEdit[] | undefined;
  /**
   * `reach`: how many layers of the network the rule found set by this same call, all
   * wanting these arguments (a call in a loop over layers); the edit is offered only when
   * the call sets exactly those layers.
   */
  setKaimingArguments(args: { nonlinearity: string; a?: number }, reach?: number): readonly TextEdit[] | undefined;
  /** The arguments as the file would write them (`nonlinearity='tanh'` in Python); undefined: the plain `nonlinearity=tanh`. */
  describeKaimingArguments?(args: { nonlinearity: string; a?: number }): string;
  /** The spelling the fix would write for an initializer, for fix titles ("Use he_normal"). */
  describeInitializer(choice: InitChoice): string;
  /**
   * What the initializer this builder writes for a choice really does, where that differs
   * from the choice's plain semantics (a Keras depthwise or a transposed layout is written
   * with another fan mode); the counterfactual simulation uses it. Undefined: the plain ones.
   */
  semanticsOf?(choice: InitChoice): InitSemantics | undefined;
  /**
   * Divides a fixed-std initializer's std by √branches, in the file's idiom (nanoGPT's
   * `std=0.02/math.sqrt(2 * n_layer)`; IW402's fix). `group`: the fix builders of every branch
   * output of the network whose init is the same as this layer's (`init.span`), this one
   * included; `sharing`: how many layers of the network that init sets (more than the group:
   * it also sets layers that are no branch output, as one `_init_weights` for every Linear
   * does). Undefined when the init is not a fixed std or the edit cannot be written safely.
   */
  scaleStdForDepth?(branches: number, group?: readonly FixBuilder[], sharing?: number): readonly TextEdit[] | undefined;
}

/** Edits for a dropout op (SELU networks want AlphaDropout). */
export interface DropoutFixBuilder {
  useAlphaDropout(op: DropoutOp): readonly TextEdit[] | undefined;
}

/** Walks ops in forward order, descending into residual bodies (then their shortcuts) and the memory's ops (an encoder). */
export function walkOps(ops: readonly Op[], out: Op[] = []): Op[] {
  // An array, not a generator: the rules and the token-stream check walk every network's
  // ops, and a generator per residual body (with a result object per op) was ~0.5 MB of
  // the 3,500-line benchmark file's allocations (issue 16).
  for (const op of ops) {
    out.push(op);
    if (op.op === 'residual' || op.op === 'memory') walkOps(op.body, out);
    if (op.op === 'residual' && op.shortcut) walkOps(op.shortcut, out);
  }
  return out;
}

/** The weight layers an op holds, in forward order (an attention holds its four projections, or three without an output projection). */
export function attentionProjections(op: AttentionOp): readonly WeightLayer[] {
  return op.output ? [op.query, op.key, op.value, op.output] : [op.query, op.key, op.value];
}
