/**
 * What the report and hover say about a network's stochastic depth (ir.ts DropPathOp, issue 15):
 * it is simulated in training mode, as dropout is, so each kept branch's second moment, token
 * cross moment and gradient are ×1/(1−p); the rates read (timm's per-block linspace schedule
 * gives a range); and where p was not known, that it was simulated at 0, the lower bound.
 */
import { formatNumber } from '../format/numbers';
import { type DropPathOp, type Network, walkOps } from '../ir';

export function dropPathOps(network: Network): DropPathOp[] {
  return walkOps(network.ops).filter((op): op is DropPathOp => op.op === 'dropPath');
}

/** The sentence for one op (hover): its rate and what it does to the branch's moments. */
export function dropPathSentence(op: DropPathOp): string {
  if (op.assumed) {
    return `stochastic depth (${op.label}), its rate not known: simulated at p = 0 (the identity, the lower bound: any p > 0 multiplies this branch's E[x²], cross moments within a sample and gradient by 1/(1−p) in training)`;
  }
  return `stochastic depth (${op.label}) p = ${formatNumber(op.rate)}, simulated in training mode: each sample's branch kept with probability ${formatNumber(1 - op.rate)} and scaled by 1/(1−p), so its E[x²], cross moments within a sample (token pairs) and gradient ×${formatNumber(1 / (1 - op.rate), 3)}, the mean kept`;
}

/** One line for the report (undefined without stochastic depth): how many branches, the rates, the largest factor. */
export function stochasticDepthNote(network: Network): string | undefined {
  const ops = dropPathOps(network);
  if (ops.length === 0) return undefined;
  const read = ops.filter((op) => !op.assumed).map((op) => op.rate);
  const assumed = ops.length - read.length;
  const parts: string[] = [];
  if (read.length > 0) {
    const low = Math.min(...read);
    const high = Math.max(...read);
    const rates = low === high ? `p = ${formatNumber(low)}` : `p ${formatNumber(low)} … ${formatNumber(high)}`;
    parts.push(`${read.length} ${read.length === 1 ? 'branch' : 'branches'} with ${rates}, simulated in training mode (each kept branch's E[x²], cross moments within a sample and gradient ×1/(1−p), up to ×${formatNumber(1 / (1 - high), 3)})`);
  }
  if (assumed > 0) parts.push(`${assumed} ${assumed === 1 ? 'branch' : 'branches'} whose rate is not known, simulated at p = 0 (the lower bound)`);
  return `stochastic depth (DropPath): ${parts.join('; ')}`;
}
