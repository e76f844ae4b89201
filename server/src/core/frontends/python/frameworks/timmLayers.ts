/**
 * timm's layer factories (huggingface/pytorch-image-models, timm/layers), read as the PyTorch
 * layers they return where that is certain, else unknown:
 * - `create_conv2d(in, out, kernel_size, **kwargs)` (create_conv2d.py): an int or tuple kernel is
 *   `create_conv2d_pad` (conv2d_same.py): nn.Conv2d with `bias=False` unless given, `groups=in`
 *   when `depthwise`, and timm's padding (padding.py `get_padding_value`): '' (the default) or any
 *   other string is `((stride − 1) + dilation·(k − 1)) // 2`, 'valid' 0, 'same' that symmetric
 *   padding where `is_static_pad` (stride 1, even dilation·(k − 1)), else Conv2dSame, an nn.Conv2d
 *   padded at run time (its fans and init are the conv's; its output size is left unknown). A list
 *   kernel is MixedConv2d, `num_experts > 0` CondConv2d: unknown.
 * - `get_act_layer(name)` / `create_act_layer(name, inplace=None, **kwargs)` (create_act.py
 *   `_ACT_LAYER_DEFAULT`, torch ≥ 1.9 so `_has_silu` etc. hold): a name lowercased → the class;
 *   timm's own GELU / GELUTanh / Sigmoid / Tanh / PReLU compute what nn.GELU (exact / tanh),
 *   nn.Sigmoid, nn.Tanh and nn.PReLU compute. quick_gelu and hard_mish have no torch class here: unknown.
 * - `get_norm_layer(name)` (create_norm.py `_NORM_MAP`, the name with '_' removed, lowercased):
 *   the BatchNorm entries only; timm's LayerNorm (eps 1e-6), GroupNorm (num_groups=32 first is
 *   not nn.GroupNorm's order), RmsNorm and the rest are timm classes: unknown.
 * A class (not a string) passes through both getters unchanged.
 */
import type { CallParts, Node } from '../syntax/syntax';
import { argument } from '../syntax/syntax';
import { spreadKeywords } from '../interpreter/arguments';
import { evaluate, evaluateCount, evaluateSizes, isNumber, type Scope, type Value } from '../interpreter/values';
import { sequenceKind } from '../interpreter/valueLogic';
import { type CatalogContext, torchConv } from './catalog';
import type { WeightModule } from '../interpreter/modules';

export type TimmFactory = 'create_conv2d' | 'get_act_layer' | 'create_act_layer' | 'get_norm_layer';

const FACTORY = /^timm\.(?:models\.)?layers(?:\.[a-z_0-9]+)?\.(create_conv2d|get_act_layer|create_act_layer|get_norm_layer)$/;

/** Which timm factory a canonical name is (`timm.layers.create_conv2d`, `timm.models.layers.create_act.get_act_layer`). */
export function timmFactory(canonical: string): TimmFactory | undefined {
  return (FACTORY.exec(canonical)?.[1] as TimmFactory | undefined) ?? undefined;
}

const ACT_LAYERS: Readonly<Record<string, string>> = {
  silu: 'torch.nn.SiLU', swish: 'torch.nn.SiLU', mish: 'torch.nn.Mish', relu: 'torch.nn.ReLU', relu6: 'torch.nn.ReLU6',
  leaky_relu: 'torch.nn.LeakyReLU', elu: 'torch.nn.ELU', prelu: 'torch.nn.PReLU', celu: 'torch.nn.CELU', selu: 'torch.nn.SELU',
  gelu: 'torch.nn.GELU', gelu_tanh: 'torch.nn.GELU', sigmoid: 'torch.nn.Sigmoid', tanh: 'torch.nn.Tanh',
  hard_sigmoid: 'torch.nn.Hardsigmoid', hardsigmoid: 'torch.nn.Hardsigmoid', hard_swish: 'torch.nn.Hardswish', hardswish: 'torch.nn.Hardswish',
  identity: 'torch.nn.Identity',
};

const NORM_LAYERS: Readonly<Record<string, string>> = {
  batchnorm: 'torch.nn.BatchNorm2d', batchnorm2d: 'torch.nn.BatchNorm2d', batchnorm1d: 'torch.nn.BatchNorm1d',
};

/** The torch class timm's `get_act_layer(name)` returns for a string name; undefined when not one of those above. */
export function timmActivationClass(name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(ACT_LAYERS, name.toLowerCase()) ? ACT_LAYERS[name.toLowerCase()] : undefined;
}

/** The torch class timm's `get_norm_layer(name)` returns for a string name; undefined when not a BatchNorm. */
export function timmNormClass(name: string): string | undefined {
  const key = name.replace(/_/g, '').toLowerCase();
  return Object.prototype.hasOwnProperty.call(NORM_LAYERS, key) ? NORM_LAYERS[key] : undefined;
}

/** Keywords create_conv2d reads or hands to nn.Conv2d as they are; any other makes the call unknown. */
const CONV_KEYWORDS: ReadonlySet<string> = new Set(['in_channels', 'out_channels', 'kernel_size', 'stride', 'dilation', 'padding', 'depthwise', 'groups', 'bias', 'padding_mode', 'device', 'dtype', 'num_experts']);

