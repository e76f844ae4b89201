/**
 * Keras `MultiHeadAttention` read into the AttentionOp (frameworks/kerasAttention.ts,
 * interpreter.ts kerasAttentionCall), with the fans its version gives the EinsumDense kernels
 * (frameworks/kerasVersion.ts, keras-team/keras#22789): the `keras-version` setting, else the
 * project's pinned requirement, else a fan-scaled init is unknown, naming what decides it.
 */
import { strict as assert } from 'node:assert';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import { validateConfig } from '../../server/src/core/config/validate';
import { resolveSettings } from '../../server/src/core/config/resolve';
import { admittedInterval, decisionOfPins, requirementsOf } from '../../server/src/core/frontends/python/frameworks/kerasVersion';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { type AttentionOp, type Network, walkOps } from '../../server/src/core/ir';
import { weightVariance } from '../../server/src/core/knowledge/initializers';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { pythonSupport } from '../support/python';
import { MemoryFiles } from '../support/workspace';

/** keras.io's text-classification transformer, widened: d_model 512, 8 heads of 64, post-LN. */
const model = (attention = 'layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim // num_heads)', call = 'self.att(inputs, inputs)') => `import keras
from keras import layers


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = ${attention}
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs, training=False):
        attn_output = ${call}
        out1 = self.layernorm1(inputs + attn_output)
        return self.layernorm2(out1 + self.ffn(out1))


inputs = layers.Input(shape=(128,))
x = layers.Embedding(20000, 512)(inputs)
for _ in range(4):
    x = TransformerBlock(512, 8, 2048)(x)
outputs = layers.Dense(2)(x)
model = keras.Model(inputs=inputs, outputs=outputs)
`;

