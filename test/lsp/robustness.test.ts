/**
 * Bad input over real stdio: each gets an answer (a publish for its version, a hover
 * and a code-action response), nothing is logged as an error, and afterwards the
 * server still lints another document correctly.
 */
import { strict as assert } from 'node:assert';
import { LspTestClient } from './client';
import { MLP_GLOROT_RELU, codes, freshUri } from './fixtures';

/** Deterministic pseudo-random bytes (a fixed LCG), decoded as a client would send them. */
function binaryGarbage(length: number): string {
  let state = 12345;
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = state & 0xff;
  }
  // Lone surrogates and NULs too: what a buffer of random bytes looks like as a JS string.
  return `${bytes.toString('latin1')}\u0000\ud800{}\udfff=\n${bytes.toString('utf8')}`;
}

function manyLines(count: number): string {
  const lines = ['network big framework=keras {', '  input 64'];
  while (lines.length < count - 1) {
    lines.push(lines.length % 3 === 0 ? '  dense 64 activation=relu init=he_normal' : '  # a comment line');
  }
  lines.push('}');
  return lines.join('\n');
}

const BAD_INPUTS: { name: string; text: string }[] = [
  { name: 'empty document', text: '' },
  { name: 'binary garbage', text: binaryGarbage(4096) },
  { name: '20,000 lines', text: manyLines(20_000) },
  {
    name: 'repeat 1000000',
    text: 'network deep {\n  input 32\n  repeat 1000000 {\n    dense 32 activation=tanh init=glorot_uniform\n  }\n}\n',
  },
  {
    name: 'unknown statements',
    text: 'network odd {\n  input 8\n  frobnicate 3 wibble=2\n  dense 4 activation=relu init=he_normal\n  }}} {{{\n',
  },
  { name: 'unterminated network, deep nesting', text: `network n {\n  input 4\n${'  repeat 2 {\n'.repeat(200)}` },
  { name: 'absurd numbers', text: 'network n {\n  input 1e400\n  dense -5 activation=leaky_relu(1e308)\n  dense 0\n  dropout 1\n}\n' },
];

describe('lsp: bad input never crashes or hangs the server', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  for (const input of BAD_INPUTS) {
    it(`answers for: ${input.name}`, async () => {
      const uri = freshUri('bad');
      await client.open(uri, 'netdef', input.text);
      await client.diagnosticsFor(uri, 1, 15_000);
      const hover = await client.hover(uri, { line: 2, character: 4 });
      assert.ok(hover === null || typeof hover === 'object');
      const actions = await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } }, [], []);
      assert.ok(Array.isArray(actions));
      // Edit it once more: the incremental path must cope as well.
      await client.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' }]);
      await client.diagnosticsFor(uri, 2, 15_000);
      await client.close(uri);
      assert.ok(client.alive, 'server alive');
      assert.deepEqual(client.errorLogs, [], 'no analysis error logged');
    });
  }

  it('still lints another document correctly afterwards', async () => {
    const uri = freshUri('after');
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    assert.deepEqual(codes((await client.diagnosticsFor(uri, 1)).diagnostics), ['IW101']);
    assert.equal(client.serverStderr, '', 'nothing on stderr');
  });

  it('ignores documents in languages it does not analyse', async () => {
    const uri = freshUri('notes', 'txt');
    await client.open(uri, 'plaintext', 'network mlp {');
    const other = freshUri('after');
    await client.open(other, 'netdef', MLP_GLOROT_RELU);
    await client.diagnosticsFor(other, 1);
    assert.equal(client.latest(uri), undefined, 'no publish for a plaintext document');
    assert.equal(await client.hover(uri, { line: 0, character: 1 }), null);
  });
});
