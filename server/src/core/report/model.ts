/**
 * The signal report of one network (issue 3, "In the editor"): a per-layer table and the
 * series a plot needs, for the current initializers and for the recommended ones, with
 * the band. Pure data, computed once and rendered as HTML (the webview, `initwise report
 * --html`), as text (the CLI) or as one line (the code lens), so all of them show the
 * same numbers.
 */
import { NEVER_CANCELLED, type CancellationSignal } from '../cancellation';
import type { Network, WeightLayerKind } from '../ir';
import { explainLayer, type RecurrentExplanation } from '../knowledge/explain';
import { simulateAnalytic } from '../simulation/analytic';
import { withRecommendedInits } from '../simulation/counterfactual';
import { depthDrift, depthSteps, widthFactors, type DepthDrift } from '../simulation/drift';
import type { NetworkSimulation } from '../simulation/types';
import { whyNotSimulable } from './simulability';
import { buildTokenReport, type TokenReport } from './tokenReport';
import { stochasticDepthNote } from './stochasticDepth';

export type Interval = readonly [number, number];

export interface AllowedAt {
  /** Index into Network.layers. */
  readonly layer: number;
  readonly interval: Interval;
}

export interface ReportRow {
  /** 0-based position among the weight layers. */
  readonly index: number;
  /** 1-based line of the layer's statement; in a notebook's CLI report `cell:line` (`4:7`). */
  readonly line: number | string;
  readonly kind: WeightLayerKind;
  readonly fanIn?: number;
  readonly fanOut?: number;
  readonly activation: string;
  readonly initializer: string;
  readonly weightVariance?: number;
  /** The simulation's own numbers for this layer (NaN never appears: rows exist only for simulated networks). */
  readonly forwardVariance: number;
  readonly gradientVariance: number;
  readonly forwardFactor: number;
  readonly backwardFactor: number;
  /** Finite-width ~95% interval, when the simulation provides one. */
  readonly forwardBand?: Interval;
  readonly gradientBand?: Interval;
  /** The initializer the recommendation switches this layer to; undefined when it keeps its own. */
  readonly recommendedInit?: string;
  /**
   * The depth drift's per-layer steps (simulation/drift.ts depthSteps): they multiply to the
   * drift the code lens shows. Undefined for a layer inside a residual branch (not on the path).
   */
  readonly forwardStep?: number;
  readonly backwardStep?: number;
  /** Inside a residual branch. */
  readonly inBranch: boolean;
  /** Every weight is equal (zero variance): a zero-initialised branch end when `lastInBranch`. */
  readonly zeroWeights: boolean;
  readonly lastInBranch: boolean;
  /** Recurrent layers: the recurrent kernel's spectrum and the gradient through time (issue 15). */
  readonly recurrent?: RecurrentExplanation;
}

/** Second moments across depth, one entry per weight layer. */
export interface SignalSeries {
  readonly method: NetworkSimulation['method'];
  readonly forward: readonly number[];
  readonly gradient: readonly number[];
  /** Per-layer finite-width intervals; entries undefined where the simulation gives none. */
  readonly forwardBand: readonly (Interval | undefined)[];
  readonly gradientBand: readonly (Interval | undefined)[];
  /**
   * The residual stream, what the network's output sees: the main-path layers' own values
   * and, at a residual block's last layer, the stream after the block (forward) / at its
   * first layer, the gradient at the block's input (backward); undefined elsewhere (a layer
   * inside a branch). Equal to forward/gradient for a network without residual blocks.
   */
  readonly streamForward: readonly (number | undefined)[];
  readonly streamGradient: readonly (number | undefined)[];
}

export interface RecommendedSeries extends SignalSeries {
  /** Its depth-caused drift, comparable with the report's own. */
  readonly drift: DepthDrift;
}

export interface SimulatedReport {
  readonly status: 'simulated';
  readonly networkName: string;
  readonly framework: Network['framework'];
  readonly pretrained: boolean;
  readonly rows: readonly ReportRow[];
  readonly current: SignalSeries;
  /**
   * The same network with every unsuitable initializer switched to the recommended one
   * (simulation/counterfactual.ts), simulated analytically. Undefined when no layer
   * changes or the changed network cannot be simulated.
   */
  readonly recommended: RecommendedSeries | undefined;
  /** Depth-caused drift (width changes factored out), what IW201–IW204 judge. */
  readonly drift: DepthDrift;
  /**
   * At each main-path layer (the drift's path: residual branches are not on it), the raw
   * second moments the band allows: [1/band, band] times the product of the width factors
   * so far, i.e. where the signal may go before IW201–IW204 consider it drifted.
   */
  readonly allowed: { readonly forward: readonly AllowedAt[]; readonly gradient: readonly AllowedAt[] };
  /** The simulation's own warning that its numbers are unreliable here (simulation/types.ts). */
  readonly caveat?: string;
  /**
   * Only the Monte-Carlo pass simulates this network (Network.monteCarloOnly: its blocks are
   * copies of one initialised layer, and the analytic pass draws every block independently):
   * why, to say beside the measured numbers.
   */
  readonly analyticUnavailable?: string;
  /** Stochastic depth on the branches: the rates read and how they are simulated (stochasticDepth.ts). */
  readonly stochasticDepth?: string;
  /** Networks over tokens: the residual stream, token correlation and attention (tokenReport.ts). */
  readonly tokens?: TokenReport;
}

