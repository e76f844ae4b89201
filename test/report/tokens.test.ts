/**
 * The report of a network over tokens (report/tokenReport.ts, tokenHtml.ts): the summary line
 * the code lens and CLI show, the residual-stream and token-correlation plots (their points
 * are the token-stream simulation's numbers), the attention table, the text report, and the
 * report's CSP rules (no inline style) in the new section.
 */
import { strict as assert } from 'node:assert';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { renderReportHtml } from '../../server/src/core/report/html';
import { renderReportText } from '../../server/src/core/report/text';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { all, analyseExample, byId, hasClass, parseHtml } from './support';

describe('report: networks over tokens', () => {
  const analysed = analyseExample('pre_ln_transformer.netdef');
  const report = analysed.reports[0]!;
  assert.equal(report.status, 'simulated');
  const stream = simulateTokenStream(analysed.result.networks[0]!, NEVER_CANCELLED)!;
  const top = stream.stream.filter((p) => p.depth === 0);

  it('summarises the stream in one line: growth, token correlation, logit spread, gradient to the first branch', () => {
    assert.ok(report.tokens);
    // The same stack PyTorch measured (transformer oracle, xavier_preln_deep): stream 1 → 20.3,
    // correlation 0.832, gradient at the first branch 13.1 against 1.0 at the last.
    assert.equal(renderReportText(report).split('\n')[0]!,
      'encoder (pytorch): stream ×20 over 48 branches · token correlation 0.83 · logit std ≤ 1 · gradient to the first branch ×13');
  });

  it('plots the stream and the token correlation with the simulated numbers, and lists every attention', () => {
    const doc = parseHtml(renderReportHtml(report, { nonce: 'bm9uY2U=' }));
    const points = (id: string, role: string) => all(byId(doc, id), (el) => el.tag === 'circle' && hasClass(el, role)).map((el) => Number(el.attrs['data-value']));
    assert.deepEqual(points('plot-stream', 'current'), top.map((p) => p.secondMoment));
    assert.deepEqual(points('plot-stream', 'recommended'), top.map((p) => p.gradient));
    assert.deepEqual(points('plot-correlation', 'current'), top.map((p) => p.correlation));
    const rows = all(byId(doc, 'attention'), (el) => el.tag === 'tr' && el.attrs['data-attention'] !== undefined);
    assert.equal(rows.length, 24);
    const handsOn = rows.map((row) => Number(all(row, (el) => el.attrs['data-column'] === 'hands-on')[0]!.attrs['data-value']));
    assert.deepEqual(handsOn, stream.attention.map((a) => a.handsOn));
    assert.deepEqual(all(doc, (el) => el.attrs.style !== undefined), [], 'no inline style (the CSP forbids it)');
  });

  it('prints the stream and the attentions in the text report', () => {
    const text = renderReportText(report);
    assert.match(text, /residual stream \(64 tokens\): branch {2}line {2}E\[x²\] {2}token correlation {2}gradient/);
    assert.match(text, /attention: # {2}line {2}heads×width {2}scale {2}logit std/);
  });
});
