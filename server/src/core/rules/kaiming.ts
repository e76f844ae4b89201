/**
 * Does a kaiming_* initializer's (nonlinearity, a) fit the activation its layer feeds?
 * Shared by IW102 (which reports it) and IW101 (which then stays silent). Judged on the
 * gain calculate_gain computes, so documented equivalences pass: 'linear' for SELU (as
 * PyTorch's docs advise) and 'linear'/'tanh' for tanh.
 */
import type { Activation, WeightLayer } from '../ir';
import { negativeSlope } from '../knowledge/activations';
import { calculateGain } from '../knowledge/initializers';

export interface KaimingArguments {
  readonly nonlinearity: string;
  readonly a?: number;
}

export interface KaimingMismatch {
  readonly reason: 'ignored-a' | 'wrong-gain' | 'selu-gain';
  /** The arguments that fit the activation. */
  readonly correct: KaimingArguments;
  readonly writtenGain: number;
  readonly correctGain: number;
}

/** Relative tolerance on gain² before arguments count as different (a leaky slope of 0.01 vs 0.02 is not worth a finding). */
const GAIN2_TOLERANCE = 0.02;

function accepted(activation: Activation): { correct: KaimingArguments; gains: number[] } {
  const slope = negativeSlope(activation);
  if (slope !== undefined && slope > 0) {
    return { correct: { nonlinearity: 'leaky_relu', a: slope }, gains: [calculateGain('leaky_relu', slope)!] };
  }
  switch (activation.name) {
    case 'relu':
    case 'relu6':
    case 'gelu':
    case 'silu':
    case 'mish':
    case 'elu':
      // PyTorch has no gain for GELU/SiLU/Mish/ELU; 'relu' is the common practice.
      return { correct: { nonlinearity: 'relu' }, gains: [Math.SQRT2] };
    case 'tanh':
    case 'hard_tanh':
      return { correct: { nonlinearity: 'tanh' }, gains: [5 / 3, 1] };
    case 'sigmoid':
      return { correct: { nonlinearity: 'sigmoid' }, gains: [1] };
    default:
      // selu, linear, softmax, softplus: LeCun (gain 1).
      return { correct: { nonlinearity: 'linear' }, gains: [1] };
  }
}

export function kaimingMismatch(layer: WeightLayer): KaimingMismatch | undefined {
  const semantics = layer.init.semantics;
  if (!semantics || semantics.kind !== 'kaiming' || !layer.init.explicit || layer.consumer === 'unknown') return undefined;
  if (!semantics.written.nonlinearity && !semantics.written.a) return undefined;
  const writtenGain = calculateGain(semantics.nonlinearity, semantics.a);
  if (writtenGain === undefined) return undefined; // the frontend reported the unknown name
  const { correct, gains } = accepted(layer.consumer);
  const correctGain = calculateGain(correct.nonlinearity, correct.a ?? 0)!;
  if (semantics.written.a && semantics.nonlinearity !== 'leaky_relu' && semantics.a !== 0) {
    return { reason: 'ignored-a', correct, writtenGain, correctGain };
  }
  const fits = gains.some((g) => Math.abs((writtenGain * writtenGain) / (g * g) - 1) <= GAIN2_TOLERANCE);
  if (fits) return undefined;
  const reason = semantics.nonlinearity === 'selu' && layer.consumer.name === 'selu' ? 'selu-gain' : 'wrong-gain';
  return { reason, correct, writtenGain, correctGain };
}

export function kaimingArgumentsLabel(args: KaimingArguments): string {
  return args.a !== undefined ? `nonlinearity=${args.nonlinearity}, a=${args.a}` : `nonlinearity=${args.nonlinearity}`;
}