export interface UnsimulatedReport {
  readonly status: 'not-simulated';
  readonly networkName: string;
  readonly framework: Network['framework'];
  readonly pretrained: boolean;
  readonly layerCount: number;
  /** Why, in words: "input width unknown", "activation of layer 3 unknown". */
  readonly reason: string;
}

export type SignalReport = SimulatedReport | UnsimulatedReport;

export interface ReportOptions {
  /** IW201–IW204 band (settings.band): a factor either way. */
  readonly band: number;
  /** 1-based line of a source offset (hosts pass their LineIndex; a notebook's CLI report passes `cell:line`). */
  readonly lineOf: (offset: number) => number | string;
  readonly signal?: CancellationSignal;
}

export function buildSignalReport(network: Network, simulation: NetworkSimulation | undefined, options: ReportOptions): SignalReport {
  const base = { networkName: network.name, framework: network.framework, pretrained: network.pretrained };
  if (!simulation || simulation.layers.length !== network.layers.length) {
    return { status: 'not-simulated', ...base, layerCount: network.layers.length, reason: whyNotSimulable(network) };
  }
  const signal = options.signal ?? NEVER_CANCELLED;
  const tokens = buildTokenReport(network, signal, options.lineOf, simulation);
  // Over tokens, "the recommended init per layer" would undo deliberate conventions (GPT-2's
  // std 0.02 inside normalised branches); the stream is judged by IW401–IW403 instead.
  const counterfactual = tokens ? { network, changed: [] as number[] } : withRecommendedInits(network);
  const changed = new Map(counterfactual.changed.map((index) => [index, counterfactual.network.layers[index]!.init.label]));
  const recommendedSimulation = changed.size > 0 ? simulateAnalytic(counterfactual.network, signal) : undefined;

  const drift = depthDrift(network, simulation, options.band);
  const steps = depthSteps(drift);
  const stochasticDepth = stochasticDepthNote(network);
  const onPath = new Set(drift.forward.path);
  const rows: ReportRow[] = network.layers.map((layer, i) => {
    const simulated = simulation.layers[i]!;
    const explanation = explainLayer(network, layer, simulated);
    return {
      index: layer.index,
      line: options.lineOf(layer.span.start),
      kind: layer.kind,
      fanIn: explanation.fanIn,
      fanOut: explanation.fanOut,
      activation: explanation.activation,
      initializer: explanation.initializer,
      weightVariance: explanation.weightVariance,
      forwardVariance: simulated.forwardVariance,
      gradientVariance: simulated.gradientVariance,
      forwardFactor: simulated.forwardFactor,
      backwardFactor: simulated.backwardFactor,
      forwardBand: simulated.forwardBand,
      gradientBand: simulated.gradientBand,
      recommendedInit: changed.get(layer.index),
      forwardStep: steps.forward.get(layer.index),
      backwardStep: steps.backward.get(layer.index),
      inBranch: explanation.inBranch,
      zeroWeights: explanation.weightVariance === 0,
      lastInBranch: explanation.lastInBranch,
      ...(explanation.recurrent ? { recurrent: explanation.recurrent } : {}),
    };
  });

  return {
    status: 'simulated',
    ...base,
    rows,
    current: seriesOf(simulation, onPath),
    recommended: recommendedSimulation
      ? { ...seriesOf(recommendedSimulation, onPath), drift: depthDrift(counterfactual.network, recommendedSimulation, options.band) }
      : undefined,
    drift,
    allowed: allowedRegion(network, drift, options.band),
    ...(simulation.caveat ? { caveat: simulation.caveat } : {}),
    ...(network.monteCarloOnly !== undefined ? { analyticUnavailable: network.monteCarloOnly } : {}),
    ...(stochasticDepth !== undefined ? { stochasticDepth } : {}),
    ...(tokens ? { tokens } : {}),
  };
}

function seriesOf(simulation: NetworkSimulation, onPath: ReadonlySet<number>): SignalSeries {
  return {
    streamForward: simulation.layers.map((l, i) => (onPath.has(i) ? l.forwardVariance : l.streamForward)),
    streamGradient: simulation.layers.map((l, i) => (onPath.has(i) ? l.gradientVariance : l.streamGradient)),
    method: simulation.method,
    forward: simulation.layers.map((l) => l.forwardVariance),
    gradient: simulation.layers.map((l) => l.gradientVariance),
    forwardBand: simulation.layers.map((l) => l.forwardBand),
    gradientBand: simulation.layers.map((l) => l.gradientBand),
  };
}

/**
 * The band in raw units. depthDrift divides the second moments along its path by the
 * running product of width factors (forward from the input, backward from the output);
 * multiplying the band back by the same products gives the region the raw curves may
 * stay in (recomputed from the width factors: a raw value of 0 would lose the product).
 */
function allowedRegion(network: Network, drift: DepthDrift, band: number): SimulatedReport['allowed'] {
  const forward: AllowedAt[] = [];
  let product = 1;
  for (const layer of drift.forward.path) {
    product *= widthFactors(network.layers[layer]!).forward;
    forward.push({ layer, interval: [product / band, product * band] });
  }
  const gradient: AllowedAt[] = [];
  product = 1;
  const path = drift.backward.path;
  for (let p = path.length - 1; p >= 0; p--) {
    product *= widthFactors(network.layers[path[p]!]!).backward;
    gradient.unshift({ layer: path[p]!, interval: [product / band, product * band] });
  }
  return { forward, gradient };
}
