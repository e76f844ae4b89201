/**
 * The token correlation across the residual stream on a linear 0–1 axis, with the line IW403
 * reports at (0.99: rank collapse). Same conventions as plot.ts: classes for colours (the CSP
 * forbids inline styles), data-layer/data-value on every point.
 */
import { formatNumber } from '../format/numbers';
import { escapeHtml } from './escape';

const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { left: 56, right: 16, top: 24, bottom: 40 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const f = (x: number) => (Math.round(x * 100) / 100).toString();

export function renderCorrelationPlot(id: string, title: string, values: readonly number[], collapseAt: number): string {
  const titleId = `${id}-title`;
  const parts = [`<svg class="plot" id="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${titleId}">${escapeHtml(title)}</title>`];
  const n = values.length;
  const x = (i: number) => MARGIN.left + (n <= 1 ? PLOT_W / 2 : (i / (n - 1)) * PLOT_W);
  const y = (v: number) => MARGIN.top + (1 - Math.min(1, Math.max(0, v))) * PLOT_H;
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(tick))}" y2="${f(y(tick))}"/>`,
      `<text class="tick" x="${MARGIN.left - 6}" y="${f(y(tick))}" text-anchor="end" dominant-baseline="middle">${tick}</text>`);
  }
  parts.push(`<line class="threshold" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${f(y(collapseAt))}" y2="${f(y(collapseAt))}">` +
    `<title>${escapeHtml(`rank collapse (IW403): ${collapseAt}`)}</title></line>`);
  const step = Math.max(1, Math.ceil(n / 20));
  for (let i = 0; i < n; i += step) {
    parts.push(`<text class="tick" x="${f(x(i))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${i + 1}</text>`);
  }
  const finite = values.map((v, i) => ({ v, i })).filter(({ v }) => Number.isFinite(v));
  if (finite.length > 0) parts.push(`<polyline class="curve current" points="${finite.map(({ v, i }) => `${f(x(i))},${f(y(v))}`).join(' ')}"/>`);
  for (const { v, i } of finite) {
    parts.push(`<circle class="point current" cx="${f(x(i))}" cy="${f(y(v))}" r="3" data-layer="${i + 1}" data-value="${v}">` +
      `<title>${escapeHtml(`branch ${i + 1}: ${formatNumber(v, 4)}`)}</title></circle>`);
  }
  parts.push(`<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}"/>`,
    `<text class="axis-label" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">residual branch</text>`, '</svg>');
  return parts.join('');
}
