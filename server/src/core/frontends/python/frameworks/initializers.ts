/**
 * Initializers as Python writes them, resolved to their real semantics (init-math.md
 * §a): PyTorch `nn.init.*_` calls and tensor methods (`w.data.normal_(0, 0.02)`), Keras
 * strings, classes, functions and config dicts, JAX/Flax `nn.initializers.*`. Defaults
 * follow each framework (Keras RandomNormal stddev 0.05, JAX normal 1e-2, …).
 */
import type { Framework, InitSemantics } from '../../../ir';
import { calculateGain } from '../../../knowledge/initializers';
import { scaleDependence, type ScaleFollows } from './fanScaledInits';
import type { Imports } from './imports';
import { type CallParts, callParts, dottedName, type Node, stringValue } from '../syntax/syntax';
import { evaluate, isNumber, type Scope } from '../interpreter/values';

export interface InitRead {
  /** Undefined when it is an initializer whose variance cannot be determined. */
  readonly semantics: InitSemantics | undefined;
  readonly label: string;
  /** A fixed-scale init whose std or bounds were computed from the layer's width (fanScaledInits.ts). */
  readonly scaleFollows?: ScaleFollows;
}

/** Reads one argument: by keyword, else by position. Undefined when absent, null when present but not constant. */
type ArgReader = (index: number, ...keywords: string[]) => number | string | undefined | null;

function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function num(v: number | string | undefined | null, fallback: number): number | undefined {
  if (v === undefined) return fallback;
  return typeof v === 'number' ? v : undefined;
}

function str(v: number | string | undefined | null, fallback: string): string | undefined {
  if (v === undefined) return fallback;
  return typeof v === 'string' ? v : undefined;
}

const VS_DIST: Readonly<Record<string, 'truncated_normal' | 'untruncated_normal' | 'uniform'>> = {
  truncated_normal: 'truncated_normal', normal: 'truncated_normal', untruncated_normal: 'untruncated_normal', uniform: 'uniform',
};
const MODES = new Set(['fan_in', 'fan_out', 'fan_avg']);

function varianceScaling(scale: number, mode: string, distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform'): InitSemantics {
  return { kind: 'variance_scaling', scale, mode: mode as 'fan_in', distribution };
}

/** Keras 3 initializers by snake_case name (classes and their string aliases). */
function kerasInit(name: string, arg: ArgReader): InitSemantics | undefined | 'not-init' {
  switch (name) {
    case 'he_normal': return varianceScaling(2, 'fan_in', 'truncated_normal');
    case 'he_uniform': return varianceScaling(2, 'fan_in', 'uniform');
    case 'glorot_normal': case 'xavier_normal': return varianceScaling(1, 'fan_avg', 'truncated_normal');
    case 'glorot_uniform': case 'xavier_uniform': return varianceScaling(1, 'fan_avg', 'uniform');
    case 'lecun_normal': return varianceScaling(1, 'fan_in', 'truncated_normal');
    case 'lecun_uniform': return varianceScaling(1, 'fan_in', 'uniform');
    case 'variance_scaling': {
      const scale = num(arg(0, 'scale'), 1);
      const mode = str(arg(1, 'mode'), 'fan_in');
      const dist = str(arg(2, 'distribution'), 'truncated_normal');
      if (scale === undefined || !mode || !MODES.has(mode) || !dist || !VS_DIST[dist]) return undefined;
      return varianceScaling(scale, mode, VS_DIST[dist]);
    }
    case 'random_normal': case 'normal': {
      const mean = num(arg(0, 'mean'), 0);
      const std = num(arg(1, 'stddev'), 0.05);
      return mean === undefined || std === undefined ? undefined : { kind: 'normal', mean, std };
    }
    case 'truncated_normal': {
      // Keras TruncatedNormal: cut at two standard deviations, no variance correction.
      const mean = num(arg(0, 'mean'), 0);
      const std = num(arg(1, 'stddev'), 0.05);
      return mean === undefined || std === undefined ? undefined : { kind: 'truncated_normal', mean, std, low: mean - 2 * std, high: mean + 2 * std };
    }
    case 'random_uniform': case 'uniform': {
      const low = num(arg(0, 'minval'), -0.05);
      const high = num(arg(1, 'maxval'), 0.05);
      return low === undefined || high === undefined ? undefined : { kind: 'uniform', low, high };
    }
    case 'orthogonal': {
      const gain = num(arg(0, 'gain'), 1);
      return gain === undefined ? undefined : { kind: 'orthogonal', gain };
    }
    // `zero`, `one`: Keras 2's aliases of Zeros and Ones.
    case 'zeros': case 'zero': return { kind: 'constant', value: 0 };
    case 'ones': case 'one': return { kind: 'constant', value: 1 };
    case 'constant': {
      const value = num(arg(0, 'value'), 0);
      return value === undefined ? undefined : { kind: 'constant', value };
    }
    case 'identity': case 'stft': return undefined;
    default: return 'not-init';
  }
}

