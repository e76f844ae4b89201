/**
 * LayerNorm and RMSNorm written out by hand in a PyTorch forward pass (LLaMA's
 * `x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)`, the Annotated Transformer's
 * `(x - mean) / (std + self.eps)`), read as the norm op they compute (Trace.norm). Each step is
 * a statistic of one source tensor, carried on the value it makes (Tensor.normStep): its mean
 * over an axis (keepdim), the source less that mean, the square of either, the mean of the
 * square (variance or mean square; `var`/`std`/`norm` directly), an epsilon added, the square
 * root or its inverse. Dividing the source (or its centred value) by the root, or multiplying
 * by the inverse root, of a moment of the same source over the same axis is the norm; any
 * other use of a statistic sees what it is today, an unknown value.
 *
 * Only the definition is read: the axis must be the features axis (the last one of a value
 * that is not a channels-first map; ConvNeXt's channels_first LayerNorm over dim 1 of an NCHW
 * map normalises each position over its channels, which the simulation's per-sample norm does
 * not compute: a norm for the rules, the network not simulated, `unsimulated`); an epsilon added must fold to a constant in [0, 1e-3] or
 * be the module's own `self.eps`-like attribute. Bessel's correction (`x.std(-1)`, unbiased by
 * default) and the L2 norm (`x / x.norm(dim=-1, keepdim=True)`, no 1/d) are the norm times a
 * known constant, √((d−1)/d) and 1/√d, read as a scale op after it when the width d is known.
 *
 * The learnable affine after a norm, a per-feature weight created as `torch.ones(d)` and a bias
 * as `torch.zeros(d)` (parameterTables.ts, their init still that constant), is the identity at
 * initialisation: `x * self.weight` and `x + self.bias` are x.
 */
import type { Span } from '../../../text';
import type { Node } from '../syntax/syntax';
import { evaluate, isNumber, type Scope, type Value } from './values';
import type { ParameterTable } from './parameterTables';
import type { Chain, Tensor, Trace } from './trace';
import { walkOps } from '../../../ir';
import { insideAttention } from './attentionTrace';

/** Largest epsilon read as one (nn.LayerNorm's 1e-5, LLaMA's 1e-6, Keras's 1e-3). */
const MAX_EPS = 1e-3;

/** The value as anything but the next step of a norm sees it: unknown (a statistic is always a broken value). */
export function withoutStep(x: Tensor): Tensor {
  return x.normStep === undefined ? x : { ...x, normStep: undefined };
}

/** `x.mean(axis, keepdim=True)`: of a plain value its mean; of a square its moment. */
export function meanOf(trace: Trace, x: Tensor, axis: number): Tensor | undefined {
  const step = x.normStep;
  if (!step) return plain(x) ? trace.statistic(x, { stage: 'mean', of: sourceOf(x), axis }) : undefined;
  if (step.stage !== 'square') return undefined;
  if (step.centredAxis !== undefined && !sameAxis(step.of, step.centredAxis, axis)) return undefined;
  return trace.statistic(x, { stage: 'moment', of: step.of, axis, centred: step.centredAxis !== undefined, eps: undefined, root: 'none', factor: 'none' });
}

/** `x.var(axis, keepdim=True)`, `x.std(…)`, `x.norm(dim=axis, keepdim=True)` of a plain value. */
export function momentOf(trace: Trace, x: Tensor, axis: number, what: 'var' | 'std' | 'norm', unbiased: boolean): Tensor | undefined {
  if (!plain(x)) return undefined;
  return trace.statistic(x, {
    stage: 'moment', of: sourceOf(x), axis, centred: what !== 'norm', eps: undefined, root: what === 'var' ? 'none' : 'sqrt',
    factor: what === 'norm' ? 'sum' : unbiased ? 'bessel' : 'none',
  });
}

/** `x.pow(2)`, `x ** 2`, `torch.square(x)`, `x * x`: of a plain or centred value, its square. */
export function squareOf(trace: Trace, x: Tensor): Tensor | undefined {
  const step = x.normStep;
  if (!step) return plain(x) ? trace.statistic(x, { stage: 'square', of: sourceOf(x), centredAxis: undefined }) : undefined;
  if (step.stage !== 'centred') return undefined;
  return trace.statistic(x, { stage: 'square', of: step.of, centredAxis: step.axis });
}

