/**
 * Recurrent layers of the three frameworks (issue 15; docs/python.md "Recurrent layers"):
 * PyTorch nn.RNN/LSTM/GRU and their cells, Keras LSTM/GRU/SimpleRNN, Flax LSTMCell/GRUCell/
 * SimpleCell. Each is one weight layer (its `init` is the input kernel) carrying the recurrent
 * state (interpreter/recurrentState.ts) with the framework's defaults
 * (knowledge/recurrentDefaults.ts), which init code then changes.
 */
import type { Activation, Fans, InitUse, RecurrentCellKind, RecurrentFixBuilder, RecurrentKernelInit } from '../../../ir';
import { FORGET_GATE, gateCount } from '../../../knowledge/recurrent';
import { pytorchRecurrentUniform, recurrentDefaults } from '../../../knowledge/recurrentDefaults';
import { kerasInitializerPrefix, keywordSite, setKeyword, type TorchFixBuilder } from '../fixes/fixBuilder';
import type { WeightModule } from '../interpreter/modules';
import { type BiasVector, type RecurrentModuleState, type RecurrentParams, uniformVector } from '../interpreter/recurrentState';
import { evaluate, evaluateCount, isNumber, type Scope, type Value } from '../interpreter/values';
import { argument, type CallParts, callParts, dottedName, type Node, spanOf, stringValue } from '../syntax/syntax';
import { type CatalogContext, flaxWeight, functionStyleAt, kerasWeight, torchWeight } from './catalog';
import { readActivationValue } from './activations';
import { readInitializerValue } from './initializers';
import { lineEndingOf } from '../../../lineEnding';

const TORCH_CELLS: Readonly<Record<string, { cell: RecurrentCellKind; stepCell: boolean }>> = {
  RNN: { cell: 'rnn', stepCell: false }, LSTM: { cell: 'lstm', stepCell: false }, GRU: { cell: 'gru', stepCell: false },
  RNNCell: { cell: 'rnn', stepCell: true }, LSTMCell: { cell: 'lstm', stepCell: true }, GRUCell: { cell: 'gru', stepCell: true },
};

const TANH: Activation = { name: 'tanh' };

/** A recurrent layer constructor, or undefined when the class is not one. */
export function recurrentModule(canonical: string, call: CallParts, ctx: CatalogContext): WeightModule | undefined {
  if (canonical.startsWith('torch.nn.')) {
    const entry = TORCH_CELLS[canonical.slice('torch.nn.'.length)];
    return entry ? torchRecurrent(canonical, call, ctx, entry.cell, entry.stepCell) : undefined;
  }
  if (canonical.startsWith('keras.layers.')) {
    const name = canonical.slice('keras.layers.'.length);
    if (name === 'Bidirectional') return kerasBidirectional(call, ctx);
    const cell = KERAS_LAYERS[name];
    return cell ? kerasRecurrent(canonical, call, ctx, cell) : undefined;
  }
  if (canonical.startsWith('flax.linen.') || canonical.startsWith('flax.nnx.')) return flaxRecurrent(canonical, call, ctx);
  return undefined;
}

function flag(value: Value | undefined, fallback: boolean): boolean | undefined {
  if (value === undefined) return fallback;
  return typeof value === 'boolean' ? value : undefined;
}

/**
 * nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first,
 * dropout, bidirectional), nn.LSTM/GRU(input_size, hidden_size, num_layers=1, bias=True, …,
 * bidirectional, proj_size), nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh'),
 * nn.LSTMCell/GRUCell(input_size, hidden_size, bias=True).
 */
