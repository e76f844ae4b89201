/**
 * Activations as Python spells them (init-math.md §d): strings (`activation='relu'`),
 * functions (`F.relu`, `torch.tanh`, `nn.gelu`, `jax.nn.silu`, `keras.activations.relu`)
 * and modules (`nn.ReLU()`, `layers.LeakyReLU(negative_slope=0.2)`), each with the
 * framework's own default parameter (leaky slope: PyTorch/JAX 0.01, Keras layer 0.3,
 * Keras function and tf.nn 0.2).
 */
import type { ActivationName, ActivationUse, Framework } from '../../../ir';
import { resolveActivation } from '../../../knowledge/activations';
import type { Imports } from './imports';
import { argument, callParts, dottedName, type Node, spanOf, stringValue } from '../syntax/syntax';
import { evaluate, isNumber, type Scope } from '../interpreter/values';
import { orOperand } from '../interpreter/orOperand';

/** Spellings that are activations but that InitWise has no moments for: consumers become unknown. */
const KNOWN_UNMODELLED = new Set([
  'hardswish', 'hard_swish', 'hard_silu', 'hardsigmoid', 'hard_sigmoid', 'softsign', 'soft_sign', 'celu', 'glu',
  'rrelu', 'tanhshrink', 'softshrink', 'hardshrink', 'logsigmoid', 'log_sigmoid', 'exponential', 'threshold', 'sparsemax',
  'softmin', 'squareplus', 'sparse_plus',
]);

/** Extra spellings Python uses beyond knowledge/activations.ts aliases. */
const PYTHON_SPELLINGS: Readonly<Record<string, ActivationName>> = {
  logsoftmax: 'softmax', log_softmax: 'softmax', softmax2d: 'softmax', silu: 'silu', swish: 'silu',
  hardtanh: 'hard_tanh', hard_tanh: 'hard_tanh', identity: 'linear', linear: 'linear',
};

/** Modules whose frameworks define activations (function or class). */
const ACTIVATION_MODULES = [
  'torch.nn.functional.', 'torch.nn.', 'torch.', 'keras.activations.', 'keras.layers.', 'keras.ops.', 'tensorflow.nn.',
  'tensorflow.math.', 'tensorflow.', 'jax.nn.', 'jax.numpy.', 'flax.linen.', 'flax.nnx.', 'flax.linen.activation.', 'keras.',
];

export interface ActivationRead {
  readonly use: ActivationUse | 'unknown';
}

function canonicalName(spelling: string): ActivationName | 'unmodelled' | undefined {
  const lower = spelling.toLowerCase();
  if (KNOWN_UNMODELLED.has(lower)) return 'unmodelled';
  const extra = PYTHON_SPELLINGS[lower];
  if (extra) return extra;
  return resolveActivation(lower)?.name;
}

/** The default negative slope for leaky ReLU by where it came from. */
function defaultLeakySlope(canonical: string, isClass: boolean): number {
  if (canonical.startsWith('keras.layers.')) return 0.3;
  if (canonical.startsWith('keras.') || canonical.startsWith('tensorflow.')) return 0.2;
  return isClass ? 0.01 : 0.01;
}

/**
 * A dotted activation name (function or class), canonicalised by the imports: the
 * activation and the keyword/position of its parameter. Undefined when the name is not
 * an activation of a known framework.
 */
export function activationByName(canonical: string): { name: ActivationName | 'unmodelled'; isClass: boolean } | undefined {
  const module = ACTIVATION_MODULES.find((m) => canonical.startsWith(m) && !canonical.slice(m.length).includes('.'));
  if (!module) return undefined;
  const last = canonical.slice(module.length);
  if (last === 'Activation' || last === '') return undefined;
  const isClass = /^[A-Z]/.test(last);
  if (isClass && !(module === 'torch.nn.' || module === 'keras.layers.' || module === 'flax.nnx.')) return undefined;
  const name = canonicalName(last);
  if (!name) return undefined;
  // Module-level torch.* only for the tensor functions torch.relu/tanh/sigmoid/...; jax.numpy only tanh.
  if (module === 'jax.numpy.' && name !== 'tanh') return undefined;
  return { name, isClass };
}

