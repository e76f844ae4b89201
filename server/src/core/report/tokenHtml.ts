/**
 * The report section of a network over tokens: the residual stream's second moment and the
 * gradient reaching each branch (log scale), the token correlation (linear, with IW403's line)
 * and a table of the attentions.
 */
import { formatNumber } from '../format/numbers';
import { COLLAPSED_CORRELATION } from '../simulation/tokenStream';
import { renderCorrelationPlot } from './correlationPlot';
import { escapeHtml } from './escape';
import { renderPlot } from './plot';
import type { TokenReport } from './tokenReport';

export function tokenSection(report: TokenReport, idPrefix: string): string {
  const parts: string[] = ['<h2>Residual stream and tokens</h2>'];
  const tokens = `${report.tokens} tokens${report.tokensAssumed ? ' (assumed: the code does not say; netdef: input … tokens=N)'
    : report.tokensFrom !== undefined ? ` (from \`${report.tokensFrom}\`, the position table's rows)` : ''}`;
  parts.push(`<p class="note">${escapeHtml(tokens)}. One point per residual branch of the stream, in order.</p>`);
  if (report.inputTerms) parts.push(`<p class="note">${escapeHtml(`Stream input E[x²] ${formatNumber(report.input)}: ${report.inputTerms.join('; ')}.`)}</p>`);
  if (report.stream.length > 0) {
    const none = report.stream.map(() => undefined);
    parts.push(
      '<section class="plots">',
      figure(
        renderPlot({
          id: `${idPrefix}plot-stream`, title: 'Residual stream: second moment after each branch, and the gradient at its input', xLabel: 'residual branch', yLabel: 'second moment (log scale)',
          curves: [
            { role: 'current', label: 'stream E[x²]', values: report.stream.map((r) => r.secondMoment), band: none },
            { role: 'recommended', label: 'gradient E[g²]', values: report.stream.map((r) => r.gradient), band: none },
          ],
          allowed: [], allowedLabel: '',
        }),
        'The stream\'s second moment after each residual branch (IW402 judges its growth) and the gradient second moment at each branch\'s input (unit cotangent at the output). Log scale.',
      ),
      figure(
        renderCorrelationPlot(`${idPrefix}plot-correlation`, 'Token correlation after each residual branch', report.stream.map((r) => r.correlation), COLLAPSED_CORRELATION),
        `The correlation between two tokens of the stream after each branch: 0 for independent tokens, 1 when every token is the same vector (rank collapse; IW403 reports from ${COLLAPSED_CORRELATION}).`,
      ),
      '</section>',
    );
  }
  if (report.attention.length > 0) {
    const head = ['#', 'line', 'heads × width', 'logit scale', 'logit std', 'effective keys', 'correlation handed on'];
    const rows = report.attention.map((a, i) => `<tr data-attention="${i + 1}">` + [
      `<td class="num">${i + 1}</td>`, `<td class="num">${a.line}</td>`, `<td class="num">${a.heads} × ${a.headDim}</td>`,
      `<td><code>${escapeHtml(a.scaleLabel)}</code></td>`, num('logit-std', a.logitStd), num('effective-keys', a.effectiveKeys), num('hands-on', a.handsOn, 4),
    ].join('') + '</tr>');
    parts.push('<h3>Attention at init</h3>',
      `<div class="table-wrap"><table id="${idPrefix}attention"><thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`,
      '<p class="note">Logit std: the spread of scale·q·kᵀ over the keys of one query (IW401 reports above 2). Effective keys: 1/EΣA², how many keys a query attends to.</p>');
  }
  return parts.join('\n');
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function num(column: string, value: number, digits = 3): string {
  return `<td class="num" data-column="${column}" data-value="${value}">${escapeHtml(formatNumber(value, digits))}</td>`;
}