function torchRecurrent(canonical: string, call: CallParts, ctx: CatalogContext, cell: RecurrentCellKind, stepCell: boolean): WeightModule {
  const { scope } = ctx;
  const inputSize = evaluateCount(argument(call, 0, 'input_size'), scope);
  const hidden = evaluateCount(argument(call, 1, 'hidden_size'), scope);
  const isRnn = cell === 'rnn';
  const numLayersNode = stepCell ? undefined : argument(call, 2, 'num_layers');
  const numLayers = numLayersNode ? evaluateCount(numLayersNode, scope) : 1;
  const biasNode = stepCell ? argument(call, 2, 'bias') : argument(call, isRnn ? 4 : 3, 'bias');
  const hasBias = flag(biasNode ? evaluate(biasNode, scope) : undefined, true);
  const nonlinearityNode = isRnn ? (stepCell ? argument(call, 3, 'nonlinearity') : argument(call, 3, 'nonlinearity')) : undefined;
  const nonlinearityValue = nonlinearityNode ? evaluate(nonlinearityNode, scope) : 'tanh';
  const nonlinearity: Activation | 'unknown' = nonlinearityValue === 'tanh' ? TANH : nonlinearityValue === 'relu' ? { name: 'relu' } : 'unknown';
  if (nonlinearityNode && nonlinearity === 'unknown') ctx.names.check(nonlinearityNode, 'activation');
  const bidirectional = stepCell ? false : flag(call.keywords.get('bidirectional') ? evaluate(call.keywords.get('bidirectional')!.value, scope) : undefined, false);
  const projSize = call.keywords.get('proj_size') ? evaluate(call.keywords.get('proj_size')!.value, scope) : 0;
  const gates = gateCount(cell);
  const fans: Fans | undefined = inputSize && hidden ? { fanIn: inputSize, fanOut: gates * hidden } : undefined;
  const module = torchWeight(canonical, call, ctx, 'recurrent', { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape: undefined },
    true, { input_size: inputSize ?? null, hidden_size: hidden ?? null, num_layers: numLayers ?? null });
  const uniform = hidden ? pytorchRecurrentUniform(hidden) : undefined;
  const label = 'PyTorch default U(±1/√hidden)';
  module.init = { semantics: uniform, label, explicit: false, acceptedDefault: false } satisfies InitUse;
  // A bias=False layer has zero biases; a non-constant flag leaves them unknown.
  const bias = hasBias === false ? uniformVector(gates, { kind: 'constant', value: 0 }, hidden ?? 1) : hasBias === undefined ? undefined : uniformVector(gates, uniform, hidden ?? 1);
  const params = new Map<string, RecurrentParams>();
  const suffixes = stepCell ? [''] : Array.from({ length: numLayers ?? 1 }, (_, k) => (bidirectional ? [`l${k}`, `l${k}_reverse`] : [`l${k}`])).flat();
  for (const suffix of suffixes) {
    params.set(suffix, {
      recurrentInit: projSize !== 0 || !hidden
        ? { kind: 'drawn', init: { semantics: undefined, label: projSize !== 0 ? 'projected LSTM (proj_size)' : 'unknown hidden size', explicit: false, acceptedDefault: false } }
        : { kind: 'drawn', init: { semantics: uniform, label, explicit: false, acceptedDefault: false } },
      recurrentFans: { fanIn: hidden ?? 0, fanOut: gates * (hidden ?? 0) },
      biasIh: bias && bias.map((g) => ({ ...g })),
      biasHh: bias && bias.map((g) => ({ ...g })),
    });
  }
  const state: RecurrentModuleState = {
    framework: 'pytorch', cell, hidden, nonlinearity, bidirectional: bidirectional ?? false,
    numLayers: numLayers === undefined || bidirectional === undefined ? undefined : numLayers,
    returnsTuple: !stepCell || cell === 'lstm', params, steps: undefined, kernelCalls: new Map(), biasWritten: false,
  };
  // The slice bounds are written as the constructor spelled the width (`hidden`), when it is a plain name or number.
  const hiddenNode = argument(call, 1, 'hidden_size');
  const hiddenText = hiddenNode && /^([A-Za-z_][A-Za-z0-9_.]*|\d+)$/.test(hiddenNode.text) ? hiddenNode.text : hidden === undefined ? undefined : String(hidden);
  state.fixes = torchRecurrentFixes(module.torchFixes!, ctx, state, hasBias === true, hiddenText);
  module.recurrent = state;
  return module;
}

