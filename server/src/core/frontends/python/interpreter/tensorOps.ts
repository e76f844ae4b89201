/**
 * What functions and tensor methods do to a traced value: activations (`F.relu(x)`,
 * `x.relu()`, `jax.nn.gelu(x)`), dropout, functional normalisation, flatten/view/reshape,
 * pooling and other shape-only steps, sums and concatenations. Anything not listed
 * here makes the value opaque (its producers' consumers unknown).
 */
import type { DropPathOp, DropoutOp } from '../../../ir';
import { readActivationCall } from '../frameworks/activations';
import { functionalNormEpsilon } from '../frameworks/normEpsilon';
import { flaxGlobalMean, flaxPool, torchFunctionalPool } from '../frameworks/poolLayers';
import { stochasticDepthFunction } from '../frameworks/stochasticDepth';
import type { RValue } from './frame';
import { castOf, l2Normalized, statisticCall, withoutStep } from './handNorm';
import { type CallParts, type Node, spanOf } from '../syntax/syntax';
import type { Tensor, Trace } from './trace';
import { evaluate, isNumber, type Scope } from './values';

/** The tensors in a value (a tensor, or a list of them). */
export function tensorsOf(r: RValue): Tensor[] {
  if (r?.t === 'tensor') return [r.tensor];
  if (r?.t === 'list') return r.items.flatMap(tensorsOf);
  return [];
}

