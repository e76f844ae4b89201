/**
 * Shared by IW201–IW204: the depth-caused drift of a network's signal or gradient, the
 * layer where it leaves the band, and the advice — whether the recommended initializers
 * would bring it back (computed by simulating the counterfactual network), or only
 * normalisation, residual scaling or another activation can.
 */
import { NEVER_CANCELLED } from '../cancellation';
import type { Fix, TextEdit } from '../findings';
import { formatNumber } from '../format/numbers';
import { walkOps, type Network, type WeightLayer } from '../ir';
import { assessInit } from '../knowledge/assess';
import { weightVariance } from '../knowledge/initializers';
import type { NetworkSimulation } from '../simulation/types';
import { activationLabel } from '../knowledge/activations';
import { policyFor } from '../knowledge/policy';
import { simulateAnalytic } from '../simulation/analytic';
import { withRecommendedInits } from '../simulation/counterfactual';
import { averageStep, depthDrift, type DepthDrift, type DirectionDrift } from '../simulation/drift';
import { runsOverTokens } from '../simulation/tokenStream';
import type { RuleContext } from './types';
import { appendAll } from '../util/arrays';

export type Direction = 'forward' | 'backward';
export type Way = 'vanishing' | 'exploding';

interface DepthFindingSpec {
  readonly direction: Direction;
  readonly way: Way;
  /** "signal" / "gradients", for the message. */
  readonly subject: 'signal' | 'gradients';
}

function headline(spec: DepthFindingSpec): string {
  if (spec.subject === 'signal') return spec.way === 'vanishing' ? 'Signal vanishes' : 'Signal explodes';
  return spec.way === 'vanishing' ? 'Gradients vanish' : 'Gradients explode';
}

function driftOf(drift: DepthDrift, direction: Direction): DirectionDrift {
  return direction === 'forward' ? drift.forward : drift.backward;
}

/**
 * Out of the band that way, and not because of one layer: with the single most extreme
 * per-layer step removed it is still out (one layer alone is IW101/IW301's finding).
 */
function depthLeavesBand(drift: DirectionDrift, way: Way, band: number): boolean {
  return way === 'vanishing'
    ? drift.total < 1 / band && drift.withoutWorstStep.vanishing < 1 / band
    : drift.total > band && drift.withoutWorstStep.exploding > band;
}

/** Reports one depth finding for the context's network when its drift ends outside the band that way. */
/**
 * The four depth rules look at the same network: its judged body, its drift and its
 * counterfactual are computed once per analysis (keyed by the simulation and network
 * objects, which a new analysis replaces) rather than once per rule, on every keystroke.
 */
const BODIES = new WeakMap<Network, WeakMap<NetworkSimulation, { network: Network; simulation: NetworkSimulation } | null>>();
const DRIFTS = new WeakMap<Network, WeakMap<NetworkSimulation, Map<number, DepthDrift>>>();
const COUNTERFACTUALS = new WeakMap<Network, { changed: readonly number[]; network: Network; simulation: NetworkSimulation | undefined }>();

/** The entry for (network, simulation): both objects, so a simulation reused with another parse is never confused. */
function entryFor<T>(table: WeakMap<Network, WeakMap<NetworkSimulation, T>>, network: Network, simulation: NetworkSimulation, make: () => T): T {
  let bySimulation = table.get(network);
  if (!bySimulation) table.set(network, (bySimulation = new WeakMap<NetworkSimulation, T>()));
  if (!bySimulation.has(simulation)) bySimulation.set(simulation, make());
  return bySimulation.get(simulation)!;
}

function memoDrift(network: Network, simulation: NetworkSimulation, band: number): DepthDrift {
  const byBand = entryFor(DRIFTS, network, simulation, () => new Map<number, DepthDrift>());
  let drift = byBand.get(band);
  if (!drift) byBand.set(band, (drift = depthDrift(network, simulation, band)));
  return drift;
}

function memoBody(network: Network, simulation: NetworkSimulation): { network: Network; simulation: NetworkSimulation } | undefined {
  return entryFor(BODIES, network, simulation, () => bodyForDepth(network, simulation) ?? null) ?? undefined;
}