/** jax.nn.initializers by name (Flax re-exports them). */
function jaxInit(name: string, arg: ArgReader): InitSemantics | undefined | 'not-init' {
  switch (name) {
    case 'he_normal': case 'kaiming_normal': return varianceScaling(2, 'fan_in', 'truncated_normal');
    case 'he_uniform': case 'kaiming_uniform': return varianceScaling(2, 'fan_in', 'uniform');
    case 'glorot_normal': case 'xavier_normal': return varianceScaling(1, 'fan_avg', 'truncated_normal');
    case 'glorot_uniform': case 'xavier_uniform': return varianceScaling(1, 'fan_avg', 'uniform');
    case 'lecun_normal': return varianceScaling(1, 'fan_in', 'truncated_normal');
    case 'lecun_uniform': return varianceScaling(1, 'fan_in', 'uniform');
    case 'variance_scaling': {
      const scale = num(arg(0, 'scale'), NaN);
      const mode = str(arg(1, 'mode'), '');
      const dist = str(arg(2, 'distribution'), '');
      // JAX: 'normal' is untruncated; 'truncated_normal' divides by TN.
      const distribution = dist === 'normal' ? 'untruncated_normal' : dist === 'truncated_normal' ? 'truncated_normal' : dist === 'uniform' ? 'uniform' : undefined;
      if (scale === undefined || !Number.isFinite(scale) || !mode || !MODES.has(mode) || !distribution) return undefined;
      return varianceScaling(scale, mode, distribution);
    }
    case 'normal': {
      const std = num(arg(0, 'stddev'), 1e-2);
      return std === undefined ? undefined : { kind: 'normal', mean: 0, std };
    }
    case 'truncated_normal': {
      const std = num(arg(0, 'stddev'), 1e-2);
      const lower = num(arg(2, 'lower'), -2);
      const upper = num(arg(3, 'upper'), 2);
      // Bounds are in units of stddev; no correction (init-math.md §a).
      if (std === undefined || lower === undefined || upper === undefined) return undefined;
      return { kind: 'truncated_normal', mean: 0, std, low: lower * std, high: upper * std };
    }
    case 'uniform': {
      const scale = num(arg(0, 'scale'), 1e-2);
      return scale === undefined ? undefined : { kind: 'uniform', low: 0, high: scale };
    }
    case 'orthogonal': {
      const gain = num(arg(0, 'scale'), 1);
      return gain === undefined ? undefined : { kind: 'orthogonal', gain };
    }
    case 'zeros': case 'zeros_init': return { kind: 'constant', value: 0 };
    case 'ones': case 'ones_init': return { kind: 'constant', value: 1 };
    case 'constant': {
      const value = num(arg(0, 'value'), NaN);
      return value === undefined || !Number.isFinite(value) ? undefined : { kind: 'constant', value };
    }
    case 'delta_orthogonal': return undefined;
    default: return 'not-init';
  }
}

/** Reads `calculate_gain('relu')` / `nn.init.calculate_gain('leaky_relu', 0.2)` as a number. */
function gainValue(node: Node, scope: Scope, imports: Imports): number | 'unknown' {
  const call = callParts(node);
  const callee = call ? dottedName(call.callee) : undefined;
  if (call && callee !== undefined && imports.canonical(callee).endsWith('calculate_gain')) {
    const nameNode = call.positional[0] ?? call.keywords.get('nonlinearity')?.value;
    const name = nameNode ? stringValue(nameNode) : undefined;
    const paramNode = call.positional[1] ?? call.keywords.get('param')?.value;
    const param = paramNode ? evaluate(paramNode, scope) : undefined;
    if (name === undefined || (paramNode && !isNumber(param))) return 'unknown';
    return calculateGain(name, isNumber(param) ? param : undefined) ?? 'unknown';
  }
  const v = evaluate(node, scope);
  return isNumber(v) ? v : 'unknown';
}

function argReader(call: CallParts | undefined, offset: number, scope: Scope, imports: Imports): ArgReader {
  return (index, ...keywords) => {
    if (!call) return undefined;
    let node: Node | undefined;
    for (const k of keywords) node ??= call.keywords.get(k)?.value;
    node ??= call.positional[index + offset];
    if (!node) return undefined;
    if (keywords.includes('gain')) {
      const gain = gainValue(node, scope, imports);
      return gain === 'unknown' ? null : gain;
    }
    const v = evaluate(node, scope);
    return typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' ? v : null;
  };
}

