/**
 * The signal report's HTML: a golden copy of one example, the content security policy
 * (no script, every stylesheet carries the nonce, no inline style), the table's numbers
 * against the simulation, and the plot's points against a log scale (parsed, not grepped).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatNumber } from '../../server/src/core/format/numbers';
import { contentSecurityPolicy, renderReportHtml } from '../../server/src/core/report/html';
import { formatFactor, networkSummary } from '../../server/src/core/report/summary';
import type { SimulatedReport } from '../../server/src/core/report/model';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { withRecommendedInits } from '../../server/src/core/simulation/counterfactual';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { unifiedDiff } from '../../server/src/cli/formatters/diff';
import { PLAIN } from '../../server/src/cli/formatters/style';
import { ROOT, all, analyseExample, analyseText, byId, elements, hasClass, parseHtml, type El } from './support';

const NONCE = 'dGVzdC1ub25jZS0xMjM0NQ==';
const GOLDEN = path.join(ROOT, 'test', 'report', 'golden', 'pytorch_default_relu_mlp.html');

function simulated(name: string): { report: SimulatedReport; analysed: ReturnType<typeof analyseExample> } {
  const analysed = analyseExample(name);
  const report = analysed.reports[0]!;
  assert.equal(report.status, 'simulated');
  return { report, analysed };
}

describe('report: HTML', () => {
  const { report, analysed } = simulated('pytorch_default_relu_mlp.netdef');
  const html = renderReportHtml(report, { nonce: NONCE, source: 'examples/pytorch_default_relu_mlp.netdef' });
  const doc = parseHtml(html);

  it('matches the golden copy (refresh with UPDATE_GOLDEN=1 and review the diff)', () => {
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
      if (!fs.existsSync(GOLDEN) || fs.readFileSync(GOLDEN, 'utf8') !== html) fs.writeFileSync(GOLDEN, html);
      return;
    }
    assert.ok(fs.existsSync(GOLDEN), `${GOLDEN} is missing: run \`npm run test:update-golden\``);
    const expected = fs.readFileSync(GOLDEN, 'utf8');
    if (expected !== html) assert.fail(`the report HTML changed (- golden, + now):\n${unifiedDiff(expected, html, 'report.html', PLAIN)}`);
  });

  it('has a strict CSP: no script source, styles only by nonce, images only from data:', () => {
    const metas = all(doc, (el) => el.tag === 'meta' && el.attrs['http-equiv']?.toLowerCase() === 'content-security-policy');
    assert.equal(metas.length, 1);
    const csp = metas[0]!.attrs.content!;
    assert.equal(csp, `default-src 'none'; style-src 'nonce-${NONCE}'; img-src data:`);
    assert.equal(csp, contentSecurityPolicy(NONCE));
    assert.doesNotMatch(csp, /script-src|unsafe-inline|unsafe-eval|\*/);
  });

  it('carries the nonce on every <style>, and has no script, inline style, handler or external resource', () => {
    const styles = all(doc, (el) => el.tag === 'style');
    assert.ok(styles.length >= 1);
    for (const style of styles) assert.equal(style.attrs.nonce, NONCE);
    assert.deepEqual(all(doc, (el) => el.tag === 'script'), []);
    for (const el of elements(doc)) {
      assert.equal(el.attrs.style, undefined, `<${el.tag}> has an inline style, which the CSP would block`);
      for (const name of Object.keys(el.attrs)) assert.doesNotMatch(name, /^on/i, `<${el.tag}> has a handler ${name}`);
      for (const name of ['src', 'href']) assert.equal(el.attrs[name], undefined, `<${el.tag}> loads ${el.attrs[name]}`);
    }
    assert.deepEqual(all(doc, (el) => ['link', 'iframe', 'object', 'embed', 'img'].includes(el.tag)), []);
  });

  it('takes its colours from VS Code theme variables, with light and dark fallbacks', () => {
    const css = all(doc, (el) => el.tag === 'style')[0]!.text;
    for (const variable of ['--vscode-editor-foreground', '--vscode-editor-background', '--vscode-charts-orange', '--vscode-charts-blue']) {
      assert.match(css, new RegExp(`var\\(${variable}, #[0-9a-f]{6}\\)`), variable);
    }
    assert.match(css, /@media \(prefers-color-scheme: dark\)/);
  });

  it('shows in the table exactly the simulation\'s numbers, formatted as everywhere else', () => {
    const simulation = analysed.result.simulations[0]!;
    const rows = all(byId(doc, 'layers'), (el) => el.tag === 'tr' && el.attrs['data-layer'] !== undefined);
    assert.equal(rows.length, simulation.layers.length);
    rows.forEach((row, i) => {
      assert.equal(row.attrs['data-layer'], String(i + 1));
      const cell = (column: string) => {
        const found = row.children.find((c) => c.attrs['data-column'] === column);
        assert.ok(found, `row ${i + 1} has a ${column} cell`);
        return found;
      };
      const layer = simulation.layers[i]!;
      for (const [column, value] of [
        ['forward', layer.forwardVariance],
        ['gradient', layer.gradientVariance],
        ['forward-step', report.rows[i]!.forwardStep!],
        ['backward-step', report.rows[i]!.backwardStep!],
      ] as const) {
        const c = cell(column);
        assert.equal(Number(c.attrs['data-value']), value, `row ${i + 1} ${column}: exact value`);
        assert.ok(c.text.startsWith(formatNumber(value)), `row ${i + 1} ${column}: shows ${formatNumber(value)}, got ${c.text}`);
      }
      const band = layer.forwardBand;
      if (band) assert.ok(cell('forward').text.includes(`${formatNumber(band[0])} … ${formatNumber(band[1])}`), 'the finite-width band');
    });
    // The default PyTorch init under ReLU: every hidden layer switches to He; the softmax head keeps its own.
    const recommended = rows.map((row) => row.children.at(-1)!.text);
    assert.deepEqual(recommended, [...Array<string>(9).fill('he_normal'), '—']);
  });

  it('lists per-layer steps whose product is the drift the code lens shows (issue 13)', () => {
    const rows = all(byId(doc, 'layers'), (el) => el.tag === 'tr' && el.attrs['data-layer'] !== undefined);
    const product = (column: string) => rows.reduce((p, row) => p * Number(row.children.find((c) => c.attrs['data-column'] === column)!.attrs['data-value']), 1);
    assert.ok(Math.abs(product('forward-step') / report.drift.forward.total - 1) < 1e-9, 'signal steps multiply to the forward drift');
    assert.ok(Math.abs(product('backward-step') / report.drift.backward.total - 1) < 1e-9, 'gradient steps multiply to the backward drift');
    // And the lens prints that drift.
    const lens = networkSummary(analysed.result.networks[0]!, analysed.result.simulations[0], report.drift.band).text;
    assert.ok(lens.startsWith(`signal ${formatFactor(report.drift.forward.total)} over 10 layers · gradients ${formatFactor(report.drift.backward.total)}`), lens);
    // Each hidden step under PyTorch's default and ReLU is the IW301 message's ×1/6.
    assert.equal(formatNumber(report.rows[4]!.forwardStep!), '0.167');
  });

  it('places the points on a log scale: y is affine in log10(value), decreasing, for both curves of both plots', () => {
    const counterfactual = withRecommendedInits(analysed.result.networks[0]!);
    const recommended = simulateAnalytic(counterfactual.network, NEVER_CANCELLED)!;
    const simulation = analysed.result.simulations[0]!;
    const expected = {
      current: { forward: simulation.layers.map((l) => l.forwardVariance), gradient: simulation.layers.map((l) => l.gradientVariance) },
      recommended: { forward: recommended.layers.map((l) => l.forwardVariance), gradient: recommended.layers.map((l) => l.gradientVariance) },
    };
    for (const [id, direction] of [['plot-forward', 'forward'], ['plot-gradient', 'gradient']] as const) {
      const svg = byId(doc, id);
      assert.equal(svg.tag, 'svg');
      const points = all(svg, (el) => el.tag === 'circle' && hasClass(el, 'point'));
      const xs = new Set<number>();
      for (const role of ['current', 'recommended'] as const) {
        const mine = points.filter((p) => hasClass(p, role));
        assert.equal(mine.length, 10, `${id} ${role}: one point per layer`);
        const values = mine.map((p) => Number(p.attrs['data-value']));
        assert.deepEqual(values, expected[role][direction], `${id} ${role}: the simulated values`);
        for (const p of mine) xs.add(Number(p.attrs.cx));
      }
      assert.equal(xs.size, 10, 'the same x positions for both curves');
      // Both curves share one axis: one affine map of log10 places every point of both.
      assertLogScale(points, id);
    }
  });

  it('shades the band and draws the finite-width spread', () => {
    for (const id of ['plot-forward', 'plot-gradient']) {
      const svg = byId(doc, id);
      const allowed = all(svg, (el) => el.tag === 'path' && hasClass(el, 'allowed'));
      assert.equal(allowed.length, 1, `${id}: one band`);
      assert.match(allowed[0]!.attrs.d!, /^M[\d.,L]+Z$/);
      assert.ok(all(svg, (el) => el.tag === 'path' && hasClass(el, 'spread') && hasClass(el, 'current')).length >= 1, `${id}: spread`);
    }
  });

  it('plots a residual design as its stream, the branches beside it, and explains the zeros (issue 13)', () => {
    const residual = simulated('residual_mlp.netdef').report;
    const page = parseHtml(renderReportHtml(residual, { nonce: NONCE }));
    for (const [id, pick] of [['plot-forward', 'forward'], ['plot-gradient', 'gradient']] as const) {
      const svg = byId(page, id);
      const onStream = all(svg, (el) => el.tag === 'circle' && hasClass(el, 'point') && hasClass(el, 'current') && !hasClass(el, 'branch') && el.attrs['data-layer'] !== undefined);
      // Layer 1, the stream after each of the 6 blocks (at each block's last layer, forward; at its first, backward), the head.
      assert.equal(onStream.length, 8, `${id}: the stream has a point at every block`);
      const line = all(svg, (el) => el.tag === 'polyline' && hasClass(el, 'current'));
      assert.equal(line.length, 1, `${id}: one unbroken line along the stream`);
      assert.equal(line[0]!.attrs.points!.split(' ').length, 8);
      const stream = pick === 'forward' ? residual.current.streamForward : residual.current.streamGradient;
      for (const p of onStream) assert.equal(Number(p.attrs['data-value']), stream[Number(p.attrs['data-layer']) - 1]);
    }
    // Forward: the ReLU layers inside the branches are drawn beside the stream (2 each); the zero ends cannot be, and say why.
    const branchPoints = all(byId(page, 'plot-forward'), (el) => el.tag === 'circle' && hasClass(el, 'branch') && el.attrs['data-layer'] !== undefined);
    assert.deepEqual(branchPoints.map((p) => p.attrs['data-layer']), ['2', '4', '6', '8', '10', '12']);
    const [forwardCaption, backwardCaption] = all(page, (el) => el.tag === 'figcaption').map((c) => c.text);
    assert.match(forwardCaption!, /The line is the residual stream/);
    assert.match(forwardCaption!, /layers 3, 5, 7, 9, 11, 13 are zero-initialised branch ends: deliberate, each block starts as the identity/);
    assert.match(backwardCaption!, /no gradient reaches layers 2, 4, 6, 8, 10, 12 at initialisation: their branches end in zero weights/);
    assert.doesNotMatch(forwardCaption! + backwardCaption!, /\d \(0\)/, 'no bare zeros');
  });

  it('breaks a curve at a value a log scale cannot show and names it', () => {
    const { reports } = analyseText('network z framework=keras {\n  input 16\n  dense 16 activation=relu init=he_normal\n  dense 16 activation=relu init=zeros\n  dense 16 activation=relu init=he_normal\n  dense 4 init=he_normal\n}\n');
    const page = parseHtml(renderReportHtml(reports[0]!, { nonce: NONCE }));
    const svg = byId(page, 'plot-forward');
    const plotted = all(svg, (el) => el.tag === 'circle' && hasClass(el, 'current') && el.attrs['data-layer'] !== undefined).map((p) => Number(p.attrs['data-layer']));
    assert.ok(!plotted.includes(2), 'layer 2 (0) is not plotted');
    const caption = all(page, (el) => el.tag === 'figcaption')[0]!.text;
    assert.match(caption, /Not on the log scale: current: layers 2 \(0\), 3 \(0\), 4 \(0\)\./);
  });

  it('escapes user text and refuses a nonce that could break out of the CSP', () => {
    const hostile = { ...report, networkName: '<img src=x onerror=alert(1)>' };
    const page = parseHtml(renderReportHtml(hostile, { nonce: NONCE }));
    assert.deepEqual(all(page, (el) => el.tag === 'img'), []);
    assert.ok(all(page, (el) => el.tag === 'h1')[0]!.text.includes('<img src=x onerror=alert(1)>'));
    assert.throws(() => renderReportHtml(report, { nonce: "x'; script-src *" }), RangeError);
    assert.throws(() => renderReportHtml(report, { nonce: '' }), RangeError);
  });

  it('explains a network it cannot simulate instead of plotting', () => {
    const { reports } = analyseText('network n framework=pytorch {\n  dense 64 activation=relu\n}\n');
    const page = parseHtml(renderReportHtml(reports[0]!, { nonce: NONCE }));
    assert.match(all(page, (el) => el.tag === 'p' && hasClass(el, 'summary'))[0]!.text, /^signal: cannot simulate — input width unknown\.$/);
    assert.deepEqual(all(page, (el) => el.tag === 'svg'), []);
  });

  it('puts several networks in one document with distinct ids', () => {
    const two = analyseText(
      'network a framework=pytorch {\n  input 32\n  dense 32 activation=relu\n  dense 4\n}\n' +
        'network b framework=keras {\n  input 16\n  dense 8 activation=tanh\n  dense 2\n}\n',
    );
    const page = parseHtml(renderReportHtml(two.reports, { nonce: NONCE, source: 'two.netdef' }));
    assert.deepEqual(all(page, (el) => el.tag === 'h1').map((h) => h.text), ['a', 'b']);
    const ids = all(page, (el) => el.attrs.id !== undefined).map((el) => el.attrs.id!);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    assert.ok(ids.includes('n1-plot-forward') && ids.includes('n2-plot-gradient'));
    assert.equal(all(page, (el) => el.tag === 'title')[0]!.text, 'Signal report: two.netdef');
  });
});

/** Every point's cy equals a + b·log10(value) with b < 0 (fit on the extremes, checked on all). */
function assertLogScale(points: readonly El[], what: string): void {
  const data = points.map((p) => ({ y: Number(p.attrs.cy), e: Math.log10(Number(p.attrs['data-value'])) }));
  const lo = data.reduce((a, b) => (b.e < a.e ? b : a));
  const hi = data.reduce((a, b) => (b.e > a.e ? b : a));
  assert.ok(hi.e - lo.e > 1, `${what}: values span more than a decade`);
  const slope = (hi.y - lo.y) / (hi.e - lo.e);
  assert.ok(slope < 0, `${what}: larger values are higher up`);
  for (const d of data) {
    const predicted = lo.y + slope * (d.e - lo.e);
    // Coordinates are written with two decimals.
    assert.ok(Math.abs(predicted - d.y) < 0.02, `${what}: point at log10 ${d.e.toFixed(3)} is at y=${d.y}, a log scale puts it at ${predicted.toFixed(2)}`);
  }
}