/**
 * PyTorch fixes, inserted after the layer's construction (addressed as the file names it,
 * `self.lstm`), one line per layer and direction: nn.init.orthogonal_ / eye_ on weight_hh, and
 * the forget-gate idiom on the bias vectors (bias_ih's forget slice 1, bias_hh's 0: a total of 1).
 * Offered only where the layer is built once and nothing else sets what the fix writes.
 */
function torchRecurrentFixes(
  torch: TorchFixBuilder, ctx: CatalogContext, state: RecurrentModuleState, hasBias: boolean, hiddenText: string | undefined,
): RecurrentFixBuilder {
  const { cell, hidden } = state;
  const suffixes = [...state.params.keys()];
  const prefix = ctx.imports.spellingOf('torch.nn.init')
    ?? (ctx.imports.spellingOf('torch.nn') ? `${ctx.imports.spellingOf('torch.nn')}.init` : ctx.imports.spellingOf('torch') ? `${ctx.imports.spellingOf('torch')}.nn.init` : undefined);
  const insert = (lines: readonly string[]) => {
    if (torch.sharedInit || torch.constructions() !== 1 || !torch.target || !torch.insertAt || !torch.target.endsWith('.weight')) return undefined;
    const path = torch.target.slice(0, -'.weight'.length);
    const eol = lineEndingOf(ctx.source);
    const text = lines.map((line) => `${eol}${torch.insertAt!.indent}${line.replace(/\$/g, path)}`).join('');
    return [{ span: { start: torch.insertAt.offset, end: torch.insertAt.offset }, newText: text }];
  };
  const name = (param: string, suffix: string) => (suffix === '' ? `$.${param}` : `$.${param}_${suffix}`);
  /** weight_hh: the init calls that set it are replaced, the rest inserted after the construction. */
  const kernel = (fn: string) => {
    if (!prefix) return undefined;
    const calls = suffixes.map((s) => state.kernelCalls.get(s));
    if (calls.some((c) => c === 'not-replaceable')) return undefined;
    const edits = calls.flatMap((c) => (c && c !== 'not-replaceable' ? [{ span: c.span, newText: `${prefix}.${fn}(${c.target})` }] : []));
    const missing = suffixes.filter((_, i) => calls[i] === undefined);
    if (missing.length === 0) return edits;
    const inserted = insert(missing.map((s) => `${prefix}.${fn}(${name('weight_hh', s)})`));
    return inserted ? [...edits, ...inserted] : undefined;
  };
  return {
    setForgetBias: (value) => {
      if (cell !== 'lstm' || !hasBias || !hidden || !hiddenText || value !== 1 || state.biasWritten) return undefined;
      const slice = /^\d+$/.test(hiddenText) ? `${hidden}:${2 * hidden}` : `${hiddenText}:2 * ${hiddenText}`;
      return insert(suffixes.flatMap((s) => [
        `${name('bias_ih', s)}.data[${slice}].fill_(1.0)`,
        `${name('bias_hh', s)}.data[${slice}].fill_(0.0)`,
      ]));
    },
    useOrthogonalRecurrent: () => kernel('orthogonal_'),
    useIdentityRecurrent: () => (cell === 'rnn' ? kernel('eye_') : undefined),
  };
}


// ── Keras ─────────────────────────────────────────────────────────────────

const KERAS_LAYERS: Readonly<Record<string, RecurrentCellKind>> = { SimpleRNN: 'rnn', LSTM: 'lstm', GRU: 'gru' };

