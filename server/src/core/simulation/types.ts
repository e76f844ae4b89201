/** What the signal simulation reports per layer and per network. */
import type { ThroughTime } from './recurrent';

export type { ThroughTime };

export interface LayerSimulation {
  /** Second moment of the layer's pre-activations, unit-variance network input. */
  readonly forwardVariance: number;
  /** Second moment of the gradient at the layer's input, unit-variance gradient at the output. */
  readonly gradientVariance: number;
  /** This layer's own forward factor: pre-activation second moment over its input's second moment. */
  readonly forwardFactor: number;
  /** This layer's own backward factor: gradient second moment at its input over that at its output. */
  readonly backwardFactor: number;
  /**
   * Finite-width uncertainty: the interval in which a network actually drawn at these
   * widths lands with ~95% probability (simulation/finiteWidth.ts). Undefined when unknown.
   */
  readonly forwardBand?: readonly [number, number];
  readonly gradientBand?: readonly [number, number];
  /**
   * The residual stream (what the network's output sees), set on a residual block's layers
   * by the analytic pass: at the block's last layer, the stream's second moment after the
   * block; at its first, the gradient's at the block's input. The report plots them.
   */
  readonly streamForward?: number;
  readonly streamGradient?: number;
  /**
   * Recurrent layers only: the gradient through time over the sequence (simulation/recurrent.ts).
   * The layer's forwardVariance is then E[h_T²], its gradientVariance the gradient at x_T.
   */
  readonly throughTime?: ThroughTime;
}

export interface NetworkSimulation {
  readonly method: 'analytic' | 'montecarlo';
  /** One entry per weight layer, indexed like Network.layers. */
  readonly layers: readonly LayerSimulation[];
  /** Second moment of the network output (after the last op). */
  readonly outputVariance: number;
  /** Gradient second moment at the network input. */
  readonly inputGradientVariance: number;
  /**
   * One entry per pool op (ir.ts PoolOp), in walkOps order: the factor it multiplies the mean
   * second moment by (forward: output over input; backward: the gradient at its input over that
   * at its output). Architecture, not initialisation: drift.ts divides them out as it does width
   * changes. Absent when the network has no pool.
   */
  readonly pools?: readonly PoolFactors[];
  /** Set when the numbers are known to be unreliable at these widths (say why, and what to do). */
  readonly caveat?: string;
  /**
   * A network over tokens run by the Monte-Carlo pass: the residual stream and attention as it
   * measured them (plain data: it crosses from the worker thread). tokenStream.ts's
   * measuredTokenStream pairs them with the network's ops for hover, code lens and report.
   */
  readonly tokens?: MeasuredTokens;
}

/** What one pool does to the mean second moment, forward and backward (NetworkSimulation.pools). */
export interface PoolFactors {
  readonly forward: number;
  readonly backward: number;
}

/** The residual stream after one residual op, as plain data (tokenStream.ts's StreamPoint adds the op). */
export interface StreamMoments {
  /** E[x²] of the stream entering the op. */
  readonly before: number;
  /** E[x²] of the stream after the op (unit-variance input, or the embedding's variance). */
  readonly secondMoment: number;
  /** Token correlation of the stream after the op. */
  readonly correlation: number;
  /** E[g²] of the gradient at the op's input (unit cotangent at the output). */
  readonly gradient: number;
  /** Depth of nesting: 0 for the stream itself, 1 inside a residual branch. */
  readonly depth: number;
  /** A residual op of the memory's stream (an encoder), not of the network's main stream. */
  readonly memory?: true;
}

/** The Monte-Carlo pass's residual stream and attention statistics, averaged over its seeds, in run order. */
export interface MeasuredTokens {
  readonly tokens: number;
  readonly sequences: number;
  /** One per residual op, in the order the pass completes them (a branch's inner ops first, the memory's first of all). */
  readonly stream: readonly StreamMoments[];
  /** One per attention, in the order they run. */
  readonly attention: readonly {
    readonly logitVariance: number;
    readonly p2: number;
    readonly inputCorrelation: number;
    readonly outputCorrelation: number;
    readonly memoryCorrelation?: number;
    readonly handsOn?: number;
  }[];
  readonly outputCorrelation: number;
  readonly memory?: { readonly tokens: number; readonly secondMoment: number; readonly correlation: number; readonly gradient: number; readonly inputGradient: number };
}
