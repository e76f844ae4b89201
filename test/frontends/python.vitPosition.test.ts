/**
 * A ViT's stream input read from PyTorch code (issue 15 b): the patch embedding, a class token put
 * in front (`torch.cat((cls_tokens, x), dim=1)`) and a learned position table added
 * (`x + self.pos_embedding`), whose inits — timm's `trunc_normal_(std=.02)`, vit-pytorch's
 * `torch.randn`, zeros left at zero — enter the token stream. Checked against PyTorch
 * (test/reference/transformer/vit_position.json): the analytic pass within the seeds' spread, the
 * Monte-Carlo pass within PyTorch's seed spread (test/support/seedComparison.ts). Where the init
 * is not certain the network stays unsimulated with today's message.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';
import { discrepancy, withinSeedSpread } from '../support/seedComparison';

interface Measured {
  id: string; init: 'timm' | 'randn' | 'zeros'; patches: number; patch_dim: number; d_model: number; heads: number; mlp: number; n_layer: number; batch: number;
  per_seed: { input_m2: number; input_rho: number; stream_m2: number[]; stream_rho: number[] }[];
}

interface Writing {
  /** The two parameters as created, and code after them in __init__. */
  readonly tables: string;
  /** How the Linears are initialised (a statement in __init__, and the init method if any). */
  readonly linears: string;
  readonly method: string;
  /** The forward's first lines, up to the stream's input `x`. */
  readonly input: string;
}

const TIMM: Writing = {
  tables: `        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        trunc_normal_(self.pos_embed, std=.02)
        trunc_normal_(self.cls_token, std=.02)`,
  linears: '        self.apply(self._init_weights)',
  method: `
    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
`,
  input: `        x = self.patch_embed(img)
        cls_token = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_token, x), dim=1)
        x = x + self.pos_embed`,
};

const LUCIDRAINS: Writing = {
  tables: `        self.pos_embed = nn.Parameter(torch.randn(1, num_patches + 1, dim))
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))`,
  linears: '',
  method: '',
  input: `        x = self.patch_embed(img)
        b, n, _ = x.shape
        cls_tokens = repeat(self.cls_token, '1 1 d -> b 1 d', b=b)
        x = torch.cat((cls_tokens, x), dim=1)
        x += self.pos_embed[:, :(n + 1)]`,
};

const ZEROS: Writing = { ...LUCIDRAINS, tables: LUCIDRAINS.tables.replace(/torch\.randn/g, 'torch.zeros') };

/** The measured ViT as code (vit_position.py's model): pre-LN blocks, vit-pytorch's attention. */
function vit(w: Writing, m: { patches: number; patch_dim: number; d_model: number; heads: number; mlp: number; n_layer: number; qkvBias: boolean }): string {
  return `import torch
from torch import nn
from torch.nn.init import trunc_normal_
from einops import rearrange, repeat
from einops.layers.torch import Rearrange


class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim):
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, dim))

    def forward(self, x):
        return self.net(x)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        dim_head = dim // heads
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.norm = nn.LayerNorm(dim)
        self.attend = nn.Softmax(dim=-1)
        self.to_qkv = nn.Linear(dim, dim * 3, bias=${m.qkvBias ? 'True' : 'False'})
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        x = self.norm(x)
        qkv = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = map(lambda t: rearrange(t, 'b n (h d) -> b h n d', h=self.heads), qkv)
        dots = torch.matmul(q, k.transpose(-1, -2)) * self.scale
        attn = self.attend(dots)
        out = torch.matmul(attn, v)
        out = rearrange(out, 'b h n d -> b n (h d)')
        return self.to_out(out)


class ViT(nn.Module):
    def __init__(self, num_patches=${m.patches}, patch_dim=${m.patch_dim}, dim=${m.d_model}, depth=${m.n_layer}, heads=${m.heads}, mlp_dim=${m.mlp}):
        super().__init__()
        self.patch_embed = nn.Sequential(Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=4, p2=4), nn.Linear(patch_dim, dim))
${w.tables}
        self.layers = nn.ModuleList([])
        for _ in range(depth):
            self.layers.append(nn.ModuleList([Attention(dim, heads), FeedForward(dim, mlp_dim)]))
${w.linears}
${w.method}
    def forward(self, img):
${w.input}
        for attn, ff in self.layers:
            x = attn(x) + x
            x = ff(x) + x
        return x
`;
}

