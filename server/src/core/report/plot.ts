/**
 * One inline SVG plot of a second moment across depth on a log scale: the current
 * initializers beside the recommended ones, the band the rules allow shaded, and the
 * finite-width interval around each curve when the simulation gives one.
 *
 * Colours come from CSS classes (the report's stylesheet maps them to VS Code theme
 * variables), never from inline styles, which the report's CSP forbids. Every point
 * carries its layer and exact value (data-layer, data-value) so tests and curious users
 * can read what was drawn.
 */
import { formatNumber } from '../format/numbers';
import { escapeHtml } from './escape';
import { decadeLabel, logAxis, logFraction, onLogScale, type LogAxis } from './logScale';
import type { AllowedAt, Interval } from './model';

export interface PlotCurve {
  /** CSS class suffix and legend entry: `current` or `recommended`. */
  readonly role: 'current' | 'recommended';
  readonly label: string;
  readonly values: readonly number[];
  readonly band: readonly (Interval | undefined)[];
  /**
   * The residual stream (report/model.ts SignalSeries): the line runs through these points;
   * layers where it is undefined sit inside a residual branch and are drawn beside it as
   * hollow markers with their own values. Absent: every layer is on the line.
   */
  readonly stream?: readonly (number | undefined)[];
}

export interface PlotSpec {
  /** Element id prefix (unique in the document). */
  readonly id: string;
  readonly title: string;
  readonly curves: readonly PlotCurve[];
  /** Where the band allows the curve to be, at the layers it applies to. */
  readonly allowed: readonly AllowedAt[];
  readonly allowedLabel: string;
  /** The y axis's title. */
  readonly yLabel: string;
}

const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 40 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

const f = (x: number) => (Math.round(x * 100) / 100).toString();

export function renderPlot(spec: PlotSpec): string {
  const layerCount = Math.max(0, ...spec.curves.map((c) => c.values.length));
  const everything = [
    ...spec.curves.flatMap((c) => [...c.values, ...c.band.flatMap((b) => (b ? [...b] : []))]),
    ...spec.allowed.flatMap((a) => [...a.interval]),
  ];
  const axis = logAxis(everything);
  const titleId = `${spec.id}-title`;
  const open = `<svg class="plot" id="${spec.id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg">`;
  const title = `<title id="${titleId}">${escapeHtml(spec.title)}</title>`;
  if (!axis || layerCount === 0) {
    return `${open}${title}<text class="axis-label" x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">nothing to plot: no positive finite value</text></svg>`;
  }
  const x = (layer: number) => MARGIN.left + (layerCount === 1 ? PLOT_W / 2 : (layer / (layerCount - 1)) * PLOT_W);
  const y = (value: number) => MARGIN.top + (1 - logFraction(axis, value)) * PLOT_H;

  const parts: string[] = [open, title];
  parts.push(grid(axis, layerCount, x, y, spec.yLabel));
  const allowed = spec.allowed.filter((a) => onLogScale(a.interval[0]) && onLogScale(a.interval[1]));
  if (allowed.length > 0) {
    const d = bandPath(allowed.map((a) => a.interval), (k) => x(allowed[k]!.layer), y);
    parts.push(`<path class="allowed" d="${d}"><title>${escapeHtml(spec.allowedLabel)}</title></path>`);
  }
  for (const curve of spec.curves) {
    const onLine = (i: number) => curve.stream === undefined || curve.stream[i] !== undefined;
    const band = curve.band.map((b, i) => (b && onLine(i) && curve.stream?.[i] === curve.values[i] && onLogScale(b[0]) && onLogScale(b[1]) ? b : undefined));
    for (const run of runs(band)) {
      parts.push(`<path class="spread ${curve.role}" d="${bandPath(run.map((i) => band[i]!), (k) => x(run[k]!), y)}"/>`);
    }
  }
  for (const curve of spec.curves) {
    const line = curve.values.map((v, i) => (curve.stream === undefined ? v : curve.stream[i]));
    // Layers inside a branch are not on the stream: the line passes them (a value off the log scale breaks it).
    const onStream = line.flatMap((v, i) => (v === undefined ? [] : [i]));
    for (const run of runs(onStream.map((i) => (onLogScale(line[i]!) ? i : undefined)))) {
      const points = run.map((k) => `${f(x(onStream[k]!))},${f(y(line[onStream[k]!]!))}`).join(' ');
      parts.push(`<polyline class="curve ${curve.role}" points="${points}"/>`);
    }
    curve.values.forEach((raw, i) => {
      const inBranch = line[i] === undefined;
      const value = inBranch ? raw : line[i]!;
      if (!onLogScale(value)) return;
      const what = inBranch ? `${curve.label}, branch layer ${i + 1}` : curve.stream && line[i] !== raw ? `${curve.label}, residual stream at layer ${i + 1}` : `${curve.label}, layer ${i + 1}`;
      parts.push(
        `<circle class="point ${curve.role}${inBranch ? ' branch' : ''}" cx="${f(x(i))}" cy="${f(y(value))}" r="3" data-layer="${i + 1}" data-value="${value}">` +
          `<title>${escapeHtml(`${what}: ${formatNumber(value)}`)}</title></circle>`,
      );
    });
  }
  parts.push(legend(spec));
  parts.push('</svg>');
  return parts.join('');
}

