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

  it('leads with the verdict, the numbers and the fix; the derivation below a rule (issue 13)', async () => {
    const hover = await client.hover(uri, positionOf(MLP_GLOROT_RELU, 'dense 512', 2));
    const text = markdown(hover);
    const [title, verdict, numbers, fix, blank, rule] = text.split('\n');
    assert.equal(title, '**dense** 784 → 512 · ×4 (repeat) · layer 1 of 5 in `mlp`  ');
    // Glorot on 784→512: Var(W) = 2/1296, fan_in·Var(W) = 1.21, under ReLU ×1.21/2 = 0.6 per layer (the IW101 wording).
    assert.equal(verdict, '⚠ Signal shrinks ×0.6 per layer: `glorot_uniform` under relu  ');
    // The first instance (784 → 512) and the range over the repeats (512 → 512 from the second on).
    assert.equal(numbers, 'fan_in·Var(W) = 1.21 (1 … 1.21) (forward) · fan_out·Var(W) = 0.79 (0.79 … 1) (backward) · `relu` wants 2  ');
    assert.equal(fix, '**Fix:** use `he_normal` (σ² = 2)');
    assert.equal(blank, '');
    assert.equal(rule, '---');
    // The derivation.
    assert.match(text, /\| fan_in → fan_out \| 784 \(512 … 784\) → 512 \|/, 'first instance sees the input width; the range spans the repeats');
    assert.match(text, /\| Var\(W\) \| .* = 0\.00154/);
    assert.match(text, /\| σ² judged \(fan_avg·Var\(W\), the mode it normalises by\) \| 1 \|/);
    assert.match(text, /\| recommended for `relu` \| `(he|kaiming)[^`]*`: Var\(W\) = 0\.00255 /);
    // Unit-variance input, zero bias: the first layer's pre-activation variance is fan_in·Var(W) itself.
    assert.match(text, /\| forward variance \(simulated\) \| 1\.21 \(/);
    assert.match(text, /\| own factor, forward \(its input → its pre-activation\) \| 1\.21/);
    // Depth steps divide the width change out (fan_in/fan_avg = 784/648 = 1.21 on the first layer): ×1 there, ×0.5 per square Glorot-ReLU layer after.
    assert.match(text, /\| depth step, signal \(previous pre-activation → this one\) \| ×1 \(0\.5 … 1\) \|/);
    assert.match(text, /multiply to the drift the code lens shows/);

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

  it('prints widths exactly: 2048 is never 2050 (issue 13)', async () => {
    const wide = freshUri('hover-wide');
    const source = 'network wide framework=pytorch {\n  input 512\n  dense 2048 activation=relu init=he_normal\n  dense 4096 activation=relu init=he_normal\n  dense 1024 activation=relu init=he_normal\n  dense 10 activation=softmax init=glorot_uniform\n}\n';
    await client.open(wide, 'netdef', source);
    await client.diagnosticsFor(wide, 1);
    const second = markdown(await client.hover(wide, positionOf(source, 'dense 4096', 2)));
    assert.match(second, /^\*\*dense\*\* 2048 → 4096 · layer 2 of 4/);
    assert.match(second, /\| fan_in → fan_out \| 2048 → 4096 \|/);
    assert.match(second, /^✓ `he_normal` suits relu {2}$/m);
    assert.match(second, /^No change needed\.$/m);
  });

  it('explains zeros in a residual design instead of printing "?" (issue 13)', async () => {
    const residual = freshUri('hover-residual');
    const source = [
      'network res framework=pytorch {', '  input 64', '  dense 64 activation=relu init=he_normal', '  residual {',
      '    dense 128 activation=relu init=he_normal', '    dense 64 init=zeros', '  }', '  dense 10 activation=softmax init=glorot_uniform', '}', '',
    ].join('\n');
    await client.open(residual, 'netdef', source);
    await client.diagnosticsFor(residual, 1);
    const end = markdown(await client.hover(residual, positionOf(source, 'dense 64 init=zeros', 4)));
    assert.match(end, /^✓ zero-initialised last layer of its branch: deliberate/m);
    assert.match(end, /\| forward variance \(simulated\) \| 0 \(zero weights: a zero-initialised branch end, deliberate — the block starts as the identity\) \|/);
    const inside = markdown(await client.hover(residual, positionOf(source, 'dense 128', 2)));
    assert.match(inside, /\| gradient variance \(simulated\) \| 0 \(no gradient reaches this layer at initialisation: its branch ends in zero weights, deliberately\) \|/);
    assert.match(inside, /\| depth steps \| none: this layer is inside a residual branch/);
    assert.doesNotMatch(inside + end, /\| \? \|/);
  });

  it('says what it does not know, and still shows the rest', async () => {
    const other = freshUri('hover-unknown');
    const text = 'network n framework=keras {\n  dense 64 activation=rleu init=he_normal\n}\n';
    await client.open(other, 'netdef', text);
    await client.diagnosticsFor(other, 1);
    const shown = markdown(await client.hover(other, positionOf(text, 'dense', 1)));
    assert.match(shown, /^\*\*dense\*\* \? → \? · layer 1 of 1 in `n`/, 'no input shape: no widths');
    assert.match(shown, /^· not judged: its activation, initializer or widths are not known {2}$/m);
    assert.match(shown, /\| activation · initializer \| `unknown` · `he_normal` \|/);
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