/** `normal_(std=0.02)`: a PyTorch init call without its weight argument, as the user wrote the rest. */
function torchLabel(call: CallParts, skip: number): string {
  const callee = call.callee.type === 'attribute' ? call.callee.childForFieldName('attribute')?.text ?? call.callee.text : call.callee.text;
  const rest = [...call.positional.slice(skip), ...[...call.keywords.values()].filter((k) => k.name.text !== 'tensor').map((k) => k.pair)];
  return labelOf({ text: `${callee}(${rest.map((n) => n.text).join(', ')})` } as Node);
}

function labelOf(node: Node): string {
  const text = node.text.replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * A Keras `kernel_initializer=` or Flax `kernel_init=` value: a string, an initializer
 * object or function call, a bare function (Flax `zeros`), a config dict, or a variable
 * bound to one of these.
 */
export function readInitializerValue(node: Node, scope: Scope, imports: Imports, framework: Framework, depth = 0): InitRead {
  const unknown: InitRead = { semantics: undefined, label: `${labelOf(node)} (not resolved)` };
  if (depth > 8) return unknown;
  const table = framework === 'flax' ? jaxInit : kerasInit;
  if (node.type === 'string') {
    const name = stringValue(node);
    if (name === undefined) return unknown;
    const s = kerasInit(snake(name), () => undefined);
    return s === 'not-init' ? unknown : { semantics: s, label: name };
  }
  if (node.type === 'identifier' || node.type === 'attribute') {
    const written = dottedName(node);
    if (written === undefined) return unknown;
    const bound = scope.expressionOf(written);
    if (bound && !imports.binds(written.split('.')[0]!)) return readInitializerValue(bound.node, bound.scope, imports, framework, depth + 1);
    const last = imports.canonical(written).split('.').pop()!;
    // A bare function: Flax `nn.initializers.zeros`; Keras accepts the class itself too.
    const s = table(snake(last), () => undefined);
    return s === 'not-init' ? unknown : { semantics: s, label: labelOf(node) };
  }
  if (node.type === 'call') {
    const call = callParts(node)!;
    const written = call ? dottedName(call.callee) : undefined;
    if (!call || written === undefined || call.spread) return unknown;
    const last = imports.canonical(written).split('.').pop()!;
    const s = table(snake(last), argReader(call, 0, scope, imports));
    return s === 'not-init' ? unknown : { semantics: s, label: labelOf(node) };
  }
  if (node.type === 'dictionary' && framework === 'keras') {
    // {'class_name': 'HeNormal', 'config': {...}}
    let className: string | undefined;
    let config: Node | undefined;
    for (const pair of node.namedChildren) {
      if (pair.type !== 'pair') continue;
      const key = pair.childForFieldName('key');
      const value = pair.childForFieldName('value');
      const k = key ? stringValue(key) : undefined;
      if (k === 'class_name' && value) className = stringValue(value);
      if (k === 'config' && value) config = value;
    }
    if (!className) return unknown;
    const entries = new Map<string, Node>();
    for (const pair of config?.namedChildren ?? []) {
      const key = pair.childForFieldName('key');
      const value = pair.childForFieldName('value');
      const k = key ? stringValue(key) : undefined;
      if (k && value) entries.set(k, value);
    }
    const s = kerasInit(snake(className), (_i, ...keywords) => {
      const found = keywords.map((k) => entries.get(k)).find((n) => n !== undefined);
      if (!found) return undefined;
      const v = evaluate(found, scope);
      return typeof v === 'number' || typeof v === 'string' ? v : null;
    });
    return s === 'not-init' ? unknown : { semantics: s, label: labelOf(node) };
  }
  return unknown;
}

/** A PyTorch init call on a weight, `nn.init.kaiming_normal_(w, ...)`: its semantics, or 'not-init'. */
export function readTorchInitCall(call: CallParts, canonical: string, scope: Scope, imports: Imports): InitRead | 'not-init' {
  const prefix = 'torch.nn.init.';
  if (!canonical.startsWith(prefix)) return 'not-init';
  const name = canonical.slice(prefix.length).replace(/_$/, '');
  const arg = argReader(call, 1, scope, imports);
  const label = torchLabel(call, 1);
  const semantics = torchInit(name, arg);
  return semantics === 'not-init' ? 'not-init' : withScaleDependence({ semantics, label }, call, 1, scope, imports);
}

/**
 * What the scale arguments of a fixed-scale init were computed from: the std of a normal
 * (not its mean, nor trunc_normal_'s cut-offs, often written `a=-2 * std`), both bounds of a
 * uniform. `skip`: the weight argument of `nn.init.*_(w, ...)`.
 */
function withScaleDependence(read: InitRead, call: CallParts, skip: number, scope: Scope, imports: Imports): InitRead {
  const kind = read.semantics?.kind;
  if (kind !== 'normal' && kind !== 'truncated_normal' && kind !== 'uniform') return read;
  const argument = (index: number, ...keywords: string[]) =>
    keywords.map((k) => call.keywords.get(k)?.value).find((n) => n !== undefined) ?? call.positional[skip + index];
  const args = kind === 'uniform' ? [argument(0, 'a', 'from'), argument(1, 'b', 'to')] : [argument(1, 'std')];
  const scaleFollows = scaleDependence(args.filter((n): n is Node => n !== undefined), scope, imports);
  return scaleFollows === undefined ? read : { ...read, scaleFollows };
}

function torchInit(name: string, arg: ArgReader): InitSemantics | undefined | 'not-init' {
  switch (name) {
    case 'kaiming_normal':
    case 'kaiming_uniform': {
      const aRaw = arg(0, 'a');
      const modeRaw = arg(1, 'mode');
      const nlRaw = arg(2, 'nonlinearity');
      const a = num(aRaw, 0);
      const mode = str(modeRaw, 'fan_in');
      const nonlinearity = str(nlRaw, 'leaky_relu');
      if (a === undefined || !mode || (mode !== 'fan_in' && mode !== 'fan_out') || !nonlinearity) return undefined;
      return {
        kind: 'kaiming', mode, nonlinearity, a, distribution: name === 'kaiming_normal' ? 'normal' : 'uniform',
        written: { nonlinearity: nlRaw !== undefined, a: aRaw !== undefined },
      };
    }
    case 'xavier_normal':
    case 'xavier_uniform': {
      const gain = num(arg(0, 'gain'), 1);
      return gain === undefined ? undefined : { kind: 'xavier', gain, distribution: name === 'xavier_normal' ? 'normal' : 'uniform' };
    }
    case 'orthogonal': {
      const gain = num(arg(0, 'gain'), 1);
      return gain === undefined ? undefined : { kind: 'orthogonal', gain };
    }
    case 'normal': {
      const mean = num(arg(0, 'mean'), 0);
      const std = num(arg(1, 'std'), 1);
      return mean === undefined || std === undefined ? undefined : { kind: 'normal', mean, std };
    }
    case 'trunc_normal': {
      const mean = num(arg(0, 'mean'), 0);
      const std = num(arg(1, 'std'), 1);
      const low = num(arg(2, 'a'), -2);
      const high = num(arg(3, 'b'), 2);
      if (mean === undefined || std === undefined || low === undefined || high === undefined) return undefined;
      return { kind: 'truncated_normal', mean, std, low, high };
    }
    case 'uniform': {
      const low = num(arg(0, 'a'), 0);
      const high = num(arg(1, 'b'), 1);
      return low === undefined || high === undefined ? undefined : { kind: 'uniform', low, high };
    }
    case 'constant': {
      const value = num(arg(0, 'val'), NaN);
      return value === undefined || !Number.isFinite(value) ? undefined : { kind: 'constant', value };
    }
    case 'zeros': return { kind: 'constant', value: 0 };
    case 'ones': return { kind: 'constant', value: 1 };
    case 'eye': case 'dirac': case 'sparse': return undefined;
    default: return 'not-init';
  }
}

/** In-place tensor methods: `w.data.normal_(0, 0.02)`, `.uniform_(-r, r)`, `.zero_()`, `.fill_(v)`. */
export function readTensorMethod(method: string, call: CallParts, scope: Scope, imports: Imports): InitRead | 'not-init' {
  const arg = argReader(call, 0, scope, imports);
  const label = torchLabel(call, 0);
  switch (method) {
    case 'normal_': {
      const mean = num(arg(0, 'mean'), 0);
      const std = num(arg(1, 'std'), 1);
      return withScaleDependence({ semantics: mean === undefined || std === undefined ? undefined : { kind: 'normal', mean, std }, label }, call, 0, scope, imports);
    }
    case 'uniform_': {
      const low = num(arg(0, 'from', 'a'), 0);
      const high = num(arg(1, 'to', 'b'), 1);
      return withScaleDependence({ semantics: low === undefined || high === undefined ? undefined : { kind: 'uniform', low, high }, label }, call, 0, scope, imports);
    }
    case 'zero_': return { semantics: { kind: 'constant', value: 0 }, label };
    case 'fill_': {
      const value = num(arg(0, 'value'), NaN);
      return { semantics: value === undefined || !Number.isFinite(value) ? undefined : { kind: 'constant', value }, label };
    }
    default: return 'not-init';
  }
}