/** Indices of maximal runs of defined entries (a value off the log scale breaks the line). */
function runs<T>(values: readonly (T | undefined)[]): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  values.forEach((v, i) => {
    if (v === undefined) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(i);
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** A closed area: along the upper ends left to right, back along the lower ends. */
function bandPath(intervals: readonly Interval[], x: (i: number) => number, y: (v: number) => number): string {
  if (intervals.length === 0) return '';
  // A single layer gets a short horizontal bar so its interval is still visible.
  const half = intervals.length === 1 ? 6 : 0;
  const upper = intervals.map((b, i) => `${f(x(i) - half)},${f(y(b[1]))}`);
  if (half > 0) upper.push(`${f(x(0) + half)},${f(y(intervals[0]![1]))}`);
  const lower = intervals.map((b, i) => `${f(x(i) - half)},${f(y(b[0]))}`);
  if (half > 0) lower.push(`${f(x(0) + half)},${f(y(intervals[0]![0]))}`);
  return `M${upper.join('L')}L${lower.reverse().join('L')}Z`;
}

function grid(axis: LogAxis, layerCount: number, x: (i: number) => number, y: (v: number) => number, yLabel: string): string {
  const parts: string[] = [];
  for (const e of axis.ticks) {
    const py = f(y(10 ** e));
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${decadeLabel(e)}</text>`);
  }
  const step = Math.max(1, Math.ceil(layerCount / 20));
  for (let i = 0; i < layerCount; i += step) {
    parts.push(`<text class="tick" x="${f(x(i))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${i + 1}</text>`);
  }
  parts.push(
    `<rect class="frame" x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}"/>`,
    `<text class="axis-label" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 6}" text-anchor="middle">weight layer</text>`,
    `<text class="axis-label" transform="translate(12 ${f(MARGIN.top + PLOT_H / 2)}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  return parts.join('');
}

function legend(spec: PlotSpec): string {
  const entries: { className: string; label: string; kind: 'line' | 'area' | 'dot' }[] = [
    ...spec.curves.map((c) => ({ className: `curve ${c.role}`, label: c.label, kind: 'line' as const })),
    ...(spec.curves.some((c) => c.stream?.some((v) => v === undefined)) ? [{ className: 'point current branch', label: 'inside a branch', kind: 'dot' as const }] : []),
    { className: 'allowed', label: 'band', kind: 'area' },
  ];
  let cursor = MARGIN.left;
  const parts: string[] = [`<g class="legend">`];
  for (const entry of entries) {
    const swatch =
      entry.kind === 'line'
        ? `<line class="${entry.className}" x1="${cursor}" x2="${cursor + 18}" y1="14" y2="14"/>`
        : entry.kind === 'dot'
          ? `<circle class="${entry.className}" cx="${cursor + 9}" cy="14" r="3"/>`
          : `<rect class="${entry.className}" x="${cursor}" y="8" width="18" height="12"/>`;
    parts.push(swatch, `<text class="legend-label" x="${cursor + 24}" y="14" dominant-baseline="middle">${escapeHtml(entry.label)}</text>`);
    // Legend labels are short; 8 px per character is a generous width at the plot's 14 px font.
    cursor += 24 + entry.label.length * 8 + 18;
  }
  parts.push('</g>');
  return parts.join('');
}
