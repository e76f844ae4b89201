/** Hover over real stdio: each layer's simulated variances carry their finite-width band. */
import { strict as assert } from 'node:assert';
import type { MarkupContent } from 'vscode-languageserver-protocol';
import { analyze } from '../../server/src/core/analyze';
import { formatNumber } from '../../server/src/core/format/numbers';
import { LspTestClient } from '../lsp/client';
import { freshUri } from '../lsp/fixtures';

const TEXT = [
  'network narrow framework=pytorch {',
  '  input 64',
  '  dense 64 activation=relu init=kaiming_normal(nonlinearity=relu)',
  '  dense 64 activation=relu init=kaiming_normal(nonlinearity=relu)',
  '  dense 10 init=xavier_uniform',
  '}',
  '',
].join('\n');

describe('lsp: hover shows the finite-width band', () => {
  let client: LspTestClient;
  const uri = freshUri('hover-band');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'netdef', TEXT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('after the forward and the gradient variance of the layer under the cursor', async () => {
    const simulation = analyze({ text: TEXT, languageId: 'netdef' }).simulations[0]!;
    const second = simulation.layers[1]!;
    assert.ok(second.forwardBand && second.gradientBand, 'the simulation gives bands at width 64');
    // Line 4 (0-based 3) is the second layer.
    const line2 = await client.hover(uri, { line: 3, character: 4 });
    assert.ok(line2);
    const text = (line2.contents as MarkupContent).value;
    const band = (b: readonly [number, number]) => `95% at this width: ${formatNumber(b[0])} … ${formatNumber(b[1])}`;
    assert.ok(
      text.includes(`| forward variance (simulated) | ${formatNumber(second.forwardVariance)} · ${band(second.forwardBand)} |`),
      text,
    );
    assert.ok(
      text.includes(`| gradient variance (simulated) | ${formatNumber(second.gradientVariance)} · ${band(second.gradientBand)} |`),
      text,
    );
    // The band is around the value, and wider at narrow widths than a point.
    assert.ok(second.forwardBand[0] < second.forwardVariance && second.forwardVariance < second.forwardBand[1]);
  });

  it('says nothing about a band where there is no simulation', async () => {
    const other = freshUri('hover-band-none');
    const text = 'network n framework=keras {\n  dense 64 activation=relu init=he_normal\n}\n';
    await client.open(other, 'netdef', text);
    await client.diagnosticsFor(other, 1);
    const hover = await client.hover(other, { line: 1, character: 4 });
    const value = (hover!.contents as MarkupContent).value;
    assert.match(value, /\| forward variance \(simulated\) \| \? \|/);
    assert.doesNotMatch(value, /95% at this width/);
  });
});
