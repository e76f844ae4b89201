/**
 * Encoder–decoder transformers read from PyTorch code (issue 15): the configs of
 * test/reference/transformer/decoder_ground_truth.json written as model code (nn.Transformer,
 * nn.TransformerDecoder(nn.TransformerDecoderLayer), causal tgt_mask) must read as the network
 * test/support/decoderNetworks.ts builds from the config, whose simulation
 * test/unit/decoderStream.oracle.test.ts checks against PyTorch: the analytic pass of both
 * agrees to 1e-9 on every stream point, attention and the memory. A bare nn.TransformerDecoder of
 * several layers (deep copies: identical weights) is judged, and simulated by Monte-Carlo only. Cross-attention
 * written with nn.MultiheadAttention(x, memory, memory) and by hand (q from the stream, a fused
 * k/v from the memory) reads as a cross-attention over the model's second input.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import type { Network } from '../../server/src/core/ir';
import { walkOps } from '../../server/src/core/ir';
import { simulateTokenStream, type TokenStreamSimulation } from '../../server/src/core/simulation/tokenStream';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type DecoderConfig, decoderNetwork } from '../support/decoderNetworks';
import { pythonSupport } from '../support/python';
import { readReference } from '../support/reference';

function modelCode(c: DecoderConfig): string {
  const common = `dim_feedforward=${c.dim_feedforward}, dropout=${c.dropout}, activation="${c.activation}", batch_first=True, norm_first=${c.norm_first ? 'True' : 'False'}`;
  if (c.kind === 'transformer') {
    return `import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(d_model=${c.d_model}, nhead=${c.heads}, num_encoder_layers=${c.encoder_layers},
                                          num_decoder_layers=${c.decoder_layers}, ${common})

    def forward(self, src, tgt):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.transformer(src, tgt, tgt_mask=mask)
`;
  }
  const norm = c.decoder_final_norm ? `nn.LayerNorm(${c.d_model})` : 'None';
  return `import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerDecoderLayer(${c.d_model}, ${c.heads}, ${common})
        self.decoder = nn.TransformerDecoder(layer, ${c.decoder_layers}, norm=${norm})

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.size(1))
        return self.decoder(tgt, memory, tgt_mask=mask)
`;
}

/** The network with the config's token counts (the code does not state them). */
function withTokens(network: Network, c: DecoderConfig): Network {
  const ops = network.ops.map((op) => (op.op === 'memory' ? { ...op, tokens: c.src_tokens } : op));
  return { ...network, ops, tokens: c.tgt_tokens };
}

