/**
 * Keras transformers written as subclassed layers and applied in the functional graph, as in
 * François Chollet's Deep Learning with Python (issue 15 f): `PositionalEmbedding` with a token
 * and a position Embedding (`tf.range`, `ops.cumsum(ops.ones_like(x), axis=-1) - 1`), a
 * `TransformerEncoder` whose `call(self, inputs, mask=None)` hands Keras's mask to
 * MultiHeadAttention, arguments by keyword (`source=x, source_mask=source != 0`), and the
 * notebook habits around them: widths set again per section, `residual = x = inputs`,
 * `if reverse: return …`, several functional models in one script. What cannot be read with
 * certainty stays unknown.
 */
import { strict as assert } from 'node:assert';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { type AttentionOp, type Network, walkOps, type WeightLayer } from '../../server/src/core/ir';
import { loadPython, python } from './pythonSupport';

function run(text: string, kerasVersion = '3.15'): AnalysisResult {
  return analyze({ text, languageId: 'python', python: python() }, { ...DEFAULT_SETTINGS, kerasVersion });
}

function network(result: AnalysisResult, name: string, index = 0): Network {
  const found = result.networks.filter((n) => n.name === name)[index];
  assert.ok(found, `no network ${name} (${result.networks.map((n) => n.name).join(', ')})`);
  return found;
}

function attentions(n: Network): AttentionOp[] {
  return [...walkOps(n.ops)].filter((op): op is AttentionOp => op.op === 'attention');
}

const IMPORTS = `import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
`;

const ENCODER = `
class TransformerEncoder(layers.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.attention = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential(
            [layers.Dense(dense_dim, activation="relu"),
             layers.Dense(embed_dim),]
        )
        self.layernorm_1 = layers.LayerNormalization()
        self.layernorm_2 = layers.LayerNormalization()

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = mask[:, tf.newaxis, :]
        attention_output = self.attention(
            inputs, inputs, attention_mask=mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        proj_output = self.dense_proj(proj_input)
        return self.layernorm_2(proj_input + proj_output)
`;

function positional(positions = 'tf.range(start=0, limit=length, delta=1)', computeMask = '        return tf.math.not_equal(inputs, 0)'): string {
  return `
class PositionalEmbedding(layers.Layer):
    def __init__(self, sequence_length, input_dim, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = layers.Embedding(
            input_dim=input_dim, output_dim=output_dim)
        self.position_embeddings = layers.Embedding(
            input_dim=sequence_length, output_dim=output_dim)

    def call(self, inputs):
        length = tf.shape(inputs)[-1]
        positions = ${positions}
        embedded_tokens = self.token_embeddings(inputs)
        embedded_positions = self.position_embeddings(positions)
        return embedded_tokens + embedded_positions

    def compute_mask(self, inputs, mask=None):
${computeMask}
`;
}

const SCRIPT = `
vocab_size = 20000
sequence_length = 600
embed_dim = 256
num_heads = 2
dense_dim = 32

inputs = keras.Input(shape=(None,), dtype="int64")
x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(inputs)
x = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
`;