/**
 * `create_conv2d(...)` read as the nn.Conv2d it builds (the file's comment), else undefined
 * (unknown): a list kernel, CondConv2d, a `*xs` or a `**d` whose keys are not all known, an
 * argument timm would not accept.
 */
export function timmConv2d(call: CallParts, ctx: CatalogContext): WeightModule | undefined {
  const { scope } = ctx;
  if (call.positional.length > 3 || call.positional.some((p) => p.type === 'list_splat')) return undefined;
  const spread = call.spread ? spreadKeywords(call, scope) : new Map<string, { node: Node; scope: Scope }>();
  if (!spread) return undefined;
  const keyword = (name: string): { node: Node; scope: Scope } | undefined => {
    const written = call.keywords.get(name);
    return written ? { node: written.value, scope } : spread.get(name);
  };
  for (const key of [...call.keywords.keys(), ...spread.keys()]) if (!CONV_KEYWORDS.has(key)) return undefined;
  const read = (index: number, name: string): { node: Node; scope: Scope } | undefined => {
    const node = call.positional[index];
    return node ? { node, scope } : keyword(name);
  };
  const valueOf = (bound: { node: Node; scope: Scope } | undefined): Value | undefined => (bound ? evaluate(bound.node, bound.scope) : undefined);
  const kernelArg = read(2, 'kernel_size');
  const kernelValue = valueOf(kernelArg);
  if (kernelArg === undefined || kernelValue === undefined || sequenceKind(kernelValue) === 'list') return undefined;
  const experts = keyword('num_experts');
  if (experts) {
    const n = valueOf(experts);
    if (!isNumber(n) || n > 0) return undefined;
  }
  const inArg = read(0, 'in_channels');
  const outArg = read(1, 'out_channels');
  const inC = inArg ? evaluateCount(inArg.node, inArg.scope) : undefined;
  const outC = outArg ? evaluateCount(outArg.node, outArg.scope) : undefined;
  const kernel = evaluateSizes(kernelArg.node, kernelArg.scope, 2, undefined);
  const strideArg = keyword('stride');
  const dilationArg = keyword('dilation');
  const stride = strideArg ? evaluateSizes(strideArg.node, strideArg.scope, 2, 1) : [1, 1];
  const dilation = dilationArg ? evaluateSizes(dilationArg.node, dilationArg.scope, 2, 1) : [1, 1];
  const depthwiseArg = keyword('depthwise');
  const depthwise = depthwiseArg ? valueOf(depthwiseArg) : false;
  const groupsArg = keyword('groups');
  const groups = depthwise === true ? inC : depthwise === false || depthwise === null || depthwise === 0
    ? (groupsArg ? evaluateCount(groupsArg.node, groupsArg.scope) : 1) : undefined;
  const biasArg = keyword('bias');
  const biasValue = biasArg ? valueOf(biasArg) : false;
  const bias = biasValue === false ? { bias: null } : biasValue === true ? { bias: { attributes: new Map<string, Value>() } } : {};
  const modeArg = keyword('padding_mode');
  const zeros = !modeArg || valueOf(modeArg) === 'zeros';
  const paddingArg = keyword('padding');
  const padding = timmPadding(paddingArg ? valueOf(paddingArg) : '', paddingArg !== undefined, kernel, stride, dilation);
  return torchConv('torch.nn.Conv2d', call, ctx, 2, { inC, outC, kernel, stride, groups, bias, padding, dilation, zeros });
}

/** timm's `get_padding_value` (padding.py) for a folded padding argument; undefined where unknown or dynamic ('same' with stride > 1). */
function timmPadding(value: Value | undefined, given: boolean, kernel: number[] | undefined, stride: number[] | undefined, dilation: number[] | undefined): number[] | undefined {
  if (given && value === undefined) return undefined;
  if (typeof value === 'string') {
    const mode = value.toLowerCase();
    if (mode === 'valid') return [0, 0];
    if (!kernel || !stride || !dilation) return undefined;
    // get_padding: ((stride − 1) + dilation·(k − 1)) // 2 per dimension.
    const symmetric = kernel.map((k, i) => Math.floor(((stride[i]! - 1) + dilation[i]! * (k - 1)) / 2));
    if (mode !== 'same') return symmetric;
    const isStatic = kernel.every((k, i) => stride[i] === 1 && (dilation[i]! * (k - 1)) % 2 === 0);
    return isStatic ? symmetric : undefined;
  }
  const valid = (x: Value | undefined): x is number => isNumber(x) && Number.isInteger(x) && x >= 0;
  if (valid(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && (value as readonly Value[]).every(valid)) return (value as readonly number[]).slice();
  return undefined;
}

/** The first argument of a getter or create_act_layer (`name`, `norm_layer`), positional or by keyword. */
export function factoryArgument(call: CallParts, factory: TimmFactory): Node | undefined {
  return argument(call, 0, factory === 'get_norm_layer' ? 'norm_layer' : 'name');
}
