/** The report model and its pieces: rows and series from the simulation, the band in raw units, the log axis, the text table. */
import { strict as assert } from 'node:assert';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { decadeLabel, logAxis, logFraction } from '../../server/src/core/report/logScale';
import { renderReportText } from '../../server/src/core/report/text';
import { signalSummary } from '../../server/src/core/report/summary';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { withRecommendedInits } from '../../server/src/core/simulation/counterfactual';
import { depthDrift } from '../../server/src/core/simulation/drift';
import { analyseExample, analyseText } from './support';

describe('report: model', () => {
  it('takes rows and the current series from the simulation, and the recommended series from the counterfactual network', () => {
    const { result, reports } = analyseExample('keras_glorot_relu_cnn.netdef');
    const report = reports[0]!;
    assert.equal(report.status, 'simulated');
    const simulation = result.simulations[0]!;
    assert.deepEqual(report.current.forward, simulation.layers.map((l) => l.forwardVariance));
    assert.deepEqual(report.current.gradient, simulation.layers.map((l) => l.gradientVariance));
    assert.deepEqual(report.rows.map((r) => r.line), [7, 8, 9, 10, 12, 14]);
    assert.deepEqual(report.rows.map((r) => [r.fanIn, r.fanOut]).slice(0, 2), [[27, 288], [288, 288]]);

    const counterfactual = withRecommendedInits(result.networks[0]!);
    const recommended = simulateAnalytic(counterfactual.network, NEVER_CANCELLED)!;
    assert.deepEqual(report.recommended?.forward, recommended.layers.map((l) => l.forwardVariance));
    assert.deepEqual(report.rows.flatMap((r) => (r.recommendedInit ? [r.index] : [])), [...counterfactual.changed]);
    assert.deepEqual(report.drift, depthDrift(result.networks[0]!, simulation, 100));
  });

  it('gives the band in raw units: [1/band, band] where widths do not change, scaled by the width factors where they do', () => {
    const constant = analyseText('network c framework=keras {\n  input 64\n  repeat 3 {\n    dense 64 activation=relu init=he_normal\n  }\n}\n', 10);
    const report = constant.reports[0]!;
    assert.equal(report.status, 'simulated');
    for (const a of report.allowed.forward) assert.deepEqual(a.interval, [0.1, 10]);
    // A funnel under Glorot (fan_avg): fan_in/n_mode = 256/160 at the wide-to-narrow layer.
    const funnel = analyseText('network f framework=keras {\n  input 256\n  dense 64 activation=tanh init=glorot_normal\n  dense 64 activation=tanh init=glorot_normal\n}\n', 100);
    const r = funnel.reports[0]!;
    assert.equal(r.status, 'simulated');
    assert.deepEqual(r.allowed.forward.map((a) => a.layer), [0, 1]);
    const [lo, hi] = r.allowed.forward[0]!.interval;
    assert.ok(Math.abs(lo - 256 / 160 / 100) < 1e-12 && Math.abs(hi - (256 / 160) * 100) < 1e-9);
  });

  it('says why a network cannot be simulated', () => {
    const cases: [string, string][] = [
      ['network n framework=pytorch {\n  dense 8 activation=relu\n}\n', 'input width unknown'],
      ['network n framework=pytorch {\n  input 8\n  dense 8 activation=rleu\n}\n', 'activation of layer 1 unknown'],
      ['network n framework=pytorch {\n  input 8\n}\n', 'no weight layers'],
    ];
    for (const [text, reason] of cases) {
      const report = analyseText(text).reports[0]!;
      assert.equal(report.status, 'not-simulated', text);
      assert.equal(signalSummary(report), `signal: cannot simulate — ${reason}`);
      assert.equal(renderReportText(report), `n (pytorch): signal: cannot simulate — ${reason}\n`);
    }
  });

  it('writes integer fans exactly (2048, not 2050) in the text table', () => {
    const text = renderReportText(analyseExample('residual_mlp.netdef').reports[0]!);
    assert.match(text, /512→2048/);
    assert.match(text, /2048→512/);
  });
});

describe('report: log axis', () => {
  it('covers every positive finite value with whole decades and ignores the rest', () => {
    const axis = logAxis([3.3e-8, 0.5, 0, NaN, Infinity, -1])!;
    assert.deepEqual([axis.low, axis.high], [-8, 0]);
    assert.deepEqual(axis.ticks, [0, -1, -2, -3, -4, -5, -6, -7, -8]);
    assert.equal(logFraction(axis, 1e-4), 0.5);
    assert.equal(logAxis([0, NaN]), undefined);
  });

  it('widens a flat signal to a readable axis and thins the ticks of a wide one', () => {
    const flat = logAxis([2, 2])!;
    assert.ok(flat.high - flat.low >= 2 && flat.low <= 0 && flat.high >= 1);
    const wide = logAxis([1e-30, 1e2])!;
    assert.ok(wide.ticks.length <= 9);
    assert.equal(wide.ticks[0], 2);
  });

  it('labels decades with superscripts', () => {
    assert.deepEqual([decadeLabel(0), decadeLabel(1), decadeLabel(2), decadeLabel(-15)], ['1', '10', '10²', '10⁻¹⁵']);
  });
});
