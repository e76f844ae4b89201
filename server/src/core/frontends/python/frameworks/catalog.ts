/**
 * The framework layers InitWise understands, by canonical class name: weight layers
 * with their geometry and fans (init-math.md §b, §c), activation modules, normalisation,
 * dropout, flatten and shape-only layers. Anything else from a framework is opaque: the
 * analysis does not guess through it.
 */
import type { SiteCounts } from '../units/siteCounts';
import type { ActivationUse, ConvGeometry, Fans, Framework, InitUse, NormOp, WeightLayerKind } from '../../../ir';
import { kerasApplicationOutput } from '../interpreter/libraryModelValues';
import { frameworkDefaultBiasVariance, frameworkDefaultInit } from '../../../knowledge/defaults';
import { readActivationValue } from './activations';
import { type ConvFans, flaxTransposedFans, kerasDepthwiseFans, kerasTransposedFans, torchTransposedFans, transposedLength } from './convFans';
import {
  FlaxFixBuilder, KerasFixBuilder, kerasInitializerPrefix, keywordSite, TorchFixBuilder, type TorchFixContext,
} from '../fixes/fixBuilder';
import type { Imports } from './imports';
import { readInitializerValue } from './initializers';
import type { KernelLayout } from './kernelLayout';
import { channelsLast, kerasReshape } from './kerasShapeLayers';
import { normLayerEpsilon } from './normEpsilon';
import { stochasticDepthModule } from './stochasticDepth';
import { kerasPool, torchPool } from './poolLayers';
import { convSpatialGeometry, transposedAdjoint, transposedPadBefore, type SpatialPadding } from './convGeometry';
import { classRecord, type Geometry, type ModuleValue, type WeightModule } from '../interpreter/modules';
import { argument, type CallParts, type Node, spanOf } from '../syntax/syntax';
import type { UnknownNames } from './unknownNames';
import { evaluate, evaluateCount, evaluateSizes, isNumber, type Scope, type Value } from '../interpreter/values';

export interface CatalogContext {
  readonly source: string;
  readonly imports: Imports;
  readonly scope: Scope;
  readonly quote: string;
  /** The file writes Keras initializers as objects (`HeNormal()`), not strings. */
  readonly kerasObjectStyle: boolean;
  /** …written by the snake-case functions (`initializers.he_normal()`), not the classes. */
  readonly kerasFunctionStyle: boolean;
  /** How many modules each constructor call (by start offset) has built (siteCounts.ts). */
  readonly sites: SiteCounts;
  /** IW002 for unknown activation and initializer strings. */
  readonly names: UnknownNames;
}