/** F.relu(x), torch.flatten(x, 1), F.dropout(x, p), jax.nn.gelu(x), torch.cat([...]), layers.add([...]). */
export function tensorFunction(canonical: string, call: CallParts, args: readonly RValue[], trace: Trace, scope: Scope): RValue | 'not-handled' {
  const first = args[0];
  const last = canonical.slice(canonical.lastIndexOf('.') + 1);
  if (/^(keras\.layers\.(add|Add)|torch\.add)$/.test(canonical)) {
    const parts = first?.t === 'list' ? first.items : args;
    const tensors = parts.flatMap(tensorsOf);
    if (tensors.length === 2) return { t: 'tensor', tensor: trace.add(tensors[0]!, tensors[1]!, spanOf(call.node)) };
    return tensors.length > 0 ? { t: 'tensor', tensor: trace.merge(tensors, undefined) } : undefined;
  }
  if (first?.t !== 'tensor') {
    if (first?.t === 'list' && /^(torch\.(cat|concat|stack)|keras\.layers\.concatenate|jax\.numpy\.concatenate)$/.test(canonical)) {
      const tensors = first.items.flatMap(tensorsOf);
      return tensors.length > 0 ? { t: 'tensor', tensor: trace.merge(tensors, undefined) } : undefined;
    }
    return 'not-handled';
  }
  const x = first.tensor;
  // torch.mean(x, -1, keepdim=True), torch.rsqrt(m), …: a step of a hand-written norm (handNorm.ts).
  const statistic = canonical.startsWith('torch.') && !canonical.startsWith('torch.nn.')
    ? statisticCall(last, call.positional.slice(1), call.keywords, x, trace, scope) : undefined;
  if (statistic) return { t: 'tensor', tensor: statistic };
  if (x.normStep) return { t: 'tensor', tensor: trace.opaque(withoutStep(x)) };
  const activation = readActivationCall(call, canonical, scope);
  if (activation !== undefined) return { t: 'tensor', tensor: trace.activation(x, activation, spanOf(call.node)) };
  if (canonical === 'torch.flatten') return { t: 'tensor', tensor: startsAt(call, 1, 2, scope) ? trace.flattenPositions(x, spanOf(call.node)) : trace.flatten(x, spanOf(call.node)) };
  if (canonical === 'torch.nn.functional.dropout' || canonical === 'torch.nn.functional.alpha_dropout') {
    const pNode = call.keywords.get('p')?.value ?? call.positional[1];
    const p = pNode ? evaluate(pNode, scope) : 0.5;
    if (!isNumber(p) || p < 0 || p >= 1) return { t: 'tensor', tensor: trace.opaque(x) };
    const op: DropoutOp = { op: 'dropout', rate: p, alpha: last === 'alpha_dropout', span: spanOf(call.node), kindSpan: spanOf(call.callee) };
    return { t: 'tensor', tensor: trace.dropout(x, op) };
  }
  // timm's drop_path(x, p, training), torchvision's stochastic_depth(x, p, mode, training): stochasticDepth.ts.
  const drop = stochasticDepthFunction(canonical, call, scope);
  if (drop) {
    if (drop.kind === 'identity') return { t: 'tensor', tensor: trace.passThrough(x, x.shape) };
    if (drop.kind === 'unread') return { t: 'tensor', tensor: trace.unfollowed(x, drop.reason) };
    const op: DropPathOp = { op: 'dropPath', rate: drop.rate ?? 0, ...(drop.rate === undefined ? { assumed: true as const } : {}), label: last, span: spanOf(call.node) };
    return { t: 'tensor', tensor: trace.dropPath(x, op) };
  }
  if (canonical === 'torch.reshape' || canonical === 'jax.numpy.reshape' || canonical === 'tensorflow.reshape') {
    // torch.reshape(x, (B, -1)), jnp.reshape(x, (B, 8, 8, 16)): read as the method form.
    const shapeNode = call.positional[1] ?? call.keywords.get('shape')?.value ?? call.keywords.get('newshape')?.value;
    return { t: 'tensor', tensor: shapeNode ? reshaped(x, [shapeNode], call, trace, scope) : trace.passThrough(x, undefined) };
  }
  if (canonical === 'torch.nn.functional.normalize') {
    const normalized = l2NormalizeCall(call, x, trace, scope);
    return { t: 'tensor', tensor: normalized ?? trace.opaque(x) };
  }
  if (/^torch\.nn\.functional\.(layer_norm|batch_norm|group_norm|instance_norm|rms_norm)$/.test(canonical)) {
    const kind = last === 'batch_norm' ? 'batchnorm' : last === 'rms_norm' ? 'rmsnorm' : 'layernorm';
    return { t: 'tensor', tensor: trace.norm(x, kind, functionalNormEpsilon(last, kind, call, scope), spanOf(call.node)) };
  }
  // PyTorch's functional pools on a channels-first shape: an op with its geometry when the shape is known (poolLayers.ts).
  const torchPool = torchFunctionalPool(canonical, call, scope);
  if (torchPool) {
    const op = torchPool.op(x.shape);
    const shape = torchPool.reshape(x.shape);
    return { t: 'tensor', tensor: op ? trace.pool(x, { ...op, span: spanOf(call.node) }, shape) : trace.unreadPool(x, shape, call.node.text) };
  }
  // Flax's functional pools on a channels-last shape, the same way (poolLayers.ts flaxPool).
  const flaxPooling = flaxPool(canonical, call, scope);
  if (flaxPooling) {
    const op = flaxPooling.op(x.shape);
    const shape = flaxPooling.reshape(x.shape);
    return { t: 'tensor', tensor: op ? trace.pool(x, { ...op, span: spanOf(call.node) }, shape) : trace.passThrough(x, shape) };
  }
  // jnp.mean over every spatial axis of a known map: the global average pool.
  const globalMean = flaxGlobalMean(canonical, call, scope)?.op(x.shape);
  if (globalMean) return { t: 'tensor', tensor: trace.pool(x, { ...globalMean, span: spanOf(call.node) }, [x.shape![x.shape!.length - 1]!]) };
  if (/^(torch\.nn\.functional\.(max_pool[123]d|avg_pool[123]d|adaptive_avg_pool[123]d|adaptive_max_pool[123]d|pad|interpolate)|torch\.(mean|squeeze|unsqueeze|transpose|permute)|jax\.numpy\.mean|flax\.linen\.(max_pool|avg_pool))$/.test(canonical)) {
    // PyTorch's shapes are channels first: padding, resizing and reductions change them in ways not followed here.
    if (canonical.startsWith('torch.')) return { t: 'tensor', tensor: trace.passThrough(x, undefined) };
    return { t: 'tensor', tensor: trace.passThrough(x, x.shape && canonical.includes('pool') ? x.shape.map((d, i, s) => (i === s.length - 1 ? d : NaN)) : x.shape) };
  }
  return 'not-handled';
}

