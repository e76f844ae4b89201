/**
 * Initializers: each name and argument form resolves to the framework semantics it has
 * in that framework (shared/spec/netdef.md, shared/reference/init-math.md §a).
 */
import * as assert from 'node:assert/strict';
import type { InitSemantics } from '../../server/src/core/ir';
import { layer, parseNetdef, wrap } from './netdefSupport';

function semantics(init: string, framework = 'keras'): InitSemantics | undefined {
  return layer(`dense 8 init=${init}`, { framework }).init.semantics;
}

const VS = (scale: number, mode: string, distribution: string) => ({ kind: 'variance_scaling', scale, mode, distribution });
const KAIMING = (distribution: string, extra: Partial<{ mode: string; nonlinearity: string; a: number; written: { nonlinearity: boolean; a: boolean } }> = {}) => ({
  kind: 'kaiming', mode: 'fan_in', nonlinearity: 'leaky_relu', a: 0, distribution, written: { nonlinearity: false, a: false }, ...extra,
});

describe('netdef initializers', () => {
  describe('bare names follow the framework', () => {
    const cases: [string, string, object][] = [
      ['glorot_uniform', 'pytorch', { kind: 'xavier', gain: 1, distribution: 'uniform' }],
      ['xavier_uniform', 'pytorch', { kind: 'xavier', gain: 1, distribution: 'uniform' }],
      ['glorot_uniform', 'keras', VS(1, 'fan_avg', 'uniform')],
      ['glorot_uniform', 'flax', VS(1, 'fan_avg', 'uniform')],
      ['glorot_normal', 'pytorch', { kind: 'xavier', gain: 1, distribution: 'normal' }],
      ['xavier_normal', 'keras', VS(1, 'fan_avg', 'truncated_normal')],
      ['glorot_normal', 'flax', VS(1, 'fan_avg', 'truncated_normal')],
      ['he_normal', 'pytorch', KAIMING('normal')],
      ['kaiming_uniform', 'pytorch', KAIMING('uniform')],
      ['he_normal', 'keras', VS(2, 'fan_in', 'truncated_normal')],
      ['kaiming_normal', 'flax', VS(2, 'fan_in', 'truncated_normal')],
      ['he_uniform', 'keras', VS(2, 'fan_in', 'uniform')],
      ['lecun_normal', 'pytorch', VS(1, 'fan_in', 'truncated_normal')],
      ['lecun_normal', 'keras', VS(1, 'fan_in', 'truncated_normal')],
      ['lecun_uniform', 'flax', VS(1, 'fan_in', 'uniform')],
      ['orthogonal', 'keras', { kind: 'orthogonal', gain: 1 }],
      ['zeros', 'keras', { kind: 'constant', value: 0 }],
      ['ones', 'pytorch', { kind: 'constant', value: 1 }],
    ];
    for (const [name, framework, expected] of cases) {
      it(`${name} in ${framework}`, () => assert.deepEqual(semantics(name, framework), expected));
    }

    it('an empty argument list means the same as the bare name', () => {
      assert.deepEqual(semantics('kaiming_normal()', 'keras'), VS(2, 'fan_in', 'truncated_normal'));
      assert.deepEqual(semantics('xavier_uniform()', 'pytorch'), { kind: 'xavier', gain: 1, distribution: 'uniform' });
    });
  });

  describe('kaiming with arguments is PyTorch kaiming in every framework', () => {
    it('records the arguments that were written', () => {
      assert.deepEqual(semantics('kaiming_normal(mode=fan_out, nonlinearity=relu)', 'keras'),
        KAIMING('normal', { mode: 'fan_out', nonlinearity: 'relu', written: { nonlinearity: true, a: false } }));
      assert.deepEqual(semantics('kaiming_uniform(a=0.2)', 'flax'),
        KAIMING('uniform', { a: 0.2, written: { nonlinearity: false, a: true } }));
      assert.deepEqual(semantics('he_normal(nonlinearity=leaky_relu, a=sqrt(5))', 'pytorch'),
        KAIMING('normal', { a: Math.sqrt(5), written: { nonlinearity: true, a: true } }));
    });

    it('binds positional arguments in PyTorch order (a, mode, nonlinearity)', () => {
      assert.deepEqual(semantics('kaiming_normal(0, fan_out, tanh)', 'pytorch'),
        KAIMING('normal', { mode: 'fan_out', nonlinearity: 'tanh', written: { nonlinearity: true, a: true } }));
    });

    it('accepts every calculate_gain nonlinearity', () => {
      for (const nonlinearity of ['linear', 'conv2d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu', 'conv_transpose1d']) {
        const s = semantics(`kaiming_normal(nonlinearity=${nonlinearity})`);
        assert.equal(s?.kind === 'kaiming' && s.nonlinearity, nonlinearity);
      }
    });

    it('reports a nonlinearity PyTorch rejects as IW002 and leaves the init unknown', () => {
      const text = wrap('  dense 8 init=kaiming_normal(nonlinearity=gelu)');
      const result = parseNetdef(text);
      assert.equal(result.findings.length, 1);
      const [f] = result.findings;
      assert.equal(f!.code, 'IW002');
      assert.equal(f!.severity, 'warning');
      assert.equal(text.slice(f!.span.start, f!.span.end), 'gelu');
      assert.match(f!.message, /calculate_gain has no gain for 'gelu'.*it accepts linear, .*selu/);
      assert.deepEqual(f!.fixes, []); // 'selu' is one edit away but would be wrong advice
      assert.equal(result.networks[0]!.layers[0]!.init.semantics, undefined);
    });

    it('suggests the nearest nonlinearity for a misspelling', () => {
      const text = wrap('  dense 8 init=kaiming_normal(nonlinearity=rleu)');
      const [f] = parseNetdef(text).findings;
      assert.equal(f!.code, 'IW002');
      assert.match(f!.message, /did you mean 'relu'\?/);
      assert.equal(f!.fixes[0]!.edits[0]!.newText, 'relu');
    });

    it('rejects fan_avg (kaiming has only fan_in and fan_out)', () => {
      const [f] = parseNetdef(wrap('  dense 8 init=kaiming_normal(mode=fan_avg)')).findings;
      assert.equal(f!.code, 'IW001');
      assert.match(f!.message, /mode of kaiming_normal must be fan_in or fan_out, got 'fan_avg'/);
    });
  });

  describe('initializers with arguments', () => {
    it('xavier_* with a gain', () => {
      assert.deepEqual(semantics('xavier_uniform(gain=sqrt(2))', 'keras'), { kind: 'xavier', gain: Math.SQRT2, distribution: 'uniform' });
      assert.deepEqual(semantics('glorot_normal(5/3)', 'flax'), { kind: 'xavier', gain: 5 / 3, distribution: 'normal' });
    });

    it('orthogonal with a gain', () => {
      assert.deepEqual(semantics('orthogonal(gain=2*0.5)'), { kind: 'orthogonal', gain: 1 });
      assert.deepEqual(semantics('orthogonal(1.5)'), { kind: 'orthogonal', gain: 1.5 });
    });

    it('constant(V)', () => {
      assert.deepEqual(semantics('constant(0.1)'), { kind: 'constant', value: 0.1 });
      assert.deepEqual(semantics('constant(value=-1)'), { kind: 'constant', value: -1 });
    });

    it('variance_scaling with defaults, keywords and positionals', () => {
      assert.deepEqual(semantics('variance_scaling()'), VS(1, 'fan_in', 'truncated_normal'));
      assert.deepEqual(semantics('variance_scaling(scale=2, mode=fan_out, distribution=uniform)'), VS(2, 'fan_out', 'uniform'));
      assert.deepEqual(semantics('variance_scaling(0.5, fan_avg, untruncated_normal)'), VS(0.5, 'fan_avg', 'untruncated_normal'));
    });

    it("variance_scaling's 'normal' is truncated in Keras (and PyTorch files), untruncated in JAX", () => {
      assert.deepEqual(semantics('variance_scaling(distribution=normal)', 'keras'), VS(1, 'fan_in', 'truncated_normal'));
      assert.deepEqual(semantics('variance_scaling(distribution=normal)', 'pytorch'), VS(1, 'fan_in', 'truncated_normal'));
      assert.deepEqual(semantics('variance_scaling(distribution=normal)', 'flax'), VS(1, 'fan_in', 'untruncated_normal'));
    });

    it('normal(std, mean), also spelt stddev', () => {
      assert.deepEqual(semantics('normal(std=0.02)'), { kind: 'normal', mean: 0, std: 0.02 });
      assert.deepEqual(semantics('normal(mean=1, stddev=1e-2)'), { kind: 'normal', mean: 1, std: 0.01 });
    });

    it('truncated_normal cuts at ±2 absolute in PyTorch and at mean ± 2·std elsewhere', () => {
      assert.deepEqual(semantics('truncated_normal(std=0.02)', 'pytorch'), { kind: 'truncated_normal', mean: 0, std: 0.02, low: -2, high: 2 });
      assert.deepEqual(semantics('truncated_normal(std=0.5, mean=1)', 'keras'), { kind: 'truncated_normal', mean: 1, std: 0.5, low: 0, high: 2 });
      assert.deepEqual(semantics('truncated_normal(std=0.1)', 'flax'), { kind: 'truncated_normal', mean: 0, std: 0.1, low: -0.2, high: 0.2 });
    });

    it('uniform(limit=L) is U(-L, L); uniform(low, high) by position or keyword', () => {
      assert.deepEqual(semantics('uniform(limit=0.05)'), { kind: 'uniform', low: -0.05, high: 0.05 });
      assert.deepEqual(semantics('uniform(-0.1, 0.3)'), { kind: 'uniform', low: -0.1, high: 0.3 });
      assert.deepEqual(semantics('uniform(high=1, low=0)'), { kind: 'uniform', low: 0, high: 1 });
    });
  });

  describe('default and the framework default', () => {
    it('no init= applies the framework default, not explicit', () => {
      const pytorch = layer('dense 8', { framework: 'pytorch' }).init;
      assert.deepEqual(pytorch.semantics, { kind: 'kaiming', mode: 'fan_in', nonlinearity: 'leaky_relu', a: Math.sqrt(5), distribution: 'uniform', written: { nonlinearity: false, a: false } });
      assert.deepEqual([pytorch.explicit, pytorch.acceptedDefault, pytorch.span], [false, false, undefined]);
      assert.deepEqual(layer('dense 8').init.semantics, VS(1, 'fan_avg', 'uniform'));
      assert.deepEqual(layer('dense 8', { framework: 'flax' }).init.semantics, VS(1, 'fan_in', 'truncated_normal'));
      assert.deepEqual(layer('conv2d 8 kernel=3', { framework: 'flax', input: '3x8x8' }).init.semantics, VS(1, 'fan_in', 'truncated_normal'));
    });

    it('init=default is the framework default, explicitly accepted', () => {
      const text = wrap('  dense 8 init=default', { framework: 'pytorch' });
      const init = parseNetdef(text).networks[0]!.layers[0]!.init;
      assert.deepEqual(init.semantics, layer('dense 8', { framework: 'pytorch' }).init.semantics);
      assert.deepEqual([init.explicit, init.acceptedDefault], [true, true]);
      assert.equal(text.slice(init.span!.start, init.span!.end), 'default');
    });

    it('an explicit init records its span and the text as written for its label', () => {
      const text = wrap('  dense 8 init=kaiming_normal( nonlinearity=relu )');
      const init = parseNetdef(text).networks[0]!.layers[0]!.init;
      assert.equal(text.slice(init.span!.start, init.span!.end), 'kaiming_normal( nonlinearity=relu )');
      assert.equal(init.label, 'kaiming_normal( nonlinearity=relu )');
      assert.deepEqual([init.explicit, init.acceptedDefault], [true, false]);
    });
  });

  describe('bias', () => {
    it('is zero by default, with use_bias=false, and for bias=zeros', () => {
      assert.equal(layer('dense 8').biasVariance, 0);
      assert.equal(layer('dense 8 use_bias=false', { framework: 'pytorch' }).biasVariance, 0);
      assert.equal(layer('dense 8 bias=zeros').biasVariance, 0);
      assert.equal(layer('dense 8 use_bias=true').biasVariance, 0);
    });

    it('bias=default is the framework default bias: PyTorch U(±1/√fan_in), Keras and Flax zeros', () => {
      assert.equal(layer('dense 8 bias=default', { framework: 'pytorch', input: '64' }).biasVariance, 1 / (3 * 64));
      assert.equal(layer('conv2d 8 kernel=3 bias=default', { framework: 'pytorch', input: '4x8x8' }).biasVariance, 1 / (3 * 36));
      assert.equal(layer('dense 8 bias=default', { framework: 'keras' }).biasVariance, 0);
      assert.equal(layer('dense 8 bias=default', { framework: 'flax' }).biasVariance, 0);
    });

    it('is the second moment of any other initializer (variance plus squared mean)', () => {
      assert.equal(layer('dense 8 bias=constant(0.5)').biasVariance, 0.25);
      assert.equal(layer('dense 8 bias=ones').biasVariance, 1);
      assert.ok(Math.abs(layer('dense 8 bias=normal(std=0.1, mean=1)').biasVariance - 1.01) < 1e-12);
      assert.ok(Math.abs(layer('dense 8 bias=uniform(0, 1)').biasVariance - (1 / 12 + 0.25)) < 1e-12);
      // A fan-scaled bias initializer sees a vector as long as the layer's output (fan = 8).
      assert.ok(Math.abs(layer('dense 8 bias=he_normal').biasVariance - 2 / 8) < 1e-12);
    });
  });
});