/** `"identity"`, `Identity()`, `keras.initializers.Identity(gain=g)`: a scaled identity; undefined otherwise. */
function identityInit(node: Node, scope: Scope, imports: CatalogContext['imports']): RecurrentKernelInit | undefined {
  const written = node.type === 'string' ? stringValue(node) : node.type === 'call' ? dottedName(callParts(node)!.callee) : dottedName(node);
  if (written === undefined) return undefined;
  const last = (node.type === 'string' ? written : imports.canonical(written)).split('.').pop()!.toLowerCase();
  if (last !== 'identity') return undefined;
  let gain: Value | undefined = 1;
  if (node.type === 'call') {
    const parts = callParts(node)!;
    const gainNode = argument(parts, 0, 'gain');
    gain = gainNode ? evaluate(gainNode, scope) : 1;
  }
  if (!isNumber(gain)) return { kind: 'drawn', init: { semantics: undefined, label: node.text, explicit: true, acceptedDefault: false, span: spanOf(node) } };
  return { kind: 'identity', gain, label: node.text, span: spanOf(node) };
}

/** A recurrent kernel initializer as written (`recurrent_initializer=`, Flax `recurrent_kernel_init=`), or the default. */
function readRecurrentKernel(
  node: Node | undefined, fallback: { semantics: InitUse['semantics']; label: string }, ctx: CatalogContext, framework: 'keras' | 'flax',
): RecurrentKernelInit {
  if (!node) return { kind: 'drawn', init: { semantics: fallback.semantics, label: fallback.label, explicit: false, acceptedDefault: false } };
  const identity = identityInit(node, ctx.scope, ctx.imports);
  if (identity) return identity;
  ctx.names.check(node, 'initializer');
  const read = readInitializerValue(node, ctx.scope, ctx.imports, framework);
  return { kind: 'drawn', init: { semantics: read.semantics, label: read.label, explicit: true, acceptedDefault: false, span: spanOf(node) } };
}

/** Every gate's bias from `bias_initializer` (zeros by default); undefined when unknown. */
function kerasBiases(call: CallParts, ctx: CatalogContext, gates: number, hidden: number | undefined, keyword: string): BiasVector {
  const useBias = call.keywords.get('use_bias') ? evaluate(call.keywords.get('use_bias')!.value, ctx.scope) : true;
  if (useBias === false) return uniformVector(gates, { kind: 'constant', value: 0 }, 1);
  if (useBias !== true) return undefined;
  const node = call.keywords.get(keyword)?.value;
  if (!node) return uniformVector(gates, { kind: 'constant', value: 0 }, 1);
  const read = readInitializerValue(node, ctx.scope, ctx.imports, 'keras');
  return uniformVector(gates, read.semantics, gates * (hidden ?? 1));
}

/**
 * keras.layers.SimpleRNN/LSTM/GRU(units, activation="tanh", recurrent_activation="sigmoid",
 * use_bias=True, kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
 * bias_initializer="zeros", unit_forget_bias=True (LSTM), …, return_sequences=False,
 * reset_after=True (GRU)): input (T, features) → (units) or (T, units).
 */
/**
 * keras.layers.Bidirectional(LSTM(...), merge_mode="concat"): two copies of the layer (the
 * backward one a clone with the same initializers), outputs concatenated. Read as the layer with
 * two directions; another merge_mode or a backward_layer leaves it unread (opaque).
 */
function kerasBidirectional(call: CallParts, ctx: CatalogContext): WeightModule | undefined {
  const layerNode = argument(call, 0, 'layer');
  const parts = layerNode?.type === 'call' ? callParts(layerNode) : undefined;
  const written = parts ? dottedName(parts.callee) : undefined;
  if (!parts || written === undefined || call.keywords.has('backward_layer')) return undefined;
  const mergeNode = argument(call, 1, 'merge_mode');
  if (mergeNode && stringValue(mergeNode) !== 'concat') return undefined;
  const inner = ctx.imports.canonical(written);
  const cell = inner.startsWith('keras.layers.') ? KERAS_LAYERS[inner.slice('keras.layers.'.length)] : undefined;
  return cell ? kerasRecurrent(inner, parts, ctx, cell, true) : undefined;
}