/** `torch.sqrt(m)`, `m.rsqrt()`, `m ** 0.5`, `m ** -0.5` of a moment not yet rooted. */
export function rootOf(trace: Trace, x: Tensor, root: 'sqrt' | 'rsqrt'): Tensor | undefined {
  const step = x.normStep;
  if (step?.stage !== 'moment' || step.root !== 'none') return undefined;
  return trace.statistic(x, { ...step, root });
}

/**
 * `m + eps` (either order) of a moment with no epsilon yet, before its root or after a square
 * root (the Annotated Transformer's `std + self.eps`). `value`: the folded addend; `attribute`:
 * the addend is the module's own epsilon attribute (`self.eps`, `self.variance_epsilon`).
 */
export function withEpsilon(trace: Trace, x: Tensor, value: unknown, attribute: boolean): Tensor | undefined {
  const step = x.normStep;
  if (step?.stage !== 'moment' || step.eps !== undefined || step.root === 'rsqrt') return undefined;
  const small = typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_EPS;
  if (!small && !(value === undefined && attribute)) return undefined;
  // Added to the root (σ + ε): (σ + ε)² = σ² + ε² + 2εσ, read as the norm's ε²; the 2εσ left out
  // changes the output's scale by less than 2ε/σ, nothing unless the signal is as small as ε.
  return trace.statistic(x, { ...step, eps: small ? (step.root === 'sqrt' ? value * value : value) : 'unread' });
}

/** `self.eps`, `self.epsilon`, `self.variance_epsilon`, `self.norm_eps`: a module's epsilon by its name. */
export function isEpsilonAttribute(text: string): boolean {
  return /^self\.(\w+_)?(eps|epsilon)$/.test(text.replace(/\s+/g, ''));
}

/** `x - mean(x, axis)`: the centred value. */
export function centred(trace: Trace, a: Tensor, b: Tensor): Tensor | undefined {
  const step = b.normStep;
  if (step?.stage !== 'mean' || step.of !== sourceOf(a) || !plain(a)) return undefined;
  return trace.statistic(a, { stage: 'centred', of: step.of, axis: step.axis });
}

/**
 * `x / root`, `x * inverse root` (either order for ×), `x` plain or centred: the norm of the
 * source when the moment is of the same source over the same axis, centred exactly when x is
 * (LayerNorm; RMSNorm neither). Undefined for anything else.
 */
export function normalised(trace: Trace, a: Tensor, b: Tensor, op: string, span: Span, written: string): Tensor | undefined {
  if (op === '*') return normalisedBy(trace, a, b, 'rsqrt', span, written) ?? normalisedBy(trace, b, a, 'rsqrt', span, written);
  if (op === '/') return normalisedBy(trace, a, b, 'sqrt', span, written);
  return undefined;
}

function normalisedBy(trace: Trace, x: Tensor, by: Tensor, root: 'sqrt' | 'rsqrt', span: Span, written: string): Tensor | undefined {
  const moment = by.normStep;
  if (moment?.stage !== 'moment' || moment.root !== root) return undefined;
  const step = x.normStep;
  // The norm is of the value divided (or, centred, of its source): a cast of the statistics' source is that source.
  const source = step === undefined ? x : step.stage === 'centred' ? step.of : undefined;
  if (source === undefined || moment.of !== sourceOf(source) || !plain(source)) return undefined;
  if ((step !== undefined) !== moment.centred) return undefined;
  if (step?.stage === 'centred' && !sameAxis(source, step.axis, moment.axis)) return undefined;
  const epsilonOf = () => (moment.eps === undefined ? 0 : moment.eps === 'unread' ? 'unknown' as const : moment.eps);
  // ConvNeXt's channels_first LayerNorm (mean and variance over dim 1 of an NCHW map): a norm of
  // each position over its channels, which the simulation does not compute (l2Normalized).
  if (!featuresAxis(source, moment.axis)) {
    if (!channelsAxis(source, moment.axis)) return undefined;
    return unsimulated(trace, trace.normalised(source, moment.centred ? 'layernorm' : 'rmsnorm', epsilonOf(), span), written, PER_POSITION);
  }
  const width = widthOf(source);
  const known = width !== undefined && Number.isInteger(width) && width >= 2;
  if (moment.factor !== 'none' && !known) return undefined;
  const kind = moment.centred ? 'layernorm' : 'rmsnorm';
  // NormOp's ε: none added is 0; the module's attribute whose value is not folded, unknown (the simulation declines).
  const norm = trace.normalised(source, kind, epsilonOf(), span);
  if (moment.factor === 'none' || !known) return norm;
  // The moment's root is √(d/(d−1)) (Bessel) or √d (a sum of squares) times the norm's divisor.
  if (moment.factor === 'sum') return l2Factor(trace, norm, width, span);
  return trace.scaled(norm, { op: 'scale', factor: Math.sqrt((width - 1) / width), label: `× √((d−1)/d), d = ${width} (unbiased std)`, span });
}

