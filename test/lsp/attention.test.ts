/**
 * Transformers over real stdio: hover on an attention statement (its logit scale, the spread
 * of its logits and the token correlation it hands on), the code lens's stream summary, and
 * IW402 on the network header.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeLensRequest, type CodeLens, type MarkupContent } from 'vscode-languageserver-protocol';
import { LspTestClient } from './client';
import { freshUri, positionOf } from './fixtures';

const TEXT = fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'pre_ln_transformer.netdef'), 'utf8');

describe('lsp: attention and the residual stream', () => {
  let client: LspTestClient;
  const uri = freshUri('attention');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'netdef', TEXT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('hovers an attention with its logit scale and the token correlation it hands on', async () => {
    const hover = await client.hover(uri, positionOf(TEXT, 'attention 8', 2));
    assert.ok(hover);
    const text = (hover.contents as MarkupContent).value;
    assert.match(text, /^\*\*attention\*\* 8 heads × 64 · ×24 \(repeat\) · in `encoder`/);
    assert.match(text, /\| logit scale \| `1\/√64` = 0\.125 \|/);
    // Xavier q and k (σ² = 1) on a normalised stream: logit variance (1/64)·64·1·1·(1 − ρ), so std 1 in the
    // first block, shrinking as the tokens correlate.
    assert.match(text, /\| logit std at init \(over a query's keys\) \| 1 \(0\.424 … 1\) \|/);
    assert.match(text, /\| effective keys \(1\/EΣA²\) \| 25\.8 \(25\.8 … 53\.7\) of 64 tokens \|/);
    // PyTorch (transformer oracle, xavier_preln_deep) measures the stream's correlation at 0.832 after the last block.
    assert.match(text, /\| token correlation handed on \| 0\.01504 \(0\.01504 … 0\.8277\) \|/);
  });

  it('summarises the stream in the code lens', async () => {
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0]!.command?.title, 'stream ×20 over 48 branches · token correlation 0.83 · logit std ≤ 1 · gradient to the first branch ×13 · Show report');
  });

  it('reports IW402 on the network header', async () => {
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const codes = diagnostics.map((d) => d.code);
    assert.deepEqual(codes, ['IW402']);
    assert.equal(diagnostics[0]!.range.start.line, 3);
  });
});