function kerasRecurrent(canonical: string, call: CallParts, ctx: CatalogContext, cell: RecurrentCellKind, bidirectional = false): WeightModule {
  const { scope } = ctx;
  const hidden = evaluateCount(argument(call, 0, 'units'), scope);
  const gates = gateCount(cell);
  const activationNode = argument(call, 1, 'activation');
  let nonlinearity: Activation | 'unknown' = TANH;
  if (activationNode) {
    const read = readActivationValue(activationNode, scope, ctx.imports, 'keras');
    if (read === 'unknown') ctx.names.check(activationNode, 'activation');
    nonlinearity = read === 'unknown' ? 'unknown' : { name: read.name, ...(read.param !== undefined ? { param: read.param } : {}) };
    // The gated cells are simulated with tanh and sigmoid gates only.
    if (cell !== 'rnn' && nonlinearity !== 'unknown' && nonlinearity.name !== 'tanh') nonlinearity = 'unknown';
    if (cell === 'rnn' && nonlinearity !== 'unknown' && nonlinearity.name !== 'tanh' && nonlinearity.name !== 'relu') nonlinearity = 'unknown';
  }
  const gateActivation = cell === 'rnn' ? undefined : argument(call, 2, 'recurrent_activation');
  if (gateActivation && stringValue(gateActivation) !== 'sigmoid') nonlinearity = 'unknown';
  const returnSequences = call.keywords.get('return_sequences') ? evaluate(call.keywords.get('return_sequences')!.value, scope) : false;
  let steps: number | undefined;
  const module = kerasWeight(canonical, call, ctx, 'recurrent', (input) => {
    const features = input?.[input.length - 1];
    const inputSize = features !== undefined && Number.isFinite(features) ? features : undefined;
    const fans: Fans | undefined = hidden && inputSize ? { fanIn: inputSize, fanOut: gates * hidden } : undefined;
    const T = input && input.length === 2 && Number.isSafeInteger(input[0]) && input[0]! > 0 ? input[0] : undefined;
    if (T !== undefined) steps = T;
    const width = hidden ? hidden * (bidirectional ? 2 : 1) : undefined;
    const outShape = !width ? undefined : returnSequences === true ? [input && input.length === 2 ? input[0]! : NaN, width] : returnSequences === false ? [width] : undefined;
    return { fans, frameworkFans: fans, receptiveField: 1, strideProduct: 1, outShape };
  }, -1);
  const defaults = recurrentDefaults('keras', cell, 1, hidden ?? 1);
  const recurrentNode = call.keywords.get('recurrent_initializer')?.value;
  const biases = call.spread ? undefined : kerasBiases(call, ctx, gates, hidden, 'bias_initializer');
  const unitForgetNode = cell === 'lstm' ? call.keywords.get('unit_forget_bias')?.value : undefined;
  const unitForget = unitForgetNode ? evaluate(unitForgetNode, scope) : true;
  const useBias = call.keywords.get('use_bias') ? evaluate(call.keywords.get('use_bias')!.value, scope) : true;
  let biasIh = biases;
  if (cell === 'lstm' && biases && useBias === true) {
    if (unitForget === true) biasIh = biases.map((g, i) => (i === FORGET_GATE ? { mean: 1, variance: 0 } : g));
    else if (unitForget !== false) biasIh = undefined;
  }
  // Keras 3's GRU (reset_after=True) has an input and a recurrent bias, both from bias_initializer.
  const resetAfter = cell === 'gru' && call.keywords.get('reset_after') ? evaluate(call.keywords.get('reset_after')!.value, scope) : true;
  const biasHh = cell === 'gru' && resetAfter === true ? biases && biases.map((g) => ({ ...g })) : uniformVector(gates, { kind: 'constant', value: 0 }, 1);
  const params = new Map<string, RecurrentParams>([['', {
    recurrentInit: call.spread ? { kind: 'drawn', init: { semantics: undefined, label: 'unknown (**kwargs)', explicit: false, acceptedDefault: false } }
      : readRecurrentKernel(recurrentNode, defaults.recurrent, ctx, 'keras'),
    recurrentFans: { fanIn: hidden ?? 0, fanOut: gates * (hidden ?? 0) },
    biasIh: resetAfter === true || cell !== 'gru' ? biasIh : undefined,
    biasHh,
  }]]);
  const state: RecurrentModuleState = {
    framework: 'keras', cell, hidden, nonlinearity, bidirectional, numLayers: 1, returnsTuple: false, params,
    get steps() { return steps; }, set steps(value) { steps = value; },
    kernelCalls: new Map(), biasWritten: false,
    ...(unitForgetNode ? { forgetBiasSpan: spanOf(unitForgetNode) } : {}),
  };
  const q = ctx.quote;
  const prefix = kerasInitializerPrefix(ctx.imports);
  const objectStyle = recurrentNode ? recurrentNode.type !== 'string' : ctx.kerasObjectStyle;
  const functionStyle = functionStyleAt(recurrentNode, ctx);
  const kernelText = (name: string, object: string) => (objectStyle ? (prefix ? `${prefix}.${functionStyle ? name : object}()` : undefined) : `${q}${name}${q}`);
  const site = (key: string) => keywordSite(call.keywords.get(key)?.value, call.args);
  state.fixes = {
    setForgetBias: (value) => (value === 1 && unitForgetNode && useBias === true ? setKeyword(site('unit_forget_bias'), 'unit_forget_bias', 'True') : undefined),
    useOrthogonalRecurrent: () => {
      const text = kernelText('orthogonal', 'Orthogonal');
      return text ? setKeyword(site('recurrent_initializer'), 'recurrent_initializer', text) : undefined;
    },
    useIdentityRecurrent: () => {
      const text = kernelText('identity', 'Identity');
      return cell === 'rnn' && text ? setKeyword(site('recurrent_initializer'), 'recurrent_initializer', text) : undefined;
    },
  };
  return { ...module, activation: { name: 'linear', explicit: false }, recurrent: state };
}