/** x/‖x‖₂ = (1/√d)·x/√(mean x²): the RMSNorm already applied, times 1/√d. */
function l2Factor(trace: Trace, norm: Tensor, width: number, span: Span): Tensor {
  return trace.scaled(norm, { op: 'scale', factor: 1 / Math.sqrt(width), label: `× 1/√d, d = ${width} (L2 norm)`, span });
}

/**
 * `F.normalize(x, p=2, dim=axis)`: x / max(‖x‖₂, eps) over one axis, the hand-written L2 norm
 * `x / x.norm(dim=axis, keepdim=True)` as one call, read the same way: over the features axis of
 * a known width, an RMSNorm without gain and epsilon (PyTorch's eps, 1e-12 by default, bounds the
 * divisor from below and changes nothing unless ‖x‖ is that small) times 1/√d
 * (test/reference/normalize/f_normalize.json). Over any other axis it is still a norm to the
 * layers around it (a positive scale before it cannot change what comes out), but not one the
 * simulation computes: over the channels of a channels-first map (the default dim=1 on a conv
 * output: SSD's L2Norm) it normalises each position on its own, where the simulation's norm of a
 * map divides by one statistic per sample; over dim=1 of a value whose rank is not known it may
 * be the tokens'. The rules see the norm; the network is not simulated and names the call.
 */
export function l2Normalized(trace: Trace, x: Tensor, axis: number, span: Span, written: string): Tensor | undefined {
  if (!plain(x)) return undefined;
  const width = featuresAxis(x, axis) ? widthOf(x) : undefined;
  if (width !== undefined && Number.isInteger(width) && width >= 2) return l2Factor(trace, trace.norm(x, 'rmsnorm', 0, span), width, span);
  const why = channelsAxis(x, axis) ? PER_POSITION
    : featuresAxis(x, axis) ? 'normalises over features whose count InitWise does not know'
      : `normalises over dim=${axis}, which InitWise cannot tell is the features' axis (the value's rank is not known)`;
  return unsimulated(trace, trace.norm(x, 'rmsnorm', 0, span), written, why);
}

const PER_POSITION = 'normalises each position of a map over its channels, a norm the simulation does not compute';

/** A norm the rules see (the scale of what feeds it is reset) and the simulation does not compute: the value goes on unfollowed, the code named. */
function unsimulated(trace: Trace, normed: Tensor, written: string, why: string): Tensor {
  const text = written.replace(/\s+/g, ' ');
  const shown = text.length <= 48 ? text : `${text.slice(0, 45)}…`;
  return trace.unfollowed(normed, `\`${shown}\` ${why}`);
}

/** Axis 1 of a channels-first map (the output of a convolution over positions, no flatten since): its channels. */
function channelsAxis(x: Tensor, axis: number): boolean {
  if (!afterConvolution(x.chain)) return false;
  return axis === 1 || (x.shape !== undefined && x.shape.length >= 2 && absoluteAxis(x, axis) === 1);
}

/**
 * `x * self.weight`, `x + self.bias`: the identity at initialisation when the table is one value
 * per feature (1-D) whose init is still the constant 1 (for ×) or 0 (for + and −).
 */
