/**
 * The per-element work around the Monte-Carlo products in WebAssembly (server/src/core/simulation/
 * wasmRowKernels.ts through kernelEngine.ts): mean square, LayerNorm forward and backward, the
 * token cross sums, the residual and attention-gradient sums, the attention's transposes, each
 * against the JavaScript loop montecarlo.ts ran before (copied here as the reference), bit for
 * bit: arrays in the engine's
 * arena and outside it, lengths not a multiple of 4, zeros of both signs, huge and tiny values,
 * with and without a helper thread taking LayerNorm's rows.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createKernelEngine, type KernelEngine, type KernelHelperData } from '../../server/src/core/simulation/kernelEngine';
import { geluWithDerivative } from '../../server/src/core/simulation/geluFloat32';
import { Random } from '../../server/src/core/simulation/prng';

const none = () => {};
const ENGINE = path.resolve(__dirname, '../../server/src/core/simulation/kernelEngine.ts');
const EPS = 1e-5;

function engine(): KernelEngine {
  const made = createKernelEngine();
  assert.ok(made, 'Node 20 has WebAssembly SIMD and shared memory');
  return made;
}

/** Normal values with the awkward ones in front: signed zeros, subnormal-range, huge. */
function values(count: number, seed: number, std = 1): Float32Array {
  const out = new Float32Array(count);
  new Random(seed).fillNormal(out, 0.25, std);
  out.set([0, -0, 1e-30, -1e-30, 3e38, -3e38, 7.5, -7.5].slice(0, count), 0);
  return out;
}

function referenceMeanSquare(values: Float32Array): number {
  const n = values.length;
  const n4 = n - (n % 4);
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = 0; i < n4; i += 4) {
    const v0 = values[i]!, v1 = values[i + 1]!, v2 = values[i + 2]!, v3 = values[i + 3]!;
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  for (let i = n4; i < n; i++) s0 += values[i]! * values[i]!;
  return n > 0 ? ((s0 + s1) + (s2 + s3)) / n : NaN;
}

function referenceLayerNorm(x: Float32Array, rows: number, eps = EPS): { xHat: Float32Array; inverse: Float64Array; backward: (g: Float32Array) => Float32Array } {
  const width = x.length / rows;
  const xHat = new Float32Array(x.length);
  const inverse = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    const end = start + width;
    let sum = 0;
    let sumSq = 0;
    for (let i = start; i < end; i++) { const v = x[i]!; sum += v; sumSq += v * v; }
    const mean = sum / width;
    const inv = 1 / Math.sqrt(Math.max(0, sumSq / width - mean * mean) + eps);
    inverse[r] = inv;
    for (let i = start; i < end; i++) xHat[i] = (x[i]! - mean) * inv;
  }
  const backward = (g: Float32Array) => {
    const out = new Float32Array(g.length);
    for (let r = 0; r < rows; r++) {
      const start = r * width;
      const end = start + width;
      let sumG = 0;
      let sumGx = 0;
      for (let i = start; i < end; i++) { sumG += g[i]!; sumGx += g[i]! * xHat[i]!; }
      const meanG = sumG / width;
      const meanGx = sumGx / width;
      const inv = inverse[r]!;
      for (let i = start; i < end; i++) out[i] = (g[i]! - meanG - xHat[i]! * meanGx) * inv;
    }
    return out;
  };
  return { xHat, inverse, backward };
}

function referenceCrossSums(data: Float32Array, sequences: number, n: number): Float64Array {
  const width = data.length / (sequences * n);
  const sum = new Float64Array(width);
  const out = new Float64Array(sequences);
  for (let s = 0; s < sequences; s++) {
    sum.fill(0);
    let diagonal = 0;
    for (let t = 0; t < n; t++) {
      const at = (s * n + t) * width;
      for (let e = 0; e < width; e++) {
        const v = data[at + e]!;
        sum[e]! += v;
        diagonal += v * v;
      }
    }
    let square = 0;
    for (let e = 0; e < width; e++) square += sum[e]! * sum[e]!;
    out[s] = square - diagonal;
  }
  return out;
}

/** LayerNorm forward and backward on the engine against the reference, bit for bit. */
function checkLayerNorm(kernels: KernelEngine, rows: number, width: number, inArena: boolean, eps = EPS, std = 3): void {
  const mark = kernels.mark();
  try {
    const heapX = values(rows * width, rows + width, std);
    // A constant row: variance 0, the max(0, ·) and eps branch.
    heapX.fill(2.5, 0, width);
    const x = inArena ? kernels.allocate(heapX.length) : heapX;
    if (inArena) x.set(heapX);
    const xHat = kernels.allocate(x.length);
    const inverse = kernels.layerNorm(x, rows, xHat, eps, none);
    assert.ok(inverse, 'xHat in the arena: taken');
    const expected = referenceLayerNorm(heapX, rows, eps);
    assert.deepEqual(Float32Array.from(xHat), expected.xHat);
    assert.deepEqual(Float64Array.from(inverse), expected.inverse);
    const g = values(x.length, 91 + rows);
    const out = new Float32Array(g.length);
    assert.ok(kernels.layerNormBackward(g, xHat, inverse, rows, out, none));
    assert.deepEqual(out, expected.backward(g));
  } finally {
    kernels.release(mark);
  }
}

