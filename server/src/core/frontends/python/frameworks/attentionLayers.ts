/**
 * PyTorch's attention layers as the interpreter holds them (issue 15): `nn.MultiheadAttention`,
 * `nn.TransformerEncoderLayer` / `nn.TransformerEncoder`, `nn.TransformerDecoderLayer` /
 * `nn.TransformerDecoder` and `nn.Transformer` (encoder + decoder), with the inits their own
 * `_reset_parameters` gives (torch/nn/modules/activation.py, transformer.py, PyTorch 1.13–2.x):
 *   in_proj_weight [3E, E]   xavier_uniform_ over the whole matrix: Var = 2/(E + 3E) = 1/(2E)
 *   in_proj_bias, out_proj.bias   0
 *   out_proj (a Linear)      Linear's default, kaiming_uniform_(a=√5): Var = 1/(3E)
 *   linear1, linear2         Linear's default (TransformerEncoderLayer)
 * q, k and v are three layers here (true fans E → E; the framework's fans the whole [3E, E]
 * matrix, which xavier_uniform_ reads). Settings that change the computation beyond what the
 * AttentionOp holds (add_bias_kv, add_zero_attn, kdim/vdim other than E) leave the layer
 * unreadable: its value is unknown.
 */
import type { ActivationUse, FixBuilder, InitUse, NormOp } from '../../../ir';
import { defaultNormEpsilon } from '../../../knowledge/normEpsilon';
import { type AttentionModule, classRecord, type CopiedStackModule, type DecoderLayerModule, type EncoderLayerModule, type ModuleValue, type TransformerModule, type WeightModule } from '../interpreter/modules';
import { argument, type CallParts, type Node, spanOf } from '../syntax/syntax';
import { evaluate, evaluateCount, isNumber } from '../interpreter/values';
import { readActivationValue } from './activations';
import { type CatalogContext, flaxWeight, torchWeight } from './catalog';
import { readInitializerValue } from './initializers';
import { isKerasAttention, kerasAttention } from './kerasAttention';

/** No edits: in_proj_weight is one parameter of three layers; a fix would need its own spelling. */
const NO_FIXES: FixBuilder = {
  setInitializer: () => undefined,
  setActivation: () => undefined,
  setKaimingArguments: () => undefined,
  describeInitializer: () => '',
};

/**
 * The layer's own design, not a default the constructor lets one choose: it counts as an
 * accepted default (IW101/IW301 leave it; what it does to the logits, the stream and the tokens
 * is IW401–IW403's). xavier_uniform_ over [3E, E] gives each of q, k, v fan_in·Var = 1/2.
 */
const XAVIER_UNIFORM: InitUse = {
  semantics: { kind: 'xavier', gain: 1, distribution: 'uniform' },
  label: 'PyTorch default for in_proj_weight (xavier_uniform_ over [3E, E])', explicit: true, acceptedDefault: true,
};

const boolOf = (node: Node | undefined, ctx: CatalogContext, fallback: boolean): boolean | undefined => {
  if (!node) return fallback;
  const v = evaluate(node, ctx.scope);
  return typeof v === 'boolean' ? v : undefined;
};

/**
 * nn.MultiheadAttention(embed_dim, num_heads, dropout=0., bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False).
 * `inside`: the attention a transformer layer builds from its own d_model and nhead (read by the caller), with the other settings at their defaults.
 */
