/**
 * timm's VisionTransformer shape read whole (issue 15, real code): the PatchEmbed convolution
 * (kernel_size = stride = patch) whose output `flatten(2).transpose(1, 2)` makes tokens, the token
 * count from the part (`self.patch_embed.num_patches`), the fused qkv `reshape(B, N, 3, H, D)
 * .permute(2, 0, 3, 1, 4)` handed out by `unbind(0)` or `qkv[0], qkv[1], qkv[2]`. Over tokens
 * the patch convolution is each patch's dense map: the same numbers as a Linear patch embedding
 * (vit-pytorch's), exactly in the analytic pass. Anything else stays unsimulated.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { type AttentionOp, type Network, walkOps } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { simulateTokenMonteCarlo } from '../../server/src/core/simulation/montecarlo';
import { pythonSupport } from '../support/python';

const FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'rules', 'IW402', 'clean_timm_vit.py');

/** A small ViT in timm's shape; `patches` is the patch embedding's class and forward, `split` how q, k, v leave the fused qkv. */
function small(patches: { init: string; forward: string }, split = 'q, k, v = qkv.unbind(0)', reshape = 'qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)'): string {
  return `import torch
import torch.nn as nn
from einops.layers.torch import Rearrange


class Patches(nn.Module):
    def __init__(self, img_size=64, patch_size=16, in_chans=3, embed_dim=192):
        super().__init__()
        self.num_patches = (img_size // patch_size) ** 2
${patches.init}

    def forward(self, x):
${patches.forward}


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        ${reshape}
        ${split}
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, embed_dim=192, depth=2, num_heads=3):
        super().__init__()
        self.patch_embed = Patches(embed_dim=embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.patch_embed.num_patches + 1, embed_dim) * .02)
        self.blocks = nn.Sequential(*[Block(embed_dim, num_heads) for _ in range(depth)])

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        return self.blocks(x + self.pos_embed)
`;
}

const CONV = {
  init: '        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)',
  forward: '        return self.proj(x).flatten(2).transpose(1, 2)',
};
const LINEAR = {
  init: `        self.proj = nn.Sequential(
            Rearrange('b c (h p1) (w p2) -> b (h w) (p1 p2 c)', p1=patch_size, p2=patch_size),
            nn.Linear(in_chans * patch_size * patch_size, embed_dim),
        )`,
  forward: '        return self.proj(x)',
};

