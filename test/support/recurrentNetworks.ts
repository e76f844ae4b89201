/**
 * The recurrent oracle's configs (test/reference/recurrent/, README there) as InitWise IR: one
 * recurrent weight layer per config, with the inits PyTorch applied.
 */
import type { Fans, GateBias, InitSemantics, InitUse, RecurrentCellKind, RecurrentKernelInit, WeightLayer } from '../../server/src/core/ir';
import { gateCount } from '../../server/src/core/knowledge/recurrent';
import { readReference } from './reference';

export interface OracleInit { readonly name: string; readonly [key: string]: unknown }
export interface RecurrentConfig {
  readonly id: string;
  readonly cell: RecurrentCellKind;
  readonly hidden: number;
  readonly input: number;
  readonly T: number;
  readonly batch: number;
  readonly n_seeds: number;
  readonly nonlinearity?: 'tanh' | 'relu';
  readonly inits: readonly { readonly param: string; readonly init: OracleInit; readonly per_gate?: boolean }[];
  readonly bias_slices: readonly { readonly param: string; readonly gate: number; readonly value: number }[];
  readonly results: {
    readonly hidden_m2: Aggregate;
    readonly grad_x_m2: Aggregate;
    readonly per_seed: { readonly hidden_m2: readonly number[][]; readonly grad_x_m2: readonly number[][] };
  };
}
export interface Aggregate { readonly mean: readonly number[]; readonly geomean: readonly number[]; readonly min: readonly number[]; readonly max: readonly number[] }

export function recurrentConfigs(): readonly RecurrentConfig[] {
  return readReference<{ configs: RecurrentConfig[] }>('recurrent/recurrent_ground_truth.json').configs;
}

/** gru_oracle_more.py's GRU settings (widths 128/512, T = 50, xavier kernel, gate biases), measured the same way. */
export function moreGruConfigs(): readonly RecurrentConfig[] {
  return readReference<{ configs: RecurrentConfig[] }>('recurrent/gru_more_ground_truth.json').configs;
}

/** gru_oracle_width.py's GRU settings (default and orthogonal kernels at hidden 1024 and 2048, T = 50). */
export function wideGruConfigs(): readonly RecurrentConfig[] {
  return readReference<{ configs: RecurrentConfig[] }>('recurrent/gru_width_ground_truth.json').configs;
}

/** gru_oracle_strong.py's GRUs with strong recurrent kernels (per-gate orthogonal, gain 1.5–3, T = 30). */
export function strongGruConfigs(): readonly RecurrentConfig[] {
  return readReference<{ configs: RecurrentConfig[] }>('recurrent/gru_strong_ground_truth.json').configs;
}

const SPAN = { start: 0, end: 0 };

function semanticsOf(init: OracleInit): InitSemantics | 'identity' {
  switch (init.name) {
    case 'zeros': return { kind: 'constant', value: 0 };
    case 'constant': return { kind: 'constant', value: init.value as number };
    case 'normal': return { kind: 'normal', mean: (init.mean as number | undefined) ?? 0, std: init.std as number };
    case 'uniform': return { kind: 'uniform', low: init.a as number, high: init.b as number };
    case 'xavier_uniform': return { kind: 'xavier', gain: (init.gain as number | undefined) ?? 1, distribution: 'uniform' };
    case 'orthogonal': return { kind: 'orthogonal', gain: (init.gain as number | undefined) ?? 1 };
    case 'eye': return 'identity';
    default: throw new Error(`unknown oracle init ${init.name}`);
  }
}

function use(semantics: InitSemantics, label: string): InitUse {
  return { semantics, label, explicit: true, acceptedDefault: false };
}

/** The layer PyTorch built for a config: torch's default U(±1/√h) everywhere unless re-initialised. */
export function recurrentLayerOf(config: RecurrentConfig): WeightLayer {
  const h = config.hidden;
  const gates = gateCount(config.cell);
  const bound = 1 / Math.sqrt(h);
  const torchDefault: InitSemantics = { kind: 'uniform', low: -bound, high: bound };
  const find = (param: string) => config.inits.find((i) => i.param === param);
  const ih = find('weight_ih_l0');
  const hh = find('weight_hh_l0');
  const ihSemantics = ih ? semanticsOf(ih.init) : torchDefault;
  if (ihSemantics === 'identity') throw new Error('identity input kernel');
  const hhSemantics = hh ? semanticsOf(hh.init) : torchDefault;
  const recurrentInit: RecurrentKernelInit = hhSemantics === 'identity'
    ? { kind: 'identity', gain: 1, label: 'eye_' }
    : { kind: 'drawn', init: use(hhSemantics, hh?.init.name ?? 'default') };
  const biasVariance = (param: string) => {
    const spec = find(param);
    if (!spec) return 1 / (3 * h);
    const s = semanticsOf(spec.init);
    return s !== 'identity' && s.kind === 'constant' ? 0 : NaN;
  };
  const biasMean = (param: string) => {
    const spec = find(param);
    const s = spec ? semanticsOf(spec.init) : undefined;
    return s !== undefined && s !== 'identity' && s.kind === 'constant' ? s.value : 0;
  };
  const gateBiases: GateBias[] = [];
  for (let gate = 0; gate < gates; gate++) {
    let mean = biasMean('bias_ih_l0') + biasMean('bias_hh_l0');
    let varianceIh = biasVariance('bias_ih_l0');
    let varianceHh = biasVariance('bias_hh_l0');
    for (const slice of config.bias_slices.filter((s) => s.gate === gate)) {
      const ihSide = slice.param === 'bias_ih_l0';
      mean += slice.value - biasMean(slice.param);
      if (ihSide) varianceIh = 0; else varianceHh = 0;
    }
    gateBiases.push({ mean, varianceIh, varianceHh });
  }
  const frameworkFans: Fans = ih?.per_gate ? { fanIn: config.input, fanOut: h } : { fanIn: config.input, fanOut: gates * h };
  const recurrentFrameworkFans: Fans = hh?.per_gate || gates === 1 ? { fanIn: h, fanOut: h } : { fanIn: h, fanOut: gates * h };
  const nonlinearity = config.cell === 'rnn' ? { name: config.nonlinearity ?? 'tanh' } as const : { name: 'tanh' } as const;
  return {
    op: 'layer', kind: 'recurrent', index: 0, span: SPAN, kindSpan: SPAN,
    fans: { fanIn: config.input, fanOut: gates * h }, frameworkFans, receptiveField: 1, strideProduct: 1,
    activation: { name: 'linear', explicit: false }, consumer: { name: 'linear', explicit: false },
    normalizedBeforeActivation: false, init: use(ihSemantics, ih?.init.name ?? 'default'), biasVariance: 0,
    isLastInBranch: true, repeatInstance: 0,
    fixes: { setInitializer: () => undefined, setActivation: () => undefined, setKaimingArguments: () => undefined, describeInitializer: () => '' },
    recurrent: {
      cell: config.cell, hidden: h, nonlinearity, recurrentInit, recurrentFrameworkFans, gateBiases,
      steps: { value: config.T, fromCode: true }, bidirectional: false,
    },
  };
}