describe('python: a ViT\'s class token and position table (trunc_normal_, randn, zeros)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const measured = readReference<{ results: Measured[] }>('transformer/vit_position.json').results;
  const writings = { timm: TIMM, randn: LUCIDRAINS, zeros: ZEROS } as const;

  function network(text: string): Network {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'ViT');
    assert.ok(found, 'no network ViT');
    return found;
  }
  function codeOf(m: Measured): string {
    return vit(writings[m.init], { ...m, qkvBias: m.init === 'timm' });
  }

  it('reads the class token and the position table as ops of the stream, with their inits, and the tokens from the table\'s rows', () => {
    const expected = {
      timm: { kind: 'truncated_normal', mean: 0, std: 0.02, low: -2, high: 2 },
      randn: { kind: 'normal', mean: 0, std: 1 },
      zeros: { kind: 'constant', value: 0 },
    };
    for (const m of measured) {
      const n = network(codeOf(m));
      assert.equal(n.unsimulable, undefined, m.id);
      const kinds = n.ops.map((op) => op.op);
      assert.deepEqual(kinds.slice(0, 3), ['layer', 'classToken', 'positionTable'], m.id);
      const cls = n.ops[1]!;
      const pos = n.ops[2]!;
      assert.ok(cls.op === 'classToken' && pos.op === 'positionTable');
      assert.deepEqual(pos.init, expected[m.init]);
      assert.deepEqual(cls.init, expected[m.init]);
      assert.equal(n.tokens, m.patches + 1);
      assert.equal(n.tokensFrom, 'num_patches + 1');
    }
  });

  for (const m of measured) {
    it(`${m.id}: analytic input exactly and every residual sum's second moment and token correlation within PyTorch's seed spread`, () => {
      const s = simulateTokenStream(network(codeOf(m)), NEVER_CANCELLED);
      assert.ok(s, 'the token stream is simulated');
      assert.equal(s.tokens, m.patches + 1);
      const stream = s.stream.filter((p) => p.depth === 0);
      assert.equal(stream.length, 2 * m.n_layer);
      // The blocks' input: the first residual's `before`.
      const input = stream[0]!.before;
      const inputSeeds = m.per_seed.map((p) => p.input_m2);
      assert.ok(withinSeedSpread(input, inputSeeds, 0.01, false), `input ${input} vs PyTorch ${inputSeeds.join(', ')}`);
      stream.forEach((p, i) => {
        const m2 = m.per_seed.map((seed) => seed.stream_m2[i]!);
        const rho = m.per_seed.map((seed) => seed.stream_rho[i]!);
        assert.ok(withinSeedSpread(p.secondMoment, m2, 0.03, false), `sum ${i + 1}: ${p.secondMoment} vs PyTorch ${m2.join(', ')}`);
        assert.ok(withinSeedSpread(p.correlation, rho, 0.015, true), `sum ${i + 1}: correlation ${p.correlation} vs PyTorch ${rho.join(', ')}`);
      });
    });

    it(`${m.id}: Monte-Carlo (the table and the class token drawn per PyTorch's init) within PyTorch's seed spread`, function () {
      this.timeout(120_000);
      const n = network(codeOf(m));
      const runs = Array.from({ length: 4 }, (_, s) => {
        const run = simulateTokenMonteCarlo(n, { seed: 11 + s, batch: m.batch, gradientAtLogits: false }, NEVER_CANCELLED);
        assert.ok(run, 'the Monte-Carlo pass declined');
        assert.equal(run.tokens, m.patches + 1);
        return run.stream.filter((p) => p.depth === 0);
      });
      const failures: string[] = [];
      for (let i = 0; i < 2 * m.n_layer; i++) {
        const ours = runs.map((r) => r[i]!);
        const torchM2 = m.per_seed.map((seed) => seed.stream_m2[i]!);
        const torchRho = m.per_seed.map((seed) => seed.stream_rho[i]!);
        const dm = discrepancy(ours.map((p) => p.secondMoment), torchM2, { floor: 0.03 });
        const dr = discrepancy(ours.map((p) => p.correlation), torchRho, { scale: 'linear', floor: 0.01 });
        if (!(dm <= 1)) failures.push(`stream_m2[${i}] ${ours.map((p) => p.secondMoment.toPrecision(4)).join(', ')} vs ${torchM2.map((v) => v.toPrecision(4)).join(', ')}`);
        if (!(dr <= 1)) failures.push(`stream_rho[${i}] ${ours.map((p) => p.correlation.toPrecision(4)).join(', ')} vs ${torchRho.map((v) => v.toPrecision(4)).join(', ')}`);
      }
      assert.deepEqual(failures, []);
    });
  }

  it('simulates the ViT fixtures (vit-pytorch\'s randn tables, timm\'s trunc_normal_ ones) over the table\'s 197 rows, where no rule fires', () => {
    const text = fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_vit.py'), 'utf8');
    const result = analyze({ text, languageId: 'python', python });
    assert.deepEqual(result.findings.map((f) => f.code), []);
    const inputs = { ViT: 2, TimmInitViT: 768 * 0.02 ** 2 * (196 / 197) + (0.02 ** 2) / 197 + 0.02 ** 2 };
    for (const [name, input] of Object.entries(inputs)) {
      const n = result.networks.find((x) => x.name === name)!;
      assert.equal(n.unsimulable, undefined, name);
      assert.equal(n.tokens, 197);
      const s = simulateTokenStream(n, NEVER_CANCELLED)!;
      const first = s.stream.find((p) => p.depth === 0)!;
      // trunc_normal_(std=.02) cut at ±2 (absolute: ±100σ) has the variance of N(0, 0.02²) to 1e-12.
      assert.ok(Math.abs(first.before / input - 1) < 1e-3, `${name}: stream input ${first.before} vs ${input}`);
    }
  });

  it('reads the other spellings: .repeat, dim=-2, an in-place init, torch.randn(…) * 0.02, an init in a method __init__ calls', () => {
    const m = measured.find((r) => r.id === 'timm_trunc_normal')!;
    const base = codeOf(m);
    const variants: [string, string, object][] = [
      ['.repeat and dim=-2', base.replace('self.cls_token.expand(x.shape[0], -1, -1)', 'self.cls_token.repeat(x.shape[0], 1, 1)').replace('dim=1)', 'dim=-2)'), { kind: 'truncated_normal', mean: 0, std: 0.02, low: -2, high: 2 }],
      ['an in-place init', base.replace('        trunc_normal_(self.pos_embed, std=.02)', '        self.pos_embed.data.normal_(0, 0.02)'), { kind: 'normal', mean: 0, std: 0.02 }],
      ['a scaled randn', base.replace('        trunc_normal_(self.pos_embed, std=.02)\n', '').replace('nn.Parameter(torch.zeros(1, num_patches + 1, dim))', 'nn.Parameter(torch.randn(1, num_patches + 1, dim) * .02)'), { kind: 'normal', mean: 0, std: 0.02 }],
      ['a method __init__ calls', base.replace('        trunc_normal_(self.pos_embed, std=.02)', '        self.init_pos()').replace('    def _init_weights(self, m):', '    def init_pos(self):\n        nn.init.normal_(self.pos_embed, std=0.02)\n\n    def _init_weights(self, m):'), { kind: 'normal', mean: 0, std: 0.02 }],
    ];
    for (const [what, text, init] of variants) {
      const n = network(text);
      assert.equal(n.unsimulable, undefined, what);
      const pos = n.ops.find((op) => op.op === 'positionTable');
      assert.ok(pos?.op === 'positionTable', what);
      assert.deepEqual(pos.init, init, what);
      assert.ok(n.ops.some((op) => op.op === 'classToken'), what);
    }
  });

  it('the comparison can fail: the randn tables read as std 0.02 miss PyTorch', () => {
    const m = measured.find((r) => r.id === 'lucidrains_randn')!;
    const wrong = codeOf(m).replace(/torch\.randn\(([^)]*)\)\)/g, 'torch.randn($1) * 0.02)');
    const s = simulateTokenStream(network(wrong), NEVER_CANCELLED);
    assert.ok(s);
    const first = s.stream.find((p) => p.depth === 0)!;
    assert.ok(!withinSeedSpread(first.secondMoment, m.per_seed.map((p) => p.stream_m2[0]!), 0.03, false));
  });

  it('leaves the network unsimulated, with today\'s message, where a table\'s init or shape is not certain', () => {
    const m = measured.find((r) => r.id === 'timm_trunc_normal')!;
    const base = codeOf(m);
    const cases: [string, string, RegExp][] = [
      ['torch.empty never drawn', base.replace('nn.Parameter(torch.zeros(1, num_patches + 1, dim))', 'nn.Parameter(torch.empty(1, num_patches + 1, dim))').replace('        trunc_normal_(self.pos_embed, std=.02)\n', ''), /`x \+ self\.pos_embed` adds a term to the signal/],
      ['an init in a branch it cannot decide', base.replace('        trunc_normal_(self.pos_embed, std=.02)', '        if self.training:\n            trunc_normal_(self.pos_embed, std=.02)'), /adds a term to the signal/],
      ['a table copied in place', base.replace('        trunc_normal_(self.pos_embed, std=.02)', '        self.pos_embed.data.copy_(load_table())'), /adds a term to the signal/],
      ['a table with a mean', base.replace('trunc_normal_(self.pos_embed, std=.02)', 'nn.init.normal_(self.pos_embed, mean=1.0, std=.02)'), /adds a term to the signal/],
      ['one row for every token (an offset, not positions)', base.replace('torch.zeros(1, num_patches + 1, dim)', 'torch.zeros(1, 1, dim)'), /adds a term to the signal/],
      ['torch.rand (U(0, 1): not zero-mean)', base.replace('torch.zeros(1, num_patches + 1, dim)', 'torch.rand(1, num_patches + 1, dim)').replace('        trunc_normal_(self.pos_embed, std=.02)\n', ''), /adds a term to the signal/],
      ['a fan-scaled init on a table', base.replace('trunc_normal_(self.pos_embed, std=.02)', 'nn.init.xavier_uniform_(self.pos_embed)'), /adds a term to the signal/],
      ['an init in a method nothing calls (a training script may)', base.replace('    def _init_weights(self, m):', '    def init_pos(self):\n        self.pos_embed.data.normal_(std=0.02)\n\n    def _init_weights(self, m):'), /adds a term to the signal/],
      ['the same table added twice (2p, not two tables)', base.replace('        x = x + self.pos_embed\n', '        x = x + self.pos_embed\n        x = x + self.pos_embed\n'), /`x \+ self\.pos_embed` adds a term to the signal/],
      ['a class token from a slice of a table', base.replace('x = torch.cat((cls_token, x), dim=1)', 'x = torch.cat((self.pos_embed[:, 1:], x), dim=1)'), /concatenation/],
    ];
    for (const [what, text, reason] of cases) {
      const n = network(text);
      assert.match(n.unsimulable ?? '', reason, what);
      assert.equal(simulateTokenStream(n, NEVER_CANCELLED), undefined, what);
    }
  });
});
