/**
 * A stack of copied blocks (nn.TransformerEncoder(layer, N) left as built, IW404) over real stdio:
 * there is no analytic pass for it (it would draw the blocks independently), so the code lens says
 * so and runs Monte-Carlo for that network, the attention hover says where its numbers would come
 * from; after `initwise/runMonteCarlo` the lens, hover and report show the measured stream, and
 * the report says the analytic pass is not available because the blocks are copies. The CLI's
 * `initwise report --simulate montecarlo` prints the same.
 */
import { strict as assert } from 'node:assert';
import { CodeLensRequest, type CodeLens, type MarkupContent } from 'vscode-languageserver-protocol';
import { CLIENT_COMMANDS, RUN_MONTE_CARLO_REQUEST, SIGNAL_REPORT_REQUEST, type RunMonteCarloResult, type SignalReportResult } from '../../server/src/protocol';
import { initwise, project } from '../cli/support';
import { LspTestClient } from './client';
import { freshUri, positionOf } from './fixtures';

const TEXT = `import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=6)

    def forward(self, x):
        return self.encoder(x)
`;

const REASON = 'its 6 blocks start from identical weights (TransformerEncoder copies one initialised layer)';

describe('lsp: copied transformer blocks (IW404) are simulated by Monte-Carlo only', () => {
  let client: LspTestClient;
  const uri = freshUri('copied-blocks', 'py');
  const lenses = async () => (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'python', TEXT);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(diagnostics.map((d) => d.code), ['IW404']);
  });
  after(async () => {
    await client.stop();
  });

  it('before a run: the lens says there is no analytic pass and runs Monte-Carlo for this network; the hover says so', async () => {
    const [lens] = await lenses();
    assert.equal(lens!.command?.title, `signal: no analytic pass — ${REASON} · Run Monte-Carlo`);
    assert.equal(lens!.command?.command, CLIENT_COMMANDS.runMonteCarlo);
    assert.deepEqual(lens!.command?.arguments, [uri, 'Encoder']);
    const hover = await client.hover(uri, positionOf(TEXT, 'nn.TransformerEncoderLayer', 3));
    const text = (hover!.contents as MarkupContent).value;
    assert.match(text, new RegExp(`\\| simulation \\| not available analytically: ${REASON.replace(/[()]/g, '\\$&')}; run Monte-Carlo \\|`));
  });

  it('after initwise/runMonteCarlo: the measured stream in lens, hover and report, which says why there is no analytic pass', async function () {
    this.timeout(60_000);
    const result = await client.connection.sendRequest<RunMonteCarloResult>(RUN_MONTE_CARLO_REQUEST, { uri, seeds: 1, batch: 1 });
    assert.deepEqual(result.networks.map((n) => [n.name, n.simulated]), [['Encoder', true]]);
    let lens: CodeLens | undefined;
    for (let tries = 0; tries < 100 && !lens?.command?.title.startsWith('stream'); tries++) {
      [lens] = await lenses();
      if (!lens?.command?.title.startsWith('stream')) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(lens!.command?.title ?? '', /^stream ×[\d.]+ over 12 branches · token correlation 0\.\d+ · logit std ≤ [\d.]+ · gradient to the first branch ×[\d.e-]+ · Show report$/);
    const hover = await client.hover(uri, positionOf(TEXT, 'nn.TransformerEncoderLayer', 3));
    const text = (hover!.contents as MarkupContent).value;
    assert.match(text, /\| logit std at init \(over a query's keys\) \| [\d.]+ \(/);
    assert.match(text, /\| simulation \| Monte-Carlo at the real widths \|/);
    const report = await client.connection.sendRequest<SignalReportResult>(SIGNAL_REPORT_REQUEST, { uri, network: 'Encoder', nonce: 'Y29waWVk' });
    assert.match(report.html, /Monte-Carlo at the real widths/);
    assert.match(report.html, /the analytic pass is not available because its 6 blocks start from identical weights/);
  });

  it('initwise report: no analytic pass, and with --simulate montecarlo the measured stream', function () {
    this.timeout(60_000);
    const dir = project({ 'model.py': TEXT });
    const analytic = initwise(['report', 'model.py'], dir);
    assert.equal(analytic.status, 0, analytic.stderr);
    assert.equal(analytic.stdout, `Encoder (pytorch): signal: cannot simulate — ${REASON}, which the analytic pass does not follow (it draws every block independently): run Monte-Carlo\n`);
    const measured = initwise(['report', 'model.py', '--simulate', 'montecarlo'], dir);
    assert.equal(measured.status, 0, measured.stderr);
    const lines = measured.stdout.split('\n');
    assert.match(lines[0]!, /^Encoder \(pytorch\): stream ×[\d.]+ over 12 branches · token correlation 0\.\d+/);
    assert.equal(lines[1], `  Monte-Carlo numbers (the weights the blocks share drawn once, as the framework copies them): the analytic pass is not available because ${REASON}, and it would draw every block independently.`);
    assert.match(measured.stdout, /residual stream \(128 tokens, assumed\)/);
    const bad = initwise(['report', 'model.py', '--simulate', 'exact'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown simulation 'exact' \(expected analytic or montecarlo\)/);
  });
});