// ── Flax ──────────────────────────────────────────────────────────────────

const FLAX_CELLS: Readonly<Record<string, RecurrentCellKind>> = {
  LSTMCell: 'lstm', OptimizedLSTMCell: 'lstm', GRUCell: 'gru', SimpleCell: 'rnn',
};

/**
 * linen LSTMCell/OptimizedLSTMCell/GRUCell/SimpleCell(features, gate_fn=sigmoid, activation_fn=tanh,
 * kernel_init=lecun_normal(), recurrent_kernel_init=orthogonal(), bias_init=zeros_init()); nnx's
 * take (in_features, hidden_features, …). `nn.RNN(cell)` runs the cell over the time axis: it is
 * read as its cell. One Dense per gate: input kernels (in, hidden) without bias, recurrent ones
 * (hidden, hidden) with bias (flax/linen/recurrent.py).
 */
function flaxRecurrent(canonical: string, call: CallParts, ctx: CatalogContext): WeightModule | undefined {
  const nnx = canonical.startsWith('flax.nnx.');
  const name = canonical.slice(nnx ? 'flax.nnx.'.length : 'flax.linen.'.length);
  if (name === 'RNN') {
    const cellNode = argument(call, 0, 'cell');
    const parts = cellNode?.type === 'call' ? callParts(cellNode) : undefined;
    const written = parts ? dottedName(parts.callee) : undefined;
    if (!parts || written === undefined) return undefined;
    const inner = ctx.imports.canonical(written);
    const cellName = inner.slice(inner.startsWith('flax.nnx.') ? 'flax.nnx.'.length : 'flax.linen.'.length);
    const cell = FLAX_CELLS[cellName];
    return cell && (inner.startsWith('flax.linen.') || inner.startsWith('flax.nnx.')) ? flaxCell(inner, parts, ctx, cell, call) : undefined;
  }
  const cell = FLAX_CELLS[name];
  return cell ? flaxCell(canonical, call, ctx, cell, undefined) : undefined;
}