/**
 * `F.normalize(x, p=2.0, dim=1, eps=1e-12)`: x / max(‖x‖_p, eps) over `dim` (handNorm.ts
 * l2Normalized). Read for p = 2 and an eps of at most 1e-3 (it bounds ‖x‖, not each element's
 * square); undefined for anything else.
 */
function l2NormalizeCall(call: CallParts, x: Tensor, trace: Trace, scope: Scope): Tensor | undefined {
  if (call.positional.length > 4 || [...call.keywords.keys()].some((k) => !['input', 'p', 'dim', 'eps'].includes(k))) return undefined;
  const at = (i: number, name: string) => call.keywords.get(name)?.value ?? call.positional[i];
  const pNode = at(1, 'p');
  const dimNode = at(2, 'dim');
  const epsNode = at(3, 'eps');
  const p = pNode ? evaluate(pNode, scope) : 2;
  const dim = dimNode ? evaluate(dimNode, scope) : 1;
  const eps = epsNode ? evaluate(epsNode, scope) : 1e-12;
  if (p !== 2 || !isNumber(dim) || !Number.isInteger(dim) || !isNumber(eps) || eps < 0 || eps > 1e-3) return undefined;
  return l2Normalized(trace, x, dim, spanOf(call.node), call.node.text);
}

/** `x.view(n, -1)`, `x.flatten(1)`, `x.relu()`, `x.mean(...)`: a method called on a traced tensor. */
export function tensorMethod(method: string, objectNode: Node, call: CallParts, x: Tensor, trace: Trace, scope: Scope): Tensor {
  // `x.pow(2).mean(-1, keepdim=True)`, `m.rsqrt()`, …: a step of a hand-written norm (handNorm.ts).
  const statistic = statisticCall(method, call.positional, call.keywords, x, trace, scope);
  if (statistic) return statistic;
  if (x.normStep) return trace.opaque(withoutStep(x));
  if (method === 'flatten') return startsAt(call, 0, 2, scope) ? trace.flattenPositions(x, spanOf(call.node)) : trace.flatten(x, spanOf(call.node));
  // timm's PatchEmbed: `self.proj(x).flatten(2).transpose(1, 2)` (or `.permute(0, 2, 1)`): the patches are the tokens.
  if ((method === 'transpose' && axesAre(call, ['1,2', '2,1', '-2,-1', '-1,-2'], scope)) || (method === 'permute' && axesAre(call, ['0,2,1'], scope))) {
    const tokens = trace.tokensFromPatches(x);
    if (tokens) return tokens;
  }
  if (method === 'view' || method === 'reshape') return reshaped(x, call.positional, call, trace, scope);
  const activation = readActivationCall({ ...call, positional: [objectNode, ...call.positional] }, `torch.${method.replace(/_$/, '')}`, scope);
  if (activation !== undefined && ['relu', 'tanh', 'sigmoid', 'relu_', 'tanh_', 'sigmoid_', 'softmax', 'log_softmax'].includes(method)) {
    return trace.activation(x, activation, spanOf(call.node));
  }
  // `x.mean(dim=1)` of a stream of tokens: the mean over each sequence's tokens (vit-pytorch's `pool = 'mean'`).
  if (method === 'mean' && meansAxisOne(call, scope)) {
    const averaged = trace.tokenPool(x, 'mean', spanOf(call.node));
    if (averaged) return averaged;
  }
  if (['contiguous', 'clone', 'detach', 'to', 'float', 'mean', 'sum', 'squeeze', 'unsqueeze', 'transpose', 'permute', 'type_as', 'cuda', 'max', 'amax'].includes(method)) {
    // Reductions and axis moves change a map's shape (channels and positions): only flat features keep it.
    const moves = ['mean', 'sum', 'squeeze', 'unsqueeze', 'transpose', 'permute', 'max', 'amax'].includes(method);
    return castOf(method, x, trace.passThrough(x, method === 'mean' || method === 'sum' || (moves && (x.shape?.length ?? 0) > 1) ? undefined : x.shape));
  }
  return trace.opaque(x);
}