export function multiheadAttention(canonical: string, call: CallParts, ctx: CatalogContext, at: CallParts = call, inside?: { embedDim: number | undefined; heads: number | undefined }): AttentionModule {
  const embedDim = inside ? inside.embedDim : evaluateCount(argument(call, 0, 'embed_dim') ?? argument(call, -1, 'd_model'), ctx.scope);
  const heads = inside ? inside.heads : evaluateCount(argument(call, 1, 'num_heads') ?? argument(call, -1, 'nhead'), ctx.scope);
  const bias = inside ? true : boolOf(argument(call, 3, 'bias'), ctx, true);
  const biasKv = inside ? false : boolOf(argument(call, 4, 'add_bias_kv'), ctx, false);
  const zeroAttn = inside ? false : boolOf(argument(call, 5, 'add_zero_attn'), ctx, false);
  const kdimNode = inside ? undefined : argument(call, 6, 'kdim');
  const vdimNode = inside ? undefined : argument(call, 7, 'vdim');
  const sameDims = [kdimNode, vdimNode].every((n) => !n || evaluate(n, ctx.scope) === null || (embedDim !== undefined && evaluate(n, ctx.scope) === embedDim));
  const unreadable = call.spread && !inside ? 'arguments given by * or **'
    : biasKv !== false ? 'add_bias_kv adds a learned key and value'
      : zeroAttn !== false ? 'add_zero_attn adds a zero key and value'
        : !sameDims ? 'kdim or vdim differs from embed_dim'
          : bias === undefined ? 'bias= is not a constant'
            : embedDim === undefined || heads === undefined || embedDim % heads !== 0 ? 'embed_dim or num_heads is unknown' : undefined;
  const fans = embedDim ? { fanIn: embedDim, fanOut: embedDim } : undefined;
  const whole = embedDim ? { fanIn: embedDim, fanOut: 3 * embedDim } : undefined;
  const attributes = { embed_dim: embedDim ?? null, num_heads: heads ?? null };
  const inProj = (): WeightModule => {
    const layer = torchWeight(`${canonical}.in_proj`, at, ctx, 'dense', { fans, frameworkFans: whole, receptiveField: 1, strideProduct: 1, outShape: undefined }, bias === false, attributes);
    return { ...layer, init: XAVIER_UNIFORM, biasVariance: 0, fixes: NO_FIXES, torchFixes: undefined };
  };
  const outProj = torchWeight('torch.nn.Linear', at, ctx, 'dense', { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: undefined }, bias === false, { in_features: embedDim ?? null, out_features: embedDim ?? null });
  // out_proj is a Linear of its own: a fix edits an init call written for it (its constructor is not the user's).
  const out: WeightModule = { ...outProj, biasVariance: 0 };
  return {
    kind: 'attention', className: canonical, record: classRecord(canonical, attributes), call: call.node, heads, embedDim,
    ...(unreadable ? { unreadable } : {}), projections: [inProj(), inProj(), inProj(), out],
  };
}

/** Argument positions of the settings PyTorch's transformer layers share (nn.Transformer's differ). */
interface LayerPositions { dModel: number; heads: number; ff: number; dropout: number; activation: number; layerNormEps: number; normFirst: number }
const LAYER_POSITIONS: LayerPositions = { dModel: 0, heads: 1, ff: 2, dropout: 3, activation: 4, layerNormEps: 5, normFirst: 7 };
const TRANSFORMER_POSITIONS: LayerPositions = { dModel: 0, heads: 1, ff: 4, dropout: 5, activation: 6, layerNormEps: 9, normFirst: 11 };

/**
 * nn.Transformer._reset_parameters: xavier_uniform_ on every parameter with dim > 1 (PyTorch
 * 1.13–2.x transformer.py), so out_proj, linear1 and linear2 too; biases keep their own inits
 * (MultiheadAttention's zeros, Linear's U(±1/√fan_in)). The module's own design: an accepted default.
 */
const TRANSFORMER_XAVIER: InitUse = {
  semantics: { kind: 'xavier', gain: 1, distribution: 'uniform' },
  label: 'nn.Transformer default: xavier_uniform_ on every weight (_reset_parameters)', explicit: true, acceptedDefault: true,
};

interface LayerSettings {
  readonly attention: () => AttentionModule;
  readonly dense: () => { linear1: WeightModule; linear2: WeightModule };
  readonly activation: ModuleValue;
  readonly dropout: number | undefined;
  readonly normFirst: boolean | undefined;
  /** layer_norm_eps (default 1e-5), every LayerNorm of the layer's. */
  readonly layerNormEpsilon: NormOp['epsilon'];
}