/** A Keras layer's fixes write `initializers.he_normal()` when its own initializer is such a call, else as its module does. */
export function functionStyleAt(initNode: Node | undefined, ctx: CatalogContext): boolean {
  if (initNode?.type === 'call') {
    const name = initNode.childForFieldName('function')?.text.split('.').pop() ?? '';
    return /^[a-z]/.test(name);
  }
  return ctx.kerasFunctionStyle;
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

export function defaultInit(framework: Framework, kind: WeightLayerKind): InitUse {
  const d = frameworkDefaultInit(framework, kind);
  return { semantics: d.semantics, label: d.label, explicit: false, acceptedDefault: false };
}

/** A keyword's constant value; undefined when absent or not constant. */
function constantOf(node: Node | undefined, scope: Scope): Value | undefined {
  return node ? evaluate(node, scope) : undefined;
}

/** The callee's last identifier (`Dropout` in `nn.Dropout`), for edits that rename the class. */
function lastIdentifierSpan(call: CallParts): { start: number; end: number } {
  const callee = call.callee;
  const attr = callee.type === 'attribute' ? callee.childForFieldName('attribute') : callee;
  return spanOf(attr ?? callee);
}

/** Geometry from fans computed by convFans.ts, with the output shape (and the spatial geometry, when known). */
function convGeometry(c: ConvFans | undefined, outShape: readonly number[] | undefined, conv?: ConvGeometry): Geometry {
  if (!c) return { fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape };
  return { ...c, outShape, ...(conv ? { conv } : {}) };
}

/** 'same'/'valid' as written (any case), else undefined: Keras 'causal', Flax 'CIRCULAR' or explicit pairs have no geometry here. */
function namedPadding(padding: Value | undefined): 'same' | 'valid' | undefined {
  const lower = typeof padding === 'string' ? padding.toLowerCase() : undefined;
  return lower === 'same' || lower === 'valid' ? lower : undefined;
}

/** The spatial axes of a channels-last shape, all known; undefined otherwise. */
function spatialOf(input: readonly number[] | undefined, rank: number): number[] | undefined {
  if (!input || input.length !== rank + 1) return undefined;
  const spatial = input.slice(0, -1);
  return spatial.every((n) => Number.isInteger(n) && n >= 1) ? spatial : undefined;
}

/** A Keras/Flax transposed conv's adjoint convolution (ir.ts TransposedConv.adjoint) from channels-last shapes. */
function channelsLastAdjoint(
  input: readonly number[] | undefined, outShape: readonly number[], kernel: readonly number[], strides: readonly number[], padding: string, dilated: boolean,
): ConvGeometry | undefined {
  const inputSpatial = spatialOf(input, kernel.length);
  const outputSpatial = spatialOf(outShape, kernel.length);
  const named = namedPadding(padding);
  if (dilated || !inputSpatial || !outputSpatial || !named) return undefined;
  const padBefore = transposedPadBefore(inputSpatial, outputSpatial, kernel, strides, named);
  return padBefore ? transposedAdjoint(inputSpatial, outputSpatial, kernel, strides, padBefore, 1) : undefined;
}

/** `strides=None` (Flax's default) as the stride-1 fallback; else evaluateSizes. */
function stridesOf(node: Node | undefined, scope: Scope, rank: number): number[] | undefined {
  return evaluateSizes(node?.type === 'none' ? undefined : node, scope, rank, 1);
}

/** A boolean keyword: its constant value, the default when absent, undefined when not constant. */
function flagOf(node: Node | undefined, scope: Scope, fallback: boolean): boolean | undefined {
  if (!node) return fallback;
  const v = evaluate(node, scope);
  return typeof v === 'boolean' ? v : undefined;
}

/** Keras `output_padding`: an int or a tuple of ints ≥ 0 per spatial axis; undefined when not constant. */
function outputPaddingOf(node: Node, scope: Scope, rank: number): number[] | undefined {
  const v = evaluate(node, scope);
  const valid = (x: Value | undefined) => isNumber(x) && Number.isInteger(x) && x >= 0;
  if (valid(v)) return Array.from({ length: rank }, () => v as number);
  if (!Array.isArray(v) || v.length !== rank || !(v as readonly Value[]).every(valid)) return undefined;
  return (v as readonly number[]).slice();
}

/** True when a dilation argument is absent or 1 everywhere (the output shapes below assume it). */
function undilated(node: Node | undefined, scope: Scope, rank: number): boolean {
  if (!node || node.type === 'none') return true;
  return evaluateSizes(node, scope, rank, 1)?.every((d) => d === 1) ?? false;
}

/** Keras/Flax transposed conv output shape (features last); spatial NaN where unknown. */
function transposedOutput(
  shape: readonly number[] | undefined, kernel: readonly number[], strides: readonly number[], padding: string,
  outputPadding: readonly number[] | undefined, dilated: boolean, features: number,
): number[] {
  const spatial = kernel.map((k, i) => {
    const n = shape && shape.length === kernel.length + 1 ? shape[i]! : NaN;
    return dilated ? NaN : transposedLength(n, k, strides[i]!, padding, outputPadding?.[i]);
  });
  return [...spatial, features];
}

function withShape(shape: readonly number[] | undefined, last: number): number[] {
  return shape && shape.length > 0 ? [...shape.slice(0, -1), last] : [last];
}

// ── PyTorch ───────────────────────────────────────────────────────────────

const TORCH_NORMS: Readonly<Record<string, NormOp['kind']>> = {
  BatchNorm1d: 'batchnorm', BatchNorm2d: 'batchnorm', BatchNorm3d: 'batchnorm', SyncBatchNorm: 'batchnorm',
  LazyBatchNorm1d: 'batchnorm', LazyBatchNorm2d: 'batchnorm',
  LayerNorm: 'layernorm', GroupNorm: 'layernorm', RMSNorm: 'rmsnorm', LocalResponseNorm: 'layernorm',
  InstanceNorm1d: 'layernorm', InstanceNorm2d: 'layernorm', InstanceNorm3d: 'layernorm',
};
const TORCH_PASS = /^(MaxPool[123]d|AvgPool[123]d|AdaptiveAvgPool[123]d|AdaptiveMaxPool[123]d|Upsample|UpsamplingNearest2d|ZeroPad[123]d|ConstantPad[123]d|ReflectionPad[123]d|ReplicationPad[123]d|PixelShuffle|Unflatten|ChannelShuffle)$/;

function torchModule(canonical: string, call: CallParts, ctx: CatalogContext): ModuleValue | undefined {
  const name = canonical.slice('torch.nn.'.length);
  if (name.includes('.')) return undefined;
  const record = classRecord(canonical);
  const { scope } = ctx;
  if (name === 'Linear') {
    const inF = evaluateCount(argument(call, 0, 'in_features'), scope);
    const outF = evaluateCount(argument(call, 1, 'out_features'), scope);
    const bias = constantOf(argument(call, 2, 'bias'), scope);
    const fans: Fans | undefined = inF && outF ? { fanIn: inF, fanOut: outF } : undefined;
    return torchWeight(canonical, call, ctx, 'dense', { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: undefined },
      bias === false, { in_features: inF ?? null, out_features: outF ?? null, ...torchBiasAttribute(argument(call, 2, 'bias'), scope) });
  }
  const transposed = /^ConvTranspose([123])d$/.exec(name);
  if (transposed) return torchTransposed(canonical, call, ctx, Number(transposed[1]));
  const conv = /^Conv([123])d$/.exec(name);
  if (conv) {
    const rank = Number(conv[1]);
    const groupsNode = argument(call, -1, 'groups');
    return torchConv(canonical, call, ctx, rank, {
      inC: evaluateCount(argument(call, 0, 'in_channels'), scope),
      outC: evaluateCount(argument(call, 1, 'out_channels'), scope),
      kernel: evaluateSizes(argument(call, 2, 'kernel_size'), scope, rank, undefined),
      stride: evaluateSizes(argument(call, 3, 'stride'), scope, rank, 1),
      groups: groupsNode ? evaluateCount(groupsNode, scope) : 1,
      bias: torchBiasAttribute(argument(call, -1, 'bias'), scope),
      padding: torchPadding(argument(call, 4, 'padding'), scope, rank),
      dilation: torchDilation(argument(call, 5, 'dilation'), scope, rank),
      zeros: torchZeroPadding(call, scope),
    });
  }
  if (name === 'Embedding') {
    const num = evaluateCount(argument(call, 0, 'num_embeddings'), scope);
    const dim = evaluateCount(argument(call, 1, 'embedding_dim'), scope);
    const geometry: Geometry = num && dim
      ? { fans: { fanIn: 1, fanOut: dim }, frameworkFans: { fanIn: dim, fanOut: num }, receptiveField: 1, strideProduct: 1, outShape: undefined }
      : { fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined };
    return torchWeight(canonical, call, ctx, 'embedding', geometry, true, { num_embeddings: num ?? null, embedding_dim: dim ?? null });
  }
  const norm = TORCH_NORMS[name];
  if (norm) return { kind: 'norm', normKind: norm, epsilon: normLayerEpsilon('pytorch', name, norm, call, scope), span: spanOf(call.node), className: canonical, record };
  if (name === 'Dropout' || name === 'Dropout1d' || name === 'Dropout2d' || name === 'Dropout3d' || name === 'AlphaDropout' || name === 'FeatureAlphaDropout') {
    const p = constantOf(argument(call, 0, 'p'), scope);
    const rate = argument(call, 0, 'p') ? (isNumber(p) ? p : undefined) : 0.5;
    return { kind: 'dropout', rate, alpha: name.includes('Alpha'), span: spanOf(call.node), kindSpan: lastIdentifierSpan(call), className: canonical, record };
  }
  if (name === 'Flatten') return { kind: 'flatten', span: spanOf(call.node), className: canonical, record };
  const pool = torchPool(name, call, scope);
  if (pool) return { kind: 'pass', reshape: pool.reshape, pool: pool.op, span: spanOf(call.node), className: canonical, record };
  // nn.Identity returns its input: the shape stays known (a block's `norm_layer` of nn.Identity).
  if (name === 'Identity') return { kind: 'pass', reshape: (shape) => shape, className: canonical, record };
  if (TORCH_PASS.test(name)) return { kind: 'pass', reshape: () => undefined, className: canonical, record };
  const activation = readActivationValue(call.node, scope, ctx.imports, 'pytorch');
  if (activation !== 'unknown') return { kind: 'activation', use: activation, span: spanOf(call.node), className: canonical, record };
  if (/^[A-Z]/.test(name)) return { kind: 'opaque', className: canonical, record };
  return undefined;
}

/** What nn.Conv1d/2d/3d was given, folded: undefined where not constant (`bias` as torchBiasAttribute reads it). */
export interface TorchConvArguments {
  readonly inC: number | undefined;
  readonly outC: number | undefined;
  readonly kernel: number[] | undefined;
  readonly stride: number[] | undefined;
  readonly groups: number | undefined;
  readonly bias: { bias?: Value };
  readonly padding: SpatialPadding | undefined;
  readonly dilation: number[] | undefined;
  /** `padding_mode` zeros. */
  readonly zeros: boolean;
}

/**
 * nn.Conv1d/2d/3d from its folded arguments: written directly, or built by a factory that
 * computes them (timm's `create_conv2d`: its padding rule, `depthwise`, `bias=False`; timmLayers.ts).
 */
export function torchConv(canonical: string, call: CallParts, ctx: CatalogContext, rank: number, args: TorchConvArguments): WeightModule {
  const { inC, outC, kernel, stride, groups, padding, dilation, zeros } = args;
  let geometry: Geometry = { fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined };
  if (inC && outC && kernel && stride && groups && inC % groups === 0 && outC % groups === 0) {
    const k = product(kernel);
    geometry = {
      fans: { fanIn: (inC / groups) * k, fanOut: (outC / groups) * k },
      // PyTorch's fan_out ignores groups (pytorch#23854): init-math.md §c.
      frameworkFans: { fanIn: (inC / groups) * k, fanOut: outC * k },
      receptiveField: k,
      strideProduct: product(stride),
      outShape: undefined,
    };
  }
  const kind: WeightLayerKind = rank === 1 ? 'conv1d' : rank === 2 ? 'conv2d' : 'conv3d';
  // timm's PatchEmbed: `Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)` reads disjoint patches.
  const disjoint = geometry.fans !== undefined && groups === 1 && kernel !== undefined && stride !== undefined && kernel.every((k, i) => k === stride[i])
    && dilation?.every((d) => d === 1) === true && (padding === 'valid' || (Array.isArray(padding) && padding.every((p) => p === 0)));
  if (disjoint) geometry = { ...geometry, patches: true };
  // The input's shape (channels first) gives the spatial geometry and the output's shape (convGeometry.ts).
  const spatial = (input: readonly number[] | undefined): Geometry => {
    if (!input || input.length !== rank + 1 || input[0] !== inC || !outC || !kernel || !stride || !padding || !dilation || !geometry.fans) return geometry;
    const inputSpatial = input.slice(1);
    const outSpatial = torchConvLengths(inputSpatial, kernel, stride, padding, dilation);
    const undilatedZeros = dilation.every((d) => d === 1) && zeros;
    const conv = undilatedZeros ? convSpatialGeometry(inputSpatial, kernel, stride, padding, groups) : undefined;
    return { ...geometry, outShape: outSpatial ? [outC, ...outSpatial] : undefined, ...(conv ? { conv } : {}) };
  };
  return torchWeight(canonical, call, ctx, kind, spatial, args.bias.bias === null, {
    in_channels: inC ?? null, out_channels: outC ?? null, kernel_size: kernel ?? null, stride: stride ?? null, groups: groups ?? null,
    ...args.bias,
  });
}

/**
 * nn.ConvTranspose1d/2d/3d(in, out, kernel_size, stride=1, padding=0, output_padding=0,
 * groups=1, bias=True, dilation=1): a weight layer with swapped framework fans
 * (convFans.ts). Like Conv, no output shape is tracked (PyTorch shapes are not followed).
 */
function torchTransposed(canonical: string, call: CallParts, ctx: CatalogContext, rank: number): WeightModule {
  const { scope } = ctx;
  const inC = evaluateCount(argument(call, 0, 'in_channels'), scope);
  const outC = evaluateCount(argument(call, 1, 'out_channels'), scope);
  const kernel = evaluateSizes(argument(call, 2, 'kernel_size'), scope, rank, undefined);
  const stride = evaluateSizes(argument(call, 3, 'stride'), scope, rank, 1);
  const groupsNode = argument(call, 6, 'groups');
  const groups = groupsNode ? evaluateCount(groupsNode, scope) : 1;
  const bias = constantOf(argument(call, 7, 'bias'), scope);
  const fans = inC && outC && kernel && stride && groups ? torchTransposedFans(inC, outC, kernel, stride, groups) : undefined;
  const kind: WeightLayerKind = rank === 1 ? 'conv1d' : rank === 2 ? 'conv2d' : 'conv3d';
  const padding = torchPadding(argument(call, 4, 'padding'), scope, rank);
  const outputPaddingNode = argument(call, 5, 'output_padding');
  const outputPadding = outputPaddingNode ? torchPadding(outputPaddingNode, scope, rank) : new Array<number>(rank).fill(0);
  const dilation = torchDilation(argument(call, 8, 'dilation'), scope, rank);
  const zeros = torchZeroPadding(call, scope);
  // (n−1)·s − 2p + d·(k−1) + output_padding + 1 per dimension (torch/nn/modules/conv.py ConvTranspose2d).
  const spatial = (input: readonly number[] | undefined): Geometry => {
    const plain = convGeometry(fans, undefined);
    if (!fans || !input || input.length !== rank + 1 || input[0] !== inC || !outC || !kernel || !stride || !groups || !dilation
      || padding === undefined || typeof padding === 'string' || outputPadding === undefined || typeof outputPadding === 'string') return plain;
    const inputSpatial = input.slice(1);
    const outSpatial = inputSpatial.map((n, i) => (n - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (kernel[i]! - 1) + outputPadding[i]! + 1);
    if (!outSpatial.every((n) => Number.isInteger(n) && n >= 1)) return plain;
    const adjoint = dilation.every((d) => d === 1) && zeros ? transposedAdjoint(inputSpatial, outSpatial, kernel, stride, padding, groups) : undefined;
    return { ...plain, outShape: [outC, ...outSpatial], ...(adjoint && plain.transposed ? { transposed: { ...plain.transposed, adjoint } } : {}) };
  };
  return torchWeight(canonical, call, ctx, kind, spatial, bias === false, {
    in_channels: inC ?? null, out_channels: outC ?? null, kernel_size: kernel ?? null, stride: stride ?? null, groups: groups ?? null,
  }, { kind: 'swapped', groups: groups ?? NaN });
}

/**
 * `m.bias` as init code tests it (nanoGPT's `if module.bias is not None: zeros_(module.bias)`):
 * a parameter when `bias` is left out or a constant true, None when a constant false; left
 * out (the test stays undecided) when the argument cannot be evaluated.
 */
function torchBiasAttribute(node: Node | undefined, scope: Scope): { bias?: Value } {
  if (!node) return { bias: { attributes: new Map() } };
  const bias = constantOf(node, scope);
  return bias === true ? { bias: { attributes: new Map() } } : bias === false ? { bias: null } : {};
}

/** PyTorch `padding`: an int or a tuple of ints ≥ 0, or 'same'/'valid'; absent: zeros. Undefined when not constant. */
function torchPadding(node: Node | undefined, scope: Scope, rank: number): SpatialPadding | undefined {
  if (!node) return new Array<number>(rank).fill(0);
  const v = evaluate(node, scope);
  if (v === 'same' || v === 'valid') return v;
  const valid = (x: Value | undefined) => isNumber(x) && Number.isInteger(x) && x >= 0;
  if (valid(v)) return new Array<number>(rank).fill(v as number);
  if (Array.isArray(v) && v.length === rank && (v as readonly Value[]).every(valid)) return (v as readonly number[]).slice();
  return undefined;
}

/** PyTorch `dilation` (absent: 1); undefined when not constant. */
function torchDilation(node: Node | undefined, scope: Scope, rank: number): number[] | undefined {
  return evaluateSizes(node, scope, rank, 1);
}

/** `padding_mode` absent or "zeros": the padding is zeros (reflect/replicate/circular have no per-position map here). */
function torchZeroPadding(call: CallParts, scope: Scope): boolean {
  const node = call.keywords.get('padding_mode')?.value;
  return !node || evaluate(node, scope) === 'zeros';
}

/** ⌊(L + 2p − d·(k−1) − 1)/s⌋ + 1 per dimension (torch/nn/modules/conv.py), 'same' keeps L; undefined when empty. */
function torchConvLengths(
  input: readonly number[], kernel: readonly number[], stride: readonly number[], padding: SpatialPadding, dilation: readonly number[],
): number[] | undefined {
  if (!input.every((n) => Number.isInteger(n) && n >= 1)) return undefined;
  const out = input.map((n, i) => {
    if (padding === 'same') return n;
    const p = padding === 'valid' ? 0 : padding[i]!;
    return Math.floor((n + 2 * p - dilation[i]! * (kernel[i]! - 1) - 1) / stride[i]!) + 1;
  });
  return out.every((n) => n >= 1) ? out : undefined;
}

export function torchWeight(
  canonical: string, call: CallParts, ctx: CatalogContext, kind: WeightLayerKind, geometry: Geometry | ((input: readonly number[] | undefined) => Geometry), noBias: boolean,
  attributes: Record<string, Value>, layout?: KernelLayout,
): WeightModule {
  const fixContext: TorchFixContext = {
    source: ctx.source,
    initPrefix: ctx.imports.spellingOf('torch.nn.init') ?? (ctx.imports.spellingOf('torch.nn') ? `${ctx.imports.spellingOf('torch.nn')}.init` : ctx.imports.spellingOf('torch') ? `${ctx.imports.spellingOf('torch')}.nn.init` : undefined),
    quote: ctx.quote,
    ...(layout ? { layout } : {}),
  };
  const fixes = new TorchFixBuilder(fixContext);
  const start = call.node.startIndex;
  const sites = ctx.sites;
  sites.add('construction', start);
  fixes.constructions = () => sites.get('construction', start);
  const shapeFree = typeof geometry === 'function' ? geometry(undefined) : geometry;
  const bias = noBias ? 0 : frameworkDefaultBiasVariance('pytorch', kind, shapeFree.frameworkFans?.fanIn ?? 0);
  return {
    kind: 'weight', framework: 'pytorch', layerKind: kind, className: canonical, call: call.node, kindSpan: spanOf(call.callee),
    geometry: typeof geometry === 'function' ? geometry : () => geometry, activation: { name: 'linear', explicit: false }, init: defaultInit('pytorch', kind),
    biasVariance: bias, fixes, torchFixes: fixes, record: classRecord(canonical, attributes),
  };
}

// ── Keras ─────────────────────────────────────────────────────────────────

const KERAS_NORMS: Readonly<Record<string, NormOp['kind']>> = {
  BatchNormalization: 'batchnorm', SyncBatchNormalization: 'batchnorm', LayerNormalization: 'layernorm', GroupNormalization: 'layernorm',
  RMSNormalization: 'rmsnorm', UnitNormalization: 'layernorm',
};

function convOutput(shape: readonly number[] | undefined, kernel: readonly number[], strides: readonly number[], padding: string, filters: number): number[] {
  const spatial = kernel.map((k, i) => {
    const n = shape && shape.length === kernel.length + 1 ? shape[i]! : NaN;
    if (!Number.isFinite(n)) return NaN;
    return padding === 'same' ? Math.ceil(n / strides[i]!) : Math.floor((n - k) / strides[i]!) + 1;
  });
  return [...spatial, filters];
}

function kerasModule(canonical: string, call: CallParts, ctx: CatalogContext): ModuleValue | undefined {
  const name = canonical.slice('keras.layers.'.length);
  if (name.includes('.')) return undefined;
  const { scope } = ctx;
  const record = classRecord(canonical);
  if (name === 'Dense') {
    const units = evaluateCount(argument(call, 0, 'units'), scope);
    return kerasWeight(canonical, call, ctx, 'dense', (input) => {
      const inF = input?.[input.length - 1];
      const fans = units && inF !== undefined && Number.isFinite(inF) ? { fanIn: inF, fanOut: units } : undefined;
      return { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: units ? withShape(input, units) : undefined };
    }, 1);
  }
  const conv = /^Conv(?:olution)?([123])D$/.exec(name);
  if (conv) {
    const rank = Number(conv[1]);
    const filters = evaluateCount(argument(call, 0, 'filters'), scope);
    const kernel = evaluateSizes(argument(call, 1, 'kernel_size'), scope, rank, undefined);
    const strides = evaluateSizes(argument(call, 2, 'strides'), scope, rank, 1);
    const paddingNode = argument(call, 3, 'padding');
    const padding = paddingNode ? evaluate(paddingNode, scope) : 'valid';
    const groupsNode = argument(call, -1, 'groups');
    const groups = groupsNode ? evaluateCount(groupsNode, scope) : 1;
    const kind: WeightLayerKind = rank === 1 ? 'conv1d' : rank === 2 ? 'conv2d' : 'conv3d';
    const layout = channelsLast(call, scope);
    const dilated = !undilated(argument(call, 5, 'dilation_rate'), scope, rank);
    return kerasWeight(canonical, call, ctx, kind, (input) => {
      const channels = input?.[input.length - 1];
      if (!filters || !kernel || !strides || !groups || typeof padding !== 'string' || !layout) {
        return { fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined };
      }
      const k = product(kernel);
      const outShape = convOutput(input, kernel, strides, padding.toLowerCase(), filters);
      if (channels === undefined || !Number.isFinite(channels) || channels % groups !== 0 || filters % groups !== 0) {
        return { fans: undefined, frameworkFans: undefined, receptiveField: k, strideProduct: product(strides), outShape };
      }
      const spatial = spatialOf(input, rank);
      const named = namedPadding(padding);
      const conv = spatial && named && !dilated ? convSpatialGeometry(spatial, kernel, strides, named, groups) : undefined;
      return {
        fans: { fanIn: (channels / groups) * k, fanOut: (filters / groups) * k },
        // Keras computes fan_out from the kernel shape (*k, in/groups, filters): ∏k·filters.
        frameworkFans: { fanIn: (channels / groups) * k, fanOut: filters * k },
        receptiveField: k, strideProduct: product(strides), outShape, ...(conv ? { conv } : {}),
      };
    }, 7);
  }
  const transposed = /^Conv(?:olution)?([123])DTranspose$/.exec(name);
  if (transposed) return kerasTransposed(canonical, call, ctx, Number(transposed[1]));
  const depthwise = /^DepthwiseConv([12])D$/.exec(name);
  if (depthwise) return kerasDepthwise(canonical, call, ctx, Number(depthwise[1]));
  const separable = /^SeparableConv(?:olution)?([12])D$/.exec(name);
  if (separable) return kerasSeparable(canonical, call, ctx, Number(separable[1]));
  if (name === 'Embedding') {
    const num = evaluateCount(argument(call, 0, 'input_dim'), scope);
    const dim = evaluateCount(argument(call, 1, 'output_dim'), scope);
    const layer = kerasWeight(canonical, call, ctx, 'embedding', (input) => ({
      // One row per token: the true fans need only the width (`tokenizer.vocabulary_size()` rows still give 1→dim).
      fans: dim ? { fanIn: 1, fanOut: dim } : undefined,
      frameworkFans: num && dim ? { fanIn: num, fanOut: dim } : undefined,
      receptiveField: 1, strideProduct: 1, outShape: dim ? [...(input ?? [NaN]), dim] : undefined,
    }), -1);
    // mask_zero (a keyword: its position differs between Keras 2 and 3) makes the output carry a per-token mask.
    const maskZero = call.keywords.get('mask_zero')?.value;
    const mask = call.spread || call.positional.length > 5 ? 'unknown' : maskZero ? (constantOf(maskZero, scope) === true ? 'token' : constantOf(maskZero, scope) === false ? undefined : 'unknown') : undefined;
    return mask ? { ...layer, kerasMask: mask } : layer;
  }
  const norm = KERAS_NORMS[name];
  if (norm) return { kind: 'norm', normKind: norm, epsilon: normLayerEpsilon('keras', name, norm, call, scope), span: spanOf(call.node), className: canonical, record };
  if (name === 'Dropout' || name === 'AlphaDropout' || name === 'SpatialDropout1D' || name === 'SpatialDropout2D' || name === 'SpatialDropout3D') {
    const r = constantOf(argument(call, 0, 'rate'), scope);
    return { kind: 'dropout', rate: isNumber(r) ? r : undefined, alpha: name === 'AlphaDropout', span: spanOf(call.node), kindSpan: lastIdentifierSpan(call), className: canonical, record };
  }
  if (name === 'Flatten') return { kind: 'flatten', span: spanOf(call.node), className: canonical, record };
  if (/^Global(Average|Max)Pooling[123]D$/.test(name)) {
    const layout = channelsLast(call, scope);
    return {
      kind: 'pass', reshape: (s) => (layout && s && s.length > 0 ? [s[s.length - 1]!] : undefined), className: canonical, record,
      pool: kerasPool(name, call, scope), span: spanOf(call.node),
    };
  }
  const pool = /^(Max|Average)Pooling([123])D$/.exec(name);
  if (pool) {
    const rank = Number(pool[2]);
    const size = evaluateSizes(argument(call, 0, 'pool_size'), scope, rank, 2);
    const stridesNode = argument(call, 1, 'strides');
    const strides = stridesNode && stridesNode.type !== 'none' ? evaluateSizes(stridesNode, scope, rank, undefined) : size;
    const paddingNode = argument(call, 2, 'padding');
    const padding = paddingNode ? evaluate(paddingNode, scope) : 'valid';
    // channels_first: the last axis is spatial, so no size here is the channel count.
    if (!channelsLast(call, scope)) return { kind: 'pass', reshape: () => undefined, className: canonical, record };
    return {
      kind: 'pass', className: canonical, record, pool: kerasPool(name, call, scope), span: spanOf(call.node),
      reshape: (s) => (s && size && strides && typeof padding === 'string' && s.length === rank + 1
        ? convOutput(s, size, strides, padding.toLowerCase(), s[rank]!) : s ? s.map(() => NaN) : undefined),
    };
  }
  const reshape = kerasReshape(name, call, scope);
  if (reshape) {
    // The first layer of a Sequential may declare the model's input (`Rescaling(1/255, input_shape=(180, 180, 3))`).
    const declared = kerasDeclaredInput(call, scope);
    return { kind: 'pass', reshape: (s) => reshape(s ?? declared), className: canonical, record };
  }
  if (name === 'InputLayer' || name === 'Reshape' || name === 'Permute' || name === 'RepeatVector') {
    return { kind: 'pass', reshape: () => undefined, className: canonical, record };
  }
  if (name === 'Activation' || name === 'ReLU' || name === 'LeakyReLU' || name === 'PReLU' || name === 'ELU' || name === 'Softmax') {
    const use = name === 'Softmax' ? { name: 'softmax' as const, explicit: true, span: spanOf(call.callee) } : readActivationValue(call.node, scope, ctx.imports, 'keras');
    const written = argument(call, 0, 'activation');
    if (name === 'Activation' && use === 'unknown' && written) ctx.names.check(written, 'activation');
    return { kind: 'activation', use, span: spanOf(call.node), className: canonical, record };
  }
  if (/^[A-Z]/.test(name)) return { kind: 'opaque', className: canonical, record };
  return undefined;
}

const convKind = (rank: number): WeightLayerKind => (rank === 1 ? 'conv1d' : rank === 2 ? 'conv2d' : 'conv3d');


/**
 * Conv1D/2D/3DTranspose(filters, kernel_size, strides=1, padding="valid", output_padding=None,
 * data_format=None, dilation_rate=1, activation=None, ...): swapped framework fans (convFans.ts).
 */
function kerasTransposed(canonical: string, call: CallParts, ctx: CatalogContext, rank: number): WeightModule {
  const { scope } = ctx;
  const filters = evaluateCount(argument(call, 0, 'filters'), scope);
  const kernel = evaluateSizes(argument(call, 1, 'kernel_size'), scope, rank, undefined);
  const strides = evaluateSizes(argument(call, 2, 'strides'), scope, rank, 1);
  const paddingNode = argument(call, 3, 'padding');
  const padding = paddingNode ? evaluate(paddingNode, scope) : 'valid';
  const outputPaddingNode = argument(call, 4, 'output_padding');
  const outputPadding = outputPaddingNode && outputPaddingNode.type !== 'none' ? outputPaddingOf(outputPaddingNode, scope, rank) : undefined;
  const known = filters && kernel && strides && typeof padding === 'string' && channelsLast(call, scope) &&
    !call.keywords.has('groups') && !(outputPaddingNode && outputPaddingNode.type !== 'none' && !outputPadding);
  const dilated = !undilated(argument(call, 6, 'dilation_rate'), scope, rank);
  return kerasWeight(canonical, call, ctx, convKind(rank), (input) => {
    if (!known) return convGeometry(undefined, undefined);
    const channels = input?.[input.length - 1];
    const outShape = transposedOutput(input, kernel, strides, padding.toLowerCase(), outputPadding, dilated, filters);
    const fans = channels !== undefined && Number.isFinite(channels) ? kerasTransposedFans(channels, filters, kernel, strides) : undefined;
    // output_padding moves where the crop falls only through the output size, which outShape has.
    const adjoint = fans?.transposed ? channelsLastAdjoint(input, outShape, kernel, strides, padding, dilated) : undefined;
    return convGeometry(fans && adjoint ? { ...fans, transposed: { ...fans.transposed!, adjoint } } : fans, outShape);
  }, 7, { initKeyword: 'kernel_initializer', layout: { kind: 'swapped', groups: 1 } });
}

/**
 * DepthwiseConv1D/2D(kernel_size, strides=1, padding="valid", depth_multiplier=1,
 * data_format=None, dilation_rate=1, activation=None, ...): `depthwise_initializer`, with
 * Keras' `in`-times-too-large fan_in (convFans.ts).
 */
function kerasDepthwise(canonical: string, call: CallParts, ctx: CatalogContext, rank: number): WeightModule {
  return depthwiseKernel(canonical, call, ctx, rank, { kernel: 0, strides: 1, padding: 2, multiplier: 3, dilation: 5, activation: 6 });
}

/** Positions of a depthwise kernel's arguments in its layer's signature. */
interface DepthwisePositions {
  readonly kernel: number;
  readonly strides: number;
  readonly padding: number;
  readonly multiplier: number;
  readonly dilation: number;
  readonly activation: number;
}

/** A Keras depthwise kernel (DepthwiseConv, or the first kernel of a SeparableConv: `part`). */
function depthwiseKernel(canonical: string, call: CallParts, ctx: CatalogContext, rank: number, at: DepthwisePositions, part?: KernelPart): WeightModule {
  const { scope } = ctx;
  const kernel = evaluateSizes(argument(call, at.kernel, 'kernel_size'), scope, rank, undefined);
  const strides = evaluateSizes(argument(call, at.strides, 'strides'), scope, rank, 1);
  const paddingNode = argument(call, at.padding, 'padding');
  const padding = paddingNode ? evaluate(paddingNode, scope) : 'valid';
  const multiplierNode = argument(call, at.multiplier, 'depth_multiplier');
  const multiplier = multiplierNode ? evaluateCount(multiplierNode, scope) : 1;
  const known = kernel && strides && multiplier && typeof padding === 'string' && channelsLast(call, scope);
  const dilated = !undilated(argument(call, at.dilation, 'dilation_rate'), scope, rank);
  return kerasWeight(canonical, call, ctx, convKind(rank), (input) => {
    const channels = input?.[input.length - 1];
    if (!known || channels === undefined || !Number.isFinite(channels)) return convGeometry(undefined, undefined);
    const outShape = convOutput(input, kernel, strides, padding.toLowerCase(), channels * multiplier);
    const spatial = dilated ? outShape.map((n, i) => (i < rank ? NaN : n)) : outShape;
    // Each input channel its own group (Keras' depthwise conv is a grouped conv with groups = channels).
    const inputSpatial = spatialOf(input, rank);
    const named = namedPadding(padding);
    const conv = inputSpatial && named && !dilated ? convSpatialGeometry(inputSpatial, kernel, strides, named, channels) : undefined;
    return convGeometry(kerasDepthwiseFans(channels, multiplier, kernel, strides), spatial, conv);
  }, at.activation, { initKeyword: 'depthwise_initializer', layout: { kind: 'depthwise', depthMultiplier: multiplier ?? NaN }, ...(part ? { part } : {}) });
}

/** How one kernel of a Keras layer is read when it is not the layer's only one (SeparableConv). */
interface KernelPart {
  /** Which kernel, for messages about its default ("… glorot_uniform of the depthwise kernel"). */
  readonly role: 'depthwise' | 'pointwise';
  /** The kernel's layer span (distinct per kernel: repeats and findings are keyed by it). */
  readonly node: Node;
  /** Where findings about its default initializer are placed. */
  readonly kindNode: Node;
  /** The layer's `activation=` follows the last kernel only; bias too. */
  readonly last: boolean;
  /** A later kernel is fed directly by the one before (trace.ts links them). */
  readonly fusedWithPrevious: boolean;
}

export function kerasWeight(
  canonical: string, call: CallParts, ctx: CatalogContext, kind: WeightLayerKind,
  geometry: (input: readonly number[] | undefined) => Geometry, activationIndex: number,
  options?: { readonly initKeyword: string; readonly layout?: KernelLayout; readonly part?: KernelPart },
): WeightModule {
  const { scope, imports } = ctx;
  const part = options?.part;
  const initKeyword = options?.initKeyword ?? (kind === 'embedding' ? 'embeddings_initializer' : 'kernel_initializer');
  const initNode = call.keywords.get(initKeyword)?.value;
  const activationNode = kind === 'embedding' || (part && !part.last) ? undefined : argument(call, activationIndex, 'activation');
  let activation: ActivationUse | 'unknown' = { name: 'linear', explicit: false };
  if (activationNode) {
    activation = readActivationValue(activationNode, scope, imports, 'keras');
    if (activation === 'unknown') ctx.names.check(activationNode, 'activation');
  }
  if (call.spread) activation = 'unknown';
  let init = defaultInit('keras', kind);
  if (part) init = { ...init, label: `${init.label} of the ${part.role} kernel` };
  if (initNode) {
    ctx.names.check(initNode, 'initializer');
    const read = readInitializerValue(initNode, scope, imports, 'keras');
    init = { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span: spanOf(initNode) };
  } else if (call.spread) {
    init = { semantics: undefined, label: 'unknown (**kwargs)', explicit: false, acceptedDefault: false };
  }
  const useBias = call.keywords.get('use_bias');
  const biasInit = call.keywords.get('bias_initializer')?.value;
  let biasVariance = 0;
  if (biasInit && constantOf(useBias?.value, scope) !== false && (!part || part.last)) {
    const read = readInitializerValue(biasInit, scope, imports, 'keras');
    if (read.semantics?.kind === 'constant') biasVariance = read.semantics.value ** 2;
  }
  const objectStyle = initNode ? initNode.type !== 'string' : ctx.kerasObjectStyle;
  const fixes = new KerasFixBuilder({
    init: keywordSite(initNode, call.args), activation: keywordSite(activationNode, call.args), initKeyword,
    quote: ctx.quote, objectStyle, functionStyle: functionStyleAt(initNode, ctx), prefix: kerasInitializerPrefix(imports), ...(options?.layout ? { layout: options.layout } : {}),
  });
  const declared = kerasDeclaredInput(call, scope);
  return {
    kind: 'weight', framework: 'keras', layerKind: kind, className: canonical, call: part?.node ?? call.node,
    kindSpan: spanOf(part?.kindNode ?? call.callee), geometry: (input) => geometry(input ?? declared), activation, init, biasVariance,
    fixes, record: classRecord(canonical), ...(part?.fusedWithPrevious ? { fusedWithPrevious: true } : {}),
  };
}

/**
 * SeparableConv1D/2D(filters, kernel_size, strides=1, padding="valid", data_format=None,
 * dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
 * depthwise_initializer, pointwise_initializer, ...): a depthwise conv (fans as
 * DepthwiseConv's, Keras' fan_in `in` times too large) feeding a 1×1 pointwise conv
 * (in·depth_multiplier → filters) with nothing in between; `activation=` and the bias follow
 * the pointwise kernel. Two weight layers: the depthwise one shown on `kernel_size`, the
 * pointwise one on the call, as any layer.
 */
function kerasSeparable(canonical: string, call: CallParts, ctx: CatalogContext, rank: number): ModuleValue | undefined {
  const { scope } = ctx;
  const filtersNode = argument(call, 0, 'filters');
  const kernelNode = argument(call, 1, 'kernel_size');
  if (!filtersNode || !kernelNode) return undefined;
  const filters = evaluateCount(filtersNode, scope);
  const depthwise = depthwiseKernel(canonical, call, ctx, rank, { kernel: 1, strides: 2, padding: 3, multiplier: 6, dilation: 5, activation: 7 },
    { role: 'depthwise', node: kernelNode, kindNode: kernelNode, last: false, fusedWithPrevious: false });
  // The pointwise kernel (1…, in·m, filters): fans in·m and filters, as Keras counts them too.
  const pointwise = kerasWeight(canonical, call, ctx, convKind(rank), (input) => {
    const channels = input?.[input.length - 1];
    if (!filters || channels === undefined || !Number.isFinite(channels)) return convGeometry(undefined, input ? [...input.slice(0, -1), filters ?? NaN] : undefined);
    const fans = { fanIn: channels, fanOut: filters };
    const spatial = spatialOf(input, rank);
    const conv = spatial ? convSpatialGeometry(spatial, new Array<number>(rank).fill(1), new Array<number>(rank).fill(1), 'valid', 1) : undefined;
    return { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: [...input!.slice(0, -1), filters], ...(conv ? { conv } : {}) };
  }, 7, { initKeyword: 'pointwise_initializer', part: { role: 'pointwise', node: call.node, kindNode: call.callee, last: true, fusedWithPrevious: true } });
  return { kind: 'sequence', fused: true, items: [depthwise, pointwise], className: canonical, record: classRecord(canonical) };
}

/** `input_shape=(784,)` / `input_dim=784` on a Sequential's first layer. */
function kerasDeclaredInput(call: CallParts, scope: Scope): number[] | undefined {
  const shapeNode = call.keywords.get('input_shape')?.value;
  if (shapeNode) return shapeValue(evaluate(shapeNode, scope));
  const dim = call.keywords.get('input_dim')?.value;
  const n = dim ? evaluateCount(dim, scope) : undefined;
  return n ? [n] : undefined;
}

/** A Keras shape tuple (None for unknown sizes) as numbers with NaN for unknown. */
export function shapeValue(value: Value | undefined): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: number[] = [];
  for (const v of value as readonly Value[]) {
    if (v === null) out.push(NaN);
    else if (isNumber(v) && Number.isInteger(v) && v >= 1) out.push(v);
    else return undefined;
  }
  return out;
}

// ── Flax (linen and nnx) ────────────────────────────────────────────────────

const FLAX_NORMS: Readonly<Record<string, NormOp['kind']>> = {
  BatchNorm: 'batchnorm', LayerNorm: 'layernorm', GroupNorm: 'layernorm', RMSNorm: 'rmsnorm', InstanceNorm: 'layernorm',
};

function flaxModule(canonical: string, call: CallParts, ctx: CatalogContext): ModuleValue | undefined {
  const nnx = canonical.startsWith('flax.nnx.');
  const name = canonical.slice(nnx ? 'flax.nnx.'.length : 'flax.linen.'.length);
  if (name.includes('.')) return undefined;
  const { scope } = ctx;
  const record = classRecord(canonical);
  // nnx layers take (in_features, out_features, ...); linen ones only the output size.
  const offset = nnx ? 1 : 0;
  const inFeatures = nnx ? evaluateCount(argument(call, 0, 'in_features'), scope) : undefined;
  if ((nnx && name === 'Linear') || (!nnx && name === 'Dense')) {
    const features = evaluateCount(argument(call, offset, nnx ? 'out_features' : 'features'), scope);
    return flaxWeight(canonical, call, ctx, 'dense', (input) => {
      const inF = inFeatures ?? input?.[input.length - 1];
      const fans = features && inF !== undefined && Number.isFinite(inF) ? { fanIn: inF, fanOut: features } : undefined;
      return { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: features ? withShape(input, features) : undefined };
    });
  }
  if (name === 'Conv') {
    const features = evaluateCount(argument(call, offset, nnx ? 'out_features' : 'features'), scope);
    const kernelNode = argument(call, offset + 1, 'kernel_size');
    const kernelValue = kernelNode ? evaluate(kernelNode, scope) : undefined;
    const rank = Array.isArray(kernelValue) ? kernelValue.length : 0;
    const kernel = rank > 0 ? evaluateSizes(kernelNode, scope, rank, undefined) : undefined;
    const strides = kernel ? evaluateSizes(argument(call, offset + 2, 'strides'), scope, kernel.length, 1) : undefined;
    const paddingNode = argument(call, offset + 3, 'padding');
    const padding = paddingNode ? evaluate(paddingNode, scope) : 'SAME';
    const groupsNode = argument(call, -1, 'feature_group_count');
    const groups = groupsNode ? evaluateCount(groupsNode, scope) : 1;
    const kind: WeightLayerKind = rank === 1 ? 'conv1d' : rank === 3 ? 'conv3d' : 'conv2d';
    const dilated = !kernel || !undilated(argument(call, offset + 5, 'kernel_dilation'), scope, kernel.length)
      || !undilated(argument(call, offset + 4, 'input_dilation'), scope, kernel.length);
    return flaxWeight(canonical, call, ctx, kind, (input) => {
      if (!features || !kernel || !strides || !groups || typeof padding !== 'string') {
        return { fans: undefined, frameworkFans: undefined, receptiveField: 1, strideProduct: 1, outShape: undefined };
      }
      const k = product(kernel);
      const channels = inFeatures ?? input?.[input.length - 1];
      const outShape = convOutput(input, kernel, strides, padding.toLowerCase(), features);
      if (channels === undefined || !Number.isFinite(channels) || channels % groups !== 0 || features % groups !== 0) {
        return { fans: undefined, frameworkFans: undefined, receptiveField: k, strideProduct: product(strides), outShape };
      }
      const spatial = spatialOf(input, rank);
      const named = namedPadding(padding);
      const conv = spatial && named && !dilated ? convSpatialGeometry(spatial, kernel, strides, named, groups) : undefined;
      // JAX variance_scaling on (*k, in/groups, out): fan_in = ∏k·in/groups, fan_out = ∏k·out.
      return {
        fans: { fanIn: (channels / groups) * k, fanOut: (features / groups) * k },
        frameworkFans: { fanIn: (channels / groups) * k, fanOut: features * k },
        receptiveField: k, strideProduct: product(strides), outShape, ...(conv ? { conv } : {}),
      };
    });
  }
  if (name === 'ConvTranspose') return flaxTransposed(canonical, call, ctx, nnx);
  if (name === 'Embed') {
    const num = evaluateCount(argument(call, 0, 'num_embeddings'), scope);
    const dim = evaluateCount(argument(call, 1, 'features'), scope);
    return flaxWeight(canonical, call, ctx, 'embedding', (input) => ({
      fans: num && dim ? { fanIn: 1, fanOut: dim } : undefined,
      frameworkFans: num && dim ? { fanIn: dim, fanOut: num } : undefined,
      receptiveField: 1, strideProduct: 1, outShape: dim ? [...(input ?? [NaN]), dim] : undefined,
    }));
  }
  const norm = FLAX_NORMS[name];
  // A scale or bias initialised otherwise than ones and zeros (`scale_init=zeros`: a gate) is not a plain norm at init.
  if (norm && (call.keywords.has('scale_init') || call.keywords.has('bias_init') || call.spread)) return { kind: 'opaque', className: canonical, record };
  if (norm) return { kind: 'norm', normKind: norm, epsilon: normLayerEpsilon('flax', name, norm, call, scope, nnx), span: spanOf(call.node), className: canonical, record };
  if (name === 'Dropout') {
    const r = constantOf(argument(call, 0, 'rate'), scope);
    return { kind: 'dropout', rate: isNumber(r) ? r : undefined, alpha: false, span: spanOf(call.node), kindSpan: lastIdentifierSpan(call), className: canonical, record };
  }
  if (/^[A-Z]/.test(name)) return { kind: 'opaque', className: canonical, record };
  return undefined;
}

/**
 * linen ConvTranspose(features, kernel_size, strides=None, padding="SAME",
 * kernel_dilation=None, ..., transpose_kernel=False); nnx takes in_features first. Kernel
 * (*k, in, features), or (*k, features, in) with transpose_kernel=True (convFans.ts).
 */
function flaxTransposed(canonical: string, call: CallParts, ctx: CatalogContext, nnx: boolean): WeightModule {
  const { scope } = ctx;
  const offset = nnx ? 1 : 0;
  const inFeatures = nnx ? evaluateCount(argument(call, 0, 'in_features'), scope) : undefined;
  const features = evaluateCount(argument(call, offset, nnx ? 'out_features' : 'features'), scope);
  const kernelNode = argument(call, offset + 1, 'kernel_size');
  const kernelValue = kernelNode ? evaluate(kernelNode, scope) : undefined;
  const rank = Array.isArray(kernelValue) ? kernelValue.length : 0;
  const kernel = rank > 0 ? evaluateSizes(kernelNode, scope, rank, undefined) : undefined;
  const strides = kernel ? stridesOf(argument(call, offset + 2, 'strides'), scope, kernel.length) : undefined;
  const paddingNode = argument(call, offset + 3, 'padding');
  const padding = paddingNode ? evaluate(paddingNode, scope) : 'SAME';
  const dilated = kernel ? !undilated(argument(call, offset + 4, 'kernel_dilation'), scope, kernel.length) : true;
  const transposeKernel = flagOf(call.keywords.get('transpose_kernel')?.value, scope, false);
  const kind: WeightLayerKind = rank === 1 ? 'conv1d' : rank === 3 ? 'conv3d' : 'conv2d';
  return flaxWeight(canonical, call, ctx, kind, (input) => {
    if (!features || !kernel || !strides || transposeKernel === undefined) return convGeometry(undefined, undefined);
    const channels = inFeatures ?? input?.[input.length - 1];
    const outShape = transposedOutput(input, kernel, strides, typeof padding === 'string' ? padding.toLowerCase() : '', undefined, dilated, features);
    const fans = channels !== undefined && Number.isFinite(channels) ? flaxTransposedFans(channels, features, kernel, strides, transposeKernel) : undefined;
    const adjoint = fans?.transposed && typeof padding === 'string' ? channelsLastAdjoint(input, outShape, kernel, strides, padding, dilated) : undefined;
    return convGeometry(fans && adjoint ? { ...fans, transposed: { ...fans.transposed!, adjoint } } : fans, outShape);
  }, transposeKernel === false ? undefined : { kind: 'swapped', groups: 1 });
}

export function flaxWeight(
  canonical: string, call: CallParts, ctx: CatalogContext, kind: WeightLayerKind, geometry: (input: readonly number[] | undefined) => Geometry,
  layout?: KernelLayout,
): WeightModule {
  const { scope, imports } = ctx;
  const keyword = kind === 'embedding' ? 'embedding_init' : 'kernel_init';
  const initNode = call.keywords.get(keyword)?.value;
  let init = defaultInit('flax', kind);
  if (initNode) {
    const read = readInitializerValue(initNode, scope, imports, 'flax');
    init = { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span: spanOf(initNode) };
  } else if (call.spread) {
    init = { semantics: undefined, label: 'unknown (**kwargs)', explicit: false, acceptedDefault: false };
  }
  const nnx = canonical.startsWith('flax.nnx.');
  const prefix = nnx
    ? (imports.spellingOf('flax.nnx') ? `${imports.spellingOf('flax.nnx')}.initializers` : undefined)
    : imports.spellingOf('flax.linen.initializers') ?? imports.spellingOf('jax.nn.initializers')
      ?? (imports.spellingOf('flax.linen') ? `${imports.spellingOf('flax.linen')}.initializers` : undefined)
      ?? (imports.spellingOf('jax') ? `${imports.spellingOf('jax')}.nn.initializers` : undefined);
  const fixes = new FlaxFixBuilder({ init: keywordSite(initNode, call.args), prefix, quote: ctx.quote, ...(layout ? { layout } : {}) });
  return {
    kind: 'weight', framework: 'flax', layerKind: kind, className: canonical, call: call.node, kindSpan: spanOf(call.callee),
    geometry, activation: { name: 'linear', explicit: false }, init, biasVariance: frameworkDefaultBiasVariance('flax', kind, 0), fixes,
    record: classRecord(canonical),
  };
}

export { TIMM_DROP_PATH, TORCHVISION_STOCHASTIC_DEPTH } from './stochasticDepth';

/** A framework layer constructor call, or undefined when the name is not a framework layer. */
export function frameworkModule(canonical: string, call: CallParts, ctx: CatalogContext): ModuleValue | undefined {
  if (canonical.startsWith('torch.nn.')) return torchModule(canonical, call, ctx);
  if (canonical.startsWith('keras.layers.')) return kerasModule(canonical, call, ctx);
  if (canonical.startsWith('keras.applications.')) {
    // A pretrained (or not) backbone: opaque, never judged; the head on it gets its width.
    const outShape = kerasApplicationOutput(canonical.slice(canonical.lastIndexOf('.') + 1), call, ctx.scope);
    return { kind: 'opaque', className: canonical, record: classRecord(canonical), ...(outShape ? { outShape } : {}) };
  }
  if (canonical.startsWith('flax.linen.') || canonical.startsWith('flax.nnx.')) return flaxModule(canonical, call, ctx);
  // einops' Rearrange layer only moves elements (ViT's patch split `b c (h p1) (w p2) -> b (h w)
  // (p1 p2 c)`): the scale is kept, the shape is not read. Its Reduce layer is not this.
  if (canonical === 'einops.layers.torch.Rearrange') return { kind: 'pass', reshape: () => undefined, className: canonical, record: classRecord(canonical) };
  // Stochastic depth (timm's DropPath, torchvision's StochasticDepth): stochasticDepth.ts.
  const drop = stochasticDepthModule(canonical, call, ctx.scope);
  if (drop) {
    const common = { kind: 'dropPath' as const, span: spanOf(call.node), className: canonical, record: classRecord(canonical) };
    return drop.kind === 'unread' ? { ...common, rate: undefined, unread: drop.reason } : { ...common, rate: drop.kind === 'identity' ? 0 : drop.rate };
  }
  return undefined;
}

