/**
 * Activations: every spelling, parameters, the implicit linear, and which activation a
 * layer's output actually feeds (its consumer).
 */
import * as assert from 'node:assert/strict';
import type { ActivationUse, WeightLayer } from '../../server/src/core/ir';
import { layer, layers, network, parseNetdef, wrap } from './netdefSupport';

function fused(l: WeightLayer): ActivationUse {
  assert.notEqual(l.activation, 'unknown');
  return l.activation as ActivationUse;
}

function consumer(l: WeightLayer): string {
  return l.consumer === 'unknown' ? 'unknown' : `${l.consumer.name}${l.consumer.param === undefined ? '' : `(${l.consumer.param})`}`;
}

describe('netdef activations', () => {
  const spellings: [string, string, number | undefined][] = [
    ['linear', 'linear', undefined], ['identity', 'linear', undefined], ['none', 'linear', undefined],
    ['relu', 'relu', undefined], ['ReLU', 'relu', undefined], ['relu6', 'relu6', undefined],
    ['leaky_relu', 'leaky_relu', 0.01], ['prelu', 'prelu', 0.25], ['elu', 'elu', 1], ['selu', 'selu', undefined],
    ['gelu', 'gelu', undefined], ['silu', 'silu', undefined], ['swish', 'silu', undefined], ['mish', 'mish', undefined],
    ['tanh', 'tanh', undefined], ['sigmoid', 'sigmoid', undefined], ['hard_tanh', 'hard_tanh', undefined],
    ['hardtanh', 'hard_tanh', undefined], ['softplus', 'softplus', undefined], ['softmax', 'softmax', undefined],
  ];
  for (const [written, name, param] of spellings) {
    it(`reads activation=${written} as ${name}${param === undefined ? '' : ` with its default ${param}`}`, () => {
      const text = wrap(`  dense 8 activation=${written}`);
      const l = layers(text)[0]!;
      const use = fused(l);
      assert.equal(use.name, name);
      assert.equal(use.param, param);
      assert.equal(use.explicit, true);
      assert.equal(text.slice(use.span!.start, use.span!.end), written);
    });
  }

  it('reads the parameter of leaky_relu, prelu and elu, including expressions', () => {
    assert.equal(fused(layer('dense 8 activation=leaky_relu(0.2)')).param, 0.2);
    assert.equal(fused(layer('dense 8 activation=prelu(0.1)')).param, 0.1);
    assert.equal(fused(layer('dense 8 activation=elu(1/2)')).param, 0.5);
    assert.equal(fused(layer('dense 8 activation=leaky_relu()')).param, 0.01);
  });

  it('defaults to an implicit linear activation', () => {
    const use = fused(layer('dense 8'));
    assert.deepEqual({ name: use.name, explicit: use.explicit, span: use.span }, { name: 'linear', explicit: false, span: undefined });
  });

  it('a stand-alone activation statement takes a parameter the same way', () => {
    const ops = network(wrap('  dense 4\n  activation leaky_relu(0.3)')).ops;
    const op = ops[1]!;
    assert.equal(op.op === 'activation' && op.activation.param, 0.3);
  });

  describe('consumer', () => {
    it('is the fused activation when it is not linear', () => {
      const [l] = layers(wrap('  dense 8 activation=tanh\n  activation relu'));
      assert.equal(consumer(l!), 'tanh');
      assert.equal(l!.normalizedBeforeActivation, false);
    });

    it('is the next stand-alone activation, past dropout and flatten', () => {
      const [l] = layers(wrap('  dense 8\n  dropout 0.1\n  flatten\n  activation selu\n  dense 2'));
      assert.equal(consumer(l!), 'selu');
      assert.equal(l!.normalizedBeforeActivation, false);
    });

    it('looks past a normalisation and says so', () => {
      const [conv, dense] = layers(wrap('  conv2d 8 kernel=3\n  batchnorm\n  activation relu\n  flatten\n  dense 4\n  layernorm', { input: '3x8x8' }));
      assert.equal(consumer(conv!), 'relu');
      assert.equal(conv!.normalizedBeforeActivation, true);
      // A linear layer into a norm is normalised even when no activation follows.
      assert.equal(consumer(dense!), 'linear');
      assert.equal(dense!.normalizedBeforeActivation, true);
    });

    it('stops at the next weight layer or residual block', () => {
      const [a, b] = layers(wrap('  dense 8\n  dense 8\n  activation relu'));
      assert.equal(consumer(a!), 'linear');
      assert.equal(consumer(b!), 'relu');
      const [c] = layers(wrap('  dense 8\n  residual {\n    activation relu\n  }\n  activation tanh'));
      assert.equal(consumer(c!), 'linear');
    });

    it('stays inside its block: the last layer of a residual body feeds the sum', () => {
      const [, last] = layers(wrap('  residual {\n    dense 64 activation=relu\n    dense 64\n  }\n  activation relu'));
      assert.equal(consumer(last!), 'linear');
    });

    it('follows repeat expansion: the activation at the start of the next expansion counts', () => {
      const all = layers(wrap('  repeat 3 {\n    activation relu\n    dense 8\n  }\n  activation tanh'));
      assert.deepEqual(all.map(consumer), ['relu', 'relu', 'tanh']);
    });

    it('is unknown when the fused activation is unknown or an unreadable line follows', () => {
      const result = parseNetdef(wrap('  dense 8 activation=rleu\n  dense 8\n  activation rleu\n  dense 8\n  frobnicate\n  activation relu'));
      assert.deepEqual(result.networks[0]!.layers.map(consumer), ['unknown', 'unknown', 'unknown']);
      assert.equal(result.networks[0]!.layers[0]!.activation, 'unknown');
    });
  });
});