/** What an encoder or decoder layer (or nn.Transformer, `positions`) reads from its constructor call; `xavier`: nn.Transformer's reset. */
function layerSettings(call: CallParts, ctx: CatalogContext, positions: LayerPositions, defaults: { dModel?: number; heads?: number }, xavier: boolean): LayerSettings {
  const read = (index: number, name: string, fallback: number | undefined) => {
    const node = argument(call, index, name);
    return node ? evaluateCount(node, ctx.scope) : fallback;
  };
  const d = read(positions.dModel, 'd_model', defaults.dModel);
  const heads = read(positions.heads, 'nhead', defaults.heads);
  const ff = read(positions.ff, 'dim_feedforward', 2048);
  const dropoutNode = argument(call, positions.dropout, 'dropout');
  const dropoutValue = dropoutNode ? evaluate(dropoutNode, ctx.scope) : 0.1;
  const activationNode = argument(call, positions.activation, 'activation');
  const relu: ActivationUse = { name: 'relu', explicit: false };
  const use = activationNode ? readActivationValue(activationNode, ctx.scope, ctx.imports, 'pytorch') : relu;
  const span = spanOf(call.node);
  const activation: ModuleValue = { kind: 'activation', use, span, className: 'torch.nn.ReLU', record: classRecord('activation') };
  const linear = (inF: number | undefined, outF: number | undefined): WeightModule => {
    const fans = inF && outF ? { fanIn: inF, fanOut: outF } : undefined;
    const layer = torchWeight('torch.nn.Linear', call, ctx, 'dense', { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: undefined }, false, { in_features: inF ?? null, out_features: outF ?? null });
    return xavier ? { ...layer, init: TRANSFORMER_XAVIER } : layer;
  };
  const attention = (): AttentionModule => {
    // The layer's own call holds its settings, not MultiheadAttention's: `TransformerEncoderLayer(d, h, ff, dropout)`
    // (the PyTorch tutorial's) has dim_feedforward and dropout where MultiheadAttention has dropout and bias.
    const module = multiheadAttention('torch.nn.MultiheadAttention', call, ctx, call, { embedDim: d, heads });
    if (!xavier) return module;
    const [q, k, v, out] = module.projections;
    return { ...module, projections: [q, k, v, { ...out, init: TRANSFORMER_XAVIER }] };
  };
  return {
    attention, dense: () => ({ linear1: linear(d, ff), linear2: linear(ff, d) }), activation,
    dropout: isNumber(dropoutValue) ? dropoutValue : undefined,
    normFirst: boolOf(argument(call, positions.normFirst, 'norm_first'), ctx, false),
    layerNormEpsilon: layerNormEps(argument(call, positions.layerNormEps, 'layer_norm_eps'), ctx),
  };
}

function layerNormEps(node: Node | undefined, ctx: CatalogContext): NormOp['epsilon'] {
  if (!node) return defaultNormEpsilon('pytorch', 'layernorm');
  const value = evaluate(node, ctx.scope);
  return isNumber(value) && value >= 0 ? value : 'unknown';
}

/**
 * nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
 * layer_norm_eps, batch_first=False, norm_first=False).
 */
export function encoderLayer(canonical: string, call: CallParts, ctx: CatalogContext, settings = layerSettings(call, ctx, LAYER_POSITIONS, {}, false)): EncoderLayerModule {
  const { attention, activation, dropout, normFirst, layerNormEpsilon } = settings;
  return {
    kind: 'encoderLayer', className: canonical, record: classRecord(canonical), call: call.node, attention: attention(),
    ...settings.dense(), activation, dropout, normFirst, layerNormEpsilon, copies: 1,
  };
}

/** nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu, layer_norm_eps, batch_first=False, norm_first=False). */
export function decoderLayer(canonical: string, call: CallParts, ctx: CatalogContext, settings = layerSettings(call, ctx, LAYER_POSITIONS, {}, false)): DecoderLayerModule {
  const { attention, activation, dropout, normFirst, layerNormEpsilon } = settings;
  return {
    kind: 'decoderLayer', className: canonical, record: classRecord(canonical), call: call.node,
    selfAttention: attention(), crossAttention: attention(), ...settings.dense(), activation, dropout, normFirst, layerNormEpsilon, copies: 1,
  };
}