describe('Monte-Carlo row kernels (WebAssembly, bit for bit with the JavaScript loops)', () => {
  it('mean square: every length mod 4, in the arena and outside, zeros and huge values', () => {
    const kernels = engine();
    for (const count of [1, 2, 3, 4, 5, 7, 8, 4097, 65_538, 393_219]) {
      const heap = values(count, count);
      assert.equal(kernels.meanSquare(heap), referenceMeanSquare(heap), `${count} values on the heap`);
      const mark = kernels.mark();
      const arena = kernels.allocate(count);
      arena.set(heap);
      assert.equal(kernels.meanSquare(arena), referenceMeanSquare(heap), `${count} values in the arena`);
      kernels.release(mark);
    }
    assert.ok(Number.isNaN(kernels.meanSquare(new Float32Array(0))));
  });

  it('LayerNorm forward and backward over rows, odd widths, one chunk or many, input in the arena or not', () => {
    const kernels = engine();
    for (const [rows, width, inArena] of [[3, 5, false], [7, 64, true], [130, 768, false], [512, 96, true]] as const) {
      checkLayerNorm(kernels, rows, width, inArena);
    }
    // Each framework's ε (ir.ts NormOp.epsilon) on rows as small as Keras's ±0.05 embeddings, where it matters.
    for (const eps of [1e-3, 1e-6, 2 ** -23]) checkLayerNorm(kernels, 130, 768, true, eps, 0.03);
    // Declined, nothing done: xHat outside the arena; an inverse not from layerNorm.
    assert.equal(kernels.layerNorm(new Float32Array(8), 2, new Float32Array(8), EPS, none), undefined);
    const mark = kernels.mark();
    const xHat = kernels.allocate(8);
    assert.equal(kernels.layerNormBackward(new Float32Array(8), xHat, new Float64Array(2), 2, new Float32Array(8), none), false);
    kernels.release(mark);
  });

  it('LayerNorm rows shared with a helper thread give the same numbers', async function () {
    this.timeout(60_000);
    const kernels = engine();
    const data: KernelHelperData = kernels.helperData();
    const helper = new Worker(
      `require('tsx/cjs'); require(${JSON.stringify(ENGINE)}).runKernelHelper(require('node:worker_threads').workerData);`,
      { eval: true, workerData: data },
    );
    try {
      // Repeated until the helper (a fresh thread loading tsx) has claimed some of the rows.
      for (let i = 0; i < 400 && kernels.helperChunks() === 0; i++) {
        checkLayerNorm(kernels, 1024, 768, i % 2 === 0);
        if (i % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(kernels.helperChunks() > 0, 'the helper ran rows of LayerNorm jobs');
      checkLayerNorm(kernels, 1024, 768, false);
    } finally {
      kernels.stopHelpers();
      await helper.terminate();
    }
  });

  it('token cross sums per sequence', () => {
    const kernels = engine();
    for (const [sequences, tokens, width] of [[1, 2, 3], [3, 17, 64], [4, 128, 768]] as const) {
      const data = values(sequences * tokens * width, tokens);
      assert.deepEqual(kernels.tokenCrossSums(data, sequences, tokens), referenceCrossSums(data, sequences, tokens));
    }
  });

  it('transposes blocks of [n × m] matrices, one chunk or many; declines arrays outside the arena', () => {
    const kernels = engine();
    for (const [blocks, n, m] of [[1, 3, 5], [7, 16, 12], [48, 128, 128]] as const) {
      const mark = kernels.mark();
      const from = kernels.allocate(blocks * n * m);
      from.set(values(from.length, n));
      const to = kernels.allocate(from.length);
      assert.ok(kernels.transposeBlocks(from, to, blocks, n, m, none));
      const expected = new Float32Array(from.length);
      for (let b = 0; b < blocks; b++) for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) expected[b * n * m + j * n + i] = from[b * n * m + i * m + j]!;
      assert.deepEqual(Float32Array.from(to), expected);
      assert.equal(kernels.transposeBlocks(Float32Array.from(from), to, blocks, n, m, none), false);
      kernels.release(mark);
    }
  });

  it('GELU in place (its output over the pre-activations, as montecarlo.ts runs it) gives geluFloat32.ts\'s numbers', () => {
    const kernels = engine();
    const mark = kernels.mark();
    const pre = kernels.allocate(200_003);
    pre.set(values(pre.length, 17, 3));
    const expected = geluWithDerivative(Float32Array.from(pre));
    const derivative = kernels.allocate(pre.length);
    assert.ok(kernels.gelu(pre, pre, derivative, none));
    assert.deepEqual(Float32Array.from(pre), expected.out);
    assert.deepEqual(Float32Array.from(derivative), expected.derivative);
    kernels.release(mark);
  });

  it('residual sums a + scale·b and attention gradients (a + b) + c, odd lengths, outputs on the heap or in the arena', () => {
    const kernels = engine();
    for (const count of [1, 2, 5, 4096, 393_217]) {
      const [a, b, c] = [values(count, 1), values(count, 2, 1e-3), values(count, 3, 40)];
      for (const scale of [1, 0.5, -1 / 3]) {
        const out = new Float32Array(count);
        kernels.axpy(out, a, b, scale);
        const expected = new Float32Array(count);
        for (let i = 0; i < count; i++) expected[i] = a[i]! + scale * b[i]!;
        assert.deepEqual(out, expected, `axpy ${count} × ${scale}`);
      }
      const mark = kernels.mark();
      const out = kernels.allocate(count);
      kernels.sum3(out, a, b, c);
      const expected = new Float32Array(count);
      for (let i = 0; i < count; i++) expected[i] = a[i]! + b[i]! + c[i]!;
      assert.deepEqual(Float32Array.from(out), expected, `sum3 ${count}`);
      kernels.release(mark);
    }
  });
});