function memoCounterfactual(network: Network): { changed: readonly number[]; network: Network; simulation: NetworkSimulation | undefined } {
  let entry = COUNTERFACTUALS.get(network);
  if (!entry) {
    const counterfactual = withRecommendedInits(network);
    entry = {
      changed: counterfactual.changed,
      network: counterfactual.network,
      simulation: counterfactual.changed.length > 0 ? simulateAnalytic(counterfactual.network, NEVER_CANCELLED) : undefined,
    };
    COUNTERFACTUALS.set(network, entry);
  }
  return entry;
}

/**
 * Where the network ends up against the band, both ways (the drift IW201–IW204 judge):
 * what the init rules' severity follows (rules/impact.ts). Undefined when the network is
 * not simulated, or IW104's all-equal weights make its drift meaningless.
 */
export function networkEnd(context: Pick<RuleContext, 'network' | 'simulation' | 'settings'>): { vanishing: boolean; exploding: boolean } | undefined {
  if (!context.simulation || context.network.pretrained) return undefined;
  if (hasAllEqualHiddenWeights(context.network)) return undefined;
  const judged = memoBody(context.network, context.simulation);
  if (!judged || judged.network.layers.length < 2) return undefined;
  const band = context.settings.band;
  const drift = memoDrift(judged.network, judged.simulation, band);
  return {
    vanishing: depthLeavesBand(drift.forward, 'vanishing', band) || depthLeavesBand(drift.backward, 'vanishing', band),
    exploding: depthLeavesBand(drift.forward, 'exploding', band) || depthLeavesBand(drift.backward, 'exploding', band),
  };
}

export function checkDepth(context: RuleContext, spec: DepthFindingSpec): void {
  const { settings, report } = context;
  if (!context.simulation || context.network.pretrained) return;
  // A network over tokens has its depth story told by IW402 (the residual stream) and IW403
  // (the token correlation), judged on the stream rather than on branch layers.
  if (runsOverTokens(context.network)) return;
  // All-equal hidden weights zero the signal; that is IW104's finding, one finding per cause.
  if (hasAllEqualHiddenWeights(context.network)) return;
  const judged = memoBody(context.network, context.simulation);
  if (!judged) return;
  const { network, simulation } = judged;
  if (network.layers.length < 2) return;
  const band = settings.band;
  const drift = driftOf(memoDrift(network, simulation, band), spec.direction);
  const total = drift.total;
  if (!depthLeavesBand(drift, spec.way, band)) return;
  const position = drift.exitPosition ?? (spec.direction === 'forward' ? drift.path.length - 1 : 0);
  const exit = drift.path[position]!;
  const exitLayer = network.layers[exit]!;
  // Counted in the whole network, as the report and hover number its layers (the judged body
  // may leave out a deliberately small head: bodyForDepth).
  const ordinal = `layer ${context.network.layers.indexOf(exitLayer) + 1} of ${context.network.layers.length}`;
  const relativeTo = spec.direction === 'forward' ? "of the input's" : 'of the output gradient';
  const advice = adviceFor(network, spec, band);
  const caveat = simulation.caveat && simulation.method === 'analytic' ? ' Mean field is unreliable for this stack at these widths: run the Monte-Carlo simulation to confirm.' : '';
  const steps = drift.path.length;
  const related = [{ span: exitLayer.kindSpan, message: `the ${spec.subject} ${spec.subject === 'signal' ? 'leaves' : 'leave'} the ${formatBand(band)} band here (×${formatNumber(drift.normalized[position]!)})` }];
  if (context.network.instantiation) related.push({ span: context.network.instantiation.span, message: `\`${context.network.name}\` is built here as \`${context.network.instantiation.name}\`` });
  report({
    span: network.nameSpan,
    // Impact and remedy first (the Problems panel cuts the rest off), details after. The
    // average step is the geometric mean of the per-layer steps the report lists, so the
    // steps, the average and the lens's total are one set of numbers.
    message:
      `${headline(spec)}: ×${formatNumber(total, 2)} ${relativeTo} over ${steps} ${steps === 1 ? 'layer' : 'layers'} ` +
      `(×${formatNumber(averageStep(total, steps), 2)} per layer on average); ${advice.lead}. ` +
      `${spec.direction === 'backward' ? 'Coming back from the output, it' : 'It'} leaves the band (${formatBand(band)}, width changes factored out) at ${ordinal}.` +
      `${advice.detail ? ` ${advice.detail}` : ''}${caveat}`,
    related,
    fixes: advice.fix ? [advice.fix] : [],
  });
}