/** The parameter of a parametrised activation given its call's arguments (the tensor excluded for functions). */
function parameterOf(name: ActivationName, canonical: string, call: ReturnType<typeof callParts>, isClass: boolean, scope: Scope): number | undefined | 'unknown' {
  const offset = isClass ? 0 : 1;
  const read = (index: number, ...keywords: string[]): number | undefined | 'unknown' => {
    if (!call) return undefined;
    for (const k of keywords) {
      const v = call.keywords.get(k);
      if (v) {
        const n = evaluate(v.value, scope);
        return isNumber(n) ? n : 'unknown';
      }
    }
    const p = call.positional[index + offset];
    if (!p) return undefined;
    const n = evaluate(p, scope);
    return isNumber(n) ? n : 'unknown';
  };
  switch (name) {
    case 'leaky_relu': {
      const v = read(0, 'negative_slope', 'alpha');
      return v ?? defaultLeakySlope(canonical, isClass);
    }
    case 'prelu':
      // nn.PReLU(num_parameters=1, init=0.25); Keras PReLU alpha starts at 0 (a ReLU at init).
      if (canonical.startsWith('keras.')) return 0;
      if (call?.keywords.has('init')) {
        const n = evaluate(call.keywords.get('init')!.value, scope);
        return isNumber(n) ? n : 'unknown';
      }
      return call && call.positional[1] ? read(1) : 0.25;
    case 'elu':
      return read(0, 'alpha') ?? 1;
    default:
      return undefined;
  }
}

function use(name: ActivationName, param: number | undefined, span: Span): ActivationUse {
  return param === undefined ? { name, explicit: true, span } : { name, param, explicit: true, span };
}

type Span = ReturnType<typeof spanOf>;

/**
 * Reads an activation written as a value: a string (`'relu'`, None), a function or a class
 * (`F.relu`, `nn.ReLU`), an instance (`nn.LeakyReLU(0.2)`) or a variable bound to one.
 * `undefined` means "not recognisably an activation"; 'unknown' means it is one but
 * cannot be resolved (a parameter, a dict lookup).
 */
export function readActivationValue(node: Node, scope: Scope, imports: Imports, framework: Framework, depth = 0): ActivationUse | 'unknown' {
  if (depth > 8) return 'unknown';
  if (node.type === 'none') return { name: 'linear', explicit: true, span: spanOf(node) };
  if (node.type === 'string') {
    const text = stringValue(node);
    if (text === undefined) return 'unknown';
    const name = canonicalName(text);
    if (!name || name === 'unmodelled') return 'unknown';
    const param = name === 'leaky_relu' ? (framework === 'keras' ? 0.2 : 0.01) : name === 'elu' ? 1 : undefined;
    return use(name, param, spanOf(node));
  }
  if (node.type === 'boolean_operator' || node.type === 'parenthesized_expression') {
    // `act_layer or nn.GELU` (orOperand.ts): the operand Python gives, where certain.
    const chosen = orOperand(node, scope, (left, where) => standsForFrameworkName(left, where, imports));
    return chosen && chosen !== node ? readActivationValue(chosen, scope, imports, framework, depth + 1) : 'unknown';
  }
  if (node.type === 'identifier' || node.type === 'attribute') {
    const written = dottedName(node);
    if (written === undefined) return 'unknown';
    const bound = scope.expressionOf(written);
    if (bound && !imports.binds(written.split('.')[0]!)) return readActivationValue(bound.node, bound.scope, imports, framework, depth + 1);
    const canonical = imports.canonical(written);
    const known = activationByName(canonical);
    if (!known || known.name === 'unmodelled') return 'unknown';
    const param = known.name === 'leaky_relu' ? defaultLeakySlope(canonical, known.isClass) : known.name === 'prelu' ? 0.25 : known.name === 'elu' ? 1 : undefined;
    return use(known.name, param, spanOf(node));
  }
  if (node.type === 'call') {
    const call = callParts(node);
    const written = call ? dottedName(call.callee) : undefined;
    if (!call || written === undefined) return 'unknown';
    const canonical = imports.canonical(classNameThrough(written, scope, imports));
    if (canonical === 'keras.layers.Activation') {
      const arg = argument(call, 0, 'activation');
      return arg ? readActivationValue(arg, scope, imports, framework, depth + 1) : 'unknown';
    }
    // functools.partial(nn.leaky_relu, negative_slope=0.2) and friends are not followed.
    const known = activationByName(canonical);
    if (!known || known.name === 'unmodelled' || !known.isClass) return 'unknown';
    const param = parameterOf(known.name, canonical, call, true, scope);
    if (param === 'unknown') return 'unknown';
    return use(known.name, param, spanOf(call.callee));
  }
  return 'unknown';
}

