/**
 * Hover on a weight layer: the numbers behind every verdict (fans, Var(W), σ_w², the
 * recommendation for the activation, this layer's own gains and the simulated
 * variances), from the same explainLayer() the CLI's JSON uses.
 *
 * A statement inside `repeat N { … }` is N layers sharing one span. The hover shows the
 * first instance and, for every number that changes between instances (the first one
 * sees the input width, deeper ones see the drifted signal), the range across them.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { explainLayer, type LayerExplanation, type RecurrentExplanation } from '../core/knowledge/explain';
import type { Network, WeightLayer } from '../core/ir';
import type { DocumentAnalysis } from './analysisCache';
import { spanContains, toRange } from './convert';
import { formatNumber } from '../core/format/numbers';
import { LineIndex } from '../core/text';

interface LayerGroup {
  readonly network: Network;
  readonly networkIndex: number;
  /** Every instance of the statement, first first. */
  readonly layers: readonly WeightLayer[];
}

export function hoverAt(analysis: DocumentAnalysis, offset: number): Hover | null {
  const group = layerGroupAt(analysis, offset);
  if (!group) return importedCallHover(analysis, offset);
  const simulation = analysis.result.simulations[group.networkIndex];
  const explanations = group.layers.map((layer) =>
    explainLayer(group.network, layer, simulation?.layers[layer.index]),
  );
  const first = group.layers[0];
  const bands = first && simulation?.layers[first.index];
  if (!first) return null;
  const located = analysis.map.location(first.span);
  return {
    contents: { kind: MarkupKind.Markdown, value: renderHover(group, explanations, bands, simulation?.method) },
    ...(located ? { range: located.range } : {}),
  };
}

/**
 * A call of a class or function of an imported module (`ConvBlock(3, 64)`): which model
 * reached that module's code here, and what InitWise found in it (reported in that file).
 */
function importedCallHover(analysis: DocumentAnalysis, offset: number): Hover | null {
  for (const module of analysis.result.imported) {
    const call = module.reachedBy.find((r) => spanContains(r.call, offset));
    if (!call) continue;
    const file = module.path.slice(module.path.lastIndexOf('/') + 1);
    const text = analysis.result.modules.find((m) => m.path === module.path)?.text;
    const index = text === undefined ? undefined : new LineIndex(text);
    const lines = [
      `**${call.className}** from \`${module.path}\`${call.network === undefined ? '' : `, part of model **${call.network}** here`}.`,
      '',
      module.findings.length === 0
        ? `No finding inside ${file} for this model.`
        : `Found inside ${file} (reported there):`,
      ...module.findings.map((f) => `- ${f.code} line ${index ? index.positionAt(f.span.start).line + 1 : '?'}: ${f.message}`),
    ];
    return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: toRange(analysis.index, call.call) };
  }
  return null;
}

/**
 * The innermost weight-layer statement under the cursor. Spans of different statements
 * never nest (a layer is one line), but repeat instances share theirs exactly.
 */
function layerGroupAt(analysis: DocumentAnalysis, offset: number): LayerGroup | undefined {
  let best: LayerGroup | undefined;
  analysis.result.networks.forEach((network, networkIndex) => {
    const hits = network.layers.filter((layer) => spanContains(layer.span, offset));
    const first = hits.reduce<WeightLayer | undefined>(
      (a, b) => (a === undefined || length(b) < length(a) || (length(b) === length(a) && b.index < a.index) ? b : a),
      undefined,
    );
    if (!first) return;
    if (best && length(best.layers[0]!) <= length(first)) return;
    const layers = hits
      .filter((layer) => layer.span.start === first.span.start && layer.span.end === first.span.end)
      .sort((a, b) => a.index - b.index);
    best = { network, networkIndex, layers };
  });
  return best;
}

/** What sets the kernel apart from a plain layer of its kind (its fans and Var(W) read differently). */
function kernelNote(layer: WeightLayer): string {
  if (layer.feedsPointwiseKernel) return ' (depthwise kernel of a separable conv)';
  if (layer.transposed) return ' (transposed)';
  return '';
}

function length(layer: WeightLayer): number {
  return layer.span.end - layer.span.start;
}

/**
 * `bands`: the first instance's finite-width intervals (simulation/finiteWidth.ts), shown
 * after its simulated variances; absent when the simulation gives none.
 */