describe('python: timm\'s VisionTransformer (conv patch embedding, fused qkv, num_patches of the part)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function network(text: string, name: string): Network {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === name);
    assert.ok(found, `no network ${name}`);
    return found;
  }

  it('the timm-shaped ViT-B/16 fixture: the conv read over tokens, 197 tokens from the part\'s num_patches, 12 attentions of 12×64', () => {
    const net = network(fs.readFileSync(FIXTURE, 'utf8'), 'VisionTransformer');
    assert.equal(net.unsimulable, undefined);
    assert.equal(net.tokens, 197);
    assert.equal(net.tokensFrom, 'num_patches + 1');
    const first = net.ops[0]!;
    assert.ok(first.op === 'layer' && first.kind === 'conv2d' && first.patchTokens === true);
    assert.deepEqual([first.fans?.fanIn, first.receptiveField], [768, 256]);
    assert.deepEqual(net.ops.slice(1, 3).map((op) => op.op), ['classToken', 'positionTable']);
    const attentions = walkOps(net.ops).filter((op): op is AttentionOp => op.op === 'attention');
    assert.equal(attentions.length, 12);
    assert.deepEqual([attentions[0]!.heads, attentions[0]!.headDim, attentions[0]!.scaleLabel], [12, 64, '1/√64']);
    assert.ok(simulateTokenStream(net, NEVER_CANCELLED), 'the token stream is simulated');
  });

  it('over tokens the patch convolution is the Linear patch embedding: the same analytic stream, exactly', () => {
    const conv = simulateTokenStream(network(small(CONV), 'ViT'), NEVER_CANCELLED);
    const linear = simulateTokenStream(network(small(LINEAR), 'ViT'), NEVER_CANCELLED);
    assert.ok(conv && linear);
    assert.equal(conv.tokens, 17);
    const numbers = (s: NonNullable<typeof conv>) => s.stream.map((p) => [p.secondMoment, p.correlation, p.gradient]);
    assert.deepEqual(numbers(conv), numbers(linear));
  });

  it('the Monte-Carlo pass draws the convolution as each patch\'s map (out_channels × in·k·k) and agrees with the analytic pass', function () {
    this.timeout(120_000);
    const net = network(small(CONV), 'ViT');
    const analytic = simulateTokenStream(net, NEVER_CANCELLED)!;
    const runs = [1, 2, 3, 4].map((seed) => simulateTokenMonteCarlo(net, { seed, batch: 4, gradientAtLogits: false }, NEVER_CANCELLED));
    assert.ok(runs.every((r) => r !== undefined), 'the Monte-Carlo pass declined');
    analytic.stream.forEach((p, i) => {
      const mean = runs.reduce((a, r) => a + r.stream[i]!.secondMoment, 0) / runs.length;
      // Four seeds of 4 × 17 tokens at width 192: the seeds' mean within 5% of mean field.
      assert.ok(Math.abs(mean / p.secondMoment - 1) < 0.05, `sum ${i + 1}: Monte-Carlo ${mean} vs analytic ${p.secondMoment}`);
    });
  });

  const SAME: readonly [string, string, string?][] = [
    ['qkv[0], qkv[1], qkv[2]', 'q, k, v = qkv[0], qkv[1], qkv[2]'],
    ['unbind(dim=0)', 'q, k, v = qkv.unbind(dim=0)'],
    ['reshape with the head width', 'q, k, v = qkv.unbind(0)', 'qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, 64).permute(2, 0, 3, 1, 4)'],
  ];
  for (const [label, split, reshape] of SAME) {
    it(`${label}: the same attention`, () => {
      const a = simulateTokenStream(network(small(CONV, split, reshape), 'ViT'), NEVER_CANCELLED);
      const b = simulateTokenStream(network(small(CONV), 'ViT'), NEVER_CANCELLED);
      assert.ok(a && b);
      assert.deepEqual(a.stream.map((p) => p.secondMoment), b.stream.map((p) => p.secondMoment));
    });
  }

  it('flatten(2).permute(0, 2, 1) is the same tokens', () => {
    const net = network(small({ ...CONV, forward: '        return self.proj(x).flatten(2).permute(0, 2, 1)' }), 'ViT');
    assert.equal(net.unsimulable, undefined);
  });

  const UNKNOWN: readonly [string, string][] = [
    ['overlapping patches (stride below the kernel)', small({ ...CONV, init: CONV.init.replace('stride=patch_size', 'stride=8') })],
    ['a padded convolution', small({ ...CONV, init: CONV.init.replace('stride=patch_size)', 'stride=patch_size, padding=1)') })],
    ['a norm between the convolution and its tokens', small({ init: `${CONV.init}\n        self.bn = nn.BatchNorm2d(embed_dim)`, forward: '        return self.bn(self.proj(x)).flatten(2).transpose(1, 2)' })],
    ['flatten(1): no positions left', small({ ...CONV, forward: '        return self.proj(x).flatten(1).transpose(1, 2)' })],
    ['the heads permuted another way', small(CONV, 'q, k, v = qkv.unbind(0)', 'qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 1, 3, 4)')],
    ['a head width that does not fill the projection', small(CONV, 'q, k, v = qkv.unbind(0)', 'qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, 32).permute(2, 0, 3, 1, 4)')],
    ['unbind along another axis', small(CONV, 'q, k, v = qkv.unbind(1)')],
  ];
  for (const [label, text] of UNKNOWN) {
    it(`${label}: not simulated, nothing reported`, () => {
      const net = network(text, 'ViT');
      assert.equal(simulateTokenStream(net, NEVER_CANCELLED), undefined);
      assert.deepEqual(analyze({ text, languageId: 'python', python }).findings.map((f) => f.code), []);
    });
  }
});
