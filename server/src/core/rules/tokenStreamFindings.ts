/**
 * What IW401–IW403 share: the token-stream simulation of the network being judged (memoised
 * per network, so the analytic pass, the rules and hover compute it once) and how its
 * attention statements are named in messages.
 */
import { NEVER_CANCELLED } from '../cancellation';
import type { AttentionOp, Network, Op, WeightLayer } from '../ir';
import { runsOverTokens, simulateTokenStream, type TokenStreamSimulation } from '../simulation/tokenStream';

export function tokenStreamOf(network: Network): TokenStreamSimulation | undefined {
  if (network.pretrained || !runsOverTokens(network)) return undefined;
  return simulateTokenStream(network, NEVER_CANCELLED);
}

/** Attention ops by statement (a `repeat` or a loop builds one per pass): each is reported once. */
export function byStatement<T extends { readonly op: AttentionOp }>(points: readonly T[]): T[][] {
  const groups = new Map<number, T[]>();
  for (const point of points) {
    const key = point.op.span.start;
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  return [...groups.values()];
}

/** The weight layer whose output a residual branch adds to the stream (an attention's output projection). */
export function branchEnd(ops: readonly Op[]): WeightLayer | undefined {
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i]!;
    if (op.op === 'layer') return op;
    // No output projection (ir.ts AttentionOp.output): the branch's scale is the value's, a slice of a fused layer perhaps: none.
    if (op.op === 'attention') return op.output;
    if (op.op === 'residual') return branchEnd(op.body);
  }
  return undefined;
}