export function identityAffine(table: ParameterTable, op: string, tableOnLeft: boolean): boolean {
  if (table.shape.length !== 1 || table.fixed || table.init?.semantics.kind !== 'constant') return false;
  const value = table.init.semantics.value;
  if (op === '*') return value === 1;
  return (op === '+' || (op === '-' && !tableOnLeft)) && value === 0;
}

/**
 * A value of the network's signal: not a statistic, not inside an attention (logits, weights),
 * not token positions or a mask. It may be broken (its history not fully followed): what feeds
 * what is still known, and the norm still normalises it, as nn.LayerNorm's would.
 */
function plain(x: Tensor): boolean {
  return x.normStep === undefined && !insideAttention(x) && x.positions === undefined && x.tokenMask === undefined;
}

/** The axis as a non-negative index counting the batch axis, when the value's rank is known. */
function absoluteAxis(x: Tensor, axis: number): number | undefined {
  if (axis >= 0) return axis;
  return x.shape ? axis + x.shape.length + 1 : undefined;
}

function sameAxis(x: Tensor, a: number, b: number): boolean {
  if (a === b) return true;
  const [i, j] = [absoluteAxis(x, a), absoluteAxis(x, b)];
  return i !== undefined && i === j;
}

/**
 * The axis is the features axis: the last of a value whose shape is known as flat features or
 * (tokens, features), or `-1` where the shape is not known; never after a convolution over
 * positions with no flatten since (PyTorch's maps are channels first: their last axis is a
 * position, a Conv1d's (channels, length) too).
 */
function featuresAxis(x: Tensor, axis: number): boolean {
  if (afterConvolution(x.chain)) return false;
  if (x.shape) return x.shape.length >= 1 && x.shape.length <= 2 && absoluteAxis(x, axis) === x.shape.length;
  return axis === -1;
}

/**
 * The features' count: the last of a known shape, else the output width of the nearest weight
 * layer (dense, embedding) with only width-keeping steps after it (activations, norms, dropout, drop path,
 * constant factors, residual sums, position tables).
 */
function widthOf(x: Tensor): number | undefined {
  if (x.shape) return x.shape[x.shape.length - 1];
  for (let c = x.chain; c; c = c.parent) {
    const op = c.op;
    if (op.op === 'layer') return (op.kind === 'dense' || op.kind === 'embedding') && !op.conv ? op.fans?.fanOut : undefined;
    if (!['activation', 'norm', 'dropout', 'dropPath', 'scale', 'residual', 'positionTable'].includes(op.op)) return undefined;
  }
  return undefined;
}

function afterConvolution(chain: Chain | undefined): boolean {
  for (let c = chain; c; c = c.parent) {
    for (const op of c.op.op === 'residual' || c.op.op === 'memory' ? walkOps([c.op]) : [c.op]) {
      if (op.op === 'layer' && (op.kind === 'conv1d' || op.kind === 'conv2d' || op.kind === 'conv3d') && !op.patchTokens) return true;
    }
    if (c.op.op === 'flatten' || (c.op.op === 'layer' && (c.op.kind === 'dense' || c.op.kind === 'embedding' || c.op.patchTokens))) return false;
  }
  return false;
}

/** Methods that change a value's dtype, device or layout in memory, never its numbers (nor its gradient): a statistic stays one. */
const VALUE_KEEPING = new Set(['float', 'double', 'half', 'bfloat16', 'type_as', 'to', 'contiguous']);

/**
 * The value each dtype/device cast was made from (`h.to(torch.float32)`, `x.float()`): T5's
 * `h * torch.rsqrt(h.to(torch.float32).pow(2).mean(-1, keepdim=True) + eps)` takes the statistic
 * of the cast and multiplies the value itself; both are the same source.
 */
const castSources = new WeakMap<Tensor, Tensor>();

/** `cast` is `x` after `method`: where that is a value-keeping cast, remember where it came from. */
export function castOf(method: string, x: Tensor, cast: Tensor): Tensor {
  if (VALUE_KEEPING.has(method) && x.normStep === undefined && cast !== x) castSources.set(cast, sourceOf(x));
  return cast;
}

/** The value a chain of casts started from. */
function sourceOf(x: Tensor): Tensor {
  return castSources.get(x) ?? x;
}

