/**
 * What InitWise knows about recurrent cells (issue 15): their gates, the structure of a
 * recurrent kernel's spectrum at init, and the sequence length assumed when the code does not
 * give one. Shared by the readers, the simulation (simulation/recurrent.ts), IW411/IW412 and hover.
 */
import type { Activation, RecurrentCellKind, RecurrentSpec } from '../ir';
import { weightVariance } from './initializers';

/**
 * The gates of each cell in the order the IR keeps them (PyTorch's row order; Keras stores
 * LSTM gates in the same order i, f, c, o, and GRU's as z, r, h, which readers map).
 * LSTM: input, forget, cell candidate, output. GRU: reset, update, candidate.
 */
export const GATES: Readonly<Record<RecurrentCellKind, readonly string[]>> = {
  rnn: ['h'],
  lstm: ['i', 'f', 'g', 'o'],
  gru: ['r', 'z', 'n'],
};

/** Index of the LSTM's forget gate in GATES.lstm. */
export const FORGET_GATE = 1;

/**
 * Steps of the gradient through time when the code gives no sequence length: 100, the order of
 * the sequences in Le et al. 2015's and Jozefowicz et al. 2015's benchmarks (documented in
 * docs/python.md and docs/netdef.md; `.netdef` sets it with `steps=`).
 */
export const DEFAULT_STEPS = 100;

/** Jozefowicz et al. 2015 set the forget-gate bias to 1 (Keras unit_forget_bias=True, Gers et al. 2000). */
export const RECOMMENDED_FORGET_BIAS = 1;

export function gateCount(cell: RecurrentCellKind): number {
  return GATES[cell].length;
}

export type RecurrentStructure = 'orthogonal' | 'stacked-orthogonal' | 'identity' | 'iid' | 'constant';

/** The recurrent kernel's spectrum at init, per gate block. */
export interface RecurrentSpectrum {
  readonly structure: RecurrentStructure;
  /**
   * RMS singular value of one gate's h×h block, √(h·Var(W)): the per-step gain of the state's
   * second moment before the nonlinearity. Orthogonal and identity: every singular value equals it.
   */
  readonly scale: number;
  /**
   * Largest singular value: the scale itself for orthogonal and identity blocks, ≈ 2·scale for a
   * square iid block (Marchenko–Pastur edge), the same for a block of a stacked orthogonal matrix
   * (which is not orthogonal). Undefined for constants.
   */
  readonly largestSingularValue: number | undefined;
  /** Human-readable: `orthogonal (gain 1)`, `iid, U(±1/√h)`. */
  readonly label: string;
}

/** Var(W) of one recurrent-kernel entry (identity: gain²/h, its mean square). */
export function recurrentVariance(spec: RecurrentSpec): number | undefined {
  const init = spec.recurrentInit;
  if (init.kind === 'identity') return (init.gain * init.gain) / spec.hidden;
  if (!init.init.semantics) return undefined;
  const variance = weightVariance(init.init.semantics, spec.recurrentFrameworkFans, 1);
  return Number.isFinite(variance) ? variance : undefined;
}

export function recurrentSpectrum(spec: RecurrentSpec): RecurrentSpectrum | undefined {
  const init = spec.recurrentInit;
  if (init.kind === 'identity') {
    return { structure: 'identity', scale: Math.abs(init.gain), largestSingularValue: Math.abs(init.gain), label: init.label };
  }
  const semantics = init.init.semantics;
  const variance = recurrentVariance(spec);
  if (!semantics || variance === undefined) return undefined;
  const scale = Math.sqrt(spec.hidden * variance);
  if (semantics.kind === 'constant') return { structure: 'constant', scale: Math.abs(semantics.value) * Math.sqrt(spec.hidden), largestSingularValue: undefined, label: init.init.label };
  if (semantics.kind === 'orthogonal') {
    const fans = spec.recurrentFrameworkFans;
    const square = fans.fanIn === fans.fanOut;
    return square
      ? { structure: 'orthogonal', scale, largestSingularValue: scale, label: init.init.label }
      : { structure: 'stacked-orthogonal', scale, largestSingularValue: Math.min(Math.abs(semantics.gain), 2 * scale), label: init.init.label };
  }
  return { structure: 'iid', scale, largestSingularValue: 2 * scale, label: init.init.label };
}

/** The activation each gate applies to its pre-activation. */
export function gateActivations(spec: RecurrentSpec): readonly Activation[] | undefined {
  const sigmoid: Activation = { name: 'sigmoid' };
  const tanh: Activation = { name: 'tanh' };
  switch (spec.cell) {
    case 'rnn':
      return spec.nonlinearity === 'unknown' ? undefined : [spec.nonlinearity];
    case 'lstm':
      return [sigmoid, sigmoid, tanh, sigmoid];
    case 'gru':
      return [sigmoid, sigmoid, tanh];
  }
}
