/**
 * Flax linen attention read into the AttentionOp (frameworks/attentionLayers.ts flaxAttention,
 * interpreter.ts flaxAttentionCall): `nn.MultiHeadDotProductAttention` / `nn.SelfAttention` with
 * their DenseGeneral projections' true fans (DenseGeneral flattens the kernel to 2-D before
 * kernel_init, so lecun_normal gives Var = 1/fan_in), 1/√(qkv/heads) on the logits, causal masks
 * from `nn.make_causal_mask`; and every call or setting it cannot be certain of left unknown.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { type AttentionOp, type Network, walkOps } from '../../server/src/core/ir';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';

/** A pre-LN Flax block after an nn.Embed (features 256), the attention written as `attention`. */
function model(attention: string, header = ''): string {
  return `import jax
import jax.numpy as jnp
import flax.linen as nn
${header}

class Net(nn.Module):
    @nn.compact
    def __call__(self, idx):
        x = nn.Embed(1000, 256)(idx)
        h = nn.LayerNorm()(x)
        h = ${attention}
        return x + h


model = Net()
params = model.init(jax.random.PRNGKey(0), jnp.ones((1, 128), dtype=jnp.int32))
`;
}

describe('python: Flax attention', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  function network(text: string): Network {
    const found = analyze({ text, languageId: 'python', python }).networks.find((n) => n.name === 'Net');
    assert.ok(found, 'no network Net');
    return found;
  }
  function read(text: string): { op: AttentionOp; n: Network } {
    const n = network(text);
    assert.equal(n.unsimulable, undefined, text);
    const ops = [...walkOps(n.ops)].filter((op): op is AttentionOp => op.op === 'attention');
    assert.equal(ops.length, 1);
    return { op: ops[0]!, n };
  }
  function unknown(text: string): void {
    const n = network(text);
    assert.equal([...walkOps(n.ops)].filter((op) => op.op === 'attention').length, 0, text);
    assert.ok(n.unsimulable !== undefined, text);
  }

  it('reads nn.MultiHeadDotProductAttention with its defaults: heads, head width, 1/√depth, lecun_normal over the true fans', () => {
    const { op, n } = read(model('nn.MultiHeadDotProductAttention(num_heads=8)(h)'));
    assert.equal(op.heads, 8);
    assert.equal(op.headDim, 32);
    assert.equal(op.logitScale, 1 / Math.sqrt(32));
    assert.equal(op.causal, false);
    for (const layer of [op.query, op.key, op.value, op.output!]) {
      assert.deepEqual(layer.fans, { fanIn: 256, fanOut: 256 });
      assert.deepEqual(layer.frameworkFans, { fanIn: 256, fanOut: 256 });
      assert.equal(layer.init.label, 'Flax default lecun_normal');
      assert.equal(layer.biasVariance, 0);
    }
    // After the LayerNorm (Flax's ε = 1e-6: q/(q + ε) of the embedding's variance q = 1/256) each
    // projection's output has that times fan_in·Var(W) = 1.
    const s = simulateTokenStream(n, NEVER_CANCELLED);
    assert.ok(s);
    const q = s.simulation.layers[0]!.forwardVariance;
    assert.ok(Math.abs(q - 1 / 256) < 1e-12);
    for (const layer of [op.query, op.key, op.value]) assert.ok(Math.abs(s.simulation.layers[layer.index]!.forwardVariance - q / (q + 1e-6)) < 1e-12);
  });

  it('reads qkv_features, out_features, kernel_init and out_kernel_init', () => {
    const { op } = read(model('nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=128, out_features=256, kernel_init=nn.initializers.normal(stddev=0.02), out_kernel_init=nn.initializers.zeros)(h, h)'));
    assert.equal(op.heads, 4);
    assert.equal(op.headDim, 32);
    assert.equal(op.logitScale, 1 / Math.sqrt(32));
    assert.deepEqual(op.query.fans, { fanIn: 256, fanOut: 128 });
    assert.deepEqual(op.output!.fans, { fanIn: 128, fanOut: 256 });
    assert.deepEqual(op.query.init.semantics, { kind: 'normal', mean: 0, std: 0.02 });
    assert.deepEqual(op.output!.init.semantics, { kind: 'constant', value: 0 });
  });

  it('reads nn.SelfAttention, keyword inputs and a causal mask from nn.make_causal_mask', () => {
    assert.equal(read(model('nn.SelfAttention(num_heads=8)(h, mask=nn.make_causal_mask(idx))')).op.causal, true);
    assert.equal(read(model('nn.MultiHeadDotProductAttention(8)(inputs_q=h, mask=None, deterministic=True)')).op.causal, false);
    // bias_init with use_bias=False (Flax's examples): no bias to initialise.
    assert.equal(read(model('nn.MultiHeadDotProductAttention(num_heads=8, use_bias=False, bias_init=nn.initializers.normal(0.1))(h)')).op.query.biasVariance, 0);
  });

  it('leaves unknown what it cannot be certain of', () => {
    for (const attention of [
      // Cross-attention, an unknown mask, settings that change the computation.
      'nn.MultiHeadDotProductAttention(num_heads=8)(h, x)',
      'nn.MultiHeadDotProductAttention(num_heads=8)(h, mask=jnp.ones((1, 1, 128, 128)))',
      'nn.MultiHeadDotProductAttention(num_heads=8, normalize_qk=True)(h)',
      'nn.MultiHeadDotProductAttention(num_heads=8, decode=True)(h)',
      'nn.MultiHeadDotProductAttention(num_heads=8, attention_fn=my_attention)(h)',
      'nn.MultiHeadDotProductAttention(num_heads=8, bias_init=nn.initializers.normal(0.1))(h)',
      'nn.MultiHeadDotProductAttention(8, jnp.float32)(h)',
      'nn.MultiHeadDotProductAttention(num_heads=heads)(h)',
      // qkv_features not a multiple of the heads.
      'nn.MultiHeadDotProductAttention(num_heads=6, qkv_features=256)(h)',
      'nn.MultiHeadDotProductAttention(num_heads=8)(h, sow_weights=True)',
    ]) unknown(model(attention, 'import sys\nheads = len(sys.argv)\n\ndef my_attention(q, k, v, **kw):\n    return v\n'));
  });
});