/**
 * `x.mean(-1, keepdim=True)`, `x.pow(2)`, `x.square()`, `m.sqrt()`, `m.rsqrt()`, `x.var(-1, keepdim=True)`,
 * `x.std(-1, keepdim=True)`, `x.norm(dim=-1, keepdim=True)`, and the same as `torch.*(x, …)`
 * (`call`'s arguments after x): the statistic, or undefined when the call is none of them.
 */
export function statisticCall(method: string, args: readonly Node[], written: ReadonlyMap<string, { readonly value: Node }>, x: Tensor, trace: Trace, scope: Scope): Tensor | undefined {
  if (x.normStep && VALUE_KEEPING.has(method)) return x;
  const keywords = new Map([...written].map(([k, v]) => [k, v.value]));
  const only = (...names: string[]) => [...keywords.keys()].every((k) => names.includes(k));
  switch (method) {
    case 'pow': {
      const exponent = keywords.get('exponent') ?? args[0];
      if (args.length + keywords.size !== 1 || !exponent) return undefined;
      return powerOf(trace, x, evaluate(exponent, scope));
    }
    case 'square':
      return args.length === 0 && keywords.size === 0 ? squareOf(trace, x) : undefined;
    case 'sqrt': case 'rsqrt':
      return args.length === 0 && keywords.size === 0 ? rootOf(trace, x, method) : undefined;
    case 'mean': {
      if (args.length > 2 || !only('dim', 'keepdim')) return undefined;
      const axis = singleAxis(keywords.get('dim') ?? args[0], scope);
      const keep = keywords.get('keepdim') ?? args[1];
      return axis !== undefined && keep && evaluate(keep, scope) === true ? meanOf(trace, x, axis) : undefined;
    }
    case 'var': case 'std': {
      // PyTorch 1.x: var(dim, unbiased=True, keepdim=False); `correction=` (2.x) is the same choice as a number.
      if (args.length > 3 || !only('dim', 'unbiased', 'keepdim', 'correction')) return undefined;
      const axis = singleAxis(keywords.get('dim') ?? args[0], scope);
      const keep = keywords.get('keepdim') ?? args[2];
      const unbiasedNode = keywords.get('unbiased') ?? args[1];
      const correction = keywords.get('correction');
      const unbiased = correction ? evaluate(correction, scope) : unbiasedNode ? evaluate(unbiasedNode, scope) : true;
      if (axis === undefined || !keep || evaluate(keep, scope) !== true || (correction && unbiasedNode)) return undefined;
      const bessel = unbiased === true || unbiased === 1 ? true : unbiased === false || unbiased === 0 ? false : undefined;
      return bessel === undefined ? undefined : momentOf(trace, x, axis, method, bessel);
    }
    case 'norm': {
      // Tensor.norm(p='fro', dim=None, keepdim=False): the L2 norm over one axis.
      if (args.length > 3 || !only('p', 'dim', 'keepdim')) return undefined;
      const p = keywords.get('p') ?? args[0];
      const axis = singleAxis(keywords.get('dim') ?? args[1], scope);
      const keep = keywords.get('keepdim') ?? args[2];
      const pValue = p ? evaluate(p, scope) : 'fro';
      if (axis === undefined || !keep || evaluate(keep, scope) !== true || !(pValue === 2 || pValue === 'fro')) return undefined;
      return momentOf(trace, x, axis, 'norm', false);
    }
    default:
      return undefined;
  }
}

/** `x ** 2`, `m ** 0.5`, `m ** -0.5` (and `pow`): a square or a root, else undefined. */
export function powerOf(trace: Trace, x: Tensor, exponent: unknown): Tensor | undefined {
  if (exponent === 2) return squareOf(trace, x);
  if (exponent === 0.5) return rootOf(trace, x, 'sqrt');
  if (exponent === -0.5) return rootOf(trace, x, 'rsqrt');
  return undefined;
}

/** `-1`, `dim=-1`, `(-1,)`, `[-1]`: one integer axis. */
function singleAxis(node: Node | undefined, scope: Scope): number | undefined {
  if (!node) return undefined;
  const value = evaluate(node, scope);
  const axis: Value | undefined = Array.isArray(value) && value.length === 1 ? (value as readonly Value[])[0] : value;
  return isNumber(axis) && Number.isInteger(axis) ? axis : undefined;
}
