/**
 * Every statement and option of the language, and the shapes and fans they produce.
 */
import * as assert from 'node:assert/strict';
import type { ActivationOp, DropoutOp, NormOp, ResidualOp } from '../../server/src/core/ir';
import { layer, layers, network, parseNetdef, wrap } from './netdefSupport';

describe('netdef statements', () => {
  describe('network header', () => {
    it('reads the name, defaults to keras and accepts framework=keras|pytorch|flax in any case', () => {
      const text = 'network MLP {\n  input 4\n  dense 2\n}\n';
      const net = network(text);
      assert.equal(net.name, 'MLP');
      assert.equal(net.framework, 'keras');
      assert.equal(text.slice(net.nameSpan.start, net.nameSpan.end), 'MLP');
      assert.equal(text.slice(net.span.start, net.span.end), 'network MLP');
      assert.equal(net.pretrained, false);
      assert.equal(network('network a framework=PyTorch {\n input 4\n dense 2\n}').framework, 'pytorch');
      assert.equal(network('NETWORK a FRAMEWORK=flax {\n input 4\n dense 2\n}').framework, 'flax');
    });

    it('reads several networks per file, each with its own framework', () => {
      const text = 'network a framework=pytorch {\n input 4\n dense 2\n}\n\nnetwork b {\n input 8\n dense 3\n}\n';
      const result = parseNetdef(text);
      assert.deepEqual(result.findings, []);
      assert.deepEqual(result.networks.map((n) => [n.name, n.framework, n.layers.length]), [['a', 'pytorch', 1], ['b', 'keras', 1]]);
    });
  });

  describe('input', () => {
    it('takes N features or a channels-first CxL, CxHxW or CxDxHxW shape', () => {
      assert.deepEqual(network(wrap('  dense 2', { input: '784' })).inputShape, [784]);
      assert.deepEqual(network(wrap('  conv1d 2 kernel=3', { input: '2x100' })).inputShape, [2, 100]);
      assert.deepEqual(network(wrap('  conv2d 2 kernel=3', { input: '3x32x32' })).inputShape, [3, 32, 32]);
      assert.deepEqual(network(wrap('  conv3d 2 kernel=3', { input: '1x16x32x32' })).inputShape, [1, 16, 32, 32]);
    });

    it('accepts a numeric expression for the feature count', () => {
      assert.deepEqual(network(wrap('  dense 2', { input: '28*28' })).inputShape, [784]);
    });
  });

  describe('dense', () => {
    it('gets fan_in from the incoming features and fan_out from its units', () => {
      const [a, b] = layers(wrap('  dense 128\n  dense 10', { input: '784' }));
      assert.equal(a!.kind, 'dense');
      assert.deepEqual(a!.fans, { fanIn: 784, fanOut: 128 });
      assert.deepEqual(a!.frameworkFans, { fanIn: 784, fanOut: 128 });
      assert.deepEqual(b!.fans, { fanIn: 128, fanOut: 10 });
      assert.equal(a!.receptiveField, 1);
      assert.equal(a!.strideProduct, 1);
    });

    it('records the statement and keyword spans', () => {
      const text = wrap('  dense 128 activation=relu  # hidden');
      const l = layers(text)[0]!;
      assert.equal(text.slice(l.span.start, l.span.end), 'dense 128 activation=relu');
      assert.equal(text.slice(l.kindSpan.start, l.kindSpan.end), 'dense');
    });

    it('is case-insensitive in keywords, options and names', () => {
      const l = layer('DENSE 8 Activation=ReLU INIT=He_Normal');
      assert.equal(l.activation !== 'unknown' && l.activation.name, 'relu');
      assert.equal(l.init.semantics?.kind, 'variance_scaling');
    });

    it('takes options in any order', () => {
      const a = layer('dense 8 init=he_normal activation=tanh use_bias=false');
      const b = layer('dense 8 use_bias=false activation=tanh init=he_normal');
      assert.deepEqual(a.init.semantics, b.init.semantics);
      assert.deepEqual(a.activation !== 'unknown' && a.activation.name, b.activation !== 'unknown' && b.activation.name);
    });
  });

  describe('conv1d / conv2d / conv3d', () => {
    it('computes true fans per output position and the framework fans', () => {
      const l = layer('conv2d 64 kernel=3x3', { input: '32x16x16' });
      assert.deepEqual(l.fans, { fanIn: 32 * 9, fanOut: 64 * 9 });
      assert.deepEqual(l.frameworkFans, { fanIn: 32 * 9, fanOut: 64 * 9 });
      assert.equal(l.receptiveField, 9);
      assert.equal(l.strideProduct, 1);
    });

    it('divides the true fans by groups, while the frameworks divide only fan_in', () => {
      const l = layer('conv2d 64 kernel=3 groups=4', { input: '32x16x16' });
      assert.deepEqual(l.fans, { fanIn: (32 / 4) * 9, fanOut: (64 / 4) * 9 });
      assert.deepEqual(l.frameworkFans, { fanIn: (32 / 4) * 9, fanOut: 64 * 9 });
      const depthwise = layer('conv2d 32 kernel=3 groups=32', { input: '32x16x16' });
      assert.deepEqual(depthwise.fans, { fanIn: 9, fanOut: 9 });
      assert.deepEqual(depthwise.frameworkFans, { fanIn: 9, fanOut: 32 * 9 });
    });

    it('records the stride product for the backward pass', () => {
      const l = layer('conv2d 8 kernel=4x2 stride=2x1', { input: '3x16x16' });
      assert.equal(l.strideProduct, 2);
      assert.equal(l.receptiveField, 8);
      assert.deepEqual(l.fans, { fanIn: 3 * 8, fanOut: 8 * 8 });
    });

    it('accepts one size for every dimension or one per dimension', () => {
      const [c1, c3] = [layer('conv1d 4 kernel=5', { input: '2x50' }), layer('conv3d 4 kernel=3x1x1', { input: '2x8x8x8' })];
      assert.deepEqual(c1.fans, { fanIn: 10, fanOut: 20 });
      assert.deepEqual(c3.fans, { fanIn: 6, fanOut: 12 });
    });

    it('flows the spatial size: valid, same and explicit padding', () => {
      // valid: floor((32-3)/1)+1 = 30; same with stride 2: ceil(30/2) = 15; padding=1, k=3, s=2: floor((15+2-3)/2)+1 = 8.
      const all = layers(wrap('  conv2d 4 kernel=3\n  conv2d 4 kernel=3 stride=2 padding=same\n  conv2d 4 kernel=3 stride=2 padding=1\n  flatten\n  dense 10', { input: '3x32x32' }));
      assert.deepEqual(all[3]!.fans, { fanIn: 4 * 8 * 8, fanOut: 10 });
      const asym = layers(wrap('  conv2d 2 kernel=3x5 padding=valid\n  flatten\n  dense 1', { input: '1x10x10' }));
      assert.deepEqual(asym[1]!.fans, { fanIn: 2 * 8 * 6, fanOut: 1 });
      const perDim = layers(wrap('  conv2d 2 kernel=3 padding=1x0\n  flatten\n  dense 1', { input: '1x10x10' }));
      assert.deepEqual(perDim[1]!.fans, { fanIn: 2 * 10 * 8, fanOut: 1 });
    });
  });

  describe('embedding', () => {
    it('has true fans 1 → DIM and framework fans laid out per framework', () => {
      const keras = layer('embedding 1000 64');
      assert.deepEqual(keras.fans, { fanIn: 1, fanOut: 64 });
      assert.deepEqual(keras.frameworkFans, { fanIn: 1000, fanOut: 64 });
      assert.deepEqual(layer('embedding 1000 64', { framework: 'pytorch' }).frameworkFans, { fanIn: 64, fanOut: 1000 });
      assert.deepEqual(layer('embedding 1000 64', { framework: 'flax' }).frameworkFans, { fanIn: 64, fanOut: 1000 });
    });

    it('feeds DIM features to the next layer, needs no input statement, and has no bias', () => {
      const net = network('network lm {\n  embedding 5000 128\n  dense 256 activation=relu\n}\n');
      assert.equal(net.inputShape, undefined);
      assert.deepEqual(net.layers[1]!.fans, { fanIn: 128, fanOut: 256 });
      assert.equal(net.layers[0]!.biasVariance, 0);
    });

    it('uses the framework default embedding initializer', () => {
      assert.deepEqual(layer('embedding 10 4', { framework: 'pytorch' }).init.semantics, { kind: 'normal', mean: 0, std: 1 });
      assert.deepEqual(layer('embedding 10 4').init.semantics, { kind: 'uniform', low: -0.05, high: 0.05 });
    });
  });

  describe('activation, batchnorm, layernorm, dropout, alphadropout, flatten', () => {
    it('lower to their ops with spans', () => {
      const text = wrap('  dense 8\n  batchnorm\n  activation relu\n  layernorm\n  dropout 0.25\n  alphadropout 0.1\n  flatten\n  dense 2');
      const ops = network(text).ops;
      assert.deepEqual(ops.map((o) => o.op), ['layer', 'norm', 'activation', 'norm', 'dropout', 'dropout', 'flatten', 'layer']);
      assert.equal((ops[1] as NormOp).kind, 'batchnorm');
      assert.equal((ops[3] as NormOp).kind, 'layernorm');
      const act = ops[2] as ActivationOp;
      assert.deepEqual({ name: act.activation.name, explicit: act.activation.explicit }, { name: 'relu', explicit: true });
      assert.equal(text.slice(act.span.start, act.span.end), 'activation relu');
      const drop = ops[4] as DropoutOp;
      assert.deepEqual([drop.rate, drop.alpha], [0.25, false]);
      assert.equal(text.slice(drop.kindSpan.start, drop.kindSpan.end), 'dropout');
      const alpha = ops[5] as DropoutOp;
      assert.deepEqual([alpha.rate, alpha.alpha], [0.1, true]);
    });

    it('flatten turns channels x spatial into features and leaves flat input alone', () => {
      const all = layers(wrap('  flatten\n  dense 3', { input: '2x3x4' }));
      assert.deepEqual(all[0]!.fans, { fanIn: 24, fanOut: 3 });
      assert.deepEqual(layers(wrap('  flatten\n  dense 3', { input: '7' }))[0]!.fans, { fanIn: 7, fanOut: 3 });
    });

    it('dropout accepts 0', () => {
      const drop = network(wrap('  dense 2\n  dropout 0')).ops[1] as DropoutOp;
      assert.equal(drop.rate, 0);
    });
  });

  describe('repeat', () => {
    it('expands its body N times, as if written out, with repeat instances', () => {
      const text = wrap('  repeat 3 {\n    dense 32 activation=relu\n    dropout 0.1\n  }\n  dense 10', { input: '16' });
      const net = network(text);
      assert.equal(net.layers.length, 4);
      assert.deepEqual(net.layers.map((l) => l.index), [0, 1, 2, 3]);
      assert.deepEqual(net.layers.map((l) => l.repeatInstance), [0, 1, 2, 0]);
      assert.deepEqual(net.layers.map((l) => l.fans?.fanIn), [16, 32, 32, 32]);
      // Every expansion points at the same statement.
      assert.equal(new Set(net.layers.slice(0, 3).map((l) => l.span.start)).size, 1);
      assert.deepEqual(net.ops.map((o) => o.op), ['layer', 'dropout', 'layer', 'dropout', 'layer', 'dropout', 'layer']);
    });

    it('numbers nested expansions so that only the very first is instance 0', () => {
      const net = network(wrap('  repeat 2 {\n    repeat 3 {\n      dense 4\n    }\n  }', { input: '4' }));
      const instances = net.layers.map((l) => l.repeatInstance);
      assert.equal(instances.length, 6);
      assert.equal(instances[0], 0);
      assert.ok(instances.slice(1).every((i) => i > 0));
      assert.equal(new Set(instances).size, 6);
    });

    it('accepts repeat 1 and an empty body', () => {
      assert.equal(layers(wrap('  repeat 1 {\n    dense 4\n  }')).length, 1);
      assert.equal(network(wrap('  repeat 5 {\n  }\n  dense 2')).layers.length, 1);
    });

    it('carries shapes across expansions (strided convs shrink each time)', () => {
      const all = layers(wrap('  repeat 3 {\n    conv2d 8 kernel=3 stride=2 padding=same\n  }\n  flatten\n  dense 1', { input: '8x32x32' }));
      assert.deepEqual(all[3]!.fans, { fanIn: 8 * 4 * 4, fanOut: 1 });
    });
  });

  describe('residual', () => {
    it('wraps its body with the scale (default 1)', () => {
      const text = wrap('  residual {\n    dense 64 activation=relu\n    dense 64\n  }\n  residual scale=0.5 {\n    dense 64\n  }\n  dense 10');
      const net = network(text);
      const [r1, r2] = net.ops.filter((o): o is ResidualOp => o.op === 'residual');
      assert.equal(r1!.scale, 1);
      assert.equal(r1!.body.length, 2);
      assert.equal(r2!.scale, 0.5);
      assert.equal(text.slice(r2!.span.start, r2!.span.end), 'residual scale=0.5');
      assert.deepEqual(net.layers.map((l) => l.index), [0, 1, 2, 3]);
    });

    it('accepts a numeric expression for the scale', () => {
      const r = network(wrap('  residual scale=1/sqrt(4) {\n    dense 64\n  }')).ops[0] as ResidualOp;
      assert.equal(r.scale, 0.5);
    });

    it('marks the last layer of the network and of each residual body', () => {
      const net = network(wrap('  dense 64\n  residual {\n    dense 64\n    dense 64\n  }\n  residual {\n    dense 64\n    residual {\n      dense 64\n    }\n  }\n  dense 10'));
      assert.deepEqual(net.layers.map((l) => l.isLastInBranch), [false, false, true, false, true, true]);
      const endsInBranch = network(wrap('  dense 64\n  residual {\n    dense 64\n  }'));
      assert.deepEqual(endsInBranch.layers.map((l) => l.isLastInBranch), [false, true]);
    });

    it('marks the last layer of every repeated residual body', () => {
      const net = network(wrap('  repeat 2 {\n    residual {\n      dense 64 activation=relu\n      dense 64\n    }\n  }\n  dense 3'));
      assert.deepEqual(net.layers.map((l) => l.isLastInBranch), [false, true, false, true, true]);
    });
  });

  describe('numbers', () => {
    it('accepts ints, floats, scientific notation and simple expressions wherever a number goes', () => {
      const drop = (rate: string) => (network(wrap(`  dense 2\n  dropout ${rate}`)).ops[1] as DropoutOp).rate;
      assert.equal(drop('0.5'), 0.5);
      assert.equal(drop('5e-1'), 0.5);
      assert.equal(drop('1/4'), 0.25);
      assert.equal(drop('2*0.1'), 0.2);
      assert.equal(drop('(1+1)/8'), 0.25);
      assert.equal(drop('1 - 0.75'), 0.25);
      assert.equal(drop('+.5'), 0.5);
      assert.equal(layer('dense 2*32').fans?.fanOut, 64);
    });
  });
});
