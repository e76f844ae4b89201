/** SIGNAL_REPORT_REQUEST over real stdio: the HTML document, network selection, and errors the client can show. */
import { strict as assert } from 'node:assert';
import { ErrorCodes, ResponseError } from 'vscode-languageserver-protocol';
import { SIGNAL_REPORT_REQUEST, type SignalReportParams, type SignalReportResult } from '../../server/src/protocol';
import { LspTestClient } from './client';
import { freshUri } from './fixtures';

const DOCUMENT = [
  'network first framework=pytorch {',
  '  input 128',
  '  repeat 6 {',
  '    dense 128 activation=relu',
  '  }',
  '  dense 10',
  '}',
  'network second framework=keras {',
  '  input 64',
  '  dense 64 activation=tanh init=glorot_normal',
  '  dense 1',
  '}',
  '',
].join('\n');

const NONCE = 'cmVwb3J0LXRlc3Q=';

describe('lsp: signal report request', () => {
  let client: LspTestClient;
  const uri = freshUri('report');
  const request = (params: Partial<SignalReportParams> | Record<string, unknown>) =>
    client.connection.sendRequest<SignalReportResult>(SIGNAL_REPORT_REQUEST, params);

  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'netdef', DOCUMENT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('answers with the whole HTML document of the first network by default', async () => {
    const result = await request({ uri, nonce: NONCE, cspSource: 'vscode-webview://x' });
    assert.equal(result.title, 'Signal report: first');
    assert.match(result.html, /^<!DOCTYPE html>/);
    assert.ok(result.html.includes(`content="default-src 'none'; style-src 'nonce-${NONCE}'; img-src data:"`));
    assert.ok(result.html.includes(`<style nonce="${NONCE}">`));
    assert.doesNotMatch(result.html, /<script/i);
    assert.match(result.html, /<svg class="plot" id="plot-forward"/);
    // Six default-init ReLU layers and the head: seven rows.
    assert.equal(result.html.match(/<tr[^>]* data-layer=/g)?.length ?? 0, 7);
    assert.match(result.html, /signal ×\S+ over 7 layers · gradients ×\S+/);
  });

  it('selects a network by name', async () => {
    const result = await request({ uri, network: 'second', nonce: NONCE, cspSource: '' });
    assert.equal(result.title, 'Signal report: second');
    assert.equal(result.html.match(/<tr[^>]* data-layer=/g)?.length ?? 0, 2);
    assert.match(result.html, /<code>glorot_normal<\/code>/);
  });

  it('answers InvalidParams with a message for an unknown network, a bad nonce, bad parameters or a closed document', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ uri, network: 'third', nonce: NONCE }, /no network named 'third'/],
      [{ uri, nonce: "x' 'unsafe-inline" }, /nonce must be a base64 value/],
      [{ uri }, /`nonce` must be a non-empty string/],
      [{ uri: freshUri('not-open'), nonce: NONCE }, /is not open/],
    ];
    for (const [params, message] of cases) {
      await assert.rejects(request(params), (error: unknown) => {
        assert.ok(error instanceof ResponseError, String(error));
        assert.equal(error.code, ErrorCodes.InvalidParams);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.ok(client.alive);
    assert.deepEqual(client.errorLogs, [], 'user errors are not logged as server errors');
  });

  it('reports the current version after an edit', async () => {
    const other = freshUri('report-edit');
    await client.open(other, 'netdef', DOCUMENT);
    await client.diagnosticsFor(other, 1);
    await client.change(other, 2, DOCUMENT.replace('repeat 6', 'repeat 9'));
    await client.diagnosticsFor(other, 2);
    const result = await request({ uri: other, nonce: NONCE });
    assert.equal(result.html.match(/<tr[^>]* data-layer=/g)?.length ?? 0, 10);
  });
});
