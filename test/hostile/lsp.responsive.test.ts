/**
 * Issue 12, item 4: a long analysis does not hold the language server. Through the real
 * server over stdio, with the editor's `initwise/analysisStatus` opt-in (its `running`
 * notification says a long analysis has paused for the first time, so the test acts while
 * it is provably under way — no timing is asserted):
 *   - a hover on another document is answered before the long analysis publishes;
 *   - an edit during the long analysis stops it: its `cancelled` status counts fewer units
 *     (networks) than the file has, and nothing of the old version is ever published.
 * Before the change the analysis ran to its end on the request thread: no pause, the other
 * document's hover waited behind it (20.6 s in the issue) and the old version was published.
 */
import { strict as assert } from 'node:assert';
import { ANALYSIS_STATUS_CAPABILITY, ANALYSIS_STATUS_NOTIFICATION, type AnalysisStatusParams } from '../../server/src/protocol';
import { LspTestClient } from '../lsp/client';
import { MLP_GLOROT_RELU, freshUri } from '../lsp/fixtures';
import * as inputs from './inputs';

const CLASSES = 40;
const NETWORKS = 150;
const LONG = [
  { language: 'python', extension: 'py', text: inputs.manyLoopModels(CLASSES), units: CLASSES },
  { language: 'netdef', extension: 'netdef', text: inputs.manyNetworks(NETWORKS), units: NETWORKS },
] as const;

describe('hostile inputs: the language server stays responsive during a long analysis (issue 12)', function () {
  this.timeout(120_000);
  let client: LspTestClient;
  const statuses: AnalysisStatusParams[] = [];
  before(async () => {
    client = await LspTestClient.start({ experimental: { [ANALYSIS_STATUS_CAPABILITY]: true } });
    client.connection.onNotification(ANALYSIS_STATUS_NOTIFICATION, (params: AnalysisStatusParams) => {
      statuses.push(params);
    });
  });
  after(async () => {
    await client.stop();
  });

  /** Resolves at the long analysis's first pause; fails if `uri` is published (or finished) first: it never paused. */
  async function untilRunning(uri: string, version: number): Promise<AnalysisStatusParams> {
    for (;;) {
      const running = statuses.find((s) => s.uri === uri && s.version === version && s.state === 'running');
      if (running) return running;
      const published = client.publishes.find((p) => p.uri === uri && p.version === version);
      assert.equal(published, undefined, `version ${version} of ${uri} was published without the analysis ever pausing`);
      assert.ok(client.alive, 'server alive');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('python: a hover on the document under analysis waits for that run (it is neither restarted nor stopped)', async () => {
    const uri = freshUri('hovered', 'py');
    await client.open(uri, 'python', inputs.manyLoopModels(CLASSES));
    await untilRunning(uri, 1);
    // `nn.Linear` of the first class: its hover explains the layer as version 1's analysis judged it.
    const hover = await client.hover(uri, { line: 8, character: 33 });
    assert.ok(hover && JSON.stringify(hover.contents).includes('layer 1 of 900 in `Model0`'), JSON.stringify(hover));
    await client.diagnosticsFor(uri, 1, 100_000);
    await client.hover(uri, { line: 0, character: 0 });
    assert.deepEqual(statuses.filter((s) => s.uri === uri).map((s) => s.state), ['running', 'done']);
  });

  for (const long of LONG) {
    it(`${long.language}: a hover on another document is answered before the long analysis publishes`, async () => {
      const other = freshUri('other');
      await client.open(other, 'netdef', MLP_GLOROT_RELU);
      await client.diagnosticsFor(other, 1);
      const uri = freshUri('long', long.extension);
      await client.open(uri, long.language, long.text);
      await untilRunning(uri, 1);
      const hover = await client.hover(other, { line: 3, character: 6 });
      assert.ok(hover, 'the hover is answered');
      assert.equal(client.publishes.find((p) => p.uri === uri), undefined, 'answered while the long analysis is still under way');
      // The long analysis then finishes and publishes as usual.
      await client.diagnosticsFor(uri, 1, 100_000);
      assert.deepEqual(client.errorLogs, []);
    });

    it(`${long.language}: an edit during the long analysis stops it, and the old version is never published`, async () => {
      const uri = freshUri('edited', long.extension);
      await client.open(uri, long.language, long.text);
      await untilRunning(uri, 1);
      const comment = '# edited\n';
      await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: comment }]);
      await client.diagnosticsFor(uri, 2, 100_000);
      assert.deepEqual(client.publishes.filter((p) => p.uri === uri).map((p) => p.version), [2], 'only the new version is published');
      // The statuses follow the publish on the same ordered stream: a request's round trip passes them.
      await client.hover(uri, { line: 0, character: 0 });
      const cancelled = statuses.find((s) => s.uri === uri && s.version === 1 && s.state === 'cancelled');
      assert.ok(cancelled, `no cancelled status for version 1: ${JSON.stringify(statuses.filter((s) => s.uri === uri))}`);
      assert.ok(cancelled.analysed !== undefined && cancelled.analysed < long.units, `the old run stopped early: ${String(cancelled.analysed)} of ${long.units}`);
      assert.equal(statuses.filter((s) => s.uri === uri && s.state === 'done').map((s) => s.version).join(), '2');
      assert.deepEqual(client.errorLogs, []);
    });
  }
});