/**
 * The class a called name stands for: itself, or — for a parameter or local bound to a
 * name (`def block(x, act=layers.ReLU): ... act()(x)`), through as many names as it was
 * passed along — the name it is bound to. Each name is read in its binding's scope.
 */
function classNameThrough(written: string, scope: Scope, imports: Imports, depth = 0): string {
  let name = written;
  let where = scope;
  for (let hops = 0; hops < 8 && !imports.binds(name.split('.')[0]!); hops++) {
    const bound = where.expressionOf(name);
    // `norm_layer = norm_layer or nn.BatchNorm2d`: the operand `or` gives (orOperand.ts); the left side is read at depth one only.
    const chosen = bound && depth === 0 ? orOperand(bound.node, bound.scope, (left, at) => standsForFrameworkName(left, at, imports, 1)) : bound?.node;
    const target = chosen && (chosen.type === 'identifier' || chosen.type === 'attribute') ? dottedName(chosen) : undefined;
    // The same name read again is progress only past an `or` (`act_layer or …`: the parameter's binding before).
    if (!bound || target === undefined || (target === name && chosen === bound.node)) break;
    name = target;
    where = bound.scope;
  }
  return name;
}

/** Whether a name stands for an imported framework class or function, through its bindings (a truthy left side of `or`). */
function standsForFrameworkName(left: Node, scope: Scope, imports: Imports, depth = 0): boolean {
  const written = dottedName(left);
  return written !== undefined && /^(torch|keras|flax|jax)\./.test(imports.canonical(classNameThrough(written, scope, imports, depth + 1)));
}

/**
 * An activation class built by a call whose arguments are `call`'s (a `functools.partial`'s
 * merged with its call's, timm's `create_act_layer(name, **kwargs)`): the activation, 'unknown'
 * when a parameter does not fold, undefined when `canonical` is not an activation class.
 */
export function readActivationClass(call: NonNullable<ReturnType<typeof callParts>>, canonical: string, scope: Scope): ActivationUse | 'unknown' | undefined {
  const known = activationByName(canonical);
  if (!known || !known.isClass) return undefined;
  if (known.name === 'unmodelled') return 'unknown';
  const param = parameterOf(known.name, canonical, call, true, scope);
  return param === 'unknown' ? 'unknown' : use(known.name, param, spanOf(call.node));
}

/**
 * An activation function applied to a tensor, as in `F.relu(x)`, `F.leaky_relu(x, 0.2)`,
 * `nn.gelu(x)`, `torch.tanh(x)`: the activation, or undefined when the call is not one.
 */
export function readActivationCall(call: NonNullable<ReturnType<typeof callParts>>, canonical: string, scope: Scope): ActivationUse | 'unknown' | undefined {
  const known = activationByName(canonical);
  if (!known || known.isClass) return undefined;
  if (known.name === 'unmodelled') return 'unknown';
  let param = parameterOf(known.name, canonical, call, false, scope);
  if (param === 'unknown') return 'unknown';
  // jax.nn.gelu defaults to the tanh approximation; its moments match exact GELU to 1e-4 (init-math.md §d).
  if (known.name === 'prelu') param = 0.25;
  return use(known.name, param, spanOf(call.callee));
}