describe('python: Keras subclassed transformer layers (Deep Learning with Python)', () => {
  before(loadPython);

  it('reads chapter 11\'s encoder: widths from the embedding, the position table and its rows, the padding mask as no mask', () => {
    const n = network(run(IMPORTS + ENCODER + positional() + SCRIPT), 'model');
    assert.equal(n.unsimulable, undefined);
    assert.equal(n.tokens, 600);
    assert.equal(n.tokensFrom, 'sequence_length');
    const token = n.layers.find((l) => l.kind === 'embedding' && l.positionEmbedding);
    assert.ok(token, 'the token embedding carries the position table');
    assert.deepEqual(token.positionEmbedding!.fans, { fanIn: 1, fanOut: 256 });
    const [attention] = attentions(n);
    assert.ok(attention);
    assert.deepEqual(attention.query.fans, { fanIn: 256, fanOut: 512 });
    assert.equal(attention.causal, false);
    const dense = n.layers.filter((l) => l.kind === 'dense' && l.activation !== 'unknown' && l.activation.name === 'relu');
    assert.deepEqual(dense.map((l) => l.fans), [{ fanIn: 256, fanOut: 32 }]);
  });

  it('reads Keras positions however they are written; anything else fed to the table is unknown', () => {
    for (const positions of ['tf.range(length)', 'keras.ops.arange(length)', 'keras.ops.cumsum(keras.ops.ones_like(inputs), axis=-1) - 1']) {
      const n = network(run(IMPORTS + 'import keras\n' + ENCODER + positional(positions) + SCRIPT), 'model');
      assert.equal(n.unsimulable, undefined, positions);
      assert.equal(n.tokens, 600, positions);
    }
    for (const positions of ['keras.ops.cumsum(keras.ops.ones_like(inputs))', 'keras.ops.ones_like(inputs)', 'inputs * 2']) {
      const n = network(run(IMPORTS + 'import keras\n' + ENCODER + positional(positions) + SCRIPT), 'model');
      assert.ok(n.unsimulable !== undefined, positions);
    }
  });

  it('takes the sequence length from the input\'s shape where it states one, else from the position table', () => {
    const stated = network(run((IMPORTS + ENCODER + positional() + SCRIPT).replace('keras.Input(shape=(None,), dtype="int64")', 'keras.Input(shape=(200,), dtype="int64")')), 'model');
    assert.equal(stated.tokens, 200);
    assert.equal(stated.tokensFrom, '(200,)');
    const plain = network(run(IMPORTS + ENCODER + SCRIPT.replace('x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(inputs)', 'x = layers.Embedding(vocab_size, embed_dim)(inputs)')), 'model');
    assert.equal(plain.tokens, undefined, 'no length stated: the simulation assumes its default');
  });

  it('leaves the attention unknown where the mask may be more than a padding mask', () => {
    // A mask reaching the encoder through another layer: Keras may or may not propagate it.
    const through = (IMPORTS + ENCODER + positional() + SCRIPT).replace(
      'x = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)',
      'x = layers.Dense(embed_dim)(x)\nx = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)',
    );
    assert.equal(attentions(network(run(through), 'model')).length, 0);
    // The same without any mask made: the attention reads.
    const unmasked = through.replace('    def compute_mask(self, inputs, mask=None):\n        return tf.math.not_equal(inputs, 0)\n', '');
    assert.notEqual(unmasked, through);
    assert.equal(attentions(network(run(unmasked), 'model')).length, 1);
    // compute_mask that may return None: whether the encoder's `if mask is not None` runs is unknown.
    const maybe = IMPORTS + ENCODER + positional(undefined, '        return None if mask is None else mask') + SCRIPT;
    assert.equal(attentions(network(run(maybe), 'model')).length, 0);
    // A causal mask made by hand is not a padding mask.
    const causal = (IMPORTS + ENCODER + positional() + SCRIPT).replace(
      'inputs, inputs, attention_mask=mask)',
      'inputs, inputs, attention_mask=tf.cast(tf.range(600)[:, tf.newaxis] >= tf.range(600), "int32"))',
    );
    assert.equal(attentions(network(run(causal), 'model')).length, 0);
  });

  it('binds a subclassed layer\'s arguments by keyword: the source mask `source != 0` is a padding mask', () => {
    const text = `import keras
from keras import layers


class TransformerEncoder(keras.Layer):
    def __init__(self, hidden_dim, intermediate_dim, num_heads):
        super().__init__()
        key_dim = hidden_dim // num_heads
        self.self_attention = layers.MultiHeadAttention(num_heads, key_dim)
        self.self_attention_layernorm = layers.LayerNormalization()
        self.feed_forward_1 = layers.Dense(intermediate_dim, activation="relu")
        self.feed_forward_2 = layers.Dense(hidden_dim)
        self.feed_forward_layernorm = layers.LayerNormalization()

    def call(self, source, source_mask):
        residual = x = source
        mask = source_mask[:, None, :]
        x = self.self_attention(query=x, key=x, value=x, attention_mask=mask)
        x = x + residual
        x = self.self_attention_layernorm(x)
        residual = x
        x = self.feed_forward_1(x)
        x = self.feed_forward_2(x)
        x = x + residual
        x = self.feed_forward_layernorm(x)
        return x


hidden_dim = 1024
hidden_dim = 256
intermediate_dim = 2048
num_heads = 8

source = keras.Input(shape=(None,), dtype="int32", name="english")
x = layers.Embedding(15000, hidden_dim)(source)
encoder_output = TransformerEncoder(hidden_dim, intermediate_dim, num_heads)(
    source=x,
    source_mask=source != 0,
)
outputs = layers.Dense(15000, activation="softmax")(encoder_output)
transformer = keras.Model(source, outputs)
`;
    const n = network(run(text), 'transformer');
    assert.equal(n.unsimulable, undefined);
    const [attention] = attentions(n);
    assert.deepEqual(attention?.query.fans, { fanIn: 256, fanOut: 256 }, 'hidden_dim is 256 where the script uses it');
    // The mask of something other than the token ids is not a padding mask.
    const other = network(run(text.replace('source_mask=source != 0', 'source_mask=x != 0')), 'transformer');
    assert.equal(attentions(other).length, 0);
  });

  it('follows literals in script order, and only where nothing else may change them', () => {
    const script = (between: string) => `import keras
from keras import layers

width = 1024
inputs = keras.Input(shape=(32,))
outputs = layers.Dense(width, activation="relu")(inputs)
first = keras.Model(inputs, outputs)

${between}
inputs = keras.Input(shape=(32,))
outputs = layers.Dense(width, activation="relu")(inputs)
second = keras.Model(inputs, outputs)
`;
    const fanOut = (text: string, name: string) => network(run(text), name).layers[0]!.fans?.fanOut;
    assert.equal(fanOut(script('width = 256'), 'first'), 1024);
    assert.equal(fanOut(script('width = 256'), 'second'), 256);
    assert.equal(fanOut(script('width = 1024'), 'second'), 1024);
    for (const change of ['width = 256\nwidth = compute()', 'width = 256\nfor width in [64, 128]:\n    pass', 'width = 256\nif flag:\n    width = 64', 'width = 256\nfrom config import width', 'width = 256\ndef f():\n    global width\n    width = 3\nf()']) {
      assert.equal(fanOut(script(change), 'second'), undefined, change);
    }
    // A function reads a global at some time the script does not say: one value per name.
    const builder = `import keras
from keras import layers

width = 1024
width = 256


def build():
    inputs = keras.Input(shape=(32,))
    return keras.Model(inputs, layers.Dense(width, activation="relu")(inputs))
`;
    assert.equal(network(run(builder), 'build').layers[0]!.fans, undefined);
    assert.equal(network(run(builder.replace('width = 1024', 'width = 256')), 'build').layers[0]!.fans?.fanOut, 256, 'the same literal twice is known');
  });

  it('builds each functional model of a script on its own trace, so each is simulated', () => {
    const text = `import keras
from keras import layers

inputs = keras.Input(shape=(32,))
x = layers.Dense(64, activation="relu")(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))

inputs = keras.Input(shape=(32,))
x = layers.Dense(128, activation="relu")(inputs)
model = keras.Model(inputs, layers.Dense(1)(x))
`;
    const result = run(text);
    const models = result.networks.filter((n) => n.name === 'model');
    assert.equal(models.length, 2);
    assert.deepEqual(models.map((m) => m.layers.map((l: WeightLayer) => l.fans?.fanOut)), [[64, 1], [128, 1]]);
    assert.ok(models.every((m) => m.unsimulable === undefined && m.ops.length > 0));
  });

  it('runs `if reverse: return …` only when taken, and a keras.Model subclass without __init__ as a functional model', () => {
    const text = `import keras
from keras import layers
from keras import ops


class PositionalEmbedding(keras.Layer):
    def __init__(self, sequence_length, input_dim, output_dim):
        super().__init__()
        self.token_embeddings = layers.Embedding(input_dim, output_dim)
        self.position_embeddings = layers.Embedding(sequence_length, output_dim)

    def call(self, inputs, reverse=False):
        if reverse:
            token_embeddings = self.token_embeddings.embeddings
            return ops.matmul(inputs, ops.transpose(token_embeddings))
        positions = ops.cumsum(ops.ones_like(inputs), axis=-1) - 1
        embedded_tokens = self.token_embeddings(inputs)
        embedded_positions = self.position_embeddings(positions)
        return embedded_tokens + embedded_positions


class CustomModel(keras.Model):
    def train_step(self, data):
        return {}


inputs = keras.Input(shape=(None,), dtype="int32")
embedding = PositionalEmbedding(256, 1000, 64)
x = embedding(inputs)
x = layers.Dense(64)(x)
outputs = embedding(x, reverse=True)
model = CustomModel(inputs, outputs)
`;
    const n = network(run(text), 'model');
    // The tied head is not read (a product with the table): the Dense before it feeds something unknown,
    // and the embeddings are applied once, not again by the reverse call.
    assert.deepEqual(n.layers.map((l) => l.kind), ['embedding', 'embedding', 'dense']);
    assert.equal(n.layers[2]!.consumer, 'unknown');
  });
});
