/**
 * `initwise/runMonteCarlo` over real stdio (dist/server.js): work-done progress on the
 * client's token, the hover switching to Monte-Carlo numbers for that version and back to
 * mean field after an edit, bad requests answered with InvalidParams, and cancellation.
 */
import { strict as assert } from 'node:assert';
import { ProgressType, type MarkupContent } from 'vscode-languageserver-protocol/node';
import { RUN_MONTE_CARLO_REQUEST, type RunMonteCarloResult } from '../../server/src/protocol';
import { LspTestClient } from '../lsp/client';
import { freshUri, positionOf } from '../lsp/fixtures';

const TEXT = `network gelu_stack framework=pytorch {
  input 256
  repeat 8 {
    dense 256 activation=gelu init=kaiming_normal(nonlinearity=relu)
  }
}
`;

async function hoverText(client: LspTestClient, uri: string): Promise<string> {
  const hover = await client.hover(uri, positionOf(TEXT, 'dense 256', 2));
  assert.ok(hover);
  return (hover.contents as MarkupContent).value;
}

describe('lsp: initwise/runMonteCarlo', function () {
  this.timeout(60_000);
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('reports progress, then serves Monte-Carlo numbers until the next edit', async () => {
    const uri = freshUri('montecarlo');
    await client.open(uri, 'netdef', TEXT);
    await client.diagnosticsFor(uri, 1);
    assert.match(await hoverText(client, uri), /forward variance \(simulated\)/);

    const progress: { kind: string; percentage?: number }[] = [];
    const token = 'mc-1';
    const subscription = client.connection.onProgress(new ProgressType<{ kind: string; percentage?: number }>(), token, (value) => {
      progress.push(value);
    });
    const before = client.publishes.length;
    const result = await client.connection.sendRequest<RunMonteCarloResult>(RUN_MONTE_CARLO_REQUEST, { uri, seeds: 2, batch: 64, workDoneToken: token });
    subscription.dispose();
    assert.deepEqual(result.networks.map((n) => [n.name, n.simulated]), [['gelu_stack', true]]);
    assert.equal(result.version, 1);
    assert.equal(progress[0]?.kind, 'begin');
    assert.equal(progress.at(-1)?.kind, 'end');
    assert.ok(progress.some((p) => p.kind === 'report'));

    // Diagnostics are re-published for the same version, and the hover shows the measured numbers.
    await client.waitForDiagnostics(uri, (p) => p.version === 1 && client.publishes.indexOf(p) >= before);
    const measured = await hoverText(client, uri);
    assert.match(measured, /forward variance \(Monte-Carlo\)/);
    assert.match(measured, /range over the seeds drawn/);

    await client.change(uri, 2, TEXT.replace('input 256', 'input 256 '));
    await client.diagnosticsFor(uri, 2);
    assert.match(await hoverText(client, uri), /forward variance \(simulated\)/);
  });

  it('answers a request for an unknown document or network with InvalidParams', async () => {
    await assert.rejects(
      client.connection.sendRequest(RUN_MONTE_CARLO_REQUEST, { uri: 'file:///nowhere.netdef' }),
      (error: { code?: number }) => error.code === -32602,
    );
    const uri = freshUri('montecarlo-missing');
    await client.open(uri, 'netdef', TEXT);
    await assert.rejects(
      client.connection.sendRequest(RUN_MONTE_CARLO_REQUEST, { uri, network: 'nope' }),
      (error: { code?: number; message?: string }) => error.code === -32602 && /no network named 'nope'/.test(error.message ?? ''),
    );
    await assert.rejects(client.connection.sendRequest(RUN_MONTE_CARLO_REQUEST, { uri, seeds: -1 }), (error: { code?: number }) => error.code === -32602);
  });

  it('is cancelled by $/cancelRequest, and the server keeps answering', async () => {
    const uri = freshUri('montecarlo-cancel');
    const wide = 'network wide {\n  input 1024\n  repeat 60 {\n    dense 1024 activation=tanh init=glorot_uniform\n  }\n}\n';
    await client.open(uri, 'netdef', wide);
    await client.diagnosticsFor(uri, 1);
    const { CancellationTokenSource } = await import('vscode-languageserver-protocol/node');
    const source = new CancellationTokenSource();
    const pending = client.connection.sendRequest(RUN_MONTE_CARLO_REQUEST, { uri, seeds: 8, batch: 1024 }, source.token);
    setTimeout(() => source.cancel(), 300);
    await assert.rejects(pending, (error: { code?: number }) => error.code === -32800);
    assert.ok(await client.hover(uri, { line: 3, character: 6 }));
    assert.ok(client.alive);
  });

  it('simulates a Python document too (the worker loads its own Python parser)', async () => {
    const python = [
      'import torch.nn as nn',
      '',
      '',
      'class Stack(nn.Module):',
      '    def __init__(self, width=128, depth=6):',
      '        super().__init__()',
      '        self.layers = nn.Sequential(*[nn.Sequential(nn.Linear(width, width), nn.GELU()) for _ in range(depth)])',
      '',
      '    def forward(self, x):',
      '        return self.layers(x)',
      '',
    ].join('\n');
    const uri = freshUri('montecarlo', 'py');
    await client.open(uri, 'python', python);
    await client.diagnosticsFor(uri, 1);
    const result = await client.connection.sendRequest<RunMonteCarloResult>(RUN_MONTE_CARLO_REQUEST, { uri, seeds: 1, batch: 32 });
    assert.deepEqual(result.networks.map((n) => [n.name, n.simulated]), [['Stack', true]]);
    const hover = await client.hover(uri, positionOf(python, 'nn.Linear(width, width)'));
    assert.match((hover?.contents as MarkupContent).value, /forward variance \(Monte-Carlo\)/);
  });
});
