/**
 * A recurrent layer's parameters as init code leaves them (issue 15): the recurrent kernel
 * and the gate biases are set after construction by `nn.init.*_(lstm.weight_hh_l0)`,
 * `lstm.bias_ih_l0.data[h:2*h].fill_(1)` and the like, in program order, per PyTorch
 * parameter (layer k, direction). The IR gets one RecurrentSpec: the parameters of every
 * layer and direction must agree, or what differs is unknown (precision: a judged layer is
 * every layer).
 */
import type {
  Activation, Fans, GateBias, InitSemantics, InitUse, RecurrentCellKind, RecurrentFixBuilder, RecurrentKernelInit, RecurrentSpec,
} from '../../../ir';
import { weightMean, weightVariance } from '../../../knowledge/initializers';
import { DEFAULT_STEPS, gateCount } from '../../../knowledge/recurrent';
import type { Span } from '../../../text';

/** One bias vector's gates: mean and variance of each gate's slice; undefined when unknown. */
export type BiasVector = { mean: number; variance: number }[] | undefined;

export interface RecurrentParams {
  recurrentInit: RecurrentKernelInit;
  /** The recurrent kernel's framework fans (an init on one gate's chunk sees (hidden, hidden)). */
  recurrentFans: Fans;
  biasIh: BiasVector;
  biasHh: BiasVector;
}

export interface RecurrentModuleState {
  readonly framework: 'pytorch' | 'keras' | 'flax';
  readonly cell: RecurrentCellKind;
  readonly hidden: number | undefined;
  readonly nonlinearity: Activation | 'unknown';
  readonly bidirectional: boolean;
  /** nn.RNN/LSTM/GRU(num_layers=k); 1 for cells and Keras/Flax layers. Undefined when not constant. */
  readonly numLayers: number | undefined;
  /** PyTorch's nn.RNN/LSTM/GRU return (output, h_n): the forward pass unpacks a tuple. */
  readonly returnsTuple: boolean;
  /** Per PyTorch parameter suffix (`l0`, `l0_reverse`, `l1`, or `` for cells); Keras and Flax have one. */
  readonly params: Map<string, RecurrentParams>;
  /** Sequence length from the code (Keras Input(shape=(T, d))); undefined: the default. */
  steps: number | undefined;
  forgetBiasSpan?: Span;
  fixes?: RecurrentFixBuilder;
  /** Init calls that set weight_hh, per parameter suffix: a fix replaces them (the call and its tensor's text). */
  readonly kernelCalls: Map<string, { readonly span: Span; readonly target: string } | 'not-replaceable'>;
  /** Some code wrote a bias vector: the forget-gate fix would not be the last word. */
  biasWritten: boolean;
}

/** Every gate of a vector drawn from one initializer (PyTorch's U(±1/√h), zeros_, constant_). */
export function uniformVector(gates: number, semantics: InitSemantics | undefined, length: number): BiasVector {
  if (!semantics) return undefined;
  const variance = weightVariance(semantics, { fanIn: length, fanOut: length });
  if (!Number.isFinite(variance)) return undefined;
  const mean = weightMean(semantics);
  return Array.from({ length: gates }, () => ({ mean, variance }));
}

function sameParams(a: RecurrentParams, b: RecurrentParams): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Makes everything init code may have changed unknown (a loop over named_parameters, apply(fn) it cannot follow). */
export function forgetRecurrentInit(state: RecurrentModuleState, span: Span | undefined): void {
  for (const params of state.params.values()) {
    params.recurrentInit = { kind: 'drawn', init: { semantics: undefined, label: 'set in code InitWise cannot follow', explicit: true, acceptedDefault: false, ...(span ? { span } : {}) } };
    params.biasIh = undefined;
    params.biasHh = undefined;
  }
  state.fixes = undefined;
}

/** The IR's recurrent part: the parameters every layer and direction share, unknown where they differ. */
export function recurrentSpecOf(state: RecurrentModuleState): RecurrentSpec {
  const all = [...state.params.values()];
  const first = all[0]!;
  const agree = all.every((p) => sameParams(p, first));
  const gates = gateCount(state.cell);
  let gateBiases: GateBias[] | undefined;
  if (agree && first.biasIh && first.biasHh) {
    gateBiases = Array.from({ length: gates }, (_, g) => ({
      mean: first.biasIh![g]!.mean + first.biasHh![g]!.mean, varianceIh: first.biasIh![g]!.variance, varianceHh: first.biasHh![g]!.variance,
    }));
  }
  const unknownKernel: RecurrentKernelInit = { kind: 'drawn', init: { semantics: undefined, label: 'differs between layers or directions', explicit: true, acceptedDefault: false } satisfies InitUse };
  return {
    cell: state.cell, hidden: state.hidden ?? 0, nonlinearity: state.nonlinearity,
    recurrentInit: agree ? first.recurrentInit : unknownKernel,
    recurrentFrameworkFans: first.recurrentFans,
    gateBiases,
    ...(state.forgetBiasSpan ? { forgetBiasSpan: state.forgetBiasSpan } : {}),
    steps: state.steps !== undefined ? { value: state.steps, fromCode: true } : { value: DEFAULT_STEPS, fromCode: false },
    bidirectional: state.bidirectional,
    ...(state.numLayers !== 1 ? { stacked: true as const } : {}),
    ...(state.fixes ? { fixes: state.fixes } : {}),
  };
}
