/**
 * The part of the signal report that only networks over tokens have (attention, RMSNorm):
 * the residual stream after every residual branch, the correlation between tokens it
 * carries (rank collapse is that number reaching 1), the gradient reaching each branch, and
 * what each attention does at init (logit spread, effective keys). Pure data from the
 * token-stream simulation (simulation/tokenStream.ts), or the Monte-Carlo pass's measurements
 * when it ran (simulation/measuredTokenStream.ts), shared by the HTML, the text report, the code
 * lens and the CLI heading.
 */
import type { CancellationSignal } from '../cancellation';
import { formatNumber } from '../format/numbers';
import { type Network, walkOps } from '../ir';
import { runsOverTokens } from '../simulation/tokenStream';
import { tokenStreamFor } from '../simulation/measuredTokenStream';
import type { NetworkSimulation } from '../simulation/types';

export interface StreamRow {
  /** 1-based line of the residual statement. */
  readonly line: number | string;
  readonly secondMoment: number;
  readonly correlation: number;
  /** Gradient second moment at the branch's input (unit cotangent at the output). */
  readonly gradient: number;
  /** A branch of the encoder's stream (the memory), not of the network's own. */
  readonly memory?: true;
}

export interface AttentionRow {
  readonly line: number | string;
  readonly heads: number;
  readonly headDim: number;
  readonly scaleLabel: string;
  readonly logitStd: number;
  readonly effectiveKeys: number;
  /** Token correlation the attention's residual op hands on (its own output's outside a residual). */
  readonly handsOn: number;
  /** Cross-attention: keys and values from the memory, whose token correlation this is. */
  readonly memoryCorrelation?: number;
}

/** The memory of an encoder–decoder network: what its cross-attentions read and the gradient they send it. */
export interface MemoryRow {
  readonly tokens: number;
  readonly secondMoment: number;
  readonly correlation: number;
  readonly gradient: number;
}

export interface TokenReport {
  readonly tokens: number;
  readonly tokensAssumed: boolean;
  readonly tokensFrom?: string;
  /** The stream itself: top-level residual branches in order. */
  readonly stream: readonly StreamRow[];
  readonly attention: readonly AttentionRow[];
  /** Stream second moment entering the first branch. */
  readonly input: number;
  /**
   * What the stream's input adds to the tokens besides the layers, in order: a class token put in
   * front and a position table added (`class token: torch.randn, E[t²] 1`), with their inits.
   */
  readonly inputTerms?: readonly string[];
  readonly outputCorrelation: number;
  readonly memory?: MemoryRow;
}

/** `measured`: the network's current simulation; when it is a Monte-Carlo run over tokens, its stream is the one shown. */
export function buildTokenReport(network: Network, signal: CancellationSignal, lineOf: (offset: number) => number | string, measured?: NetworkSimulation): TokenReport | undefined {
  if (!runsOverTokens(network)) return undefined;
  const simulation = tokenStreamFor(network, measured, signal);
  if (!simulation) return undefined;
  const top = simulation.stream.filter((p) => p.depth === 0);
  const own = top.find((p) => !p.memory);
  const memory = simulation.memory;
  return {
    tokens: simulation.tokens,
    tokensAssumed: simulation.tokensAssumed,
    ...(simulation.tokensFrom !== undefined ? { tokensFrom: simulation.tokensFrom } : {}),
    stream: top.map((p) => ({
      line: lineOf(p.op.span.start), secondMoment: p.secondMoment, correlation: p.correlation, gradient: p.gradient, ...(p.memory ? { memory: true as const } : {}),
    })),
    attention: simulation.attention.map((a) => ({
      line: lineOf(a.op.span.start), heads: a.op.heads, headDim: a.op.headDim, scaleLabel: a.op.scaleLabel,
      logitStd: Math.sqrt(a.logitVariance), effectiveKeys: a.effectiveKeys, handsOn: a.handsOn ?? a.outputCorrelation,
      ...(a.memoryCorrelation !== undefined ? { memoryCorrelation: a.memoryCorrelation } : {}),
    })),
    // The network's own stream is the one judged and summarised (IW402): its input, not the encoder's.
    input: own?.before ?? top[0]?.before ?? 1,
    ...inputTermsOf(network),
    outputCorrelation: simulation.outputCorrelation,
    ...(memory ? { memory: { tokens: memory.tokens, secondMoment: memory.secondMoment, correlation: memory.correlation, gradient: memory.gradient } } : {}),
  };
}

/**
 * The class tokens and position tables of the stream (ir.ts ClassTokenOp, PositionTableOp; a GPT's
 * learned position embedding), and the constant factors before its first block (ScaleOp: the
 * tutorial's `× math.sqrt(self.d_model)` on the embedding).
 */
function inputTermsOf(network: Network): { inputTerms?: readonly string[] } {
  const terms: string[] = [];
  for (const op of network.ops) {
    if (op.op === 'residual' || op.op === 'attention' || op.op === 'memory') break;
    if (op.op === 'scale') terms.push(`factor ${op.label} = ${formatNumber(op.factor)}, E[x²] ×${formatNumber(op.factor * op.factor)}`);
  }
  for (const op of walkOps(network.ops)) {
    if (op.op === 'classToken') terms.push(`class token: ${op.label}, E[t²] ${formatNumber(op.secondMoment)}`);
    else if (op.op === 'positionTable') terms.push(`position table: ${op.label}, E[p²] ${formatNumber(op.secondMoment)}`);
  }
  return terms.length > 0 ? { inputTerms: terms } : {};
}

/**
 * One line: "stream ×20 over 48 branches · token correlation 0.83 · logit std ≤ 0.99 ·
 * gradient to the first branch ×13". The growth is relative to max(input, 1), as IW402 judges it.
 * An encoder–decoder's line is its decoder's stream, with "memory correlation 0.55" added.
 */
export function tokenSummaryLine(report: TokenReport): string {
  const parts: string[] = [];
  // An encoder–decoder: the summary is the decoder's stream; the memory gets its own part.
  const stream = report.memory ? report.stream.filter((row) => !row.memory) : report.stream;
  const first = stream[0];
  const last = stream[stream.length - 1];
  if (first && last) {
    const growth = last.secondMoment / Math.max(report.input, 1);
    parts.push(`stream ×${formatNumber(growth, 2)} over ${stream.length} ${stream.length === 1 ? 'branch' : 'branches'}`);
  }
  const correlation = last?.correlation ?? report.outputCorrelation;
  parts.push(`token correlation ${formatNumber(correlation, 2)}`);
  if (report.memory) parts.push(`memory correlation ${formatNumber(report.memory.correlation, 2)}`);
  if (report.attention.length > 0) parts.push(`logit std ≤ ${formatNumber(Math.max(...report.attention.map((a) => a.logitStd)), 2)}`);
  if (first && last && stream.length > 1) parts.push(`gradient to the first branch ×${formatNumber(first.gradient / last.gradient, 2)}`);
  return parts.join(' · ');
}
