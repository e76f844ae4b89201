/** Code lens over real stdio: one above each network, the depth drift, and the Show report command. */
import { strict as assert } from 'node:assert';
import { CodeLensRequest, type CodeLens } from 'vscode-languageserver-protocol';
import { analyze } from '../../server/src/core/analyze';
import { depthDrift } from '../../server/src/core/simulation/drift';
import { formatNumber } from '../../server/src/core/format/numbers';
import { RUN_MONTE_CARLO_REQUEST, SHOW_SIGNAL_REPORT_COMMAND, SIGNAL_REPORT_REQUEST, type SignalReportResult } from '../../server/src/protocol';
import { LspTestClient } from './client';
import { freshUri } from './fixtures';

/** A default-init PyTorch ReLU stack (vanishes), then a network with no input shape. */
const TWO_NETWORKS = [
  'network deep framework=pytorch {',
  '  input 256',
  '  repeat 12 {',
  '    dense 256 activation=relu',
  '  }',
  '  dense 10',
  '}',
  '',
  '# no input: widths unknown',
  'network shapeless framework=keras {',
  '  dense 64 activation=relu init=he_normal',
  '}',
  '',
].join('\n');

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function lenses(client: LspTestClient, uri: string): Promise<CodeLens[]> {
  return (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
}

describe('lsp: code lens', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('is advertised', () => {
    assert.deepEqual(client.initializeResult?.capabilities.codeLensProvider, { resolveProvider: false });
  });

  it('puts one lens on each network header: the depth drift and the report command, or why it cannot simulate', async () => {
    const uri = freshUri('lens');
    await client.open(uri, 'netdef', TWO_NETWORKS);
    await client.diagnosticsFor(uri, 1);
    const [deep, shapeless, ...rest] = await lenses(client, uri);
    assert.equal(rest.length, 0);
    assert.ok(deep && shapeless);

    // The numbers are the engine's own depth drift (width factors divided out).
    const result = analyze({ text: TWO_NETWORKS, languageId: 'netdef' });
    const drift = depthDrift(result.networks[0]!, result.simulations[0]!, 100);
    const expected = `signal ×${formatNumber(drift.forward.total, 2)} over 13 layers · gradients ×${formatNumber(drift.backward.total, 2)} · Show report`;
    assert.equal(deep.command?.title, expected);
    assert.match(deep.command.title, /^signal ×\d(\.\d)?e-\d+ over 13 layers · gradients ×\d(\.\d)?e-\d+ · Show report$/, 'vanishing, in exponent form');
    assert.equal(deep.command.command, SHOW_SIGNAL_REPORT_COMMAND);
    assert.deepEqual(deep.command.arguments, [uri, 'deep']);
    assert.deepEqual(deep.range.start, { line: 0, character: 0 });

    assert.equal(shapeless.command?.title, 'signal: cannot simulate — input width unknown');
    assert.equal(shapeless.command.command, '', 'plain text: nothing to run');
    assert.equal(shapeless.command.arguments, undefined);
    assert.equal(shapeless.range.start.line, 9);
  });

  it('follows edits and the configured band stays out of the totals', async () => {
    const uri = freshUri('lens-edit');
    const he = TWO_NETWORKS.replace('dense 256 activation=relu', 'dense 256 activation=relu init=kaiming_normal(nonlinearity=relu)');
    await client.open(uri, 'netdef', TWO_NETWORKS);
    await client.diagnosticsFor(uri, 1);
    await client.change(uri, 2, he);
    await client.diagnosticsFor(uri, 2);
    const [deep] = await lenses(client, uri);
    assert.match(deep!.command!.title, /^signal ×(0\.\d+|1(\.\d)?|2) over 13 layers · gradients ×\S+ · Show report$/, 'He keeps the signal');
  });

  it('asks the client to re-request lenses when the simulation changes without an edit', async () => {
    const uri = freshUri('lens-refresh');
    await client.open(uri, 'netdef', TWO_NETWORKS);
    await client.diagnosticsFor(uri, 1);
    const refreshes = () => client.serverRequests.filter((r) => r.method === 'workspace/codeLens/refresh').length;

    const beforeSettings = refreshes();
    await client.changeConfiguration({ initwise: { simulation: { band: 1000 } } });
    await waitFor(() => refreshes() > beforeSettings, 'a refresh after a settings change');

    // Monte-Carlo results replace mean field for this version: the lens must show them.
    const beforeRun = refreshes();
    const result = await client.connection.sendRequest<{ networks: { name: string }[] }>(RUN_MONTE_CARLO_REQUEST, {
      uri,
      network: 'deep',
      seeds: 1,
      batch: 16,
    });
    assert.deepEqual(result.networks.map((n) => n.name), ['deep']);
    await waitFor(() => refreshes() > beforeRun, 'a refresh after Monte-Carlo results');
    const [deep] = await lenses(client, uri);
    const analytic = analyze({ text: TWO_NETWORKS, languageId: 'netdef' });
    const meanField = depthDrift(analytic.networks[0]!, analytic.simulations[0]!, 100).forward.total;
    const meanFieldTitle = `signal ×${formatNumber(meanField, 2)} over 13 layers`;
    assert.ok(!deep!.command!.title.startsWith(meanFieldTitle), `the Monte-Carlo numbers, not the mean field: ${deep!.command!.title} vs ${meanFieldTitle}`);
    // The report of the same version says where its numbers come from.
    const report = await client.connection.sendRequest<SignalReportResult>(SIGNAL_REPORT_REQUEST, { uri, network: 'deep', nonce: 'bGVucw==' });
    assert.match(report.html, /Monte-Carlo at the real widths/);
  });

  it('gives nothing for a document that is not open', async () => {
    assert.deepEqual(await lenses(client, freshUri('never-opened')), []);
    assert.ok(client.alive);
  });
});