/**
 * nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
 * dim_feedforward=2048, dropout=0.1, activation=relu, custom_encoder=None, custom_decoder=None,
 * layer_norm_eps=1e-5, batch_first=False, norm_first=False): an encoder stack and a decoder stack,
 * each with a final LayerNorm (also under norm_first), every weight xavier_uniform_
 * (TRANSFORMER_XAVIER). A custom encoder or decoder is not read: undefined.
 */
export function transformer(canonical: string, call: CallParts, ctx: CatalogContext): TransformerModule | undefined {
  for (const [index, name] of [[7, 'custom_encoder'], [8, 'custom_decoder']] as const) {
    const node = argument(call, index, name);
    if (node && evaluate(node, ctx.scope) !== null) return undefined;
  }
  if (call.spread) return undefined;
  const settings = layerSettings(call, ctx, TRANSFORMER_POSITIONS, { dModel: 512, heads: 8 }, true);
  const count = (index: number, name: string) => {
    const node = argument(call, index, name);
    return node ? evaluateCount(node, ctx.scope) : 6;
  };
  const encoders = count(2, 'num_encoder_layers');
  const decoders = count(3, 'num_decoder_layers');
  if (encoders === undefined || decoders === undefined) return undefined;
  const span = spanOf(call.node);
  const norm = (): ModuleValue => ({ kind: 'norm', normKind: 'layernorm', epsilon: settings.layerNormEpsilon, span, className: 'torch.nn.LayerNorm', record: classRecord('torch.nn.LayerNorm') });
  return {
    kind: 'transformer', className: canonical, record: classRecord(canonical), call: call.node,
    encoder: { ...encoderLayer('torch.nn.TransformerEncoder', call, ctx, settings), copies: encoders, finalNorm: norm() },
    decoder: { ...decoderLayer('torch.nn.TransformerDecoder', call, ctx, settings), copies: decoders, finalNorm: norm() },
  };
}

/**
 * nn.TransformerDecoder(decoder_layer, num_layers, norm=None): deep copies of the layer
 * (`_get_clones`, as nn.TransformerEncoder), so every block starts with the values the layer
 * holds at this call; the inits are noted as encoderStack notes them.
 */
export function decoderStack(layer: DecoderLayerModule, layers: number | undefined, norm: ModuleValue | undefined, call: CallParts): DecoderLayerModule | undefined {
  if (layers === undefined || layer.copies !== 1) return undefined;
  return { ...layer, className: 'torch.nn.TransformerDecoder', call: call.node, copies: layers, initsAtCopy: initsOf(layer), ...(norm ? { finalNorm: norm } : {}) };
}

/**
 * nn.TransformerEncoder(encoder_layer, num_layers, norm=None): deep copies of the layer
 * (`_get_clones`), so every block starts with the values the layer holds at this call. The inits
 * are noted here: one still unchanged at the forward pass was never re-drawn per block.
 */
export function encoderStack(layer: EncoderLayerModule, layers: number | undefined, norm: ModuleValue | undefined, call: CallParts): EncoderLayerModule | undefined {
  if (layers === undefined || layer.copies !== 1) return undefined;
  return { ...layer, className: 'torch.nn.TransformerEncoder', call: call.node, copies: layers, initsAtCopy: initsOf(layer), ...(norm ? { finalNorm: norm } : {}) };
}

/** Each block weight's init as the layer holds it now (at the copy). */
function initsOf(layer: CopiedStackModule): Map<WeightModule, InitUse> {
  const inits = new Map<WeightModule, InitUse>();
  for (const { modules } of blockWeights(layer)) for (const module of modules) inits.set(module, module.init);
  return inits;
}

/** The attentions of a block by their PyTorch names. */
export function blockAttentions(layer: CopiedStackModule): { readonly name: string; readonly attention: AttentionModule }[] {
  return layer.kind === 'encoderLayer' ? [{ name: 'self_attn', attention: layer.attention }]
    : [{ name: 'self_attn', attention: layer.selfAttention }, { name: 'multihead_attn', attention: layer.crossAttention }];
}