const ALL_EQUAL_HIDDEN = new WeakMap<Network, boolean>();

/**
 * A hidden layer whose weights are all equal (IW104's cause), asked once per network: every
 * init finding's severity asks it (impact.ts), and a scan of the layers per finding made a
 * 20,000-layer file quadratic (hostile inputs).
 */
function hasAllEqualHiddenWeights(network: Network): boolean {
  let answer = ALL_EQUAL_HIDDEN.get(network);
  if (answer === undefined) {
    answer = network.layers.some((l) => !l.isLastInBranch && l.kind !== 'embedding' && zeroVariance(l));
    ALL_EQUAL_HIDDEN.set(network, answer);
  }
  return answer;
}

function zeroVariance(layer: WeightLayer): boolean {
  return !!layer.init.semantics && !!layer.frameworkFans &&
    weightVariance(layer.init.semantics, layer.frameworkFans, layer.receptiveField) === 0;
}

/**
 * The part of the network depth rules judge. A deliberately small or zero output layer
 * (zero-init heads, small policy heads; the init rules accept them too) would make every
 * network look vanishing: judge the body below it, with the gradient arriving at its input.
 */
function bodyForDepth(network: Network, simulation: NetworkSimulation): { network: Network; simulation: NetworkSimulation } | undefined {
  const head = network.layers[network.layers.length - 1];
  const last = network.ops[network.ops.length - 1];
  const assessment = head ? assessInit(head, false) : undefined;
  // Only a written choice is deliberate; a framework default on the head is just a default.
  const deliberatelySmall = head?.init.explicit === true &&
    (zeroVariance(head) || (assessment !== undefined && assessment.ratio < 1 && assessment.verdict !== 'ok'));
  if (!head || !deliberatelySmall || last !== head) return { network, simulation };
  const body: Network = { ...network, ops: network.ops.slice(0, -1), layers: network.layers.slice(0, -1) };
  const bodySimulation = simulateAnalytic(body, NEVER_CANCELLED);
  return bodySimulation ? { network: body, simulation: bodySimulation } : undefined;
}

function formatBand(band: number): string {
  return `1/${formatNumber(band)}–${formatNumber(band)}`;
}

/**
 * Would the recommended initializers fix it? Simulate and say: `lead` is the remedy for
 * the message's first clause, `detail` the numbers behind it.
 */
function adviceFor(network: Network, spec: DepthFindingSpec, band: number): { lead: string; detail?: string; fix?: Fix } {
  const counterfactual = memoCounterfactual(network);
  if (counterfactual.changed.length === 0) {
    const normalised = network.layers.every((l) => l.consumer === 'unknown' || l.normalizedBeforeActivation || l.normalizedAfterActivation || l.isLastInBranch);
    return normalised
      ? {
          lead: `no initializer changes this: only ${otherRemedies(network)} can keep it in range`,
          detail: `Every layer here is normalised${batchNormalised(network) ? ' (BatchNorm\'s batch statistics themselves make the gradient grow at initialisation, ×π/(π−1) ≈ 1.47 per ReLU block: Yang et al. 2019)' : ''}.`,
        }
      : constantFactorsLead(network, spec.way) ?? { lead: `only ${otherRemedies(network)} can keep it in range`, detail: 'The initializers already suit their activations: depth alone does this.' };
  }
  const simulation = counterfactual.simulation;
  if (!simulation) return { lead: `only ${otherRemedies(network)} can keep it in range` };
  const afterDrift = driftOf(memoDrift(counterfactual.network, simulation, band), spec.direction);
  const after = afterDrift.total;
  const which = describeSwitch(network, counterfactual.changed);
  if (depthLeavesBand(afterDrift, spec.way, band)) {
    return { lead: `only ${otherRemedies(network)} can keep it in range`, detail: `Switching to ${which} would still give ×${formatNumber(after)}.` };
  }
  const inside = after >= 1 / band && after <= band;
  const oneOff = spec.way === 'vanishing' ? after / afterDrift.withoutWorstStep.vanishing : after / afterDrift.withoutWorstStep.exploding;
  const detail = inside
    ? `With it: ×${formatNumber(after)}.`
    : `With it: ×${formatNumber(after)} at the end, ×${formatNumber(oneOff)} of it from a single layer (no depth drift).`;
  return { lead: `use ${which}`, detail, fix: switchFix(network, counterfactual.changed, which) };
}

