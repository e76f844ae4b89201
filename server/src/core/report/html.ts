/**
 * The signal report as one self-contained HTML document: what the VS Code webview shows
 * (the server sends it in answer to SIGNAL_REPORT_REQUEST) and what `initwise report
 * --html` writes. No script, no external resource: the CSP allows nothing but the
 * nonce-carrying stylesheet (and data: images), so the document cannot run or fetch
 * anything even if a network name tried to inject markup (all user text is escaped too).
 */
import { formatNumber } from '../format/numbers';
import { escapeHtml } from './escape';
import type { Interval, ReportRow, SignalReport, SimulatedReport } from './model';
import { onLogScale } from './logScale';
import { renderPlot, type PlotCurve } from './plot';
import { averageStep } from '../simulation/drift';
import { REPORT_CSS } from './styles';
import { tokenSection } from './tokenHtml';
import { analyticUnavailableNote, bandExits, formatCount, formatFactor, recommendedSummary, recurrentSentence, signalSummary } from './summary';

export interface HtmlOptions {
  /** Fresh per load; goes into the CSP and onto every <style>. Base64 characters only. */
  readonly nonce: string;
  /** Where the network comes from, shown under the title (a file path or name). */
  readonly source?: string;
}

/** A CSP nonce is a base64 value (CSP3 §2.3.1); anything else could break out of the header. */
const NONCE = /^[A-Za-z0-9+/_-]+=*$/;

export function contentSecurityPolicy(nonce: string): string {
  return `default-src 'none'; style-src 'nonce-${nonce}'; img-src data:`;
}

export function reportTitle(report: SignalReport): string {
  return `Signal report: ${report.networkName}`;
}

/**
 * One document for one network (the webview) or several (`initwise report FILE --html`
 * on a file with more than one network: one section each, in source order).
 */