/** The block's random weights by their PyTorch names (q, k and v are slices of one in_proj_weight). */
export function blockWeights(layer: CopiedStackModule): { readonly name: string; readonly modules: readonly WeightModule[] }[] {
  return [
    ...blockAttentions(layer).flatMap(({ name, attention }) => {
      const [q, k, v, out] = attention.projections;
      return [{ name: `${name}.in_proj_weight`, modules: [q, k, v] }, { name: `${name}.out_proj.weight`, modules: [out] }];
    }),
    { name: 'linear1.weight', modules: [layer.linear1] },
    { name: 'linear2.weight', modules: [layer.linear2] },
  ];
}


/**
 * The weights of a copied stack that every block still shares at the forward pass: those whose
 * init no code replaced after the copy (an `apply`, a parameter loop or `reset_parameters()`
 * draws each block afresh, as PyTorch runs them once per block), unless it is a constant (the
 * blocks would hold equal values anyway).
 */
export function sharedBlockWeights(stack: CopiedStackModule): string[] {
  const atCopy = stack.initsAtCopy;
  if (!atCopy || stack.copies < 2) return [];
  return blockWeights(stack)
    .filter(({ modules }) => modules.some((m) => m.init === atCopy.get(m) && m.init.semantics?.kind !== 'constant'))
    .map(({ name }) => name);
}

/**
 * The weight modules of a copied stack whose values every block still holds from the copy: those
 * sharedBlockWeights counts, one by one (q, k and v are each a slice of in_proj_weight).
 */
export function sharedBlockModules(stack: CopiedStackModule): WeightModule[] {
  const atCopy = stack.initsAtCopy;
  if (!atCopy || stack.copies < 2) return [];
  return blockWeights(stack).flatMap(({ modules }) => modules.filter((m) => m.init === atCopy.get(m) && m.init.semantics?.kind !== 'constant'));
}

/**
 * `attention._reset_parameters()` (nn.MultiheadAttention's own, as its constructor runs it):
 * in_proj_weight re-drawn xavier_uniform_, in_proj_bias and out_proj.bias zeroed; out_proj's
 * weight is left as it is.
 */
export function resetAttentionParameters(attention: AttentionModule): void {
  const [q, k, v, out] = attention.projections;
  for (const projection of [q, k, v]) {
    projection.init = { ...XAVIER_UNIFORM };
    projection.biasVariance = 0;
  }
  out.biasVariance = 0;
}

/**
 * Keywords of Flax's `MultiHeadDotProductAttention` (flax/linen/attention.py) read here or with
 * no effect on the statistics at initialisation (dtypes, precision, dropout on the weights);
 * any other (attention_fn, decode, normalize_qk, bias_init, einsum classes, …) makes the layer
 * unreadable.
 */
const FLAX_ATTENTION_KEYWORDS: ReadonlySet<string> = new Set([
  'num_heads', 'qkv_features', 'out_features', 'dtype', 'param_dtype', 'broadcast_dropout', 'dropout_rate', 'deterministic',
  'precision', 'kernel_init', 'out_kernel_init', 'use_bias', 'name', 'parent',
]);

/**
 * Flax linen `nn.MultiHeadDotProductAttention(num_heads, qkv_features=None, out_features=None,
 * kernel_init=lecun_normal, out_kernel_init=None, use_bias=True, …)` and `nn.SelfAttention`:
 * query, key and value are DenseGeneral layers d → (heads, qkv/heads) and the output one
 * (heads, qkv/heads) → out; DenseGeneral hands kernel_init the kernel flattened to 2-D
 * ([∏ in, ∏ out]), so the fans are the true ones (d, qkv; qkv, out) and lecun_normal gives
 * Var = 1/fan_in exactly. Biases zeros. The logits are scaled by 1/√(qkv/heads)
 * (dot_product_attention divides the query by √depth). Widths left None are the input's.
 */
