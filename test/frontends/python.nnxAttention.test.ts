/**
 * Flax nnx attention read into the AttentionOp (frameworks/attentionLayers.ts nnxAttention,
 * interpreter.ts flaxAttentionCall): `nnx.MultiHeadAttention(num_heads, in_features, …, rngs)` in an
 * `nnx.Module` with `__init__(self, …, *, rngs)` and `__call__`; LinearGeneral flattens each
 * kernel to 2-D before kernel_init (flax/nnx/nn/linear.py kernel_init_wrap), so lecun_normal gives
 * Var = 1/fan_in on the true fans; the query is divided by √(qkv/heads); `decode` must be False.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { type AttentionOp, type Network, walkOps } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { weightVariance } from '../../server/src/core/knowledge/initializers';
import { pythonSupport } from '../support/python';

const model = (attention: string, call = 'self.attn(self.norm(x))', norm = 'nnx.LayerNorm(d_model, rngs=rngs)') => `import jax.numpy as jnp
from flax import nnx


class Net(nnx.Module):
    def __init__(self, vocab: int, d_model: int, *, rngs: nnx.Rngs):
        self.embed = nnx.Embed(vocab, d_model, rngs=rngs)
        self.norm = ${norm}
        self.attn = ${attention}

    def __call__(self, idx):
        x = self.embed(idx)
        return x + ${call}


model = Net(1000, 256, rngs=nnx.Rngs(0))
`;

describe('python: Flax nnx attention', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const network = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  };
  const attentions = (text: string) => [...walkOps(network(text).ops)].filter((op): op is AttentionOp => op.op === 'attention');

  it('reads nnx.MultiHeadAttention with its defaults: heads, head width, 1/√depth, lecun_normal over the true fans, zero biases', () => {
    const ops = attentions(model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)'));
    assert.equal(ops.length, 1);
    const op = ops[0]!;
    assert.equal(op.heads, 8);
    assert.equal(op.headDim, 32);
    assert.equal(op.logitScale, 1 / Math.sqrt(32));
    assert.equal(op.causal, false);
    for (const l of [op.query, op.key, op.value, op.output!]) {
      assert.deepEqual(l.fans, { fanIn: 256, fanOut: 256 });
      assert.deepEqual(l.frameworkFans, { fanIn: 256, fanOut: 256 });
      assert.equal(l.init.label, 'Flax default lecun_normal');
      assert.equal(weightVariance(l.init.semantics!, l.frameworkFans), 1 / 256);
      assert.equal(l.biasVariance, 0);
    }
  });

  it('reads positional widths, qkv_features, out_features, out_kernel_init, a causal mask and decode=False at the call', () => {
    const op = attentions(model(
      'nnx.MultiHeadAttention(4, d_model, 128, 256, out_kernel_init=nnx.initializers.zeros, rngs=rngs)',
      'self.attn(self.norm(x), mask=nnx.make_causal_mask(idx), decode=False, deterministic=True)',
    ))[0]!;
    assert.equal(op.heads, 4);
    assert.equal(op.headDim, 32);
    assert.equal(op.causal, true);
    assert.deepEqual(op.query.fans, { fanIn: 256, fanOut: 128 });
    assert.deepEqual(op.output!.fans, { fanIn: 128, fanOut: 256 });
    assert.equal(op.output!.init.semantics?.kind, 'constant');
    // Flax 0.12's call keyword (minigpt's `self.mha(inputs_q=inputs, is_causal=True, decode=False)`).
    const flagged = attentions(model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, rngs=rngs)', 'self.attn(inputs_q=self.norm(x), is_causal=True, decode=False)'))[0]!;
    assert.equal(flagged.causal, true);
  });

  it('leaves what it cannot be certain of unknown', () => {
    const unknown = [
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=True, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, num_kv_heads=2, decode=False, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, normalize_qk=True, decode=False, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, attention_fn=my_attention, decode=False, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, bias_init=nnx.initializers.ones, decode=False, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=128, decode=False, rngs=rngs)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)', 'self.attn(self.norm(x), x)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)', 'self.attn(self.norm(x), mask=padding)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)', 'self.attn(self.norm(x), is_causal=causal)'),
      model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)', undefined, 'nnx.LayerNorm(d_model, scale_init=nnx.initializers.zeros, rngs=rngs)'),
    ];
    for (const text of unknown) {
      const n = network(text);
      assert.equal([...walkOps(n.ops)].filter((op) => op.op === 'attention').length, 0, text);
      assert.ok(n.unsimulable !== undefined, text);
    }
  });

  it('reads nnx.RMSNorm before the attention and nnx.Embed\'s N(0, 1/features) as the stream input', () => {
    const n = network(model('nnx.MultiHeadAttention(num_heads=8, in_features=d_model, decode=False, rngs=rngs)', undefined, 'nnx.RMSNorm(d_model, rngs=rngs)'));
    assert.equal(n.unsimulable, undefined);
    assert.equal([...walkOps(n.ops)].filter((op) => op.op === 'attention').length, 1);
    assert.ok([...walkOps(n.ops)].some((op) => op.op === 'norm' && op.kind === 'rmsnorm'));
    const embed = n.layers[0]!;
    assert.equal(embed.kind, 'embedding');
    assert.equal(weightVariance(embed.init.semantics!, embed.frameworkFans!), 1 / 256);
    assert.ok(n.ops.some((op) => op.op === 'residual'));
  });
});
