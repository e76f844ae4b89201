/**
 * An engine bug is contained to its document: the session logs it, publishes nothing
 * stale for that document, answers its requests emptily, and keeps serving the others.
 * The session runs in this process (over in-memory streams) so it can be handed an
 * engine that throws on one document.
 */
import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { ProposedFeatures, createConnection, type Connection } from 'vscode-languageserver/node';
import { analyzeSteps } from '../../server/src/core/analyze';
import type { Analyzer } from '../../server/src/lsp/analysisCache';
import { Session } from '../../server/src/lsp/session';
import { LspTestClient } from './client';
import { MLP_GLOROT_RELU, codes, freshUri } from './fixtures';

const TRIGGER = '# make the engine throw';

const failingOnTrigger: Analyzer = function* (input, settings, signal) {
  if (input.text.includes(TRIGGER)) throw new Error('simulated engine bug');
  return yield* analyzeSteps(input, settings, signal);
};

describe('lsp: an engine failure on one document', () => {
  let serverConnection: Connection;
  let client: LspTestClient;

  before(async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    serverConnection = createConnection(ProposedFeatures.all, toServer, toClient);
    new Session(serverConnection, { analyzer: failingOnTrigger }).listen();
    client = await LspTestClient.connect(toClient, toServer, { processId: null });
  });
  after(async () => {
    await client.stop();
    serverConnection.dispose();
  });

  it('is logged, publishes an empty list for that version, and answers requests emptily', async () => {
    const uri = freshUri('broken');
    await client.open(uri, 'netdef', `${MLP_GLOROT_RELU}${TRIGGER}\n`);
    assert.deepEqual((await client.diagnosticsFor(uri, 1)).diagnostics, []);
    assert.ok(client.errorLogs.some((log) => log.message.includes('simulated engine bug')), 'the error is logged');
    assert.equal(await client.hover(uri, { line: 3, character: 6 }), null);
    assert.deepEqual(await client.codeActions(uri, { start: { line: 3, character: 0 }, end: { line: 3, character: 1 } }, []), []);
  });

  it('keeps serving other documents, and the broken one once it no longer trips the bug', async () => {
    const healthy = freshUri('healthy');
    await client.open(healthy, 'netdef', MLP_GLOROT_RELU);
    assert.deepEqual(codes((await client.diagnosticsFor(healthy, 1)).diagnostics), ['IW101']);

    const recovering = freshUri('recovering');
    await client.open(recovering, 'netdef', `${MLP_GLOROT_RELU}${TRIGGER}\n`);
    await client.diagnosticsFor(recovering, 1);
    await client.change(recovering, 2, MLP_GLOROT_RELU);
    assert.deepEqual(codes((await client.diagnosticsFor(recovering, 2)).diagnostics), ['IW101']);
  });
});