describe('python: Keras MultiHeadAttention', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const attentions = (result: AnalysisResult): AttentionOp[] => {
    const n = result.networks.find((x) => x.name === 'model');
    assert.ok(n, 'no network model');
    return [...walkOps(n.ops)].filter((op): op is AttentionOp => op.op === 'attention');
  };
  const run = (text: string, kerasVersion?: string, py: PythonSupport = python) =>
    analyze({ text, languageId: 'python', python: py }, { ...DEFAULT_SETTINGS, ...(kerasVersion ? { kerasVersion } : {}) });
  const variances = (op: AttentionOp) => [op.query, op.key, op.value, op.output!].map((l) => weightVariance(l.init.semantics!, l.frameworkFans!, l.receptiveField));

  it('reads heads, key_dim, 1/√key_dim, the true fans and glorot_uniform over the kernel-shape fans of Keras before 3.15', () => {
    const ops = attentions(run(model(), '3.14'));
    assert.equal(ops.length, 4);
    const op = ops[0]!;
    assert.equal(op.heads, 8);
    assert.equal(op.headDim, 64);
    assert.equal(op.logitScale, 1 / 8);
    assert.equal(op.causal, false);
    for (const l of [op.query, op.key, op.value, op.output!]) assert.deepEqual(l.fans, { fanIn: 512, fanOut: 512 });
    // compute_fans on [512, 8, 64]: fan_in 8·512, fan_out 64·512; on [8, 64, 512]: 64·8, 512·8.
    assert.deepEqual(op.query.frameworkFans, { fanIn: 4096, fanOut: 32768 });
    assert.deepEqual(op.output!.frameworkFans, { fanIn: 512, fanOut: 4096 });
    const [q, k, v, o] = variances(op);
    assert.equal(q, 2 / (512 * (8 + 64)));
    assert.equal(k, q);
    assert.equal(v, q);
    assert.equal(o, 2 / (8 * (64 + 512)));
    assert.match(op.query.init.label, /kernel-shape fans of Keras before 3\.15 \(keras-version = "3\.14"\)/);
  });

  it('from Keras 3.15 glorot_uniform gets the einsum\'s fans: Var = 2/(d + heads·key_dim)', () => {
    const op = attentions(run(model(), '3.15.1'))[0]!;
    for (const l of [op.query, op.key, op.value, op.output!]) assert.deepEqual(l.frameworkFans, { fanIn: 512, fanOut: 512 });
    for (const variance of variances(op)) assert.equal(variance, 2 / 1024);
  });

  it('without a version a fan-scaled init is unknown and says which settings decide it; a fixed std is read', () => {
    const op = attentions(run(model()))[0]!;
    for (const l of [op.query, op.key, op.value, op.output!]) {
      assert.equal(l.init.semantics, undefined);
      assert.match(l.init.label, /depends on the Keras version .*keras-version in \[tool\.initwise\] \(initwise\.kerasVersion in the editor\) or pin keras/);
    }
    const fixed = attentions(run(model('layers.MultiHeadAttention(num_heads=8, key_dim=64, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02))')))[0]!;
    for (const variance of variances(fixed)) assert.ok(Math.abs(variance - 0.0004) < 1e-18);
  });

  it('reads the pin of the project: requirements.txt, pyproject.toml; the result depends on the file', () => {
    const cases: [Record<string, string>, number | undefined][] = [
      [{ 'requirements.txt': 'numpy\nkeras==3.3.1  # pinned\n' }, 2 / (512 * 72)],
      [{ 'requirements.txt': 'tensorflow==2.15.*\n' }, 2 / (512 * 72)],
      [{ 'pyproject.toml': '[project]\nname = "x"\ndependencies = ["keras>=3.15,<4"]\n' }, 2 / 1024],
      [{ 'requirements.txt': 'tensorflow>=2.16\n' }, undefined],
      [{ 'requirements.txt': 'keras>=3.10\n' }, undefined],
    ];
    for (const [pins, expected] of cases) {
      const files = new MemoryFiles({ ...pins, 'main.py': model() });
      const result = run(files.text('main.py'), undefined, files.python(python, 'main.py'));
      const op = attentions(result)[0]!;
      if (expected === undefined) assert.equal(op.query.init.semantics, undefined, JSON.stringify(pins));
      else assert.equal(variances(op)[0], expected, JSON.stringify(pins));
      const pinFile = Object.keys(pins)[0]!;
      assert.ok(result.dependencies.some((d) => d.path === `/project/${pinFile}` && d.version !== undefined), 'the pin file is a dependency');
    }
    // The setting wins over the pin.
    const files = new MemoryFiles({ 'requirements.txt': 'keras==3.3.1\n', 'main.py': model() });
    assert.equal(variances(attentions(run(files.text('main.py'), '3.15', files.python(python, 'main.py')))[0]!)[0], 2 / 1024);
  });

  it('reads use_causal_mask, output_shape and use_bias; leaves what it cannot be certain of unknown', () => {
    const causal = attentions(run(model(undefined, 'self.att(inputs, inputs, use_causal_mask=True, training=training)'), '3.15'))[0]!;
    assert.equal(causal.causal, true);
    const shaped = attentions(run(model('layers.MultiHeadAttention(8, 64, output_shape=512, use_bias=False)', 'self.att(query=inputs, value=inputs, key=inputs)'), '3.15'))[0]!;
    assert.deepEqual(shaped.output!.fans, { fanIn: 512, fanOut: 512 });
    const unknown = [
      model(undefined, 'self.att(inputs, training)'),
      model(undefined, 'self.att(inputs, inputs, attention_mask=training)'),
      model(undefined, 'self.att(inputs, inputs, return_attention_scores=True)'),
      model('layers.MultiHeadAttention(num_heads=8, key_dim=64, value_dim=32)'),
      model('layers.MultiHeadAttention(num_heads=8, key_dim=64, attention_axes=(1,))'),
      model('layers.MultiHeadAttention(num_heads=8, key_dim=64, output_shape=(4, 128))'),
      model('layers.MultiHeadAttention(num_heads=8, key_dim=64, bias_initializer="random_normal")'),
      model('layers.MultiHeadAttention(num_heads=8, key_dim=64, kernel_initializer="orthogonal")'),
    ];
    for (const text of unknown) {
      const n: Network = run(text, '3.15').networks.find((x) => x.name === 'model')!;
      const ops = [...walkOps(n.ops)].filter((op): op is AttentionOp => op.op === 'attention');
      assert.ok(ops.length === 0 || ops.every((op) => op.query.init.semantics === undefined), text);
    }
  });

  it('reads an attention that Keras masks per token (mask_zero=True) as unmasked: a sequence of real tokens has nothing to mask', () => {
    const masked = attentions(run(model().replace('layers.Embedding(20000, 512)', 'layers.Embedding(20000, 512, mask_zero=True)'), '3.15'));
    assert.equal(masked.length, 4);
    assert.equal(variances(masked[0]!)[0], 2 / 1024);
  });

  it('admits PEP 440 specifier sets as one interval and decides the fan rule from the pins', () => {
    const pins = (text: string) => decisionOfPins('requirements.txt', requirementsOf('requirements.txt', text))?.rule;
    assert.equal(pins('keras==3.14.1'), 'kernel-shape');
    assert.equal(pins('keras==3.15.0'), 'einsum-axes');
    assert.equal(pins('keras~=3.14.0'), 'kernel-shape');
    assert.equal(pins('keras~=3.14'), undefined);
    assert.equal(pins('keras<3.15'), 'kernel-shape');
    assert.equal(pins('keras>=3.15,!=3.16.0'), 'einsum-axes');
    assert.equal(pins('Keras[jax] == 3.3.*'), 'kernel-shape');
    assert.equal(pins('keras==3.15.0; python_version >= "3.10"'), undefined);
    assert.equal(pins('keras==3.15.0rc1'), undefined);
    assert.equal(pins('tensorflow-cpu<2.16'), 'kernel-shape');
    assert.equal(pins('tensorflow==2.15.0\nkeras==3.15.1'), 'einsum-axes');
    assert.equal(pins('numpy\ntorch'), undefined);
    assert.deepEqual(admittedInterval('>=3.1, <3.15'), { low: [3, 1], high: [3, 15], highInclusive: false });
  });

  it('keras-version is a configuration key (major.minor at least) and a setting', () => {
    const ok = validateConfig({ 'keras-version': '3.15' });
    assert.ok(ok.ok);
    assert.equal(resolveSettings(ok.config, undefined).kerasVersion, '3.15');
    const bad = validateConfig({ 'keras-version': '3' });
    assert.ok(!bad.ok);
    assert.match(bad.problem.message, /expected a Keras version with its minor/);
    assert.ok(validateConfig({ kerasVersion: '2.15.1' }, { camelCase: true }).ok);
  });
});
