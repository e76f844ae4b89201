/** Diagnostics over real stdio: on open, on change, on close; their shape and payload. */
import { strict as assert } from 'node:assert';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver-protocol';
import { DOCS_BASE_URL, isDiagnosticData } from '../../server/src/protocol';
import { LspTestClient } from './client';
import { MLP_CLEAN, MLP_GLOROT_RELU, codes, freshUri, textOf } from './fixtures';

function messageText(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

describe('lsp: diagnostics', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('advertises incremental sync, quick fixes and fix-all, hover and the docs command', () => {
    const result = client.initializeResult;
    assert.equal(result?.serverInfo?.name, 'initwise');
    assert.deepEqual(result.capabilities.textDocumentSync, { openClose: true, change: 2 });
    assert.deepEqual(result.capabilities.codeActionProvider, { codeActionKinds: ['quickfix', 'source.fixAll.initwise'] });
    assert.equal(result.capabilities.hoverProvider, true);
    assert.deepEqual(result.capabilities.executeCommandProvider?.commands, ['initwise.server.openRuleDocs']);
  });

  it('reports glorot_uniform under relu once (IW101), on the initializer inside the repeat', async () => {
    const uri = freshUri('mlp');
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    const { diagnostics, version } = await client.diagnosticsFor(uri, 1);
    assert.equal(version, 1);
    assert.deepEqual(codes(diagnostics), ['IW101']);

    const [iw101] = diagnostics;
    assert.ok(iw101);
    assert.equal(iw101.range.start.line, 3);
    assert.equal(iw101.range.end.line, 3);
    assert.equal(textOf(MLP_GLOROT_RELU, iw101.range), 'glorot_uniform');
    // Information: four Glorot layers under ReLU end ×0.075, inside the band (issue 13: severity follows impact).
    assert.equal(iw101.severity, DiagnosticSeverity.Information);
    assert.equal(iw101.source, 'initwise');
    assert.equal(iw101.codeDescription?.href, `${DOCS_BASE_URL}/IW101.md`);
    assert.match(messageText(iw101), /he_normal|kaiming/i, 'the message names the initializer to use');

    assert.ok(isDiagnosticData(iw101.data), 'data carries version and fixes');
    assert.equal(iw101.data.version, 1);
    assert.ok(iw101.data.fixes.length >= 1, 'IW101 offers a fix');
    assert.deepEqual(iw101.data.fixes.at(-1)?.title, 'Suppress IW101 on this line');
    for (const fix of iw101.data.fixes.slice(0, -1)) {
      assert.ok(fix.title.length > 0);
      assert.equal(fix.applicability, 'unsafe', 'switching initializer changes training numerics');
      assert.ok(fix.edits.length > 0);
    }
    for (const related of iw101.relatedInformation ?? []) assert.equal(related.location.uri, uri);
  });

  it('re-lints on change and clears a fixed finding', async () => {
    const uri = freshUri('mlp');
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    assert.deepEqual(codes((await client.diagnosticsFor(uri, 1)).diagnostics), ['IW101']);
    await client.change(uri, 2, MLP_CLEAN);
    assert.deepEqual((await client.diagnosticsFor(uri, 2)).diagnostics, []);
    await client.change(uri, 3, MLP_GLOROT_RELU);
    assert.deepEqual(codes((await client.diagnosticsFor(uri, 3)).diagnostics), ['IW101']);
  });

  it('reports a syntax error (IW001, error) with a precise range, and keeps the rest of the file', async () => {
    const uri = freshUri('syntax');
    const text = MLP_GLOROT_RELU.replace('  input 784', '  input 784\n  dense = 12');
    await client.open(uri, 'netdef', text);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const syntax = diagnostics.filter((d) => d.code === 'IW001');
    assert.equal(syntax.length, 1, `one IW001, got ${JSON.stringify(codes(diagnostics))}`);
    assert.equal(syntax[0]!.severity, DiagnosticSeverity.Error);
    assert.equal(syntax[0]!.range.start.line, 2);
    assert.ok(diagnostics.some((d) => d.code === 'IW101'), 'the readable layers are still judged');
  });

  it('reports an unknown activation (IW002) and suggests the nearest name', async () => {
    const uri = freshUri('unknown');
    const text = MLP_CLEAN.replace('activation=relu', 'activation=rleu');
    await client.open(uri, 'netdef', text);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const unknown = diagnostics.find((d) => d.code === 'IW002');
    assert.ok(unknown, `IW002 expected, got ${JSON.stringify(codes(diagnostics))}`);
    assert.equal(textOf(text, unknown.range), 'rleu');
    assert.match(messageText(unknown), /relu/);
  });

  it('counts lines the LSP way in a CRLF file', async () => {
    const uri = freshUri('crlf');
    const text = MLP_GLOROT_RELU.replace(/\n/g, '\r\n');
    await client.open(uri, 'netdef', text);
    const [iw101] = (await client.diagnosticsFor(uri, 1)).diagnostics;
    assert.ok(iw101);
    assert.equal(iw101.range.start.line, 3);
    assert.equal(textOf(text, iw101.range), 'glorot_uniform');
  });

  it('clears diagnostics on close', async () => {
    const uri = freshUri('mlp');
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    await client.diagnosticsFor(uri, 1);
    const before = client.publishes.length;
    await client.close(uri);
    const cleared = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0);
    assert.ok(client.publishes.indexOf(cleared) >= before);
  });

  it('serves Python documents (empty until the Python frontends land) and several documents at once', async () => {
    const py = freshUri('model', 'py');
    const netdef = freshUri('mlp');
    await client.open(py, 'python', 'import torch\nmodel = torch.nn.Linear(3, 4)\n');
    await client.open(netdef, 'netdef', MLP_GLOROT_RELU);
    assert.deepEqual((await client.diagnosticsFor(py, 1)).diagnostics, []);
    assert.deepEqual(codes((await client.diagnosticsFor(netdef, 1)).diagnostics), ['IW101']);
  });
});