function flaxCell(canonical: string, call: CallParts, ctx: CatalogContext, cell: RecurrentCellKind, wrapper: CallParts | undefined): WeightModule {
  const { scope } = ctx;
  const nnx = canonical.startsWith('flax.nnx.');
  const inFeatures = nnx ? evaluateCount(argument(call, 0, 'in_features'), scope) : undefined;
  const hidden = evaluateCount(argument(call, nnx ? 1 : 0, nnx ? 'hidden_features' : 'features'), scope);
  const gates = gateCount(cell);
  let nonlinearity: Activation | 'unknown' = TANH;
  const activationNode = call.keywords.get('activation_fn')?.value;
  if (activationNode) {
    const read = readActivationValue(activationNode, scope, ctx.imports, 'flax');
    nonlinearity = read === 'unknown' ? 'unknown' : read.name === 'tanh' || (cell === 'rnn' && read.name === 'relu') ? { name: read.name } : 'unknown';
  }
  if (call.keywords.get('gate_fn')) nonlinearity = 'unknown';
  let steps: number | undefined;
  const module = flaxWeight(canonical, call, ctx, 'recurrent', (input) => {
    const features = inFeatures ?? input?.[input.length - 1];
    const inputSize = features !== undefined && Number.isFinite(features) ? features : undefined;
    const T = wrapper && input && input.length === 2 && Number.isSafeInteger(input[0]) && input[0]! > 0 ? input[0] : undefined;
    if (T !== undefined) steps = T;
    return {
      fans: hidden && inputSize ? { fanIn: inputSize, fanOut: gates * hidden } : undefined,
      frameworkFans: hidden && inputSize ? { fanIn: inputSize, fanOut: hidden } : undefined,
      receptiveField: 1, strideProduct: 1,
      outShape: hidden ? (wrapper ? [input && input.length === 2 ? input[0]! : NaN, hidden] : [hidden]) : undefined,
    };
  });
  const defaults = recurrentDefaults('flax', cell, 1, hidden ?? 1);
  const recurrentNode = call.keywords.get('recurrent_kernel_init')?.value;
  const biasNode = call.keywords.get('bias_init')?.value;
  const zeros = uniformVector(gates, { kind: 'constant', value: 0 }, 1);
  const bias = biasNode ? uniformVector(gates, readInitializerValue(biasNode, scope, ctx.imports, 'flax').semantics, hidden ?? 1) : zeros;
  const params = new Map<string, RecurrentParams>([['', {
    recurrentInit: call.spread ? { kind: 'drawn', init: { semantics: undefined, label: 'unknown (**kwargs)', explicit: false, acceptedDefault: false } }
      : readRecurrentKernel(recurrentNode, defaults.recurrent, ctx, 'flax'),
    recurrentFans: { fanIn: hidden ?? 0, fanOut: hidden ?? 0 },
    biasIh: zeros,
    biasHh: bias,
  }]]);
  const state: RecurrentModuleState = {
    framework: 'flax', cell, hidden, nonlinearity, bidirectional: false, numLayers: 1, returnsTuple: !wrapper, params,
    get steps() { return steps; }, set steps(value) { steps = value; },
    kernelCalls: new Map(), biasWritten: false,
    ...(biasNode ? { forgetBiasSpan: spanOf(biasNode) } : {}),
  };
  return { ...module, activation: { name: 'linear', explicit: false }, ...(wrapper ? { call: wrapper.node, kindSpan: spanOf(wrapper.callee) } : {}), recurrent: state };
}