/** `mean(dim=1)`, `mean(1)`, `mean(dim=-2)` on (batch, tokens, features): one axis, the tokens, no keepdim. */
function meansAxisOne(call: CallParts, scope: Scope): boolean {
  const node = call.keywords.get('dim')?.value ?? call.positional[0];
  const others = call.positional.length + call.keywords.size - 1;
  const dim = node ? evaluate(node, scope) : undefined;
  return others === 0 && (dim === 1 || dim === -2);
}

/** `flatten(2)`, `flatten(start_dim=2)`, `torch.flatten(x, 2)`: flattening from axis `start` to the last (no end_dim). */
function startsAt(call: CallParts, position: number, start: number, scope: Scope): boolean {
  const node = call.keywords.get('start_dim')?.value ?? call.positional[position];
  const others = call.positional.length - position - (call.keywords.has('start_dim') ? 0 : 1);
  return node !== undefined && evaluate(node, scope) === start && others === 0 && !call.keywords.has('end_dim');
}

/** The call's positional axes, joined (`transpose(1, 2)` → '1,2'), among `accepted`. */
function axesAre(call: CallParts, accepted: readonly string[], scope: Scope): boolean {
  if (call.keywords.size > 0) return false;
  const only = call.positional.length === 1 ? call.positional[0]! : undefined;
  const items = only && (only.type === 'tuple' || only.type === 'list') ? only.namedChildren.filter((c) => c.type !== 'comment') : call.positional;
  const axes = items.map((n) => evaluate(n, scope));
  return axes.every(isNumber) && accepted.includes(axes.join(','));
}

/**
 * `x.view(x.size(0), -1)`, `x.reshape((B, 8, 8, 16))`, `x.view(-1, 784)`, `torch.reshape(x,
 * (B, -1))`: the first
 * dimension is the batch; the others give the new shape (one -1 inferred from the input's
 * size). One dimension left is a flatten; several (an "unflatten" before a conv) give that
 * shape; anything not constant leaves the shape unknown, so later widths are not guessed.
 */
function reshaped(x: Tensor, shapeArgs: readonly Node[], call: CallParts, trace: Trace, scope: Scope): Tensor {
  const only = shapeArgs.length === 1 ? shapeArgs[0]! : undefined;
  const dims = only && (only.type === 'tuple' || only.type === 'list') ? only.namedChildren.filter((c) => c.type !== 'comment') : shapeArgs;
  const span = spanOf(call.node);
  if (dims.length < 2) return trace.passThrough(x, undefined);
  const rest = dims.slice(1).map((d) => evaluate(d, scope));
  const known = rest.every((d) => isNumber(d) && Number.isInteger(d) && (d >= 1 || d === -1)) && rest.filter((d) => d === -1).length <= 1;
  let shape: number[] | undefined = known ? (rest as number[]) : undefined;
  if (shape?.includes(-1)) {
    const total = x.shape?.reduce((a, b) => a * b, 1);
    const others = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    shape = total !== undefined && Number.isFinite(total) && total % others === 0 ? shape.map((d) => (d === -1 ? total / others : d)) : undefined;
  }
  if (rest.length === 1) {
    const flat = trace.flatten(x, span);
    return shape ? { ...flat, shape } : flat;
  }
  return trace.passThrough(x, shape);
}