function simulate(network: Network, c: DecoderConfig): TokenStreamSimulation {
  const sim = simulateTokenStream(network, NEVER_CANCELLED, { gradientAtLogits: false, inputCorrelation: c.input.rho_tgt, memoryCorrelation: c.input.rho_src });
  assert.ok(sim, `${c.id}: not simulated`);
  return sim;
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('Python: encoder–decoder transformers (nn.Transformer, nn.TransformerDecoder, cross-attention)', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const read = (text: string, name = 'Model'): Network => {
    const network = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === name);
    assert.ok(network, `no network ${name}`);
    return network;
  };
  const { configs } = readReference<{ configs: DecoderConfig[] }>('transformer/decoder_ground_truth.json');

  for (const config of configs) {
    it(`${config.id}: the code reads as the measured network`, () => {
      const network = read(modelCode(config));
      const copies = config.kind === 'decoder' && config.decoder_layers > 1;
      if (copies) {
        // IW404's record: every one of the layer's six random weights is copied into each block.
        assert.equal(network.unsimulable, undefined);
        assert.match(network.monteCarloOnly ?? '', /blocks start from identical weights \(TransformerDecoder copies one initialised layer\)/);
        assert.deepEqual(network.identicalBlocks?.map((b) => [b.className, b.copies, b.weights.length, b.blockWeights]), [['torch.nn.TransformerDecoder', config.decoder_layers, 6, 6]]);
        assert.equal(network.layers.length, config.decoder_layers * 10);
        return;
      }
      assert.equal(network.unsimulable, undefined);
      assert.equal(network.ops[0]?.op, 'memory');
      const expected = simulate(decoderNetwork(config), config);
      const actual = simulate(withTokens(network, config), config);
      assert.equal(actual.stream.length, expected.stream.length);
      actual.stream.forEach((p, i) => {
        const q = expected.stream[i]!;
        assert.equal(p.memory, q.memory, `stream ${i}: memory`);
        close(p.secondMoment, q.secondMoment, `stream ${i} E[x²]`);
        close(p.correlation, q.correlation, `stream ${i} correlation`);
        close(p.gradient, q.gradient, `stream ${i} gradient`);
      });
      assert.equal(actual.attention.length, expected.attention.length);
      actual.attention.forEach((a, i) => {
        assert.equal(a.op.crossAttention, expected.attention[i]!.op.crossAttention, `attention ${i}: cross`);
        assert.equal(a.op.causal, expected.attention[i]!.op.causal, `attention ${i}: causal`);
        close(a.logitVariance, expected.attention[i]!.logitVariance, `attention ${i} logit variance`);
      });
      close(actual.memory!.secondMoment, expected.memory!.secondMoment, 'memory E[x²]');
      close(actual.memory!.gradient, expected.memory!.gradient, 'memory gradient');
      close(actual.simulation.inputGradientVariance, expected.simulation.inputGradientVariance, 'gradient at tgt');
    });
  }

  it('nn.MultiheadAttention(x, memory, memory) and hand-written cross-attention read the second input as the memory', () => {
    const text = `import math
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d=256, heads=4):
        super().__init__()
        self.d = d
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        self.cross = nn.MultiheadAttention(d, heads, batch_first=True)
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x, memory):
        x = x + self.cross(self.ln1(x), memory, memory)[0]
        B, T, _ = x.shape
        S = memory.shape[1]
        C = self.d
        q = self.q(self.ln2(x)).view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k, v = self.kv(memory).split(C, dim=2)
        k = k.view(B, S, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, S, self.heads, C // self.heads).transpose(1, 2)
        att = F.softmax((q @ k.transpose(-2, -1)) / math.sqrt(C // self.heads), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return x + self.proj(y)


class Decoder(nn.Module):
    def __init__(self, depth=3):
        super().__init__()
        self.blocks = nn.ModuleList([Block() for _ in range(depth)])

    def forward(self, tgt, memory):
        for block in self.blocks:
            tgt = block(tgt, memory)
        return tgt
`;
    // Block alone (a decoder block whose forward takes the memory) and the stack of three built from it.
    const alone = text.slice(0, text.indexOf('class Decoder'));
    for (const [name, code] of [['Block', alone], ['Decoder', text]] as const) {
      const network = read(code, name);
      assert.equal(network.unsimulable, undefined, name);
      const memory = network.ops[0];
      assert.ok(memory?.op === 'memory' && memory.body.length === 0, `${name}: the memory is an input`);
      const attentions = [...walkOps(network.ops)].filter((op) => op.op === 'attention');
      assert.equal(attentions.length, name === 'Block' ? 2 : 6);
      assert.ok(attentions.every((op) => op.op === 'attention' && op.crossAttention && !op.causal && op.logitScale === 1 / 8));
      const sim = simulateTokenStream(network, NEVER_CANCELLED);
      assert.ok(sim?.memory && sim.memory.gradient > 0, `${name}: the memory gets a gradient`);
    }
  });

  it('stays unknown where the memory is not another input or the masks are not read', () => {
    const text = (forward: string) => `import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.transformer = nn.Transformer(d_model=64, nhead=4, num_encoder_layers=1, num_decoder_layers=1)

${forward}
`;
    const simulated = (code: string) => analyze({ text: code, languageId: 'python', python }).networks.some((n) => n.unsimulable === undefined && n.ops.length > 0);
    assert.ok(simulated(text('    def forward(self, src, tgt):\n        return self.transformer(src, tgt)')));
    // src and tgt both from the one input: the memory is not a stream of its own.
    assert.ok(!simulated(text('    def forward(self, x):\n        return self.transformer(x, x)')));
    // A padding mask is not followed.
    assert.ok(!simulated(text('    def forward(self, src, tgt):\n        return self.transformer(src, tgt, src_key_padding_mask=self.pad)')));
    // A second parameter named otherwise (a mask, labels) is not read as a second input.
    assert.ok(!simulated(text('    def forward(self, src, labels):\n        return self.transformer(src, labels)')));
  });
});
