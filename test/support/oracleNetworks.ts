/**
 * Builds InitWise IR networks straight from test/reference/oracle/configs.json (PyTorch init
 * names and arguments), so the simulation is compared with the oracle independently of
 * any frontend.
 */
import type { Activation, ActivationName, FixBuilder, InitSemantics, Network, Op, WeightLayer } from '../../server/src/core/ir';
import { frameworkDefaultInit } from '../../server/src/core/knowledge/defaults';

interface OracleInit { name: string; a?: number; mode?: string; nonlinearity?: string; gain?: number; mean?: number; std?: number }
interface OracleActivation { name: string; negative_slope?: number; alpha?: number; approximate?: string }
interface OracleDense {
  type: 'dense' | 'conv2d'; in?: number; out?: number; in_channels?: number; out_channels?: number; kernel_size?: number;
  stride?: number; padding?: number;
  activation: OracleActivation; weight_init: OracleInit; bias_init: OracleInit;
  derived: { fan_in: number; fan_out: number; weight_var: number; bias_var: number };
}
interface OracleResidual { type: 'residual_block'; branch: OracleDense[] }
export interface OracleConfig {
  id: string; arch: string; layers: (OracleDense | OracleResidual)[];
  input?: { shape: number[] };
}

const NO_FIXES: FixBuilder = {
  setInitializer: () => undefined,
  setActivation: () => undefined,
  setKaimingArguments: () => undefined,
  describeInitializer: () => '',
};

function activation(a: OracleActivation): Activation {
  const name = a.name as ActivationName;
  if (name === 'leaky_relu') return { name, param: a.negative_slope ?? 0.01 };
  if (name === 'elu') return { name, param: a.alpha ?? 1 };
  return { name };
}

function semantics(init: OracleInit): InitSemantics {
  switch (init.name) {
    case 'torch_default':
      return frameworkDefaultInit('pytorch', 'dense').semantics;
    case 'kaiming_normal':
    case 'kaiming_uniform':
      return {
        kind: 'kaiming', mode: (init.mode ?? 'fan_in') as 'fan_in' | 'fan_out', nonlinearity: init.nonlinearity ?? 'leaky_relu',
        a: init.a ?? 0, distribution: init.name === 'kaiming_normal' ? 'normal' : 'uniform', written: { nonlinearity: true, a: true },
      };
    case 'xavier_uniform':
    case 'xavier_normal':
      return { kind: 'xavier', gain: init.gain ?? 1, distribution: init.name === 'xavier_normal' ? 'normal' : 'uniform' };
    case 'lecun_normal':
      return { kind: 'variance_scaling', scale: 1, mode: 'fan_in', distribution: 'truncated_normal' };
    case 'orthogonal':
      return { kind: 'orthogonal', gain: init.gain ?? 1 };
    case 'normal':
      return { kind: 'normal', mean: init.mean ?? 0, std: init.std ?? 1 };
    case 'zeros':
      return { kind: 'constant', value: 0 };
    default:
      throw new Error(`oracle init ${init.name} not modelled in the test builder`);
  }
}

export function oracleNetwork(config: OracleConfig): Network {
  const layers: WeightLayer[] = [];
  const zero = { start: 0, end: 0 };
  const build = (spec: OracleDense, last: boolean): WeightLayer => {
    const k = spec.kernel_size ?? 1;
    const receptiveField = spec.type === 'conv2d' ? k * k : 1;
    // Conv configs: square maps of the input's spatial size, stride 1, zero padding as given.
    const spatial = config.input?.shape.slice(-2) ?? [];
    const conv = spec.type === 'conv2d' && spatial.length === 2
      ? { inputSpatial: spatial, outputSpatial: spatial, kernel: [k, k], stride: [1, 1], padBefore: [spec.padding ?? 0, spec.padding ?? 0] }
      : undefined;
    const act = activation(spec.activation);
    const layer: WeightLayer = {
      op: 'layer', kind: spec.type, index: layers.length, span: zero, kindSpan: zero,
      fans: { fanIn: spec.derived.fan_in, fanOut: spec.derived.fan_out },
      frameworkFans: { fanIn: spec.derived.fan_in, fanOut: spec.derived.fan_out },
      receptiveField, strideProduct: 1, ...(conv ? { conv } : {}),
      activation: { ...act, explicit: true }, consumer: { ...act, explicit: true }, normalizedBeforeActivation: false,
      init: { semantics: semantics(spec.weight_init), label: spec.weight_init.name, explicit: true, acceptedDefault: false },
      biasVariance: spec.derived.bias_var, isLastInBranch: last, repeatInstance: 0, fixes: NO_FIXES,
    };
    layers.push(layer);
    return layer;
  };
  const ops: Op[] = config.layers.map((spec, i) => {
    if (spec.type === 'residual_block') {
      const body = spec.branch.map((b, j) => build(b, j === spec.branch.length - 1));
      return { op: 'residual', scale: 1, body, span: zero };
    }
    return build(spec, i === config.layers.length - 1);
  });
  return {
    name: config.id, span: zero, nameSpan: zero, framework: 'pytorch', inputShape: undefined, ops, layers, pretrained: false,
  };
}
