/**
 * An encoder–decoder transformer over real stdio (issue 15): nn.Transformer read from PyTorch code
 * gets the attention hover on its constructor (the first attention it builds, and the kinds of the
 * others), and the code lens's summary of the decoder's stream with the memory's correlation.
 */
import { strict as assert } from 'node:assert';
import { CodeLensRequest, type CodeLens, type MarkupContent } from 'vscode-languageserver-protocol';
import { LspTestClient } from './client';
import { freshUri, positionOf } from './fixtures';

const TEXT = `import torch.nn as nn


class Translator(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(d_model=256, nhead=8, num_decoder_layers=12, dim_feedforward=1024, dropout=0.0)

    def forward(self, src, tgt):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(0))
        return self.transformer(src, tgt, tgt_mask=mask)
`;

describe('lsp: a Python encoder–decoder transformer', () => {
  let client: LspTestClient;
  const uri = freshUri('translator', 'py');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'python', TEXT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('hovers nn.Transformer with its attentions: the encoder\'s first, then the kinds of the others', async () => {
    const hover = await client.hover(uri, positionOf(TEXT, 'nn.Transformer(d_model', 3));
    assert.ok(hover);
    const text = (hover.contents as MarkupContent).value;
    assert.match(text, /^\*\*attention\*\* 8 heads × 32 · ×6 \(repeat\) · in `Translator`/);
    assert.match(text, /\| q \/ k \/ v \/ out init \| `PyTorch default for in_proj_weight \(xavier_uniform_ over \[3E, E\]\)` \/ .* \/ `nn\.Transformer default: xavier_uniform_ on every weight \(_reset_parameters\)` \|/);
    assert.match(text, /This call also builds 12 causal self-attentions and 12 cross-attentions\.$/);
  });

  it('summarises the decoder\'s stream and the memory in the code lens', async () => {
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    assert.equal(lenses.length, 1);
    assert.match(lenses[0]!.command?.title ?? '', /^stream ×1\.\d over 36 branches · token correlation 1 · memory correlation 0\.\d+ · logit std ≤ 0\.5 · gradient to the first branch ×[\d.e-]+ · Show report$/);
  });

  it('reports IW403 (rank collapse in the post-LN decoder) with pre-LN as the remedy', async () => {
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    assert.deepEqual(diagnostics.map((d) => d.code), ['IW403']);
    const message = diagnostics[0]!.message;
    assert.ok(typeof message === 'string');
    assert.match(message, /memory 0\.\d+\): .* norm_first=True in PyTorch's transformer layers\)\.$/);
  });
});
