/**
 * The Monte-Carlo compute engine (server/src/core/simulation/kernelEngine.ts): its three
 * products against the JavaScript reference (weights in its arena and outside, the shapes its
 * kernels take and the ones that fall back), its seeded draws (the distribution, the bounds of a
 * truncated normal, reproducibility), and a helper thread: it takes chunks, and the numbers are
 * the same with it as without it.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createKernelEngine, type KernelEngine, type KernelHelperData } from '../../server/src/core/simulation/kernelEngine';
import { jsGemm, transpose } from '../../server/src/core/simulation/matmul';
import { Random } from '../../server/src/core/simulation/prng';
import { geluWithDerivative } from '../../server/src/core/simulation/geluFloat32';
import { compileKernels } from '../../server/src/core/simulation/wasmKernels';
import { enableRelaxedSimd, relaxedSimdAvailable } from '../../server/src/host/wasmFeatures';

const none = () => {};
const ENGINE = path.resolve(__dirname, '../../server/src/core/simulation/kernelEngine.ts');

function engine(module?: object): KernelEngine {
  const made = module ? createKernelEngine(module) : createKernelEngine();
  assert.ok(made, 'Node 20 has WebAssembly SIMD and shared memory');
  return made;
}

function startHelper(data: KernelHelperData): Worker {
  return new Worker(
    `require('tsx/cjs'); require(${JSON.stringify(ENGINE)}).runKernelHelper(require('node:worker_threads').workerData);`,
    { eval: true, workerData: data },
  );
}

function assertClose(actual: Float32Array, expected: Float32Array, k: number, label: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * Math.sqrt(k) * 4, `${label} [${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

function moments(values: Float32Array): { mean: number; variance: number; kurtosis: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) { sum += v; min = Math.min(min, v); max = Math.max(max, v); }
  const mean = sum / values.length;
  let m2 = 0;
  let m4 = 0;
  for (const v of values) { const d = (v - mean) ** 2; m2 += d; m4 += d * d; }
  const variance = m2 / values.length;
  return { mean, variance, kurtosis: m4 / values.length / (variance * variance), min, max };
}

describe('Monte-Carlo kernel engine', () => {
  const multipliesAsJavaScript = (kernels: KernelEngine) => {
    const rng = new Random(4);
    // Odd shapes exercise the padding and the fallbacks (n or k not a multiple of 4), k > 256 the
    // kernel's blocks of k (one and a half, four).
    for (const [m, n, k] of [[1, 1, 1], [5, 13, 7], [4, 8, 3], [37, 104, 64], [130, 72, 300], [6, 12, 10], [64, 768, 3072], [3, 20, 384]] as const) {
      const mark = kernels.mark();
      const a = new Float32Array(m * k);
      const b = new Float32Array(k * n);
      rng.fillNormal(a);
      rng.fillNormal(b);
      const expected = new Float32Array(m * n);
      jsGemm(m, n, k, a, b, expected, none);
      const product = () => new Float32Array(m * n).fill(NaN);
      const ab = product();
      kernels.gemm(m, n, k, a, b, ab, none);
      assertClose(ab, expected, k, `A·B ${m}×${n}×${k}`);
      // W [n×k] = Bᵀ and W [k×n] = B, in the arena (used in place) and as plain arrays.
      const wt = kernels.allocate(n * k);
      wt.set(transpose(b, k, n));
      const w = kernels.allocate(k * n);
      w.set(b);
      for (const [where, t, plain] of [['arena', wt, w], ['plain', Float32Array.from(wt), Float32Array.from(w)]] as const) {
        const forward = product();
        kernels.timesTransposed(m, n, k, a, t, forward, none);
        assertClose(forward, expected, k, `x·Wᵀ (${where}) ${m}×${n}×${k}`);
        const backward = product();
        kernels.times(m, n, k, a, plain, backward, none);
        assertClose(backward, expected, k, `g·W (${where}) ${m}×${n}×${k}`);
      }
      kernels.release(mark);
    }
  };

  it('multiplies as the JavaScript kernel does: A·B, x·Wᵀ and g·W, with the weights in its arena or not', () => {
    multipliesAsJavaScript(engine(compileKernels(false)));
  });

  it('does the same with fused multiply-adds (relaxed SIMD), the module this runtime compiles when it can', () => {
    enableRelaxedSimd();
    assert.ok(relaxedSimdAvailable(), 'Node 20 has relaxed SIMD behind its flag, Node 22 without');
    const fused = compileKernels(true);
    assert.ok(fused, 'the fused module compiles');
    multipliesAsJavaScript(engine(fused));
  });

  it('draws N(mean, std²), its truncation to [low, high] and U[low, high), the same again for the same seed', () => {
    const kernels = engine();
    const mark = kernels.mark();
    const count = 1_000_000; // 16 chunks, each its own stream
    const normal = kernels.allocate(count);
    kernels.fillNormal(normal, 11, 0.5, 2, -Infinity, Infinity, none);
    const n = moments(normal);
    // Standard errors at 10⁶ draws: mean 0.002, variance 0.0057 (of 4), kurtosis ~0.005.
    assert.ok(Math.abs(n.mean - 0.5) < 0.01, `mean ${n.mean}`);
    assert.ok(Math.abs(n.variance / 4 - 1) < 0.006, `variance ${n.variance}`);
    assert.ok(Math.abs(n.kurtosis - 3) < 0.03, `kurtosis ${n.kurtosis}`);
    assert.ok(n.max > 0.5 + 2 * 4.4 && n.min < 0.5 - 2 * 4.4, 'the tails beyond the ziggurat base (|z| > 3.44) are drawn');

    const again = kernels.allocate(count);
    kernels.fillNormal(again, 11, 0.5, 2, -Infinity, Infinity, none);
    assert.deepEqual(again, normal);
    kernels.fillNormal(again, 12, 0.5, 2, -Infinity, Infinity, none);
    assert.notDeepEqual(again, normal);

    const truncated = kernels.allocate(count);
    kernels.fillNormal(truncated, 3, 0, 1, -2, 2, none);
    const t = moments(truncated);
    assert.ok(t.min >= -2 && t.max <= 2 && t.max > 1.99 && t.min < -1.99, `range [${t.min}, ${t.max}]`);
    assert.ok(Math.abs(t.variance / 0.773746 - 1) < 0.006, `truncated variance ${t.variance}`); // N(0,1) cut at ±2

    const uniform = kernels.allocate(count);
    kernels.fillUniform(uniform, 5, -1, 3, none);
    const u = moments(uniform);
    assert.ok(u.min >= -1 && u.max < 3, `range [${u.min}, ${u.max}]`);
    assert.ok(Math.abs(u.mean - 1) < 0.005 && Math.abs(u.variance / (16 / 12) - 1) < 0.006, `uniform ${u.mean} ${u.variance}`);
    kernels.release(mark);
  });

  it('computes GELU and its derivative as geluFloat32.ts does, bit for bit, and declines arrays outside its arena', () => {
    const kernels = engine();
    const mark = kernels.mark();
    const count = 200_003; // four chunks and a bit
    const pre = kernels.allocate(count);
    const rng = new Random(6);
    rng.fillNormal(pre, 0, 3);
    pre.set([0, -0, 1e-30, -1e-30, 40, -40, 5.5, -5.5, 3.4e38, -3.4e38], 0);
    const out = kernels.allocate(count);
    const derivative = kernels.allocate(count);
    assert.ok(kernels.gelu(pre, out, derivative, none));
    const expected = geluWithDerivative(Float32Array.from(pre));
    assert.deepEqual(out, expected.out);
    assert.deepEqual(derivative, expected.derivative);
    assert.equal(kernels.gelu(Float32Array.from(pre), out, derivative, none), false);
    kernels.release(mark);
  });

  it('shares products and draws with a helper thread, with the same numbers as on one thread', async function () {
    this.timeout(60_000);
    const alone = engine();
    const shared = engine();
    const helper = startHelper(shared.helperData());
    try {
      const rng = new Random(8);
      const [m, n, k] = [256, 768, 768];
      const x = new Float32Array(m * k);
      rng.fillNormal(x);
      const results = [alone, shared].map((kernels) => {
        const w = kernels.allocate(n * k);
        kernels.fillNormal(w, 21, 0, 0.02, -Infinity, Infinity, none);
        const forward = new Float32Array(m * n);
        const backward = new Float32Array(m * k);
        const product = new Float32Array(m * n);
        // Repeated, so that the helper (a fresh thread loading tsx) is running for most of them.
        for (let r = 0; r < 40; r++) {
          kernels.timesTransposed(m, n, k, x, w, forward, none);
          kernels.times(m, k, n, forward, w, backward, none);
          kernels.gemm(m, n, k, x, w, product, none);
        }
        return { w: Float32Array.from(w), forward, backward, product };
      });
      assert.deepEqual(results[1], results[0]);
      assert.ok(shared.helperChunks() > 0, 'the helper ran chunks');
      assert.equal(alone.helperChunks(), 0);
    } finally {
      shared.stopHelpers();
      await helper.terminate();
    }
  });
});
