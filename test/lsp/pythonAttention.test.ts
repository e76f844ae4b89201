/**
 * A Python transformer over real stdio (issue 15): a nanoGPT-style decoder read from PyTorch code
 * (examples/pytorch_gpt_unscaled_branches.py) gets the attention hover on its logits, the code
 * lens's stream summary and IW402 on its class, as the `.netdef` attention does.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CodeLensRequest, type CodeAction, type CodeLens, type MarkupContent } from 'vscode-languageserver-protocol';
import { LspTestClient, applyTextEdits, editsFor } from './client';
import { freshUri, positionOf } from './fixtures';

const TEXT = fs.readFileSync(path.resolve(__dirname, '..', '..', 'examples', 'pytorch_gpt_unscaled_branches.py'), 'utf8');

describe('lsp: a Python transformer', () => {
  let client: LspTestClient;
  const uri = freshUri('gpt', 'py');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'python', TEXT);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('hovers the attention (flash, or the same by hand) with its heads, causal mask, logit scale and token correlation', async () => {
    const hover = await client.hover(uri, positionOf(TEXT, 'torch.nn.functional.scaled_dot_product_attention', 20));
    assert.ok(hover);
    const text = (hover.contents as MarkupContent).value;
    assert.match(text, /^\*\*attention\*\* 8 heads × 64 · causal · ×32 \(repeat\) · in `GPT`/);
    assert.match(text, /\| logit scale \| `1\/√64` = 0\.125 \|/);
    assert.match(text, /\| q \/ k \/ v \/ out init \| `normal_\(mean=0\.0, std=0\.034\)` \/ `normal_\(mean=0\.0, std=0\.034\)` \/ `normal_\(mean=0\.0, std=0\.034\)` \/ `normal_\(mean=0\.0, std=0\.034\)` \|/);
    // 256 tokens: the rows of `wpe = nn.Embedding(config.block_size, …)`, GPTConfig.block_size.
    assert.match(text, /\| effective keys \(1\/EΣA²\) \| [\d.]+ \([\d.]+ … [\d.]+\) of 256 \(from `config\.block_size`\) tokens \|/);
    assert.match(text, /\| token correlation handed on \| /);
  });

  it('summarises the residual stream in the code lens', async () => {
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    assert.deepEqual(lenses.map((l) => l.command?.title), ['stream ×25 over 64 branches · token correlation 0.76 · logit std ≤ 0.59 · gradient to the first branch ×10000 · Show report']);
  });

  it('reports IW402 on the class', async () => {
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const iw402 = diagnostics.filter((d) => d.code === 'IW402');
    assert.equal(iw402.length, 1);
    assert.equal(TEXT.split('\n')[iw402[0]!.range.start.line], 'class GPT(nn.Module):');
  });

  it('offers IW402\'s fix as a code action: nanoGPT\'s loop after the apply; applied, the finding is gone', async () => {
    const { diagnostics } = await client.diagnosticsFor(uri, 1);
    const iw402 = diagnostics.find((d) => d.code === 'IW402')!;
    const actions = (await client.codeActions(uri, iw402.range, [iw402])) as CodeAction[];
    const scale = actions.find((a) => a.title === "Scale the branch outputs' std by 1/√(2·32)");
    assert.ok(scale?.edit, actions.map((a) => a.title).join(', '));
    const edits = editsFor(scale.edit, uri, 1);
    const fixed = applyTextEdits(TEXT, edits);
    assert.ok(fixed.includes([
      '        self.apply(self._init_weights)',
      "        # the residual branches' output projections scaled for depth (GPT-2)",
      '        for pn, p in self.named_parameters():',
      '            if pn.endswith("c_proj.weight"):',
      '                torch.nn.init.normal_(p, mean=0.0, std=0.034/math.sqrt(2 * config.n_layer))',
    ].join('\n')));
    await client.change(uri, 2, edits.map((e) => ({ range: e.range, text: e.newText })));
    const relinted = await client.diagnosticsFor(uri, 2);
    assert.deepEqual(relinted.diagnostics.filter((d) => d.code === 'IW402'), []);
    const lenses = (await client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) as CodeLens[];
    // Still simulated (the loop is read, not unknown), and the stream no longer grows.
    const growth = /^stream ×([\d.]+) over 64 branches/.exec(lenses[0]?.command?.title ?? '');
    assert.ok(growth && Number(growth[1]) < 10, lenses[0]?.command?.title);
  });
});

/** vit-pytorch's Attention with one head as wide as the stream: `to_out = nn.Identity()` (no output projection). */
const SINGLE_HEAD = `import torch
from torch import nn
from einops import rearrange


class Attention(nn.Module):
    def __init__(self, dim, heads=8, dim_head=64):
        super().__init__()
        inner_dim = dim_head * heads
        project_out = not (heads == 1 and dim_head == dim)
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.attend = nn.Softmax(dim=-1)
        self.to_qkv = nn.Linear(dim, inner_dim * 3, bias=False)
        self.to_out = nn.Linear(inner_dim, dim) if project_out else nn.Identity()

    def forward(self, x):
        x = self.norm(x)
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=self.heads), qkv)
        dots = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        attn = self.attend(dots)
        out = torch.matmul(attn, v)
        out = rearrange(out, 'b h n d -> b n (h d)')
        return self.to_out(out)


class Model(nn.Module):
    def __init__(self, dim=128, depth=2):
        super().__init__()
        self.embed = nn.Embedding(1000, dim)
        self.layers = nn.ModuleList([Attention(dim, heads=1, dim_head=dim) for _ in range(depth)])
        self.head = nn.Linear(dim, 1000)

    def forward(self, idx):
        x = self.embed(idx)
        for attn in self.layers:
            x = attn(x) + x
        return self.head(x)
`;

describe('lsp: an attention without an output projection (vit-pytorch\'s project_out false)', () => {
  let client: LspTestClient;
  const uri = freshUri('single_head', 'py');
  before(async () => {
    client = await LspTestClient.start();
    await client.open(uri, 'python', SINGLE_HEAD);
    await client.diagnosticsFor(uri, 1);
  });
  after(async () => {
    await client.stop();
  });

  it('hovers it with its three projections and its simulated statistics', async () => {
    const hover = await client.hover(uri, positionOf(SINGLE_HEAD, 'torch.matmul(q, k', 3));
    assert.ok(hover);
    const text = (hover.contents as MarkupContent).value;
    assert.match(text, /^\*\*attention\*\* 1 heads × 128 · ×2 \(repeat\) · in `Model`/);
    assert.match(text, /\| q \/ k \/ v init \(no output projection\) \| `PyTorch default kaiming_uniform_\(a=√5\)`( \/ `PyTorch default kaiming_uniform_\(a=√5\)`){2} \|/);
    assert.match(text, /\| effective keys \(1\/EΣA²\) \| [\d.]+/);
  });
});
