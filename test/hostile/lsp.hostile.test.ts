/**
 * Issue 12's hostile Python inputs through the real language server over stdio, with a
 * heap budget given to the server process: each document gets a publish that says what
 * happened (the real findings, or IW003 where the code is too deep to analyse) instead
 * of an empty publish after a crash, and the server keeps serving.
 */
import { strict as assert } from 'node:assert';
import { LspTestClient } from '../lsp/client';
import { codes, freshUri } from '../lsp/fixtures';
import * as inputs from './inputs';

describe('hostile inputs: the language server (issue 12)', function () {
  this.timeout(60_000);
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start({ nodeArgs: ['--max-old-space-size=400'] });
  });
  after(async () => {
    await client.stop();
  });
  const assertServing = () => {
    assert.ok(client.alive, 'server alive');
    assert.deepEqual(client.errorLogs, [], 'no analysis error logged');
  };

  for (const [name, text] of [
    ['w = 1+1+…+1 with 2,000 terms', inputs.longSum()],
    ['nn.Sequential nested 800 deep', inputs.nestedSequential()],
    ['f( nested 1,000 deep', inputs.nestedCalls()],
  ] as const) {
    it(`2. ${name}: IW003 is published, not an empty list`, async () => {
      const uri = freshUri('deep', 'py');
      await client.open(uri, 'python', text);
      const published = await client.diagnosticsFor(uri, 1, 30_000);
      assert.ok(codes(published.diagnostics).includes('IW003'), JSON.stringify(published.diagnostics).slice(0, 1000));
      // The incremental path after an edit copes as well.
      await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' }]);
      assert.ok(codes((await client.diagnosticsFor(uri, 2, 30_000)).diagnostics).includes('IW003'));
      await client.close(uri);
      assertServing();
    });
  }

  it('7. CR-only line ends: the same diagnostics as with LF (fixes write CR)', async () => {
    const lf = freshUri('lf', 'py');
    const cr = freshUri('cr', 'py');
    await client.open(lf, 'python', inputs.mlpWithLineEnding('\n'));
    await client.open(cr, 'python', inputs.mlpWithLineEnding('\r'));
    const fromLf = (await client.diagnosticsFor(lf, 1, 30_000)).diagnostics;
    const fromCr = (await client.diagnosticsFor(cr, 1, 30_000)).diagnostics;
    assert.deepEqual(codes(fromLf), ['IW301', 'IW301']);
    const shown = (list: typeof fromLf) => list.map((d) => ({ code: d.code, range: d.range, message: d.message }));
    assert.deepEqual(shown(fromCr), shown(fromLf));
    assertServing();
  });

  it('5. 16,000 comment lines inside a def: published, and an edit is re-published', async () => {
    const uri = freshUri('comments', 'py');
    await client.open(uri, 'python', inputs.commentsInDef());
    assert.deepEqual(codes((await client.diagnosticsFor(uri, 1, 30_000)).diagnostics), ['IW301']);
    await client.change(uri, 2, [{ range: { start: { line: 100, character: 0 }, end: { line: 100, character: 0 } }, text: '        # one more\n' }]);
    assert.deepEqual(codes((await client.diagnosticsFor(uri, 2, 30_000)).diagnostics), ['IW301']);
    assertServing();
  });
});