export function renderHover(
  group: LayerGroup, explanations: readonly LayerExplanation[], bands?: FiniteWidthBands, method?: 'analytic' | 'montecarlo',
): string {
  // After `initwise/runMonteCarlo` the numbers are measured on drawn networks, the band is their range over seeds.
  const simulated = method === 'montecarlo' ? 'Monte-Carlo' : 'simulated';
  const first = explanations[0]!;
  const count = explanations.length;
  const pick = (get: (e: LayerExplanation) => number | undefined) => numbers(explanations.map(get));

  const position = `layer ${group.layers[0]!.index + 1} of ${group.network.layers.length} in \`${escapeCode(group.network.name)}\``;
  // Fans are counts: 1024 stays 1024 (three significant digits would show 1020).
  const exact = (x: number | undefined) => (x === undefined ? '?' : Number.isInteger(x) ? String(x) : formatNumber(x));
  const fans = (e: LayerExplanation) => `${exact(e.fanIn)} → ${exact(e.fanOut)}`;
  const title = `**${first.kind}**${kernelNote(group.layers[0]!)} ${fans(first)}${count > 1 ? ` · ×${count} (repeat)` : ''} · ${position}`;

  const formula = first.weightVarianceFormula ? `${code(first.weightVarianceFormula)} = ` : '';
  const rows: [string, string][] = [
    ['fan_in → fan_out', `${pick((e) => e.fanIn)} → ${pick((e) => e.fanOut)}`],
    ['activation', code(first.activation)],
    ['initializer', code(first.initializer)],
    ['Var(W)', `${formula}${pick((e) => e.weightVariance)}`],
    ['σ_w² = fan_in·Var(W)', pick((e) => e.sigmaW2)],
    ...(first.recurrent ? [] : [first.activation === 'unknown'
      ? ['recommended', '? (the activation is not known)'] as [string, string]
      : [`recommended for ${code(first.activation)}`, recommendation(explanations)] as [string, string]]),
    ['forward factor (this layer)', pick((e) => e.forwardFactor)],
    ['backward factor (this layer)', pick((e) => e.backwardFactor)],
    [`forward variance (${simulated})`, `${pick((e) => e.forwardVariance)}${bandNote(bands?.forwardBand, method)}`],
    [`gradient variance (${simulated})`, `${pick((e) => e.gradientVariance)}${bandNote(bands?.gradientBand, method)}`],
  ];

  // A recurrent layer: its `initializer` is the input kernel's; the recurrent kernel follows.
  if (first.recurrent) rows.splice(2, 3, ['input kernel', code(first.initializer)], rows[3]!, rows[4]!, ...recurrentRows(first.recurrent, simulated));
  const lines = [title, '', '| | |', '|---|---|', ...rows.map(([label, value]) => `| ${label} | ${value} |`)];
  if (count > 1) {
    lines.push('', `Values are for the first of the ${count} repeated instances; a range in parentheses spans all of them.`);
  }
  const unknowns = [...new Set(explanations.flatMap((e) => e.unknowns))];
  if (unknowns.length > 0) lines.push('', `Not known: ${unknowns.map(escapeText).join('; ')}.`);
  return lines.join('\n');
}

/** A recurrent layer: its two kernels, the recurrent kernel's spectrum and the gradient through time. */
function recurrentRows(r: RecurrentExplanation, simulated: string): [string, string][] {
  const structure = r.structure === 'iid' ? 'iid entries' : r.structure === 'stacked-orthogonal' ? 'orthogonal (all gates stacked)' : r.structure ?? '?';
  const rows: [string, string][] = [
    ['cell', `${r.cell}, hidden ${formatNumber(r.hidden)}`],
    ['recurrent kernel', code(r.recurrentInitializer)],
    ['recurrent kernel spectrum', r.spectralScale === undefined ? '?'
      : `${structure}: σ = ${formatNumber(r.spectralScale)} per gate${r.largestSingularValue !== undefined && r.structure === 'iid' ? `, largest singular value ≈ ${formatNumber(r.largestSingularValue)}` : ''}`],
  ];
  if (r.forgetGateBias !== undefined) rows.push(['forget-gate bias', formatNumber(r.forgetGateBias)]);
  const steps = `${r.steps} steps${r.stepsFromCode ? '' : ' (default)'}`;
  rows.push([`gradient through time (${simulated})`, r.gradientThroughTime === undefined ? '?' : `×${formatNumber(r.gradientThroughTime)} over ${steps}`]);
  return rows;
}

interface FiniteWidthBands {
  readonly forwardBand?: readonly [number, number];
  readonly gradientBand?: readonly [number, number];
}

/** " · 95% at this width: 0.269 … 0.412": where a network drawn at these widths lands. */
function bandNote(band: readonly [number, number] | undefined, method?: 'analytic' | 'montecarlo'): string {
  if (!band) return '';
  return ` · ${method === 'montecarlo' ? 'range over the seeds drawn' : '95% at this width'}: ${formatNumber(band[0])} … ${formatNumber(band[1])}`;
}

function recommendation(explanations: readonly LayerExplanation[]): string {
  const first = explanations[0]!;
  const variance = numbers(explanations.map((e) => e.recommendedVariance));
  const sigma = numbers(explanations.map((e) => e.recommendedSigmaW2));
  return `${code(first.recommendedInit)}: Var(W) = ${variance}, σ_w² = ${sigma}`;
}

/**
 * The first instance's value, plus `(min … max)` when the instances disagree; `?` when
 * the first is unknown (its widths could not be resolved).
 */
function numbers(values: readonly (number | undefined)[]): string {
  const first = values[0];
  if (first === undefined) return '?';
  const known = values.filter((v): v is number => v !== undefined && !Number.isNaN(v));
  if (known.length < 2) return formatNumber(first);
  const min = Math.min(...known);
  const max = Math.max(...known);
  const differs = formatNumber(min) !== formatNumber(max);
  return differs ? `${formatNumber(first)} (${formatNumber(min)} … ${formatNumber(max)})` : formatNumber(first);
}

function code(text: string): string {
  return `\`${escapeCode(text)}\``;
}

/** Inside a table cell a pipe ends the cell, even in a code span; backticks would end the span. */
function escapeCode(text: string): string {
  return text.replace(/`/g, "'").replace(/\|/g, '\\|');
}

function escapeText(text: string): string {
  return text.replace(/([\\`*_[\]|<>])/g, '\\$1');
}
