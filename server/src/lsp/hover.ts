/**
 * Hover on a weight layer (issue 13, item 6). The first three lines are what a reader needs:
 * the verdict (the same assessment and wording as the init rules' messages), the numbers
 * behind it (fan_in·Var(W) for the forward pass, fan_out·Var(W) for the backward pass, what
 * the activation wants), and the fix. Below a rule, the derivation: Var(W)'s formula, the
 * scale the rules judge, each factor with what it includes, the simulated second moments —
 * from the same explainLayer() the CLI's JSON uses. Counts (fans) are printed exactly.
 *
 * A statement inside `repeat N { … }` is N layers sharing one span. The hover shows the
 * first instance and, for every number that changes between instances (the first one
 * sees the input width, deeper ones see the drifted signal), the range across them.
 */
import { MarkupKind, type Hover } from 'vscode-languageserver/node';
import { explainLayer, type LayerExplanation, type RecurrentExplanation } from '../core/knowledge/explain';
import type { Network, WeightLayer } from '../core/ir';
import type { DocumentAnalysis } from './analysisCache';
import { attentionHoverAt } from './attentionHover';
import { dropPathHoverAt } from './dropPathHover';
import { spanContains, toRange } from './convert';
import { formatNumber } from '../core/format/numbers';
import { LineIndex } from '../core/text';
import { approximateRecurrentNote, formatCount } from '../core/report/summary';
import { layerVerdict } from '../core/rules/layerVerdict';
import { depthDrift, depthSteps } from '../core/simulation/drift';
import { DEFAULT_SETTINGS } from '../core/settings';
import { maxOf, minOf } from '../core/util/arrays';

interface LayerGroup {
  readonly network: Network;
  readonly networkIndex: number;
  /** Every instance of the statement, first first. */
  readonly layers: readonly WeightLayer[];
}

