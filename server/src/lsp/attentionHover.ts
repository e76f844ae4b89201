/**
 * Hover on an attention statement or call: the logit scale it applies, the spread of its
 * logits at init, how many keys a query effectively sees, and the token correlation it reads
 * and hands on (what IW401 and IW403 judge), from the token-stream simulation. A statement
 * that builds several attentions (`repeat`, a loop) shows the first and the range over all.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { formatNumber } from '../core/format/numbers';
import { attentionProjections, walkOps, type AttentionOp, type Network } from '../core/ir';
import { NEVER_CANCELLED } from '../core/cancellation';
import type { AttentionPoint, TokenStreamSimulation } from '../core/simulation/tokenStream';
import { tokenStreamFor } from '../core/simulation/measuredTokenStream';
import type { DocumentAnalysis } from './analysisCache';
import { spanContains, toRange } from './convert';

export function attentionHoverAt(analysis: DocumentAnalysis, offset: number): Hover | null {
  for (const [index, network] of analysis.result.networks.entries()) {
    const ops = [...walkOps(network.ops)].filter((op): op is AttentionOp => op.op === 'attention' && spanContains(op.span, offset));
    const first = ops[0];
    if (!first) continue;
    const statement = ops.filter((op) => op.span.start === first.span.start && op.span.end === first.span.end);
    // One call can build attentions of several kinds (nn.Transformer: the encoder's, the decoder's causal self- and cross-attentions).
    const kind = (op: AttentionOp) => `${op.crossAttention === true}|${op.causal}`;
    const same = statement.filter((op) => kind(op) === kind(first));
    const others = describeOthers(statement.filter((op) => kind(op) !== kind(first)));
    // The Monte-Carlo run's measurements when there is one (measuredTokenStream.ts), else the analytic pass.
    const simulation = network.pretrained ? undefined : tokenStreamFor(network, analysis.result.simulations[index], NEVER_CANCELLED);
    const points = simulation ? same.map((op) => simulation.attention.find((p) => p.op === op)).filter((p): p is AttentionPoint => p !== undefined) : [];
    const tokens = simulation ? `${simulation.tokens}${tokensOrigin(simulation)}` : undefined;
    return {
      contents: { kind: MarkupKind.Markdown, value: renderAttentionHover(network, first, same.length, points, tokens, simulation?.simulation.method === 'montecarlo') + (others ? `\n\nThis call also builds ${others}.` : '') },
      range: toRange(analysis.index, first.span),
    };
  }
  return null;
}

/** Where the token count came from: assumed (DEFAULT_TOKENS), read from the code (and which), or `.netdef`'s tokens=. */
function tokensOrigin(simulation: TokenStreamSimulation): string {
  if (simulation.tokensAssumed) return ' (assumed)';
  return simulation.tokensFrom !== undefined ? ` (from \`${simulation.tokensFrom}\`)` : '';
}

/** `measured`: the points are the Monte-Carlo run's (measuredTokenStream.ts). */
export function renderAttentionHover(network: Network, op: AttentionOp, count: number, points: readonly AttentionPoint[], tokens: string | undefined, measured = false): string {
  const title = `**attention** ${op.heads} heads × ${op.headDim}${op.causal ? ' · causal' : ''}${op.crossAttention ? ' · cross-attention (keys and values from the memory)' : ''}${count > 1 ? ` · ×${count} (repeat)` : ''} · in \`${network.name.replace(/[`|]/g, "'")}\``;
  const pick = (get: (p: AttentionPoint) => number, digits = 3) => range(points.map(get), digits);
  const scale = op.logitScale === undefined ? `\`${op.scaleLabel}\` (unknown value)` : `\`${op.scaleLabel}\` = ${formatNumber(op.logitScale)}`;
  const rows: [string, string][] = [
    ['logit scale', scale],
    [op.output ? 'q / k / v / out init' : 'q / k / v init (no output projection)', attentionProjections(op).map((l) => `\`${l.init.label.replace(/[`|]/g, "'")}\``).join(' / ')],
  ];
  if (points.length > 0) {
    rows.push(
      ['logit std at init (over a query\'s keys)', pick((p) => Math.sqrt(p.logitVariance))],
      ['effective keys (1/EΣA²)', `${pick((p) => p.effectiveKeys)} of ${tokens ?? '?'} tokens`],
      ['token correlation read', pick((p) => p.inputCorrelation, 4)],
      ...(op.crossAttention ? [['memory token correlation', pick((p) => p.memoryCorrelation ?? NaN, 4)] as [string, string]] : []),
      ['token correlation handed on', pick((p) => p.handsOn ?? p.outputCorrelation, 4)],
    );
    if (measured) rows.push(['simulation', 'Monte-Carlo at the real widths']);
  } else if (network.monteCarloOnly !== undefined && !network.pretrained) {
    rows.push(['simulation', `not available analytically: ${network.monteCarloOnly.replace(/[`|]/g, "'")}; run Monte-Carlo`]);
  } else {
    rows.push(['simulation', 'not available (a width, initializer or scale is unknown, or the weights are loaded)']);
  }
  const lines = [title, '', '| | |', '|---|---|', ...rows.map(([label, value]) => `| ${label} | ${value} |`)];
  if (count > 1 && points.length > 1) lines.push('', `Values are for the first of the ${count} instances; a range in parentheses spans all of them.`);
  return lines.join('\n');
}

function range(values: readonly number[], digits: number): string {
  const first = values[0];
  if (first === undefined) return '?';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const text = formatNumber(first, digits);
  return formatNumber(min, digits) === formatNumber(max, digits) ? text : `${text} (${formatNumber(min, digits)} … ${formatNumber(max, digits)})`;
}

/** "6 causal self-attentions and 6 cross-attentions": the other kinds of attention one call builds. */
function describeOthers(ops: readonly AttentionOp[]): string | undefined {
  if (ops.length === 0) return undefined;
  const count = (filter: (op: AttentionOp) => boolean, name: string) => {
    const n = ops.filter(filter).length;
    return n === 0 ? undefined : `${n} ${name}${n === 1 ? '' : 's'}`;
  };
  const parts = [
    count((op) => !op.crossAttention && !op.causal, 'self-attention'),
    count((op) => !op.crossAttention && op.causal, 'causal self-attention'),
    count((op) => op.crossAttention === true, 'cross-attention'),
  ].filter((p): p is string => p !== undefined);
  return parts.join(' and ');
}
