/** Code lens over real stdio: one above each network, the depth drift, and the Show report command. */
import { strict as assert } from 'node:assert';
import { CodeLensRequest, type CodeLens } from 'vscode-languageserver-protocol';
import { analyze } from '../../server/src/core/analyze';
import { depthDrift } from '../../server/src/core/simulation/drift';
import { formatNumber } from '../../server/src/core/format/numbers';
import { SHOW_SIGNAL_REPORT_COMMAND } from '../../server/src/protocol';
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

  it('gives nothing for a document that is not open', async () => {
    assert.deepEqual(await lenses(client, freshUri('never-opened')), []);
    assert.ok(client.alive);
  });
});
