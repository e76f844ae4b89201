/**
 * The Monte-Carlo attention (server/src/core/simulation/attentionMonteCarlo.ts) on the kernel
 * engine's batched paths (every head's products in one job, the softmax and its backward step, the
 * transposes and the input gradients' sums in WebAssembly, on both threads) against its plain
 * path (head by head, softmax, transposes and sums in JavaScript): the same numbers, bit for bit,
 * forward and backward, causal or not, with shapes the batched paths take and with ones they
 * decline (tokens not a multiple of 4).
 */
import * as assert from 'node:assert/strict';
import type { AttentionOp, WeightLayer } from '../../server/src/core/ir';
import { attentionForward, type AttentionEnvironment, type Block, type TokenRows } from '../../server/src/core/simulation/attentionMonteCarlo';
import { createKernelEngine, type HeadBlocks, type KernelEngine } from '../../server/src/core/simulation/kernelEngine';
import { Random } from '../../server/src/core/simulation/prng';

const none = () => {};

function engine(): KernelEngine {
  const made = createKernelEngine();
  assert.ok(made, 'Node 20 has WebAssembly SIMD and shared memory');
  return made;
}

/** The four projections as dense layers of width × width, drawn into the engine's arena. */
function projections(kernels: KernelEngine, width: number): Map<WeightLayer, Float32Array> {
  const layers = new Map<WeightLayer, Float32Array>();
  ['query', 'key', 'value', 'output'].forEach((name, i) => {
    const w = kernels.allocate(width * width);
    kernels.fillNormal(w, 31 + i, 0, 1 / Math.sqrt(width), -Infinity, Infinity, none);
    layers.set({ index: i, name } as unknown as WeightLayer, w);
  });
  return layers;
}

function run(kernels: KernelEngine, batched: boolean, layers: Map<WeightLayer, Float32Array>, x: Float32Array, sequences: number, tokens: number, width: number, heads: number, causal: boolean) {
  const [query, key, value, output] = [...layers.keys()] as [WeightLayer, WeightLayer, WeightLayer, WeightLayer];
  const op = { op: 'attention', heads, headDim: width / heads, logitScale: 1 / Math.sqrt(width / heads), causal, query, key, value, output } as unknown as AttentionOp;
  const rows = sequences * tokens;
  const project = (layer: WeightLayer, input: TokenRows) => {
    const w = layers.get(layer)!;
    const out = kernels.allocate(rows * width);
    kernels.timesTransposed(rows, width, width, input.data, w, out, none);
    return {
      out: { data: out, shape: [width] },
      backward: (g: Float32Array) => {
        const gIn = new Float32Array(rows * width);
        kernels.times(rows, width, width, g, w, gIn, none);
        return gIn;
      },
    };
  };
  const env: AttentionEnvironment = {
    sequences, tokens, gemm: kernels.gemm, checkpoint: none, project,
    ...(batched ? {
      allocate: (length: number) => kernels.allocate(length),
      multiplyBlocks: (a: Block, b: Block, transposed: boolean, c: Block) =>
        kernels.multiplyBlocks(a.rows, c.cols, a.cols, a.data, a.at, a.stride, b.data, b.at, b.stride, transposed, c.data, c.at, c.stride, none),
      multiplyHeads: (m: number, n: number, k: number, a: HeadBlocks, b: HeadBlocks, transposed: boolean, c: HeadBlocks) =>
        kernels.multiplyHeads(sequences, heads, m, n, k, a, b, transposed, c, none),
      softmax: (scores: Float32Array, weights: Float32Array, count: number, n: number, m: number, isCausal: boolean, scale: number) =>
        kernels.softmax(scores, weights, count, n, m, isCausal, scale, none),
      softmaxBackward: (weights: Float32Array, gradient: Float32Array, count: number, m: number, scale: number) =>
        kernels.softmaxBackward(weights, gradient, count, m, scale, none),
      transposeBlocks: (from: Float32Array, to: Float32Array, blocks: number, n: number, m: number) => kernels.transposeBlocks(from, to, blocks, n, m, none),
      axpy: (out: Float32Array, a: Float32Array, b: Float32Array, scale: number) => kernels.axpy(out, a, b, scale),
      sum3: (out: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array) => kernels.sum3(out, a, b, c),
    } : {}),
  };
  const result = attentionForward(op, { data: x, shape: [width] }, env);
  const g = new Float32Array(rows * width);
  new Random(77).fillNormal(g);
  return { output: Float32Array.from(result.output.data), measure: result.measure, gradient: Float32Array.from(result.backward(g).input) };
}

describe('Monte-Carlo attention on the kernel engine', () => {
  for (const [sequences, tokens, width, heads, causal] of [[3, 16, 32, 4, true], [2, 12, 48, 3, false], [2, 10, 32, 2, true]] as const) {
    it(`computes what the head-by-head path computes, bit for bit: ${sequences} × ${tokens} tokens, width ${width}, ${heads} heads${causal ? ', causal' : ''}`, () => {
      const kernels = engine();
      const layers = projections(kernels, width);
      const x = new Float32Array(sequences * tokens * width);
      new Random(5).fillNormal(x);
      const mark = kernels.mark();
      const plain = run(kernels, false, layers, x, sequences, tokens, width, heads, causal);
      const batched = run(kernels, true, layers, x, sequences, tokens, width, heads, causal);
      kernels.release(mark);
      assert.deepEqual(batched.measure, plain.measure);
      assert.deepEqual(batched.output, plain.output);
      assert.deepEqual(batched.gradient, plain.gradient);
      assert.ok(plain.measure.p2 > 0 && plain.measure.logitVariance > 0);
    });
  }

  it('runs the softmax on both threads’ kernel as the JavaScript loops do, and declines arrays outside the arena', () => {
    const kernels = engine();
    const mark = kernels.mark();
    const scores = kernels.allocate(8 * 8);
    new Random(3).fillNormal(scores);
    const weights = kernels.allocate(8 * 8);
    assert.equal(kernels.softmax(Float32Array.from(scores), weights, 8, 8, 8, true, 0.5, none), undefined);
    assert.equal(kernels.softmaxBackward(Float32Array.from(weights), scores, 8, 8, 0.5, none), false);
    const stats = kernels.softmax(scores, weights, 8, 8, 8, true, 0.5, none)!;
    // Row 0 sees one key: its weight is 1, the rest 0, its logits' variance 0.
    assert.deepEqual([...weights.subarray(0, 8)], [1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([stats[0], stats[1]], [0, 1]);
    for (let r = 0; r < 8; r++) {
      const row = weights.subarray(r * 8, r * 8 + 8);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `row ${r} sums to 1`);
      assert.ok(row.subarray(r + 1).every((w) => w === 0), `row ${r} sees keys 0..${r}`);
    }
    kernels.release(mark);
  });
});
