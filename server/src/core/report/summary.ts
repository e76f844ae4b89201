/**
 * The report in one line: what the code lens shows above a network and the CLI prints
 * as each network's heading. The drift is the depth-caused one (width factors divided
 * out), the quantity IW201–IW204 judge, so the lens and the findings agree.
 */
import { formatNumber } from '../format/numbers';
import type { Network } from '../ir';
import { depthDrift, type DepthDrift } from '../simulation/drift';
import type { NetworkSimulation } from '../simulation/types';
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
  return driftLine(report.drift, report.rows.length);
}

/**
 * The same line straight from a network and its simulation, without building the whole
 * report (the code lens runs on every edit; the report also simulates the recommended network).
 */
export function networkSummary(network: Network, simulation: NetworkSimulation | undefined, band: number): { text: string; simulated: boolean } {
  if (!simulation || simulation.layers.length !== network.layers.length) return { text: cannotSimulate(whyNotSimulable(network)), simulated: false };
  const tokens = buildTokenReport(network, NEVER_CANCELLED, () => 0);
  if (tokens) return { text: tokenSummaryLine(tokens), simulated: true };
  return { text: driftLine(depthDrift(network, simulation, band), network.layers.length), simulated: true };
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
