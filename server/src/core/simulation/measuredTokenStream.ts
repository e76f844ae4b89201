/**
 * The token stream a network's current simulation shows: the Monte-Carlo pass's measurements
 * when it ran (NetworkSimulation.tokens, plain data from the worker) paired back with the
 * network's residual and attention ops, else the analytic token-stream pass. Hover, code lens
 * and the signal report read the stream through this, so after *Run Monte-Carlo Simulation*
 * they show the measured stream beside the measured layers (and for a network only Monte-Carlo
 * simulates, Network.monteCarloOnly, the only numbers there are).
 */
import type { CancellationSignal } from '../cancellation';
import type { AttentionOp, MemoryOp, Network, Op, ResidualOp } from '../ir';
import { simulateTokenStream, type AttentionPoint, type StreamPoint, type TokenStreamSimulation } from './tokenStream';
import type { NetworkSimulation } from './types';

export function tokenStreamFor(network: Network, simulation: NetworkSimulation | undefined, signal: CancellationSignal): TokenStreamSimulation | undefined {
  return (simulation ? measuredTokenStream(network, simulation) : undefined) ?? simulateTokenStream(network, signal);
}

/**
 * The Monte-Carlo measurements as a TokenStreamSimulation: residual points in the order the pass
 * completes them (post-order: a branch's inner residuals first; the memory first of all, as it is
 * the first op), attentions in the order they run. Undefined when the simulation has none or the
 * counts do not match the network's ops.
 */
export function measuredTokenStream(network: Network, simulation: NetworkSimulation): TokenStreamSimulation | undefined {
  const measured = simulation.tokens;
  if (simulation.method !== 'montecarlo' || !measured) return undefined;
  const residuals: ResidualOp[] = [];
  const attentions: AttentionOp[] = [];
  let memoryOp: MemoryOp | undefined;
  const visit = (ops: readonly Op[]) => {
    for (const op of ops) {
      if (op.op === 'attention') attentions.push(op);
      else if (op.op === 'memory') {
        memoryOp ??= op;
        visit(op.body);
      } else if (op.op === 'residual') {
        visit(op.body);
        residuals.push(op);
      }
    }
  };
  visit(network.ops);
  if (residuals.length !== measured.stream.length || attentions.length !== measured.attention.length) return undefined;
  if (measured.memory && !memoryOp) return undefined;
  const stream: StreamPoint[] = measured.stream.map((p, i) => ({ op: residuals[i]!, ...p }));
  const attention: AttentionPoint[] = measured.attention.map((a, i) => ({ op: attentions[i]!, ...a, effectiveKeys: 1 / a.p2 }));
  return {
    simulation, stream, attention,
    tokens: measured.tokens,
    tokensAssumed: network.tokens === undefined,
    ...(network.tokens !== undefined && network.tokensFrom !== undefined ? { tokensFrom: network.tokensFrom } : {}),
    // The hosts run Monte-Carlo on uncorrelated input tokens, as the analytic pass assumes.
    inputCorrelation: 0,
    outputCorrelation: measured.outputCorrelation,
    ...(measured.memory && memoryOp ? { memory: { op: memoryOp, ...measured.memory } } : {}),
  };
}
