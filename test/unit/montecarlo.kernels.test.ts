/**
 * The Monte-Carlo building blocks: the WebAssembly SIMD matrix product against the
 * JavaScript one (odd shapes exercise the padding), and weight draws whose moments
 * match knowledge/initializers.ts for every kind of InitSemantics (orthogonal: Q·Qᵀ = I).
 */
import * as assert from 'node:assert/strict';
import type { Fans, InitSemantics } from '../../server/src/core/ir';
import { weightMean, weightVariance } from '../../server/src/core/knowledge/initializers';
import { jsGemm } from '../../server/src/core/simulation/matmul';
import { Random } from '../../server/src/core/simulation/prng';
import { drawKernel } from '../../server/src/core/simulation/sampling';
import { wasmGemm } from '../../server/src/core/simulation/wasmGemm';

const none = () => {};

describe('Monte-Carlo kernels', () => {
  it('WebAssembly SIMD and JavaScript products agree (float32 rounding)', () => {
    const wasm = wasmGemm();
    assert.ok(wasm, 'Node 20 has WebAssembly SIMD');
    const rng = new Random(9);
    for (const [m, n, k] of [[1, 1, 1], [5, 13, 7], [4, 8, 3], [37, 103, 64], [64, 72, 300]] as const) {
      const a = new Float32Array(m * k);
      const b = new Float32Array(k * n);
      rng.fillNormal(a);
      rng.fillNormal(b);
      const expected = new Float32Array(m * n);
      const actual = new Float32Array(m * n).fill(NaN);
      jsGemm(m, n, k, a, b, expected, none);
      wasm(m, n, k, a, b, actual, none);
      for (let i = 0; i < m * n; i++) {
        assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * Math.sqrt(k) * 4, `${m}x${n}x${k} [${i}]: ${actual[i]} vs ${expected[i]}`);
      }
    }
  });

  const fans: Fans = { fanIn: 300, fanOut: 200 };
  const cases: [string, InitSemantics][] = [
    ['he_normal (truncated, corrected)', { kind: 'variance_scaling', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' }],
    ['variance_scaling uniform fan_avg', { kind: 'variance_scaling', scale: 1, mode: 'fan_avg', distribution: 'uniform' }],
    ['variance_scaling untruncated fan_out', { kind: 'variance_scaling', scale: 1, mode: 'fan_out', distribution: 'untruncated_normal' }],
    ['kaiming_uniform a=√5', { kind: 'kaiming', mode: 'fan_in', nonlinearity: 'leaky_relu', a: Math.sqrt(5), distribution: 'uniform', written: { nonlinearity: false, a: false } }],
    ['kaiming_normal fan_out', { kind: 'kaiming', mode: 'fan_out', nonlinearity: 'relu', a: 0, distribution: 'normal', written: { nonlinearity: true, a: false } }],
    ['xavier_normal', { kind: 'xavier', gain: 5 / 3, distribution: 'normal' }],
    ['normal(0.1, 0.02)', { kind: 'normal', mean: 0.1, std: 0.02 }],
    ['truncated_normal [-0.05, 0.1]', { kind: 'truncated_normal', mean: 0, std: 0.05, low: -0.05, high: 0.1 }],
    ['uniform(0, 0.3)', { kind: 'uniform', low: 0, high: 0.3 }],
    ['orthogonal gain 2', { kind: 'orthogonal', gain: 2 }],
  ];
  for (const [label, semantics] of cases) {
    it(`draws ${label} with the moments knowledge/initializers.ts computes`, () => {
      const w = drawKernel(semantics, fans, { rows: 200, cols: 300 }, new Random(1), none);
      let sum = 0;
      for (const v of w) sum += v;
      const mean = sum / w.length;
      let sq = 0;
      for (const v of w) sq += (v - mean) ** 2;
      const variance = sq / w.length;
      const wanted = weightVariance(semantics, fans, 1);
      // 60,000 draws: the variance is known to ~1% (4 standard errors here ≈ 2.3%, kurtosis included).
      assert.ok(Math.abs(variance / wanted - 1) < 0.03, `variance ${variance} vs ${wanted}`);
      const std = Math.sqrt(wanted);
      assert.ok(Math.abs(mean - weightMean(semantics)) < 0.03 * std, `mean ${mean} vs ${weightMean(semantics)}`);
    });
  }

  it('draws orthogonal kernels with orthonormal rows (wide) and columns (tall)', () => {
    for (const [rows, cols] of [[20, 50], [50, 20]] as const) {
      const w = drawKernel({ kind: 'orthogonal', gain: 1 }, { fanIn: cols, fanOut: rows }, { rows, cols }, new Random(2), none);
      const short = Math.min(rows, cols);
      const vec = (i: number, t: number) => (rows <= cols ? w[i * cols + t]! : w[t * cols + i]!);
      const long = Math.max(rows, cols);
      for (let i = 0; i < short; i++) {
        for (let j = 0; j < short; j++) {
          let dot = 0;
          for (let t = 0; t < long; t++) dot += vec(i, t) * vec(j, t);
          assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `${rows}x${cols} (${i},${j}): ${dot}`);
        }
      }
    }
  });
});