export function hoverAt(analysis: DocumentAnalysis, offset: number, band = DEFAULT_SETTINGS.band): Hover | null {
  // An attention statement builds its four projections on the same span: it is explained as a whole.
  const attention = attentionHoverAt(analysis, offset);
  if (attention) return attention;
  const group = layerGroupAt(analysis, offset);
  // A drop path's call may enclose the branch it ends (`drop_path(self.fc2(…), p)`): a layer inside wins.
  if (!group) return dropPathHoverAt(analysis, offset) ?? importedCallHover(analysis, offset);
  const simulation = analysis.result.simulations[group.networkIndex];
  const explanations = group.layers.map((layer) =>
    explainLayer(group.network, layer, simulation?.layers[layer.index]),
  );
  const first = group.layers[0];
  const bands = first && simulation?.layers[first.index];
  if (!first) return null;
  const simulated = simulation && simulation.layers.length === group.network.layers.length ? simulation : undefined;
  const steps = simulated ? depthSteps(depthDrift(group.network, simulated, band)) : undefined;
  const located = analysis.map.location(first.span);
  return {
    contents: { kind: MarkupKind.Markdown, value: renderHover(group, explanations, bands, simulation?.method, steps) },
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
 * after its simulated variances; absent when the simulation gives none. `steps`: the depth
 * drift's per-layer steps (simulation/drift.ts depthSteps).
 */
export function renderHover(
  group: LayerGroup, explanations: readonly LayerExplanation[], bands?: FiniteWidthBands, method?: 'analytic' | 'montecarlo',
  steps?: ReturnType<typeof depthSteps>,
): string {
  // After `initwise/runMonteCarlo` the numbers are measured on drawn networks, the band is their range over seeds.
  const simulated = method === 'montecarlo' ? 'Monte-Carlo' : 'simulated';
  const first = explanations[0]!;
  const layer = group.layers[0]!;
  const count = explanations.length;
  const pick = (get: (e: LayerExplanation) => number | undefined) => numbers(explanations.map(get));
  const counts = (get: (e: LayerExplanation) => number | undefined) => countRange(explanations.map(get));

  const position = `layer ${layer.index + 1} of ${group.network.layers.length} in \`${escapeCode(group.network.name)}\``;
  const title = `**${first.kind}**${kernelNote(layer)} ${formatCount(first.fanIn)} → ${formatCount(first.fanOut)}${count > 1 ? ` · ×${count} (repeat)` : ''} · ${position}`;

  // Line 1: the verdict. Line 2: the numbers. Line 3: the fix.
  const verdict = layerVerdict(group.network, layer);
  const mark = verdict.status === 'ok' ? '✓' : verdict.status === 'bad' ? '⚠' : '·';
  const numbersLine = first.forwardSigma2 === undefined
    ? 'fan_in·Var(W) = ? (widths or initializer not known)'
    : `fan_in·Var(W) = ${pick((e) => e.forwardSigma2)} (forward) · fan_out·Var(W) = ${pick((e) => e.backwardSigma2)} (backward)` +
      (first.activation === 'unknown' ? '' : ` · ${code(first.activation)} wants ${first.recommendedSigmaW2 === undefined ? '?' : formatNumber(first.recommendedSigmaW2)}`);
  const fixLine = verdict.status === 'bad' && verdict.fix
    ? `**Fix:** use ${code(verdict.fix)}${first.recommendedSigmaW2 === undefined ? '' : ` (σ² = ${formatNumber(first.recommendedSigmaW2)})`}`
    : verdict.status === 'ok' ? 'No change needed.' : first.activation === 'unknown' ? 'No recommendation: the activation is not known.' : `Recommended for ${code(first.activation)}: ${code(first.recommendedInit)}.`;
  const head = [`${title}  `, `${mark} ${verdict.text.replace(/[<>|]/g, (c) => `\\${c}`)}  `, `${numbersLine}  `, fixLine];

  const formula = first.weightVarianceFormula ? `${code(first.weightVarianceFormula)} = ` : '';
  const forwardStep = (i: number) => steps?.forward.get(group.layers[i]!.index);
  const backwardStep = (i: number) => steps?.backward.get(group.layers[i]!.index);
  const onPath = steps !== undefined && forwardStep(0) !== undefined;
  const rows: [string, string][] = [
    ['fan_in → fan_out', `${counts((e) => e.fanIn)} → ${counts((e) => e.fanOut)}`],
    ['activation · initializer', `${code(first.activation)} · ${code(first.initializer)}`],
    ['Var(W)', `${formula}${pick((e) => e.weightVariance)}`],
  ];
  if (first.ownModeScale !== undefined && first.ownMode !== undefined && first.ownMode !== 'fan_in') {
    rows.push([`σ² judged (${first.ownMode}·Var(W), the mode it normalises by)`, pick((e) => e.ownModeScale)]);
  }
  // A recurrent layer: its `initializer` is the input kernel's; the recurrent kernel, its spectrum and the gradient through time follow.
  if (first.recurrent) rows.splice(1, 1, ['activation · input kernel', `${code(first.activation)} · ${code(first.initializer)}`], ...recurrentRows(first.recurrent, simulated));
  rows.push(
    ...(first.recurrent ? [] : [first.activation === 'unknown'
      ? ['recommended', '? (the activation is not known)'] as [string, string]
      : [`recommended for ${code(first.activation)}`, recommendation(explanations)] as [string, string]]),
    ['own factor, forward (its input → its pre-activation)', zeroAware(pick((e) => e.forwardFactor), first.forwardFactor, first, 'forward')],
    ['own factor, backward (gradient at its output → at its input; with the activation\'s derivative where the layer applies it)', zeroAware(pick((e) => e.backwardFactor), first.backwardFactor, first, 'backward')],
  );
  if (onPath) {
    rows.push(
      ['depth step, signal (previous pre-activation → this one)', stepText(explanations.map((_, i) => forwardStep(i)))],
      ['depth step, gradients (from the output side)', stepText(explanations.map((_, i) => backwardStep(i)))],
    );
  } else if (steps) {
    rows.push(['depth steps', 'none: this layer is inside a residual branch; the drift follows the residual stream']);
  }
  rows.push(
    [`forward variance (${simulated})`, `${zeroAware(pick((e) => e.forwardVariance), first.forwardVariance, first, 'forward')}${first.forwardVariance === 0 ? '' : bandNote(bands?.forwardBand, method)}`],
    [`gradient variance (${simulated})`, `${zeroAware(pick((e) => e.gradientVariance), first.gradientVariance, first, 'backward')}${first.gradientVariance === 0 ? '' : bandNote(bands?.gradientBand, method)}`],
  );

  const lines = [...head, '', '---', '', '| | |', '|---|---|', ...rows.map(([label, value]) => `| ${label} | ${value} |`)];
  lines.push('', 'The own factors are this layer\'s alone; the depth steps also include the previous activation and anything between (norms, dropout, residual blocks), with width changes divided out, and multiply to the drift the code lens shows.');
  if (count > 1) {
    lines.push('', `Values are for the first of the ${count} repeated instances; a range in parentheses spans all of them.`);
  }
  const unknowns = [...new Set(explanations.flatMap((e) => e.unknowns))];
  if (unknowns.length > 0) lines.push('', `Not known: ${unknowns.map(escapeText).join('; ')}.`);
  return lines.join('\n');
}

/** A depth step (or range over repeats); `0` never appears without its reason. */
function stepText(values: readonly (number | undefined)[]): string {
  const shown = values.map((v) => (v === undefined || !Number.isFinite(v) ? undefined : v));
  if (shown[0] === undefined) return '— (the signal here is 0: nothing to compare)';
  return `×${numbers(shown)}`;
}

/**
 * A number that is 0 or undefined says why: zero weights (a zero-initialised branch end
 * is deliberate: the block starts as the identity), or no gradient reaching the layer
 * because its branch ends in zero weights.
 */
function zeroAware(shown: string, value: number | undefined, e: LayerExplanation, pass: 'forward' | 'backward'): string {
  const zeroWeights = e.weightVariance === 0;
  // A factor of 0/0 (no signal reached the layer) comes as undefined from a simulated layer.
  if (value === undefined && e.forwardVariance === undefined) return shown;
  if (value === undefined || value === 0 || Number.isNaN(value)) {
    if (zeroWeights) return `${value === 0 ? '0' : '—'} (zero weights${e.lastInBranch ? ': a zero-initialised branch end, deliberate — the block starts as the identity' : ''})`;
    if (pass === 'backward' && e.inBranch) return `${value === 0 ? '0' : '—'} (no gradient reaches this layer at initialisation: its branch ends in zero weights, deliberately)`;
    if (value !== 0) return '— (no signal reaches this layer)';
  }
  return shown;
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
  const approximate = r.approximate ? '≈' : '';
  rows.push([`gradient through time (${simulated})`, r.gradientThroughTime === undefined ? '?' : `${approximate}×${formatNumber(r.gradientThroughTime)} over ${steps}`]);
  if (r.approximate) rows.push(['accuracy', approximateRecurrentNote(r)]);
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
  const min = minOf(known);
  const max = maxOf(known);
  const differs = formatNumber(min) !== formatNumber(max);
  return differs ? `${formatNumber(first)} (${formatNumber(min)} … ${formatNumber(max)})` : formatNumber(first);
}

/** Exact counts (fans): the first instance's, plus `(min … max)` when the repeats differ. */
function countRange(values: readonly (number | undefined)[]): string {
  const first = values[0];
  if (first === undefined) return '?';
  const known = values.filter((v): v is number => v !== undefined);
  const min = Math.min(...known);
  const max = Math.max(...known);
  return min !== max ? `${formatCount(first)} (${formatCount(min)} … ${formatCount(max)})` : formatCount(first);
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
