/**
 * Issue 13 over real stdio: network findings and the code lens at the class that defines
 * the network (the script's instantiation as related information), one lightbulb entry for
 * an edit two findings share, IW102's fix on an init call in a loop, and which network
 * "Show Signal Report" from the palette means (initwise/networksAt).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeAction, CodeLens, Diagnostic } from 'vscode-languageserver-protocol';
import { CodeLensRequest } from 'vscode-languageserver-protocol';
import { NETWORKS_AT_REQUEST, type NetworksAtResult } from '../../server/src/protocol';
import { LspTestClient, applyTextEdits, editsFor } from './client';
import { freshUri, positionOf, textOf } from './fixtures';

function messageText(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

const ROOT = path.resolve(__dirname, '..', '..');
const TWO = fs.readFileSync(path.join(ROOT, 'examples', 'pytorch_two_networks.py'), 'utf8');
const MLP = fs.readFileSync(path.join(ROOT, 'examples', 'pytorch_default_relu_mlp.netdef'), 'utf8');

describe('lsp: network findings, shared fixes and the network under the cursor (issue 13)', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('puts IW201/IW203 and the code lens on the class, named after it, with the instantiation as related information', async () => {
    const uri = freshUri('two', 'py');
    await client.open(uri, 'python', TWO);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const network = diagnostics.filter((d) => d.code === 'IW201' || d.code === 'IW203');
    assert.deepEqual(network.map((d) => d.code), ['IW201', 'IW203']);
    for (const d of network) {
      assert.equal(textOf(TWO, d.range), 'TabularMLP', 'on the class name, not on `mlp = TabularMLP()`');
      const built = d.relatedInformation?.find((r) => /is built here as `mlp`/.test(r.message));
      assert.ok(built, JSON.stringify(d.relatedInformation));
      assert.equal(textOf(TWO, built.location.range), 'mlp');
      assert.match(messageText(d), /^(Signal vanishes|Gradients vanish): ×\S+ of the (input's|output gradient) over 7 layers/);
    }
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    const names = [...lenses].sort((a, b) => a.range.start.line - b.range.start.line).map((lens) => [textOf(TWO, lens.range), String(lens.command?.arguments?.[1])]);
    assert.deepEqual(names, [['class SmallCNN', 'SmallCNN'], ['class TabularMLP', 'TabularMLP']]);
  });

  it('fixes an init call in a loop when every layer it sets wants the same arguments, quoted as the file quotes', async () => {
    const uri = freshUri('loop', 'py');
    await client.open(uri, 'python', TWO);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const iw102 = diagnostics.find((d) => d.code === 'IW102');
    assert.ok(iw102);
    assert.match(messageText(iw102), /use nonlinearity='tanh'\./);
    const actions = (await client.codeActions(uri, iw102.range, [iw102])) as CodeAction[];
    const fix = actions.find((a) => a.title === "Use nonlinearity='tanh'");
    assert.ok(fix?.edit, JSON.stringify(actions.map((a) => a.title)));
    const fixed = applyTextEdits(TWO, editsFor(fix.edit, uri, 1));
    assert.match(fixed, /for conv in \(self\.c1, self\.c2\):\n {12}nn\.init\.kaiming_normal_\(conv\.weight, nonlinearity='tanh'\)\n/);
    await client.change(uri, 2, fixed);
    const after = await client.diagnosticsFor(uri, 2);
    assert.ok(!after.diagnostics.some((d) => d.code === 'IW102'), 'both layers are fixed by the one edit');
  });

  it('offers an edit two findings share once in the lightbulb menu, naming both', async () => {
    const uri = freshUri('dedupe');
    await client.open(uri, 'netdef', MLP);
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const depth = diagnostics.filter((d) => d.code === 'IW201' || d.code === 'IW203');
    assert.equal(depth.length, 2);
    const actions = (await client.codeActions(uri, depth[0]!.range, depth)) as CodeAction[];
    const switches = actions.filter((a) => a.title === 'Use he_normal on the 9 relu layers');
    assert.equal(switches.length, 1, JSON.stringify(actions.map((a) => a.title)));
    assert.deepEqual(switches[0]!.diagnostics?.map((d) => d.code), ['IW201', 'IW203']);
  });

  it('names the network under the cursor, and every network for a pick when there is none', async () => {
    const uri = freshUri('at', 'py');
    await client.open(uri, 'python', TWO);
    await client.diagnosticsFor(uri, 1);
    const at = (needle: string, delta = 0) =>
      client.connection.sendRequest<NetworksAtResult>(NETWORKS_AT_REQUEST, { uri, position: positionOf(TWO, needle, delta) });
    assert.deepEqual(await at('class SmallCNN', 2), { atCursor: 'SmallCNN', names: ['SmallCNN', 'TabularMLP'] });
    assert.equal((await at('x = x.mean(dim=(2, 3))', 2)).atCursor, 'SmallCNN', 'the forward pass belongs to the class');
    assert.equal((await at('self.out = nn.Linear', 5)).atCursor, 'TabularMLP');
    assert.deepEqual(await at('import torch.nn', 0), { names: ['SmallCNN', 'TabularMLP'] });
    await assert.rejects(client.connection.sendRequest(NETWORKS_AT_REQUEST, { uri }), /position/);
  });
});
