/**
 * The report in one line: what the code lens shows above a network and the CLI prints
 * as each network's heading. The drift is the depth-caused one (width factors divided
 * out), the quantity IW201–IW204 judge, so the lens and the findings agree.
 */
import { formatNumber } from '../format/numbers';
import type { Network } from '../ir';
import { depthDrift, type DepthDrift } from '../simulation/drift';
import type { NetworkSimulation } from '../simulation/types';
import type { RecurrentExplanation } from '../knowledge/explain';
import type { SignalReport, SimulatedReport } from './model';
import { whyNotSimulable } from './simulability';
import { buildTokenReport, tokenSummaryLine } from './tokenReport';
import { NEVER_CANCELLED } from '../cancellation';

/** Two significant digits: a lens is read at a glance ("×1.7e-15"). */
export function formatFactor(x: number): string {
  return `×${formatNumber(x, 2)}`;
}

function driftLine(drift: DepthDrift, layers: number): string {
  const plural = layers === 1 ? 'layer' : 'layers';
  return `signal ${formatFactor(drift.forward.total)} over ${layers} ${plural} · gradients ${formatFactor(drift.backward.total)}`;
}

function cannotSimulate(reason: string): string {
  return `signal: cannot simulate — ${reason}`;
}

export function signalSummary(report: SignalReport): string {
  if (report.status === 'not-simulated') return cannotSimulate(report.reason);
  // A network over tokens is summarised by its residual stream (IW402/IW403's quantities).
  if (report.tokens) return tokenSummaryLine(report.tokens);
  return driftLine(report.drift, report.rows.length) +
    throughTimeLine(report.rows.map((row) => ({ factor: row.recurrent?.gradientThroughTime, steps: row.recurrent?.steps ?? 0, approximate: row.recurrent?.approximate !== undefined })));
}

/**
 * The same line straight from a network and its simulation, without building the whole
 * report (the code lens runs on every edit; the report also simulates the recommended network).
 */
export function networkSummary(network: Network, simulation: NetworkSimulation | undefined, band: number): { text: string; simulated: boolean; monteCarloOnly?: true } {
  if (!simulation || simulation.layers.length !== network.layers.length) {
    // Copied blocks (Network.monteCarloOnly): only a Monte-Carlo run has numbers; the lens offers it.
    if (network.monteCarloOnly !== undefined && !network.pretrained) return { text: `signal: ${analyticUnavailableText(network.monteCarloOnly)}`, simulated: false, monteCarloOnly: true };
    return { text: cannotSimulate(whyNotSimulable(network)), simulated: false };
  }
  const tokens = buildTokenReport(network, NEVER_CANCELLED, () => 0, simulation);
  if (tokens) return { text: tokenSummaryLine(tokens), simulated: true };
  const throughTime = simulation.layers.map((l) => ({ factor: l.throughTime?.factor, steps: l.throughTime?.steps ?? 0, approximate: l.throughTime?.approximate !== undefined }));
  return { text: driftLine(depthDrift(network, simulation, band), network.layers.length) + throughTimeLine(throughTime), simulated: true };
}

/** The report's sentence beside Monte-Carlo numbers of a network the analytic pass declines (SimulatedReport.analyticUnavailable). */
export function analyticUnavailableNote(reason: string): string {
  return `Monte-Carlo numbers (the weights the blocks share drawn once, as the framework copies them): the analytic pass is not available because ${reason}, and it would draw every block independently.`;
}

/** "no analytic pass — its 12 blocks start from identical weights (…)": why only Monte-Carlo simulates a network. */
export function analyticUnavailableText(reason: string): string {
  return `no analytic pass — ${reason}`;
}

/**
 * Recurrent layers (issue 15): " · through time ×1.2e-56 over 100 steps", the smallest
 * gradient-through-time factor of the network's recurrent layers ("≈×…" where the analytic pass
 * is approximate: ThroughTime.approximate).
 */