export function renderReportHtml(reports: SignalReport | readonly SignalReport[], options: HtmlOptions): string {
  if (!NONCE.test(options.nonce)) throw new RangeError('the CSP nonce must be a base64 value');
  const list: readonly SignalReport[] = Array.isArray(reports) ? reports : [reports as SignalReport];
  const nonce = options.nonce;
  const title = list.length === 1 ? reportTitle(list[0]!) : `Signal report: ${options.source ?? `${list.length} networks`}`;
  const sections = list.map((report, k) => networkSection(report, list.length === 1 ? '' : `n${k + 1}-`, options.source, list.length > 1));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Not escaped: the nonce was checked above, so the policy holds no character that needs it.
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(nonce)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(title)}</title>`,
    `<style nonce="${nonce}">${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function networkSection(report: SignalReport, idPrefix: string, source: string | undefined, several: boolean): string {
  const meta = [
    report.framework,
    `${report.status === 'simulated' ? report.rows.length : report.layerCount} weight layers`,
    ...(report.status === 'simulated' ? [methodLabel(report.current.method), `band ${formatFactor(report.drift.band)} either way`] : []),
    ...(source ? [source] : []),
  ];
  const body = report.status === 'simulated' ? simulatedBody(report, idPrefix) : unsimulatedBody(report);
  return [
    `<section class="network" id="${idPrefix}network">`,
    '<header>',
    several ? `<h1><code>${escapeHtml(report.networkName)}</code></h1>` : `<h1>Signal report: <code>${escapeHtml(report.networkName)}</code></h1>`,
    `<p class="meta">${meta.map(escapeHtml).join(' · ')}</p>`,
    '</header>',
    body,
    '</section>',
  ].join('\n');
}

function methodLabel(method: 'analytic' | 'montecarlo'): string {
  return method === 'analytic' ? 'analytic mean field' : 'Monte-Carlo at the real widths';
}

function unsimulatedBody(report: Extract<SignalReport, { status: 'not-simulated' }>): string {
  return [
    `<p class="summary">${escapeHtml(signalSummary(report))}.</p>`,
    '<p class="note">The simulation needs every layer\'s widths, activation and initializer. Fix what is reported as unknown (the diagnostics say where) and the report fills in.</p>',
  ].join('\n');
}

function simulatedBody(report: SimulatedReport, idPrefix: string): string {
  const parts: string[] = [];
  parts.push('<section class="summary">', `<p>${escapeHtml(signalSummary(report))}</p>`);
  for (const sentence of exitSentences(report)) parts.push(`<p class="exit">${escapeHtml(sentence)}</p>`);
  const recommended = recommendedSummary(report);
  parts.push(
    recommended
      ? `<p>${escapeHtml(capitalize(recommended))}</p>`
      : report.tokens
        ? '<p class="note">A network over tokens is judged on its residual stream (IW401–IW403 give the remedies), not by switching each layer to its recommended init.</p>'
        : '<p class="note">Every initializer already suits its activation: the recommendation changes nothing.</p>',
  );
  if (report.caveat) parts.push(`<p class="exit">${escapeHtml(report.caveat)}</p>`);
  if (report.analyticUnavailable) parts.push(`<p class="note">${escapeHtml(analyticUnavailableNote(report.analyticUnavailable))}</p>`);
  if (report.stochasticDepth) parts.push(`<p class="note">${escapeHtml(`${report.stochasticDepth}.`)}</p>`);
  if (report.pretrained) parts.push('<p class="note">The weights are loaded from a checkpoint: these numbers describe a fresh initialisation only.</p>');
  // Recurrent layers (issue 15): the gradient through the sequence, per layer.
  for (const row of report.rows) {
    if (row.recurrent) parts.push(`<p class="note">Layer ${row.index + 1} (line ${row.line}): ${escapeHtml(recurrentSentence(row.recurrent))}.</p>`);
  }
  parts.push('</section>');
  // Over tokens the stream is what the rules judge: it comes first, the per-layer view after.
  if (report.tokens) parts.push(tokenSection(report.tokens, idPrefix), '<h2>Per weight layer</h2>');

  const curves = (pick: 'forward' | 'gradient'): PlotCurve[] => {
    const band = pick === 'forward' ? 'forwardBand' : 'gradientBand';
    const current = report.recommended && report.recommended.method !== report.current.method ? `current (${report.current.method})` : 'current';
    const stream = pick === 'forward' ? 'streamForward' : 'streamGradient';
    const out: PlotCurve[] = [{ role: 'current', label: current, values: report.current[pick], band: report.current[band], stream: report.current[stream] }];
    if (report.recommended) {
      // The counterfactual is always simulated analytically; say so beside a Monte-Carlo run.
      const label = report.current.method === report.recommended.method ? 'recommended inits' : `recommended inits (${report.recommended.method})`;
      out.push({ role: 'recommended', label, values: report.recommended[pick], band: report.recommended[band], stream: report.recommended[stream] });
    }
    return out;
  };
  const allowedLabel = `band: ${formatFactor(1 / report.drift.band)} … ${formatFactor(report.drift.band)} of the start, width changes factored out`;
  parts.push(
    '<section class="plots">',
    figure(
      renderPlot({
        id: `${idPrefix}plot-forward`, title: 'Forward: pre-activation second moment per layer (unit-variance input)', curves: curves('forward'),
        allowed: report.allowed.forward, allowedLabel, yLabel: 'pre-activation E[x²]',
      }),
      'Forward: second moment of each layer\'s pre-activations, unit-variance input.' + streamNote(report, 'forward') + offScale(report, curves('forward'), 'forward'),
    ),
    figure(
      renderPlot({
        id: `${idPrefix}plot-gradient`, title: 'Backward: gradient second moment at each layer\'s input (unit-variance output gradient)', curves: curves('gradient'),
        allowed: report.allowed.gradient, allowedLabel, yLabel: 'gradient E[g²]',
      }),
      'Backward: second moment of the gradient at each layer\'s input, unit-variance gradient at the output.' + streamNote(report, 'gradient') + offScale(report, curves('gradient'), 'gradient'),
    ),
    '</section>',
    `<p class="note">Log scale. The shaded ${escapeHtml(allowedLabel)}: where the curve may go before IW201–IW204 report it. ` +
      `A lighter area around a curve is ${spreadMeaning(report.current.method)}, where the simulation gives one.</p>`,
  );
  parts.push('<h2>Per layer</h2>', table(report, idPrefix));
  parts.push(
    '<p class="note">Forward and gradient are second moments (what PyTorch measures as <code>x.pow(2).mean()</code>). ' +
      'The steps are the depth drift layer by layer: signal step = this layer\'s pre-activation second moment over the previous ' +
      'main-path layer\'s (the previous activation, norms, dropout and residual blocks between, and this layer\'s fan_in·Var(W)), ' +
      'gradient step = the same coming back from the output; width changes are divided out, so each column multiplies to the drift ' +
      'in the summary line (the code lens). A layer inside a residual branch is not on that path: it shows “branch”.</p>',
  );
  return parts.join('\n');
}

/** What a band around a number means: a calibrated interval (mean field) or what was measured (Monte-Carlo). */
function spreadMeaning(method: 'analytic' | 'montecarlo'): string {
  return method === 'montecarlo'
    ? 'the range over the networks drawn (Monte-Carlo seeds)'
    : 'the finite-width spread (about 95% of networks drawn at these widths)';
}

/** For a network with residual blocks: what the line is. */
function streamNote(report: SimulatedReport, pick: 'forward' | 'gradient'): string {
  if (!report.rows.some((row) => row.inBranch)) return '';
  return pick === 'forward'
    ? ' The line is the residual stream (what the output sees: the main-path layers and the stream after each block); hollow markers are the layers inside the branches.'
    : ' The line is the gradient on the residual stream (at the main-path layers and at each block\'s input); hollow markers are the layers inside the branches.';
}

/**
 * Layers a log scale cannot show (0, ∞, NaN), named with their reason so a missing point is
 * never a mystery: a zero-initialised branch end is deliberate (the block starts as the
 * identity), and no gradient reaches the layers before it in its branch.
 */
function offScale(report: SimulatedReport, curves: readonly PlotCurve[], pick: 'forward' | 'gradient'): string {
  const notes = curves.flatMap((curve) => {
    const zeroEnds: number[] = [];
    const starved: number[] = [];
    const other: string[] = [];
    curve.values.forEach((v, i) => {
      // A branch layer's own value, or the stream's where the line passes the layer.
      const row = report.rows[i];
      const shown = row?.inBranch ? v : curve.stream?.[i] ?? v;
      if (onLogScale(shown)) return;
      if (shown === 0 && row?.zeroWeights && row.lastInBranch) zeroEnds.push(i + 1);
      else if (shown === 0 && pick === 'gradient' && row?.inBranch) starved.push(i + 1);
      else other.push(`${i + 1} (${formatNumber(shown)})`);
    });
    const parts: string[] = [];
    if (zeroEnds.length > 0) {
      parts.push(`${layerList(zeroEnds)} ${zeroEnds.length > 1 ? 'are zero-initialised branch ends' : 'is a zero-initialised branch end'}: deliberate, each block starts as the identity, so ${pick === 'forward' ? `${zeroEnds.length > 1 ? 'their output is' : 'its output is'} 0` : 'no gradient passes into the branch'}`);
    }
    if (starved.length > 0) parts.push(`no gradient reaches ${layerList(starved)} at initialisation: ${starved.length > 1 ? 'their branches end' : 'its branch ends'} in zero weights`);
    if (other.length > 0) parts.push(`layer${other.length > 1 ? 's' : ''} ${other.join(', ')}`);
    return parts.length === 0 ? [] : [`${curve.label}: ${parts.join('; ')}`];
  });
  return notes.length === 0 ? '' : ` Not on the log scale: ${notes.join('. ')}.`;
}

function layerList(layers: readonly number[]): string {
  return `layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')}`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function exitSentences(report: SimulatedReport): string[] {
  const out: string[] = [];
  const { forward, backward, band } = report.drift;
  const exits = bandExits(report);
  if (exits.forward !== undefined) {
    out.push(`The signal leaves the ${formatFactor(band)} band at layer ${exits.forward + 1} (${formatFactor(averageStep(forward.total, forward.path.length))} per layer on average, as IW201/IW202 say).`);
  }
  if (exits.backward !== undefined) {
    out.push(`The gradient leaves the ${formatFactor(band)} band at layer ${exits.backward + 1}, going backward (${formatFactor(averageStep(backward.total, backward.path.length))} per layer on average, as IW203/IW204 say).`);
  }
  return out;
}

const COLUMNS = ['#', 'line', 'layer', 'fan_in → fan_out', 'activation', 'init', 'Var(W)', 'forward', 'gradient', 'signal step', 'gradient step', 'recommended init'];

function table(report: SimulatedReport, idPrefix: string): string {
  const head = `<thead><tr>${COLUMNS.map((c) => `<th scope="col">${escapeHtml(c)}</th>`).join('')}</tr></thead>`;
  const { forward, backward } = bandExits(report);
  const exits = new Set([forward, backward]);
  const rows = report.rows.map((row) => rowHtml(row, exits.has(row.index)));
  return `<div class="table-wrap"><table id="${idPrefix}layers">${head}<tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function rowHtml(row: ReportRow, exit: boolean): string {
  const fans = `${formatCount(row.fanIn)} → ${formatCount(row.fanOut)}`;
  const cells = [
    `<td class="num">${row.index + 1}</td>`,
    `<td class="num">${escapeHtml(String(row.line))}</td>`,
    `<td>${escapeHtml(row.kind)}</td>`,
    `<td class="num">${escapeHtml(fans)}</td>`,
    `<td><code>${escapeHtml(row.activation)}</code></td>`,
    `<td><code>${escapeHtml(row.initializer)}</code></td>`,
    numberCell('weight-variance', row.weightVariance),
    numberCell('forward', row.forwardVariance, row.forwardBand),
    numberCell('gradient', row.gradientVariance, row.gradientBand),
    row.inBranch && row.forwardStep === undefined ? '<td class="num" data-column="forward-step">branch</td>' : numberCell('forward-step', row.forwardStep),
    row.inBranch && row.backwardStep === undefined ? '<td class="num" data-column="backward-step">branch</td>' : numberCell('backward-step', row.backwardStep),
    row.recommendedInit === undefined ? '<td>—</td>' : `<td class="changed"><code>${escapeHtml(row.recommendedInit)}</code></td>`,
  ];
  return `<tr${exit ? ' class="exit"' : ''} data-layer="${row.index + 1}">${cells.join('')}</tr>`;
}

/**
 * A number as shown (3 significant digits), its exact value in data-value, and its
 * finite-width interval below. NaN (a factor of 0/0: no signal reaches the layer) shows as a dash.
 */
function numberCell(name: string, value: number | undefined, band?: Interval): string {
  if (value === undefined) return `<td class="num" data-column="${name}">?</td>`;
  if (Number.isNaN(value)) return `<td class="num" data-column="${name}" data-value="NaN">—</td>`;
  const spread = band && value !== 0 ? `<span class="spread">${escapeHtml(`${formatNumber(band[0])} … ${formatNumber(band[1])}`)}</span>` : '';
  return `<td class="num" data-column="${name}" data-value="${value}">${escapeHtml(formatNumber(value))}${spread}</td>`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