export function flaxAttention(canonical: string, call: CallParts, ctx: CatalogContext): AttentionModule {
  const heads = evaluateCount(argument(call, 0, 'num_heads'), ctx.scope);
  const features = (name: string): number | null | undefined => {
    const node = call.keywords.get(name)?.value;
    if (!node || evaluate(node, ctx.scope) === null) return null;
    return evaluateCount(node, ctx.scope);
  };
  const qkvFeatures = features('qkv_features');
  const outFeatures = features('out_features');
  const useBias = boolOf(call.keywords.get('use_bias')?.value, ctx, true);
  // bias_init has no effect without biases (Flax's examples pass both with use_bias=False).
  const unknownKeyword = [...call.keywords.keys()].find((k) => !FLAX_ATTENTION_KEYWORDS.has(k) && !(useBias === false && (k === 'bias_init' || k === 'out_bias_init')));
  const unreadable = call.spread ? 'arguments given by * or **'
    : call.positional.length > 1 ? 'positional arguments after num_heads'
      : unknownKeyword !== undefined ? `${unknownKeyword}= is not read`
        : heads === undefined ? 'num_heads is unknown'
          : qkvFeatures === undefined || outFeatures === undefined ? 'qkv_features or out_features is unknown'
            : useBias === undefined ? 'use_bias= is not a constant' : undefined;
  // Widths are known at the call (attention on the input's features): the interpreter fixes each geometry there.
  const none = () => ({ fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined });
  // One kernel_init for four kernels: an edit for one layer would change the others, so no fix
  // (the initializer is still described in the file's spelling).
  const projection = (): WeightModule => {
    const layer = flaxWeight(canonical, call, ctx, 'dense', none);
    return { ...layer, fixes: { ...NO_FIXES, describeInitializer: (init) => layer.fixes.describeInitializer(init) } };
  };
  const out = projection();
  const outInitNode = call.keywords.get('out_kernel_init')?.value;
  if (outInitNode && evaluate(outInitNode, ctx.scope) !== null) {
    const read = readInitializerValue(outInitNode, ctx.scope, ctx.imports, 'flax');
    out.init = { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span: spanOf(outInitNode) };
  }
  return {
    kind: 'attention', className: canonical, record: classRecord(canonical, { num_heads: heads ?? null }), call: call.node, heads, embedDim: undefined,
    ...(unreadable ? { unreadable } : {}), projections: [projection(), projection(), projection(), out],
    flax: { qkvFeatures: qkvFeatures ?? null, outFeatures: outFeatures ?? null },
  };
}

/**
 * Keywords of Flax nnx's `MultiHeadAttention` (flax/nnx/nn/attention.py, Flax 0.12.8) read here or
 * with no effect on the statistics at initialisation (dtypes and their promotion, precision,
 * dropout on the weights, sharding metadata, the rngs).
 */
const NNX_ATTENTION_KEYWORDS: ReadonlySet<string> = new Set([
  'num_heads', 'in_features', 'qkv_features', 'out_features', 'num_kv_heads', 'in_kv_features', 'dtype', 'param_dtype', 'broadcast_dropout',
  'dropout_rate', 'deterministic', 'precision', 'kernel_init', 'out_kernel_init', 'use_bias', 'decode', 'normalize_qk', 'rngs', 'keep_rngs',
  'qkv_promote_dtype', 'out_promote_dtype', 'ln_promote_dtype', 'kernel_metadata', 'out_kernel_metadata', 'bias_metadata', 'out_bias_metadata',
  'query_ln_scale_metadata', 'key_ln_scale_metadata',
]);

/**
 * Flax nnx `nnx.MultiHeadAttention(num_heads, in_features, qkv_features=None, out_features=None,
 * num_kv_heads=None, in_kv_features=None, …, kernel_init=lecun_normal, out_kernel_init=None,
 * bias_init=zeros, use_bias=True, attention_fn=dot_product_attention, decode=None,
 * normalize_qk=False, …, rngs)`: as linen's, four LinearGeneral layers in → (heads, qkv/heads)
 * and (heads, qkv/heads) → out whose kernel_init sees the kernel flattened to 2-D
 * (`kernel_init_wrap`), so the fans are the true ones; qkv_features and out_features default to
 * in_features; the query is divided by √(qkv/heads). `decode` must be False (None raises at
 * the call unless the call passes it: the call may pass `decode=False`). Grouped heads
 * (num_kv_heads), another key/value width, `normalize_qk`, `attention_fn` and bias
 * initializers with biases are not read.
 */
