/**
 * Each normalisation's ε read from the code (ir.ts NormOp.epsilon, frameworks/normEpsilon.ts):
 * the keyword or the position the framework's signature gives it, else the class's own default
 * (PyTorch 1e-5 and RMSNorm's float32 eps, Keras 1e-3, Flax 1e-6 and BatchNorm's 1e-5); a value
 * that cannot be read is 'unknown', and the token stream is then not simulated. nn.Transformer's
 * layers take layer_norm_eps; `.netdef` has no place for it (netdef.md) and takes its framework's.
 */
import { strict as assert } from 'node:assert';
import { analyze } from '../../server/src/core/analyze';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { type Network, walkOps } from '../../server/src/core/ir';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { simulateTokenStream } from '../../server/src/core/simulation/tokenStream';
import { pythonSupport } from '../support/python';

const TORCH = `import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, d=64, eps=1e-6):
        super().__init__()
        self.a = nn.Linear(d, d)
        self.n1 = nn.LayerNorm(d)
        self.n2 = nn.LayerNorm(d, eps=1e-6)
        self.n3 = nn.LayerNorm(d, 1e-4)
        self.n4 = nn.LayerNorm(d, eps=eps)
        self.n5 = nn.RMSNorm(d)
        self.n6 = nn.RMSNorm(d, eps=1e-5)
        self.n7 = nn.GroupNorm(1, d, 1e-3)
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        x = self.a(x)
        x = self.n7(self.n6(self.n5(self.n4(self.n3(self.n2(self.n1(x)))))))
        x = F.layer_norm(x, self.weight.shape, self.weight, None, 1e-2)
        x = F.layer_norm(x, (64,))
        return F.rms_norm(x, (64,), eps=1e-7)
`;

const KERAS = `import keras
from keras import layers


def build(d=64):
    inputs = keras.Input(shape=(16, d))
    x = layers.Dense(d)(inputs)
    x = layers.LayerNormalization()(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.LayerNormalization(-1, 1e-5)(x)
    x = layers.RMSNormalization()(x)
    return keras.Model(inputs, x)


model = build()
`;

const FLAX = `import flax.linen as nn


class Model(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Dense(64)(x)
        x = nn.LayerNorm()(x)
        x = nn.LayerNorm(epsilon=1e-5)(x)
        x = nn.LayerNorm(1e-3)(x)
        x = nn.RMSNorm()(x)
        return x
`;

const NNX = `from flax import nnx


class Model(nnx.Module):
    def __init__(self, rngs):
        self.dense = nnx.Linear(64, 64, rngs=rngs)
        self.norm = nnx.LayerNorm(64, rngs=rngs)
        self.norm2 = nnx.LayerNorm(64, epsilon=1e-4, rngs=rngs)

    def __call__(self, x):
        return self.norm2(self.norm(self.dense(x)))
`;

const TRANSFORMER = `import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(1000, 64)
        layer = nn.TransformerEncoderLayer(64, 4, 128, 0.0, "gelu", 1e-6, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(64, eps=1e-6))

    def forward(self, idx):
        return self.encoder(self.embed(idx))
`;

const UNREADABLE = `import torch.nn as nn


class Model(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.embed = nn.Embedding(1000, 64)
        self.attn = nn.MultiheadAttention(64, 4, batch_first=True)
        self.norm = nn.LayerNorm(64, eps=config.layer_norm_eps)

    def forward(self, idx):
        x = self.embed(idx)
        h = self.norm(x)
        return x + self.attn(h, h, h, need_weights=False)[0]
`;

describe('Python: each normalisation\'s epsilon, as the code builds it', () => {
  let python: PythonSupport;
  before(async () => { python = await pythonSupport(); });
  const network = (text: string): Network => {
    const found = analyze({ text, languageId: 'python', python }).networks[0];
    assert.ok(found, 'no network');
    return found;
  };
  const epsilons = (n: Network) => [...walkOps(n.ops)].flatMap((op) => (op.op === 'norm' ? [op.epsilon] : []));

  it('PyTorch: eps= and its position, the defaults (1e-5; RMSNorm: float32 eps), a constructor parameter, F.layer_norm / F.rms_norm', () => {
    assert.deepEqual(epsilons(network(TORCH)), [1e-5, 1e-6, 1e-4, 1e-6, 2 ** -23, 1e-5, 1e-3, 1e-2, 1e-5, 1e-7]);
  });

  it('Keras: epsilon= and its position, LayerNormalization\'s 1e-3 and RMSNormalization\'s 1e-6 by default', () => {
    assert.deepEqual(epsilons(network(KERAS)), [1e-3, 1e-6, 1e-5, 1e-6]);
  });

  it('Flax linen (epsilon is the first field) and nnx (keyword only): 1e-6 by default', () => {
    assert.deepEqual(epsilons(network(FLAX)), [1e-6, 1e-5, 1e-3, 1e-6]);
    assert.deepEqual(epsilons(network(NNX)), [1e-6, 1e-4]);
  });

  it('nn.TransformerEncoderLayer\'s layer_norm_eps (positional) on every LayerNorm of its blocks', () => {
    const n = network(TRANSFORMER);
    assert.deepEqual(epsilons(n), Array(5).fill(1e-6));
  });

  it('an epsilon the code does not let InitWise read is unknown: the token stream is not simulated', () => {
    const n = network(UNREADABLE);
    assert.deepEqual(epsilons(n), ['unknown']);
    assert.equal(simulateTokenStream(n, NEVER_CANCELLED), undefined);
    const known = network(UNREADABLE.replace('eps=config.layer_norm_eps', 'eps=1e-5'));
    assert.ok(simulateTokenStream(known, NEVER_CANCELLED));
  });
});

describe('.netdef: a norm has no epsilon in the language (netdef.md), so its framework\'s default', () => {
  it('keras (the default framework) 1e-3, pytorch 1e-5 (rmsnorm 2⁻²³), flax 1e-6', () => {
    const read = (framework: string) => {
      const text = `network n${framework ? ` framework=${framework}` : ''} {\n  input 64 tokens=16\n  dense 64\n  layernorm\n  rmsnorm\n  batchnorm\n}\n`;
      const n = analyze({ text, languageId: 'netdef' }).networks[0];
      assert.ok(n, 'no network');
      return [...walkOps(n.ops)].flatMap((op) => (op.op === 'norm' ? [op.epsilon] : []));
    };
    assert.deepEqual(read(''), [1e-3, 1e-6, 1e-3]);
    assert.deepEqual(read('pytorch'), [1e-5, 2 ** -23, 1e-5]);
    assert.deepEqual(read('flax'), [1e-6, 1e-6, 1e-5]);
  });
});