/**
 * When the inits are right and the forward pass writes constant factors on the main path (ir.ts
 * ScaleOp: `x = F.relu(fc(x)) * 2` in a loop) that together move the second moment more than ×2
 * the way the finding goes, they are what does it: named, with their product.
 */
function constantFactorsLead(network: Network, way: DepthFindingSpec['way']): { lead: string; detail: string } | undefined {
  const counts = new Map<string, number>();
  let total = 1;
  for (const op of network.ops) {
    if (op.op !== 'scale') continue;
    total *= op.factor * op.factor;
    counts.set(op.label, (counts.get(op.label) ?? 0) + 1);
  }
  if (counts.size === 0 || (way === 'exploding' ? !(total > 2) : !(total < 0.5))) return undefined;
  const labels = [...counts].map(([label, n]) => (n > 1 ? `${label}, ${n} times` : label)).join('; ');
  const plural = counts.size > 1 || [...counts.values()][0]! > 1;
  return {
    lead: `the constant factor${plural ? 's' : ''} written on the signal (${labels}) do${plural ? '' : 'es'} this: ×${formatNumber(total)} of the second moment`,
    detail: 'The initializers already suit their activations.',
  };
}

function batchNormalised(network: Network): boolean {
  return walkOps(network.ops).some((op) => op.op === 'norm' && op.kind === 'batchnorm');
}

/** "normalisation (BatchNorm/LayerNorm), residual connections with scaled branches, or another activation". */
function otherRemedies(network: Network): string {
  const activations = new Set(network.layers.map((l) => (l.consumer === 'unknown' ? 'unknown' : activationLabel(l.consumer))));
  const smooth = [...activations].some((a) => /^(gelu|silu|mish|sigmoid|tanh|softplus)/.test(a));
  // A network that already normalises: more normalisation is no remedy (deep BatchNorm
  // stacks without skips explode at init, Yang et al. 2019, https://arxiv.org/abs/1902.08129).
  const normalises = walkOps(network.ops).some((op) => op.op === 'norm');
  const remedies = normalises ? ['residual connections with scaled branches'] : ['normalisation (BatchNorm/LayerNorm)', 'residual connections with scaled branches'];
  if (smooth) remedies.push('another activation');
  return remedies.length === 1 ? remedies[0]! : `${remedies.slice(0, -1).join(', ')}${remedies.length > 2 ? ',' : ''} or ${remedies[remedies.length - 1]!}`;
}

/** "he_normal on 19 relu layers" (or a list when the recommendations differ). */
function describeSwitch(network: Network, changed: readonly number[]): string {
  const groups = new Map<string, { count: number; activation: string }>();
  for (const index of changed) {
    const layer = network.layers[index]!;
    if (layer.consumer === 'unknown') continue;
    const label = layer.fixes.describeInitializer(policyFor(layer.consumer).recommended);
    const key = `${label}|${activationLabel(layer.consumer)}`;
    const entry = groups.get(key) ?? { count: 0, activation: activationLabel(layer.consumer) };
    entry.count++;
    groups.set(key, entry);
  }
  return [...groups.entries()]
    .map(([key, { count, activation }]) => `${key.split('|')[0]} on the ${count} ${activation} layer${count === 1 ? '' : 's'}`)
    .join(', ');
}

/** One fix writing the recommended initializer on every statement that needs it (repeats share a statement). */
function switchFix(network: Network, changed: readonly number[], which: string): Fix | undefined {
  const edits: TextEdit[] = [];
  const seen = new Set<number>();
  for (const index of changed) {
    const layer = network.layers[index]!;
    if (seen.has(layer.span.start) || layer.consumer === 'unknown') continue;
    seen.add(layer.span.start);
    const layerEdits = layer.fixes.setInitializer(policyFor(layer.consumer).recommended);
    if (!layerEdits) return undefined; // all or nothing: a partial switch would not give the promised numbers
    appendAll(edits, layerEdits);
  }
  return edits.length > 0 ? { title: `Use ${which}`, applicability: 'unsafe', edits } : undefined;
}
