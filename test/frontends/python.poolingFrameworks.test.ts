/**
 * The pooled networks of test/reference/pooling/ written in Flax (`nn.max_pool`/`nn.avg_pool`,
 * `jnp.mean(x, axis=(1, 2))` as the global average) and in Keras (`MaxPooling2D`,
 * `AveragePooling2D`, `GlobalAveragePooling2D`): each pool is an op with its geometry, and the
 * analytic pass gives the same numbers as for the PyTorch code PyTorch measured
 * (test/unit/pooling.oracle.test.ts holds those to PyTorch).
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { PoolOp } from '../../server/src/core/ir';
import type { NetworkSimulation } from '../../server/src/core/simulation/types';
import { readReference } from '../support/reference';
import { pythonSupport } from '../support/python';

const configs = readReference<{ configs: { id: string; python: string }[] }>('pooling/pooling_ground_truth.json').configs;

function flax(pool: 'max_pool' | 'avg_pool'): string {
  return `import flax.linen as nn
import jax
import jax.numpy as jnp


class Net(nn.Module):
    @nn.compact
    def __call__(self, x):
        init = nn.initializers.kaiming_normal()
        x = nn.relu(nn.Conv(64, (3, 3), kernel_init=init)(x))
        x = nn.${pool}(x, (2, 2), strides=(2, 2))
        x = nn.relu(nn.Conv(64, (3, 3), kernel_init=init)(x))
        x = nn.${pool}(x, (2, 2), strides=(2, 2))
        x = nn.relu(nn.Conv(64, (3, 3), kernel_init=init)(x))
        x = jnp.mean(x, axis=(1, 2))
        return nn.Dense(10, kernel_init=init)(x)


variables = Net().init(jax.random.PRNGKey(0), jnp.ones((16, 32, 32, 64)))
`;
}

function keras(pool: 'MaxPooling2D' | 'AveragePooling2D'): string {
  return `import keras
from keras import layers

inputs = keras.Input(shape=(32, 32, 64))
x = layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer="he_normal")(inputs)
x = layers.${pool}(2)(x)
x = layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer="he_normal")(x)
x = layers.${pool}(2)(x)
x = layers.Conv2D(64, 3, padding="same", activation="relu", kernel_initializer="he_normal")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, kernel_initializer="he_normal")(x)
model = keras.Model(inputs, outputs)
`;
}

describe('pooling read from Flax and Keras', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const read = (text: string) => {
    const result = analyze({ text, languageId: 'python', python });
    return { pools: result.networks[0]!.ops.filter((op): op is PoolOp => op.op === 'pool'), simulation: result.simulations[0]! };
  };

  const same = (ours: NetworkSimulation, torch: NetworkSimulation, what: string) => {
    assert.equal(ours.layers.length, torch.layers.length, what);
    ours.layers.forEach((layer, l) => {
      for (const field of ['forwardVariance', 'gradientVariance'] as const) {
        const [a, b] = [layer[field], torch.layers[l]![field]];
        assert.ok(Math.abs(a - b) <= 1e-9 * Math.abs(b), `${what} layer ${l + 1} ${field}: ${a} vs PyTorch code's ${b}`);
      }
    });
  };

  for (const [id, flaxPool, kerasPool, kind] of [['relu_max2', 'max_pool', 'MaxPooling2D', 'max'], ['relu_avg2', 'avg_pool', 'AveragePooling2D', 'average']] as const) {
    it(`${id}: Flax and Keras give the PyTorch code's numbers`, () => {
      const torch = read(configs.find((c) => c.id === id)!.python).simulation;
      for (const [what, text] of [['Flax', flax(flaxPool)], ['Keras', keras(kerasPool)]] as const) {
        const { pools, simulation } = read(text);
        assert.deepEqual(pools.map((p) => `${p.kind} ${p.geometry.inputSpatial.join('×')}→${p.geometry.outputSpatial.join('×')}${p.flat ? ' flat' : ''}`),
          [`${kind} 32×32→16×16`, `${kind} 16×16→8×8`, 'average 8×8→1×1 flat'], what);
        same(simulation, torch, what);
      }
    });
  }

  it('Flax: strides default to 1, SAME padding, count_include_pad=False', () => {
    const text = flax('avg_pool')
      .replace('nn.avg_pool(x, (2, 2), strides=(2, 2))', 'nn.avg_pool(x, (3, 3), padding="SAME", count_include_pad=False)')
      .replace('nn.avg_pool(x, (2, 2), strides=(2, 2))', 'nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))');
    const { pools } = read(text);
    assert.deepEqual(pools.map((p) => [p.kind, p.geometry.outputSpatial, p.geometry.stride, p.geometry.padBefore, p.countPadding]),
      [['average', [32, 32], [1, 1], [1, 1], false], ['max', [16, 16], [2, 2], [1, 1], false], ['average', [1, 1], [16, 16], [0, 0], false]]);
  });
});
