/**
 * Attention read from PyTorch code (interpreter/attentionTrace.ts, frameworks/attentionLayers.ts):
 * what each certain reading gives (heads, head width, the factor on the logits, the causal mask,
 * the four projections), and that every step it cannot be certain of leaves the network
 * unsimulated instead of guessing an attention.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { type AttentionOp, type Network, walkOps } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';

const HEADER = 'import math\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n';

/** A pre-LN block around an attention whose forward is `body` (q, k, v from self.q/k/v or self.qkv). */
function block(body: string, init = '', extra = ''): string {
  return `${HEADER}class Attn(nn.Module):
    def __init__(self, dim=256, heads=4):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.register_buffer("mask", torch.tril(torch.ones(64, 64)))
${init}
    def forward(self, x):
        B, T, C = x.size()
${body}


class Net(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = Attn(dim)
${extra}
    def forward(self, x):
        return x + self.attn(self.norm(x))
`;
}

const SPLIT = `        q = self.q(x).view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = self.k(x).view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = self.v(x).view(B, T, self.heads, C // self.heads).transpose(1, 2)
`;
const MERGE = `        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.out(y)`;

describe('python: attention read from PyTorch code', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function network(text: string, name = 'Net'): Network {
    const result = analyze({ text, languageId: 'python', python });
    const found = result.networks.find((n) => n.name === name);
    assert.ok(found, `no network ${name}: ${result.networks.map((n) => n.name).join(', ')}`);
    return found;
  }
  function attentions(n: Network): AttentionOp[] {
    return [...walkOps(n.ops)].filter((op): op is AttentionOp => op.op === 'attention');
  }
  /** The one attention of a readable network. */
  function read(text: string): AttentionOp {
    const n = network(text);
    assert.equal(n.unsimulable, undefined);
    const ops = attentions(n);
    assert.equal(ops.length, 1);
    return ops[0]!;
  }
  /** Not read: the network is not simulated and holds no attention (or has no layer it could read). */
  function unknown(text: string): void {
    const n = analyze({ text, languageId: 'python', python }).networks.find((x) => x.name === 'Net');
    if (!n) return;
    assert.equal(attentions(n).length, 0);
    assert.ok(n.unsimulable !== undefined || n.ops.length === 0, 'the network must not be simulated');
  }

  it('reads heads, head width, the factor actually applied and a tril mask', () => {
    const op = read(block(`${SPLIT}        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:T, :T] == 0, float('-inf'))
        y = F.softmax(att, dim=-1) @ v
${MERGE}`));
    assert.equal(op.heads, 4);
    assert.equal(op.headDim, 64);
    assert.equal(op.logitScale, 0.125);
    assert.equal(op.scaleLabel, '1/√64');
    assert.equal(op.causal, true);
    assert.deepEqual([op.query, op.key, op.value, op.output!].map((l) => l.fans), [
      { fanIn: 256, fanOut: 256 }, { fanIn: 256, fanOut: 256 }, { fanIn: 256, fanOut: 256 }, { fanIn: 256, fanOut: 256 }]);
  });

  it('reads a fused projection split in three as three layers with the whole weight\'s framework fans', () => {
    const op = read(block(`        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.view(B, T, self.heads, -1).transpose(1, 2)
        k = k.view(B, T, self.heads, -1).transpose(1, 2)
        v = v.view(B, T, self.heads, -1).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
${MERGE}`));
    assert.equal(op.logitScale, 0.125);
    assert.equal(op.causal, true);
    assert.deepEqual(op.query.fans, { fanIn: 256, fanOut: 256 });
    assert.deepEqual(op.query.frameworkFans, { fanIn: 256, fanOut: 768 });
    assert.notEqual(op.query, op.key);
  });

  it('multiplies every factor: on q before the product, and a division after it', () => {
    const op = read(block(`${SPLIT}        q = q * 0.5
        att = (q @ k.transpose(-2, -1)) / 8
        y = att.softmax(dim=-1) @ v
${MERGE}`));
    assert.equal(op.logitScale, 0.5 / 8);
    assert.equal(op.causal, false);
  });

  it('reads no factor as unscaled logits', () => {
    const op = read(block(`${SPLIT}        y = torch.softmax(q @ k.transpose(-2, -1), -1) @ v
${MERGE}`));
    assert.equal(op.logitScale, 1);
    assert.equal(op.scaleLabel, 'none (q·kᵀ unscaled)');
  });

  it('leaves unknown what it cannot be certain of', () => {
    const softmaxed = '        y = F.softmax(att, dim=-1) @ v\n';
    // A mask it cannot read (a padding mask passed in), a bias added to the logits, softmax over the queries.
    unknown(block(`${SPLIT}        att = q @ k.transpose(-2, -1) / 8\n        att = att.masked_fill(self.pad == 0, float('-inf'))\n${softmaxed}${MERGE}`));
    unknown(block(`${SPLIT}        att = q @ k.transpose(-2, -1) / 8 + self.bias_table\n${softmaxed}${MERGE}`));
    unknown(block(`${SPLIT}        att = q @ k.transpose(-2, -1) / 8\n        y = F.softmax(att, dim=-2) @ v\n${MERGE}`));
    // A head count it cannot read; a lower triangle that is not the causal one (diagonal=-1).
    unknown(block(`        q = self.q(x).view(B, T, self.n_head, -1).transpose(1, 2)\n        k = self.k(x).view(B, T, self.n_head, -1).transpose(1, 2)\n        v = self.v(x).view(B, T, self.n_head, -1).transpose(1, 2)\n        y = F.scaled_dot_product_attention(q, k, v)\n${MERGE}`));
    unknown(block(`${SPLIT}        att = q @ k.transpose(-2, -1) / 8\n        att = att.masked_fill(torch.tril(torch.ones(T, T), diagonal=-1) == 0, float('-inf'))\n${softmaxed}${MERGE}`));
    // scaled_dot_product_attention with a mask, or an is_causal that is not a constant.
    unknown(block(`${SPLIT}        y = F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask)\n${MERGE}`));
    unknown(block(`${SPLIT}        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)\n${MERGE}`));
  });

  it('reads nn.MultiheadAttention with its own inits, and leaves settings it cannot follow unknown', () => {
    const text = (args: string, call = 'h, h, h') => `${HEADER}class Net(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, 8${args}, batch_first=True)

    def forward(self, x):
        h = self.norm(x)
        out, _ = self.attn(${call})
        return x + out
`;
    const op = read(text(''));
    assert.equal(op.heads, 8);
    assert.equal(op.headDim, 32);
    assert.deepEqual(op.query.init.semantics, { kind: 'xavier', gain: 1, distribution: 'uniform' });
    assert.deepEqual(op.query.frameworkFans, { fanIn: 256, fanOut: 768 });
    assert.equal(op.query.biasVariance, 0);
    assert.equal(op.output!.biasVariance, 0);
    assert.match(op.output!.init.label, /kaiming_uniform_/);
    unknown(text(', add_bias_kv=True'));
    unknown(text(', kdim=128'));
    unknown(text('', 'h, x, x'));
    unknown(text('', 'h, h, h, key_padding_mask=self.pad'));
  });

  it('reads an init of in_proj_weight for q, k and v', () => {
    const n = network(`${HEADER}class Net(nn.Module):
    def __init__(self, dim=256):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, 8, batch_first=True)
        nn.init.normal_(self.attn.in_proj_weight, std=0.02)
        nn.init.zeros_(self.attn.out_proj.weight)

    def forward(self, x):
        h = self.norm(x)
        return x + self.attn(h, h, h)[0]
`);
    const op = attentions(n)[0]!;
    assert.deepEqual(op.query.init.semantics, { kind: 'normal', mean: 0, std: 0.02 });
    assert.deepEqual(op.value.init.semantics, { kind: 'normal', mean: 0, std: 0.02 });
    assert.deepEqual(op.output!.init.semantics, { kind: 'constant', value: 0 });
  });

  it('judges tied weights only where both layers end with the same fixed init', () => {
    const text = (init: string) => `${HEADER}class LM(nn.Module):
    def __init__(self, vocab=1000, dim=128):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.wte.weight = self.head.weight
${init}
    def forward(self, idx):
        return self.head(self.wte(idx))
`;
    const defaults = network(text(''), 'LM');
    assert.deepEqual(defaults.layers.map((l) => l.init.semantics), [undefined, undefined]);
    const fixed = network(text('        self.apply(self._init)\n\n    def _init(self, m):\n        if isinstance(m, (nn.Linear, nn.Embedding)):\n            nn.init.normal_(m.weight, std=0.02)\n'), 'LM');
    assert.deepEqual(fixed.layers.map((l) => l.init.semantics), [{ kind: 'normal', mean: 0, std: 0.02 }, { kind: 'normal', mean: 0, std: 0.02 }]);
    assert.equal(fixed.layers[1]!.fixes.setInitializer({ family: 'glorot_uniform' }), undefined);
  });

  it('reads an undecided if/else whose branches compute the same attention (nanoGPT\'s flash switch), and only then', () => {
    const flash = (sdpa: string) => block(`        q, k, v = self.qkv(x).split(256, dim=2)
        q = q.view(B, T, self.heads, -1).transpose(1, 2)
        k = k.view(B, T, self.heads, -1).transpose(1, 2)
        v = v.view(B, T, self.heads, -1).transpose(1, 2)
        if self.flash:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.1 if self.training else 0, ${sdpa})
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:T, :T] == 0, float('-inf'))
            att = F.softmax(att, dim=-1)
            y = att @ v
${MERGE}`, '        self.flash = hasattr(F, "scaled_dot_product_attention")\n');
    const op = read(flash('is_causal=True'));
    assert.equal(op.causal, true);
    assert.equal(op.logitScale, 0.125);
    // The branches disagree (no causal mask in one): unknown.
    unknown(flash('is_causal=False'));
    unknown(flash('is_causal=True, scale=1.0'));
  });

  it('follows nanoGPT\'s re-init by name over named_parameters(), and no loop it cannot read', () => {
    const model = (loop: string) => `${HEADER}class MLP(nn.Module):
    def __init__(self, d=256, n_layer=6):
        super().__init__()
        self.c_fc = nn.Linear(d, 4 * d)
        self.c_proj = nn.Linear(4 * d, d)
        self.apply(self._init)
${loop}
    def _init(self, m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))
`;
    const inits = (text: string) => network(text, 'MLP').layers.map((l) => l.init.semantics);
    const byName = '        for pn, p in self.named_parameters():\n            if pn.endswith("c_proj.weight"):\n                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))\n';
    assert.deepEqual(inits(model(byName)), [{ kind: 'normal', mean: 0, std: 0.02 }, { kind: 'normal', mean: 0, std: 0.02 / Math.sqrt(12) }]);
    const inPlace = '        for pn, p in self.named_parameters():\n            if pn.startswith("c_fc"):\n                p.data.mul_(2)\n';
    assert.deepEqual(inits(model(inPlace)), [undefined, { kind: 'normal', mean: 0, std: 0.02 }]);
    // Used in ways not read (p.dim(), p.detach()), or a loop that names biases: every weight unknown.
    for (const loop of [
      '        for p in self.parameters():\n            if p.dim() > 1:\n                nn.init.xavier_uniform_(p)\n',
      '        for p in self.parameters():\n            p.detach().zero_()\n',
      '        for pn, p in self.named_parameters():\n            if pn.endswith("bias"):\n                nn.init.zeros_(p)\n',
    ]) assert.deepEqual(inits(model(loop)), [undefined, undefined], loop);
  });
});
