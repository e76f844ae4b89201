/** Hover over real stdio: a layer's numbers, repeats, and nothing off a layer. */
import { strict as assert } from 'node:assert';
import { MarkupKind, type MarkupContent } from 'vscode-languageserver-protocol';
import { LspTestClient } from './client';
import { MLP_GLOROT_RELU, freshUri, positionOf, textOf } from './fixtures';

function markdown(hover: Awaited<ReturnType<LspTestClient['hover']>>): string {
  assert.ok(hover, 'a hover');
  const contents = hover.contents as MarkupContent;
  assert.equal(contents.kind, MarkupKind.Markdown);
  return contents.value;
}

describe('lsp: hover', () => {
  let client: LspTestClient;
  const uri = freshUri('hover');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'netdef', MLP_GLOROT_RELU);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it("explains a repeated layer: fans, Var(W), σ_w², the recommendation and the simulation", async () => {
    const hover = await client.hover(uri, positionOf(MLP_GLOROT_RELU, 'dense 512', 2));
    const text = markdown(hover);
    assert.match(text, /^\*\*dense\*\* 784 → 512 · ×4 \(repeat\) · layer 1 of 5 in `mlp`/);
    assert.match(text, /\| fan_in → fan_out \| 784 \(512 … 784\) → 512 \|/, 'first instance sees the input width; the range spans the repeats');
    assert.match(text, /`relu`/);
    assert.match(text, /`glorot_uniform`/);
    // glorot_uniform: Var(W) = 2/(fan_in+fan_out) = 2/(784+512) = 0.00154 for the first instance.
    assert.match(text, /\| Var\(W\) \| .* = 0\.00154/);
    // σ_w² = fan_in·Var(W) = 784·0.00154 = 1.21.
    assert.match(text, /\| σ_w² = fan_in·Var\(W\) \| 1\.21/);
    // He for ReLU: σ_w² = 2, Var(W) = 2/784 = 0.00255.
    assert.match(text, /\| recommended for `relu` \| `(he|kaiming)[^`]*`: Var\(W\) = 0\.00255 /);
    assert.match(text, /σ_w² = 2\b/);
    // Unit-variance input, zero bias: the first layer's pre-activation variance is σ_w² itself.
    assert.match(text, /\| forward variance \(simulated\) \| 1\.21 \(/);
    assert.match(text, /\| forward factor \(this layer\) \| 1\.21/);
    assert.match(text, /\| gradient variance \(simulated\) \| \S+/);
    assert.match(text, /\| backward factor \(this layer\) \| \S+/);

    assert.ok(hover?.range);
    assert.match(textOf(MLP_GLOROT_RELU, hover.range), /dense 512 activation=relu init=glorot_uniform/);
  });

  it('explains a single layer without a repeat note', async () => {
    const text = markdown(await client.hover(uri, positionOf(MLP_GLOROT_RELU, 'dense 10', 1)));
    assert.match(text, /^\*\*dense\*\* 512 → 10 · layer 5 of 5 in `mlp`/);
    assert.match(text, /\| fan_in → fan_out \| 512 → 10 \|/);
    assert.doesNotMatch(text, /repeat/);
    assert.match(text, /`softmax`/);
  });

  it('says what it does not know, and still shows the rest', async () => {
    const other = freshUri('hover-unknown');
    const text = 'network n framework=keras {\n  dense 64 activation=rleu init=he_normal\n}\n';
    await client.open(other, 'netdef', text);
    await client.diagnosticsFor(other, 1);
    const shown = markdown(await client.hover(other, positionOf(text, 'dense', 1)));
    assert.match(shown, /^\*\*dense\*\* \? → \? · layer 1 of 1 in `n`/, 'no input shape: no widths');
    assert.match(shown, /\| initializer \| `he_normal` \|/);
    assert.match(shown, /\| Var\(W\) \| \? \|/);
    assert.match(shown, /\| recommended \| \? \(the activation is not known\) \|/);
    assert.match(shown, /Not known: layer widths .*; activation\.$/);
  });

  it('returns nothing off a weight layer', async () => {
    assert.equal(await client.hover(uri, positionOf(MLP_GLOROT_RELU, 'input 784', 2)), null);
    assert.equal(await client.hover(uri, { line: 0, character: 0 }), null);
    assert.equal(await client.hover(uri, { line: 500, character: 3 }), null, 'past the end');
  });
});