export function throughTimeLine(layers: readonly { readonly factor: number | undefined; readonly steps: number; readonly approximate?: boolean }[]): string {
  let worst: { factor: number; steps: number; approximate?: boolean } | undefined;
  for (const { factor, steps, approximate } of layers) {
    if (factor !== undefined && Number.isFinite(factor) && (!worst || factor < worst.factor)) worst = { factor, steps, approximate };
  }
  return worst ? ` · through time ${worst.approximate ? '≈' : ''}${formatFactor(worst.factor)} over ${worst.steps} steps` : '';
}

/**
 * Why a recurrent layer's analytic numbers are approximate (hover's "accuracy" row, the report's
 * sentence): its carry gates correlate across steps beyond what the first-order term is accurate
 * for (simulation/recurrent.ts CARRY_CORRELATION; ~3% on E[h_t²] at gain 3, test/reference/recurrent/).
 */
export function approximateRecurrentNote(r: RecurrentExplanation): string {
  const gates = r.cell === 'LSTM' ? 'forget and input gates' : 'update gates';
  const correlation = r.approximate ? formatNumber(r.approximate.carryCorrelation) : '?';
  return `approximate: the ${gates} of consecutive steps correlate ${correlation} through the recurrent kernel, and the analytic pass takes that correlation to first order (E[h²] ~3% high at σ = 3 per gate); a Monte-Carlo run measures it (Run Monte-Carlo Simulation, or --simulate montecarlo)`;
}

/**
 * Where the signal and the gradient leave the band, when they end outside it: the same
 * condition under which IW201–IW204 report (rules/depth.ts). A drift that dips out and
 * comes back (a zero-initialised last layer of a residual branch) is not an exit.
 */
export function bandExits(report: SimulatedReport): { forward?: number; backward?: number } {
  const { forward, backward, band } = report.drift;
  const outside = (x: number) => !(x >= 1 / band && x <= band);
  const out: { forward?: number; backward?: number } = {};
  if (report.rows.length < 2) return out;
  const layerAt = (path: readonly number[], position: number | undefined, fallback: number) => path[position ?? fallback] ?? path[fallback];
  if (outside(forward.total)) out.forward = layerAt(forward.path, forward.exitPosition, forward.path.length - 1);
  if (outside(backward.total)) out.backward = layerAt(backward.path, backward.exitPosition, 0);
  return out;
}

/** An integer count (a fan) exactly as it is; 3 significant digits would show 2048 as 2050. */
export function formatCount(x: number | undefined): string {
  if (x === undefined) return '?';
  return Number.isInteger(x) ? String(x) : formatNumber(x);
}

/** The same line for the recommended initializers, or undefined when none would change. */
export function recommendedSummary(report: SignalReport): string | undefined {
  if (report.status !== 'simulated' || !report.recommended) return undefined;
  const changed = report.rows.filter((row) => row.recommendedInit !== undefined).length;
  const { forward, backward } = report.recommended.drift;
  return `with the recommended initializers (${changed} ${changed === 1 ? 'layer' : 'layers'} changed): signal ${formatFactor(forward.total)} · gradients ${formatFactor(backward.total)}`;
}

/** "LSTM, hidden 256: recurrent kernel orthogonal_() (orthogonal, σ = 1 per gate), forget-gate bias 1, gradient ×4.7e-27 over 100 steps (default)". */
export function recurrentSentence(r: RecurrentExplanation): string {
  const structure = r.structure === 'iid' ? 'iid entries' : r.structure === 'stacked-orthogonal' ? 'orthogonal, gates stacked' : r.structure;
  const spectrum = r.spectralScale === undefined ? '' : ` (${structure}, σ = ${formatNumber(r.spectralScale)} per gate)`;
  const forget = r.forgetGateBias === undefined ? '' : `, forget-gate bias ${formatNumber(r.forgetGateBias)}`;
  const steps = `${r.steps} steps${r.stepsFromCode ? '' : ' (default)'}`;
  const gradient = r.gradientThroughTime === undefined ? `gradient through ${steps} not simulated` : `gradient ${r.approximate ? '≈' : ''}${formatFactor(r.gradientThroughTime)} over ${steps}`;
  const accuracy = r.approximate ? ` (${approximateRecurrentNote(r)})` : '';
  return `${r.cell}, hidden ${r.hidden}: recurrent kernel ${r.recurrentInitializer}${spectrum}${forget}, ${gradient}${accuracy}`;
}
