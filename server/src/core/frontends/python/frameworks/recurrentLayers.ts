/**
 * Recurrent layers of the three frameworks (issue 15; docs/python.md "Recurrent layers"):
 * PyTorch nn.RNN/LSTM/GRU and their cells, Keras LSTM/GRU/SimpleRNN, Flax LSTMCell/GRUCell/
 * SimpleCell. Each is one weight layer (its `init` is the input kernel) carrying the recurrent
 * state (interpreter/recurrentState.ts) with the framework's defaults
 * (knowledge/recurrentDefaults.ts), which init code then changes.
 */
import type { Activation, Fans, InitUse, RecurrentCellKind, RecurrentFixBuilder } from '../../../ir';
import { gateCount } from '../../../knowledge/recurrent';
import { pytorchRecurrentUniform } from '../../../knowledge/recurrentDefaults';
import type { TorchFixBuilder } from '../fixes/fixBuilder';
import type { WeightModule } from '../interpreter/modules';
import { type RecurrentModuleState, type RecurrentParams, uniformVector } from '../interpreter/recurrentState';
import { evaluate, evaluateCount, type Value } from '../interpreter/values';
import { argument, type CallParts } from '../syntax/syntax';
import { type CatalogContext, torchWeight } from './catalog';

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
    const eol = ctx.source.includes('\r\n') ? '\r\n' : '\n';
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

