/**
 * The signal report as plain text, for `initwise report FILE` without --html: the
 * one-line summary, the comparison with the recommended initializers, and the
 * per-layer table with the same numbers the HTML shows.
 */
import { formatNumber } from '../format/numbers';
import type { Interval, SignalReport } from './model';
import { analyticUnavailableNote, bandExits, formatCount, recommendedSummary, recurrentSentence, signalSummary } from './summary';
import { appendAll, maxOf } from '../util/arrays';
import type { TokenReport } from './tokenReport';

/** The residual stream per branch and each attention, for networks over tokens. */
function tokenLines(report: TokenReport): string[] {
  const lines = ['', `  residual stream (${report.tokens} tokens${report.tokensAssumed ? ', assumed' : report.tokensFrom !== undefined ? `, from \`${report.tokensFrom}\`` : ''}): branch  line  E[x²]  token correlation  gradient`];
  if (report.inputTerms) lines.push(`  stream input: ${formatNumber(report.input)} (${report.inputTerms.join('; ')})`);
  report.stream.forEach((row, i) => {
    lines.push(`    ${String(i + 1).padStart(4)}  ${String(row.line).padStart(4)}  ${formatNumber(row.secondMoment).padStart(8)}  ${formatNumber(row.correlation, 4).padStart(8)}  ${formatNumber(row.gradient).padStart(8)}${row.memory ? '  (encoder)' : ''}`);
  });
  const memory = report.memory;
  if (memory) {
    lines.push(`  memory (${memory.tokens} tokens): E[x²] ${formatNumber(memory.secondMoment)}, token correlation ${formatNumber(memory.correlation, 4)}, gradient ${formatNumber(memory.gradient)} (every cross-attention's, summed)`);
  }
  if (report.attention.length > 0) lines.push('', '  attention: #  line  heads×width  scale  logit std  effective keys  correlation handed on');
  report.attention.forEach((a, i) => {
    const cross = a.memoryCorrelation !== undefined ? `  (cross-attention; memory ${formatNumber(a.memoryCorrelation, 4)})` : '';
    lines.push(`    ${String(i + 1).padStart(4)}  ${String(a.line).padStart(4)}  ${`${a.heads}×${a.headDim}`.padStart(8)}  ${a.scaleLabel}  ${formatNumber(a.logitStd)}  ${formatNumber(a.effectiveKeys)}  ${formatNumber(a.handsOn, 4)}${cross}`);
  });
  return lines;
}

const HEADERS = ['#', 'line', 'layer', 'fan_in→fan_out', 'activation', 'init', 'Var(W)', 'forward', 'gradient', 'signal step', 'gradient step', 'recommended'];
/** Numeric columns are right-aligned. */
const NUMERIC = new Set([0, 1, 3, 6, 7, 8, 9, 10]);

export function renderReportText(report: SignalReport): string {
  const lines = [`${report.networkName} (${report.framework}): ${signalSummary(report)}`];
  if (report.status === 'not-simulated') return `${lines.join('\n')}\n`;
  const recommended = recommendedSummary(report);
  if (recommended) lines.push(`  ${recommended}`);
  const exits = bandExits(report);
  if (exits.forward !== undefined) lines.push(`  the signal leaves the band at layer ${exits.forward + 1}`);
  if (exits.backward !== undefined) lines.push(`  the gradient leaves the band at layer ${exits.backward + 1} (going backward)`);
  if (report.caveat) lines.push(`  ${report.caveat}`);
  if (report.analyticUnavailable) lines.push(`  ${analyticUnavailableNote(report.analyticUnavailable)}`);
  if (report.stochasticDepth) lines.push(`  ${report.stochasticDepth}`);
  if (report.tokens) lines.push(...tokenLines(report.tokens));

  const withBand = (value: number, band: Interval | undefined) =>
    band ? `${formatNumber(value)} (${formatNumber(band[0])}…${formatNumber(band[1])})` : formatNumber(value);
  const optional = (value: number | undefined) => (value === undefined ? '?' : formatNumber(value));
  const step = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : formatNumber(value));
  const rows = report.rows.map((row) => [
    String(row.index + 1),
    String(row.line),
    row.kind,
    `${formatCount(row.fanIn)}→${formatCount(row.fanOut)}`,
    row.activation,
    row.initializer,
    optional(row.weightVariance),
    withBand(row.forwardVariance, row.forwardBand),
    withBand(row.gradientVariance, row.gradientBand),
    row.inBranch && row.forwardStep === undefined ? 'branch' : step(row.forwardStep),
    row.inBranch && row.backwardStep === undefined ? 'branch' : step(row.backwardStep),
    row.recommendedInit ?? '—',
  ]);
  const widths = HEADERS.map((header, c) => Math.max(header.length, maxOf(rows.map((r) => [...r[c]!].length), 0)));
  const pad = (cells: readonly string[]) =>
    cells
      .map((cell, c) => {
        const fill = ' '.repeat(widths[c]! - [...cell].length);
        return NUMERIC.has(c) ? fill + cell : cell + fill;
      })
      .join('  ')
      .trimEnd();
  lines.push('', `  ${pad(HEADERS)}`);
  appendAll(lines, rows.map((r) => `  ${pad(r)}`));
  lines.push('', '  Steps: the depth drift layer by layer (previous activation + this layer, width changes divided out); each column multiplies to the drift above.');
  const recurrent = report.rows.filter((row) => row.recurrent);
  if (recurrent.length > 0) lines.push('', '  recurrent layers (gradient through time):');
  for (const row of recurrent) lines.push(`  ${row.index + 1} (line ${row.line}): ${recurrentSentence(row.recurrent!)}`);
  return `${lines.join('\n')}\n`;
}