export function nnxAttention(canonical: string, call: CallParts, ctx: CatalogContext): AttentionModule {
  // linen's reading of what both share (num_heads, kernel_init, out_kernel_init, use_bias); the rest is nnx's own.
  const shared = new Set(['num_heads', 'kernel_init', 'out_kernel_init', 'use_bias']);
  const module = flaxAttention(canonical, { ...call, positional: call.positional.slice(0, 1), keywords: new Map([...call.keywords].filter(([k]) => shared.has(k))) }, ctx);
  const { scope } = ctx;
  const count = (index: number, name: string): number | null | undefined => {
    const node = argument(call, index, name);
    if (!node || evaluate(node, scope) === null) return null;
    return evaluateCount(node, scope);
  };
  const inFeatures = count(1, 'in_features');
  const qkv = count(2, 'qkv_features');
  const outFeatures = count(3, 'out_features');
  const kvHeads = count(-1, 'num_kv_heads');
  const kvFeatures = count(-1, 'in_kv_features');
  const useBias = boolOf(call.keywords.get('use_bias')?.value, ctx, true);
  const decodeNode = call.keywords.get('decode')?.value;
  const decode = decodeNode ? evaluate(decodeNode, scope) : null;
  const normalize = boolOf(call.keywords.get('normalize_qk')?.value, ctx, false);
  const unknownKeyword = [...call.keywords.keys()].find((k) => !NNX_ATTENTION_KEYWORDS.has(k) && !(useBias === false && (k === 'bias_init' || k === 'out_bias_init')));
  const heads = module.heads;
  const width = qkv ?? inFeatures;
  const unreadable = call.spread ? 'arguments given by * or **'
    : call.positional.length > 4 ? 'positional arguments after out_features'
      : unknownKeyword !== undefined ? `${unknownKeyword}= is not read`
        : heads === undefined || typeof inFeatures !== 'number' ? 'num_heads or in_features is unknown'
          : qkv === undefined || outFeatures === undefined ? 'qkv_features or out_features is unknown'
            : !(kvHeads === null || kvHeads === heads) ? 'num_kv_heads groups the key and value heads'
              : !(kvFeatures === null || kvFeatures === inFeatures) ? 'in_kv_features differs from in_features'
                : normalize !== false ? 'normalize_qk= normalises the queries and keys'
                  : !(decode === null || decode === false) ? 'decode= is not False'
                    : useBias === undefined ? 'use_bias= is not a constant'
                      : width === null || width === undefined || width % heads !== 0 ? 'qkv_features is not a multiple of num_heads' : undefined;
  return {
    kind: 'attention', className: canonical, record: module.record, call: call.node, heads, embedDim: undefined,
    ...(unreadable ? { unreadable } : {}), projections: module.projections,
    flax: { qkvFeatures: qkv ?? null, outFeatures: outFeatures ?? null, ...(typeof inFeatures === 'number' ? { inFeatures } : {}), decodeGiven: decode === false },
  };
}

/** The attention layers of the catalog; undefined for any other name. */
export function attentionLayerModule(canonical: string, call: CallParts, ctx: CatalogContext): ModuleValue | undefined {
  if (canonical === 'torch.nn.MultiheadAttention') return multiheadAttention(canonical, call, ctx);
  if (canonical === 'torch.nn.TransformerEncoderLayer') return encoderLayer(canonical, call, ctx);
  if (canonical === 'torch.nn.TransformerDecoderLayer') return decoderLayer(canonical, call, ctx);
  if (canonical === 'torch.nn.Transformer') return transformer(canonical, call, ctx) ?? { kind: 'opaque', className: canonical, record: classRecord(canonical) };
  if (canonical === 'flax.linen.MultiHeadDotProductAttention' || canonical === 'flax.linen.SelfAttention') return flaxAttention(canonical, call, ctx);
  if (isKerasAttention(canonical)) return kerasAttention(canonical, call, ctx);
  if (canonical === 'flax.nnx.MultiHeadAttention') return nnxAttention(canonical, call, ctx);
  return undefined;
}
