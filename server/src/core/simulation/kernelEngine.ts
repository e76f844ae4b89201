/**
 * The Monte-Carlo pass's compute engine: wasmKernels.ts's module on a shared WebAssembly memory,
 * an arena in it where each dense layer's weights are drawn and then multiplied in place (no
 * copy, transpose or packing of the weights: they are 85 M floats for GPT-2 small), and a
 * second thread that takes half of every large job when the host starts one (issue 15: the
 * Monte-Carlo check of a 12-block, d_model-768 model no slower than PyTorch, which uses both
 * cores through OpenBLAS).
 *
 * Work sharing: a job (a matrix product or a weight draw) is cut into chunks (row blocks of
 * the product, 64 Ki-value blocks of the draw); both threads claim chunks from a shared
 * counter until none is left, and the calling thread waits for the chunks the helper claimed.
 * The calling thread never waits for the helper to start or to be free, so a helper that is
 * slow (a loaded machine) or absent only costs speed. Results do not depend on who ran a
 * chunk: each chunk of a draw has its own seeded stream, each row of a product is computed
 * whole by one call, so a seed gives the same numbers with one thread or two.
 *
 * The control block (first 1 KiB of the memory): SEQ counts jobs (the helper sleeps on it);
 * CLAIM holds the job's generation in its high 16 bits and the next unclaimed chunk in its low
 * 16 (a stale claim from an earlier job fails its compare-exchange); DONE counts finished
 * chunks (the caller sleeps on it); the job's kind and arguments follow.
 */
import type { Gemm } from './matmul';
import {
  ARENA_AT, instantiateKernels, kernelModule, MAX_PAGES, PACK_BYTES, SCRATCH_AT, SCRATCH_SLOTS, wasmApi, writeZigguratTables,
  type KernelExports, type WasmMemory,
} from './wasmKernels';

const SEQ = 0;
const CLAIM = 1;
const DONE = 2;
const TOTAL = 3;
const KIND = 4;
const QUIT = 5;
/** Chunks the helper threads have run (for tests and the benchmark). */
const HELPER_CHUNKS = 6;
/** Helper threads started so far: each takes the next packing buffer (SCRATCH_AT). */
const HELPERS = 7;
/** Int arguments start at word 8; float arguments at byte 128 (Float64 index 16). */
const ARG = 8;
const FARG = 16;

const KIND_GEMM = 1;
const KIND_NORMAL = 3;
const KIND_UNIFORM = 4;
const KIND_GELU = 5;
const KIND_GEMM_BATCH = 6;
const KIND_SOFTMAX = 7;
const KIND_SOFTMAX_BACKWARD = 8;
const KIND_LAYERNORM = 9;
const KIND_LAYERNORM_BACKWARD = 10;
const KIND_TRANSPOSE = 11;

/** Values per chunk of a weight draw (each chunk its own stream). */
export const DRAW_CHUNK = 1 << 16;
/** Multiply-adds per chunk of a product: ~1 ms, fine enough to share evenly and to check cancellation. */
const MACS_PER_CHUNK = 8_000_000;
/** Values per chunk of a softmax job (rows of logits): ~0.5 ms of exponentials. */
const ROW_VALUES_PER_CHUNK = 32_768;
/** Jobs smaller than this run on the calling thread alone (waking the helper costs tens of µs). */
const SHARE_THRESHOLD = 4_000_000;

/** What a helper thread needs (structured-cloneable: a compiled module and a shared memory). */
export interface KernelHelperData {
  readonly module: object;
  readonly memory: WasmMemory;
}

export interface KernelEngine {
  /** C = A·B for ordinary arrays (copied into the arena, B packed): the Gemm of matmul.ts. */
  readonly gemm: Gemm;
  /**
   * A Float32Array in the arena, alive until release() of a mark taken before it. Its contents
   * are whatever was there (the weight draws overwrite every value; zeroing 85 M floats first
   * would cost ~0.1 s).
   */
  allocate(floats: number): Float32Array;
  mark(): number;
  release(mark: number): void;
  /** out[m×n] = x[m×k]·Wᵀ for W [n×k] in the arena (a dense layer's forward pass). */
  timesTransposed(m: number, n: number, k: number, x: Float32Array, w: Float32Array, out: Float32Array, checkpoint: () => void): void;
  /** out[m×n] = g[m×k]·W for W [k×n] in the arena (a dense layer's backward pass). */
  times(m: number, n: number, k: number, g: Float32Array, w: Float32Array, out: Float32Array, checkpoint: () => void): void;
  /** out (in the arena) ← mean + std·N(0,1) kept within [low, high]; chunk c drawn from stream (seed, c). */
  fillNormal(out: Float32Array, seed: number, mean: number, std: number, low: number, high: number, checkpoint: () => void): void;
  /** out (in the arena) ← low + (high − low)·U[0, 1). */
  fillUniform(out: Float32Array, seed: number, low: number, high: number, checkpoint: () => void): void;
  /**
   * out ← GELU(pre), derivative ← GELU′(pre), as geluFloat32.ts's geluWithDerivative computes
   * them (bit for bit); false, with nothing done, unless all three are in the arena.
   */
  gelu(pre: Float32Array, out: Float32Array, derivative: Float32Array, checkpoint: () => void): boolean;
  /** For starting a helper thread (runKernelHelper); the helper serves until stopHelpers(). */
  helperData(): KernelHelperData;
  /** Tells the helper threads to return. */
  stopHelpers(): void;
  /** Chunks helper threads have run on this engine so far. */
  helperChunks(): number;
  /**
   * C = A·B (or A·Bᵀ, `transposed`) on blocks of arrays in the arena: A [m×k] at a[aAt + r·lda + c],
   * B [k×n] at b[bAt + p·ldb + q] (Bᵀ: b[bAt + q·ldb + p]), C [m×n] at c[cAt + r·ldc + q], offsets
   * and strides in floats; m a multiple of 2, n and k of 4. False, with nothing done, otherwise.
   */
  multiplyBlocks(
    m: number, n: number, k: number, a: Float32Array, aAt: number, lda: number, b: Float32Array, bAt: number, ldb: number,
    transposed: boolean, c: Float32Array, cAt: number, ldc: number, checkpoint: () => void,
  ): boolean;
  /**
   * An attention's softmax over `rows` rows of logits (attentionMonteCarlo.ts: [rows × m], n rows a
   * matrix, causal or not), on both threads, as wasmKernels.ts's softmax: the scaled logits back
   * into `scores`, the weights into `weights`, and per row its logits' variance and Σ A²
   * (stats[2r], stats[2r+1]); undefined, with nothing done, unless both are in the arena and m ≤ 1024.
   */
  softmax(scores: Float32Array, weights: Float32Array, rows: number, n: number, m: number, causal: boolean, scale: number, checkpoint: () => void): Float64Array | undefined;
  /** dA ← scale·A ⊙ (dA − rowsum(A ⊙ dA)) on [rows × m] (wasmKernels.ts softmaxBackward); false unless both are in the arena. */
  softmaxBackward(weights: Float32Array, gradient: Float32Array, rows: number, m: number, scale: number, checkpoint: () => void): boolean;
  /**
   * multiplyBlocks for every sequence s < sequences and head h < heads at once (one job, one
   * product a chunk, both threads): each operand's block of (s, h) starts `perSequence`·s +
   * `perHead`·h floats after its block of (0, 0).
   */
  multiplyHeads(
    sequences: number, heads: number, m: number, n: number, k: number,
    a: HeadBlocks, b: HeadBlocks, transposed: boolean, c: HeadBlocks, checkpoint: () => void,
  ): boolean;
  /**
   * The per-element work around the products (wasmRowKernels.ts), bit for bit as montecarlo.ts's
   * loops compute it. Arrays outside the arena are copied in (and results out) for the call.
   * meanSquare: Σ x² / n in meanSquare's order (NaN for no values).
   */
  meanSquare(values: Float32Array): number;
  /**
   * LayerNorm over `rows` rows of x into xHat (in the arena), on both threads; the rows' inverse
   * standard deviations, in the arena (alive as an allocation), for layerNormBackward; undefined,
   * with nothing done, when xHat is not in the arena.
   */
  layerNorm(x: Float32Array, rows: number, xHat: Float32Array, eps: number, checkpoint: () => void): Float64Array | undefined;
  /** out ← LayerNorm's backward step of g (xHat and inverse from layerNorm), on both threads; false, with nothing done, when they are not from it. */
  layerNormBackward(g: Float32Array, xHat: Float32Array, inverse: Float64Array, rows: number, out: Float32Array, checkpoint: () => void): boolean;
  /** Per sequence of `tokens` rows: |Σ_t x_t|² − Σ_t |x_t|² (montecarlo.ts tokenCrossMoment's sums). */
  tokenCrossSums(data: Float32Array, sequences: number, tokens: number): Float64Array;
  /** out ← a + scale·b in float64, stored float32. */
  axpy(out: Float32Array, a: Float32Array, b: Float32Array, scale: number): void;
  /** out ← (a + b) + c in float64, stored float32. */
  sum3(out: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /**
   * Each of `blocks` [n × m] matrices of `from` (one after the other) transposed into the same
   * place of `to`, on both threads; false, with nothing done, unless both are in the arena.
   */
  transposeBlocks(from: Float32Array, to: Float32Array, blocks: number, n: number, m: number, checkpoint: () => void): boolean;
}

/** Blocks of one array, one per sequence and head (offsets and the row stride in floats). */
export interface HeadBlocks {
  readonly data: Float32Array;
  readonly at: number;
  readonly stride: number;
  readonly perSequence: number;
  readonly perHead: number;
}

/** A chunk's stream: the job's seed and the chunk index mixed (splitmix32 then spreads it). */
function chunkSeed(seed: number, chunk: number): number {
  return Math.imul(seed ^ Math.imul(chunk + 1, 0x9e3779b1 | 0), 0x85ebca6b | 0);
}

/**
 * Runs chunk `chunk` of the job described in the control block (both threads call this). A
 * product's chunks are blocks of C's columns (blocks of W's rows for x·Wᵀ, of its 8-column
 * strips for A·B): each chunk reads its part of B once, so B (the weights, the large operand
 * here) is read once in all, and A, the smaller one, once per chunk.
 */
function runChunk(kernels: KernelExports, words: Int32Array, floats: Float64Array, chunk: number, scratch: number): void {
  const kind = words[KIND]!;
  if (kind === KIND_TRANSPOSE) {
    // from, to, blocks, n, m, blocks per chunk.
    const v = (i: number) => words[ARG + i]!;
    const first = chunk * v(5);
    kernels.transpose(v(0), v(1), first, Math.min(v(5), v(2) - first), v(3), v(4));
    return;
  }
  if (kind === KIND_LAYERNORM || kind === KIND_LAYERNORM_BACKWARD) {
    // Rows of a LayerNorm: x (g), xHat, inverse, out, rows, width, rows per chunk; eps.
    const v = (i: number) => words[ARG + i]!;
    const first = chunk * v(6);
    const count = Math.min(v(6), v(4) - first);
    if (kind === KIND_LAYERNORM) kernels.layerNorm(v(0), v(1), v(2), first, count, v(5), floats[FARG]!);
    else kernels.layerNormBackward(v(0), v(1), v(2), v(3), first, count, v(5));
    return;
  }
  if (kind === KIND_SOFTMAX || kind === KIND_SOFTMAX_BACKWARD) {
    const v = (i: number) => words[ARG + i]!;
    const perChunk = v(7);
    const first = chunk * perChunk;
    const count = Math.min(perChunk, v(3) - first);
    if (kind === KIND_SOFTMAX) kernels.softmax(v(0), v(1), v(2), first, count, v(4), v(5), v(6), floats[FARG]!, scratch);
    else kernels.softmaxBackward(v(1), v(0), first, count, v(5), floats[FARG]!);
    return;
  }
  if (kind === KIND_GEMM_BATCH) {
    // One product per chunk: sequence s, head h of an attention (offsets per sequence and per head).
    const v = (i: number) => words[ARG + i]!;
    const heads = v(10);
    const s = Math.floor(chunk / heads);
    const h = chunk - s * heads;
    const at = (base: number, perSequence: number, perHead: number) => v(base) + s * v(perSequence) + h * v(perHead);
    kernels.gemm(at(0, 11, 12), at(1, 13, 14), at(2, 15, 16), v(3), v(4), v(5), v(6), v(7), v(8), scratch, v(9));
    return;
  }
  if (kind === KIND_GEMM) {
    const [a, b, c, m, n, k, lda, ldb, ldc, transposed, colsPerChunk] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => words[ARG + i]!) as
      [number, number, number, number, number, number, number, number, number, number, number];
    const first = chunk * colsPerChunk;
    const cols = Math.min(colsPerChunk, n - first);
    kernels.gemm(a, b + first * (transposed ? ldb : 4), c + first * 4, m, cols, k, lda, ldb, ldc, scratch, transposed);
    return;
  }
  const out = words[ARG]!;
  const count = words[ARG + 1]!;
  const first = chunk * DRAW_CHUNK;
  const values = Math.min(DRAW_CHUNK, count - first);
  if (kind === KIND_GELU) {
    kernels.gelu(words[ARG + 2]! + first * 4, out + first * 4, words[ARG + 3]! + first * 4, values);
    return;
  }
  const seed = chunkSeed(words[ARG + 2]!, chunk);
  if (kind === KIND_NORMAL) kernels.normal(out + first * 4, values, seed, floats[FARG]!, floats[FARG + 1]!, floats[FARG + 2]!, floats[FARG + 3]!);
  else kernels.uniform(out + first * 4, values, seed, floats[FARG]!, floats[FARG + 1]!);
}

/**
 * Claims and runs chunks of job `generation` until none is left; returns how many this thread ran.
 * `between` runs before each chunk (the caller's cancellation check; it may throw).
 */
function claimChunks(
  kernels: KernelExports, words: Int32Array, floats: Float64Array, generation: number, scratch: number, between?: () => void,
): number {
  let ran = 0;
  for (;;) {
    const claim = Atomics.load(words, CLAIM);
    if (claim >>> 16 !== generation) return ran;
    const chunk = claim & 0xffff;
    if (chunk >= words[TOTAL]!) return ran;
    if (Atomics.compareExchange(words, CLAIM, claim, claim + 1) !== claim) continue;
    try {
      between?.();
      runChunk(kernels, words, floats, chunk, scratch);
      ran++;
    } finally {
      Atomics.add(words, DONE, 1);
      Atomics.notify(words, DONE);
    }
  }
}

/**
 * The helper thread's loop (a host starts a thread that calls this with helperData()): sleeps
 * until a job is posted, claims chunks of it, and returns when the engine is closed.
 */
export function runKernelHelper(data: KernelHelperData): void {
  const kernels = instantiateKernels(data.module, data.memory);
  const buffer = data.memory.buffer;
  const words = new Int32Array(buffer, 0, 64);
  const floats = new Float64Array(buffer, 0, 32);
  // Slot 0 is the calling thread's.
  const scratch = SCRATCH_AT + PACK_BYTES * (1 + (Atomics.add(words, HELPERS, 1) % (SCRATCH_SLOTS - 1)));
  let seen = Atomics.load(words, SEQ);
  for (;;) {
    Atomics.wait(words, SEQ, seen);
    if (Atomics.load(words, QUIT) !== 0) return;
    seen = Atomics.load(words, SEQ);
    Atomics.add(words, HELPER_CHUNKS, claimChunks(kernels, words, floats, seen & 0xffff, scratch));
  }
}

let threadEngine: KernelEngine | null | undefined;

/**
 * This thread's engine (one per thread: its memory is reserved up to 4 GiB of address space and
 * keeps the largest arena a run needed), or undefined where WebAssembly SIMD or shared memory is
 * unavailable. Runs on one thread are sequential, and each releases what it allocated.
 */
export function kernelEngine(): KernelEngine | undefined {
  if (threadEngine === undefined) threadEngine = createKernelEngine() ?? null;
  return threadEngine ?? undefined;
}

/**
 * A new engine with its own memory, or undefined where WebAssembly SIMD or shared memory is
 * unavailable; on `module` (wasmKernels.ts compileKernels) instead of this thread's when given.
 */
export function createKernelEngine(module: object | undefined = kernelModule()): KernelEngine | undefined {
  const api = wasmApi();
  if (!module || !api) return undefined;
  let memory: WasmMemory;
  let kernels: KernelExports;
  try {
    memory = new api.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    kernels = instantiateKernels(module, memory);
  } catch {
    return undefined;
  }
  writeZigguratTables(memory.buffer);
  const words = new Int32Array(memory.buffer, 0, 64);
  const floats = new Float64Array(memory.buffer, 0, 32);
  /**
   * The arrays allocate() handed out. Not their buffers: a shared memory's buffer object is
   * replaced on growth, and V8 may replace it again later, at an interrupt (the old objects stay
   * valid views of the same memory), so identity of buffers says nothing.
   */
  const arrays = new WeakSet<Float32Array>();
  /** The same for layerNorm's float64 rows. */
  const doubles = new WeakSet<Float64Array>();
  let heap = new Float32Array(memory.buffer);
  let top = ARENA_AT;
  let generation = 0;

  const reserve = (bytes: number): number => {
    const at = top;
    const end = at + Math.ceil(bytes / 16) * 16;
    if (end > memory.buffer.byteLength) {
      // By an eighth of the memory at least: a run that keeps its activations here grows it a few
      // hundred times otherwise (pages not written are not resident, so this costs no memory).
      const current = memory.buffer.byteLength / 65536;
      const needed = Math.ceil((end - memory.buffer.byteLength) / 65536);
      const pages = Math.min(Math.max(needed, Math.ceil(current / 8)), Math.max(needed, MAX_PAGES - current));
      memory.grow(pages); // RangeError beyond 4 GiB: the caller's memory estimate declines such networks first
      heap = new Float32Array(memory.buffer);
    }
    top = end;
    return at;
  };
  const allocate = (count: number): Float32Array => {
    const at = reserve(count * 4);
    const array = new Float32Array(heap.buffer, at, count);
    arrays.add(array);
    return array;
  };
  /** Byte address of an array in the arena, or -1. */
  const addressOf = (array: Float32Array): number => (arrays.has(array) ? array.byteOffset : -1);
  /** The array's contents in the arena (in place when it is there already), rows padded to `paddedRows` with zeros. */
  const stage = (array: Float32Array, rows: number, cols: number, paddedRows: number): number => {
    const at = addressOf(array);
    if (at >= 0 && paddedRows === rows) return at;
    const to = reserve(paddedRows * cols * 4);
    heap.set(array.subarray(0, rows * cols), to / 4);
    heap.fill(0, to / 4 + rows * cols, to / 4 + paddedRows * cols);
    return to;
  };

  /**
   * Runs `body` with `place` (an array's byte address in the arena, copied in when it is not
   * there) and `result` (the same for an array `body` writes: copied out after it), and lets go
   * of the copies' space after.
   */
  const staged = <T>(body: (place: (array: Float32Array) => number, result: (array: Float32Array) => number) => T): T => {
    const mark = top;
    const copies: (() => void)[] = [];
    try {
      const value = body(
        (array) => {
          const at = addressOf(array);
          if (at >= 0) return at;
          const to = reserve(array.length * 4);
          heap.set(array, to / 4);
          return to;
        },
        (array) => {
          const at = addressOf(array);
          if (at >= 0) return at;
          const to = reserve(array.length * 4);
          copies.push(() => array.set(heap.subarray(to / 4, to / 4 + array.length)));
          return to;
        },
      );
      for (const copy of copies) copy();
      return value;
    } finally {
      top = mark;
    }
  };
  /** Rows of `width` per chunk of a row job (~ROW_VALUES_PER_CHUNK values), and the chunks. */
  const rowChunks = (rows: number, width: number) => {
    const perChunk = Math.max(1, Math.floor(ROW_VALUES_PER_CHUNK / Math.max(1, width)));
    return { perChunk, chunks: Math.ceil(rows / perChunk) };
  };

  /** Posts a job of `chunks` chunks (arguments already written) and runs it to the end with the helper. */
  const run = (chunks: number, shared: boolean, checkpoint: () => void): void => {
    if (!shared || chunks === 1) {
      for (let chunk = 0; chunk < chunks; chunk++) {
        checkpoint();
        runChunk(kernels, words, floats, chunk, SCRATCH_AT);
      }
      return;
    }
    generation = (generation + 1) & 0xffff;
    words[TOTAL] = chunks;
    Atomics.store(words, DONE, 0);
    Atomics.store(words, CLAIM, generation << 16);
    Atomics.store(words, SEQ, generation);
    Atomics.notify(words, SEQ);
    let claimed = chunks;
    try {
      claimChunks(kernels, words, floats, generation, SCRATCH_AT, checkpoint);
    } catch (error) {
      // Cancelled or out of time: close the job to new claims; the chunks claimed so far finish.
      for (;;) {
        const claim = Atomics.load(words, CLAIM);
        if (Atomics.compareExchange(words, CLAIM, claim, (generation << 16) | 0xffff) === claim) {
          claimed = Math.min(claim & 0xffff, chunks);
          break;
        }
      }
      throw error;
    } finally {
      for (let done = Atomics.load(words, DONE); done < claimed; done = Atomics.load(words, DONE)) Atomics.wait(words, DONE, done);
    }
  };

  /**
   * out[m×n] = a[m×k]·B, B[p, q] at bAt + p·ldb + 4q (or, `transposed`, at bAt + q·ldb + 4p); n
   * and k multiples of 4. The product is written into `out` in place when it is in the arena.
   */
  const product = (
    m: number, n: number, k: number, a: Float32Array, bAt: number, ldb: number, transposed: boolean,
    out: Float32Array, checkpoint: () => void,
  ): void => {
    const mark = top;
    const mPad = Math.ceil(m / 2) * 2;
    const aAt = stage(a, m, k, mPad);
    const outAt = addressOf(out);
    const cAt = outAt >= 0 && mPad === m ? outAt : reserve(mPad * n * 4);
    try {
      multiplyAt(mPad, n, k, aAt, 4 * k, bAt, ldb, transposed, cAt, 4 * n, checkpoint);
      if (cAt !== outAt) out.set(heap.subarray(cAt / 4, cAt / 4 + m * n));
    } finally {
      top = mark;
    }
  };

  /** The kernel on addresses (bytes) and row strides (bytes), shared with the helper when large. */
  const multiplyAt = (
    m: number, n: number, k: number, aAt: number, lda: number, bAt: number, ldb: number, transposed: boolean,
    cAt: number, ldc: number, checkpoint: () => void,
  ): void => {
    // Column blocks: multiples of 8 (the kernel's steps are 4 columns).
    const colsPerChunk = Math.max(8, Math.floor(MACS_PER_CHUNK / Math.max(1, m * k) / 8) * 8);
    words[KIND] = KIND_GEMM;
    [aAt, bAt, cAt, m, n, k, lda, ldb, ldc, transposed ? 1 : 0, colsPerChunk].forEach((value, i) => { words[ARG + i] = value; });
    run(Math.ceil(n / colsPerChunk), m * n * k >= SHARE_THRESHOLD, checkpoint);
  };

  /** A [rows×cols] matrix copied into the arena as [paddedRows×paddedCols], zeros around it. */
  const padded = (array: Float32Array, rows: number, cols: number, paddedRows: number, paddedCols: number): Float32Array => {
    const view = allocate(paddedRows * paddedCols);
    for (let r = 0; r < rows; r++) {
      view.set(array.subarray(r * cols, (r + 1) * cols), r * paddedCols);
      view.fill(0, r * paddedCols + cols, (r + 1) * paddedCols);
    }
    view.fill(0, rows * paddedCols);
    return view;
  };

  const gemm: Gemm = (m, n, k, a, b, c, checkpoint) => {
    const mark = top;
    try {
      // n and k padded to multiples of 4 with zeros (B's extra rows and columns, A's extra columns).
      const nPad = Math.ceil(n / 4) * 4;
      const kPad = Math.ceil(k / 4) * 4;
      const bAt = stage(nPad === n && kPad === k ? b : padded(b, k, n, kPad, nPad), kPad, nPad, kPad);
      const aPadded = kPad === k ? a : padded(a, m, k, m, kPad);
      if (nPad === n) {
        product(m, n, kPad, aPadded, bAt, 4 * n, false, c, checkpoint);
      } else {
        const wide = new Float32Array(m * nPad);
        product(m, nPad, kPad, aPadded, bAt, 4 * nPad, false, wide, checkpoint);
        for (let r = 0; r < m; r++) c.set(wide.subarray(r * nPad, r * nPad + n), r * n);
      }
    } finally {
      top = mark;
    }
  };

  const draw = (kind: number, out: Float32Array, seed: number, args: readonly number[], checkpoint: () => void): void => {
    const at = addressOf(out);
    if (at < 0) throw new Error('kernelEngine: draws go into the arena');
    words[KIND] = kind;
    words[ARG] = at;
    words[ARG + 1] = out.length;
    words[ARG + 2] = seed;
    args.forEach((value, i) => { floats[FARG + i] = value; });
    run(Math.ceil(out.length / DRAW_CHUNK), out.length > DRAW_CHUNK, checkpoint);
  };

  return {
    gemm,
    allocate,
    mark: () => top,
    release: (mark) => { top = Math.min(top, mark); },
    timesTransposed: (m, n, k, x, w, out, checkpoint) => {
      const wAt = addressOf(w);
      if (wAt >= 0 && n % 4 === 0 && k % 4 === 0) product(m, n, k, x, wAt, 4 * k, true, out, checkpoint);
      else gemm(m, n, k, x, transposeOf(w, n, k), out, checkpoint);
    },
    times: (m, n, k, g, w, out, checkpoint) => {
      const wAt = addressOf(w);
      if (wAt >= 0 && n % 4 === 0 && k % 4 === 0) product(m, n, k, g, wAt, 4 * n, false, out, checkpoint);
      else gemm(m, n, k, g, w, out, checkpoint);
    },
    fillNormal: (out, seed, mean, std, low, high, checkpoint) => draw(KIND_NORMAL, out, seed, [mean, std, low, high], checkpoint),
    fillUniform: (out, seed, low, high, checkpoint) => draw(KIND_UNIFORM, out, seed, [low, high - low], checkpoint),
    gelu: (pre, out, derivative, checkpoint) => {
      const at = [addressOf(out), out.length, addressOf(pre), addressOf(derivative)];
      if (at.some((a) => a < 0) || pre.length !== out.length || derivative.length !== out.length) return false;
      words[KIND] = KIND_GELU;
      at.forEach((value, i) => { words[ARG + i] = value; });
      run(Math.ceil(out.length / DRAW_CHUNK), out.length > DRAW_CHUNK, checkpoint);
      return true;
    },
    helperData: () => {
      Atomics.store(words, QUIT, 0);
      return { module, memory };
    },
    helperChunks: () => Atomics.load(words, HELPER_CHUNKS),
    softmax: (scores, weights, rows, n, m, causal, scale, checkpoint) => {
      const [sAt, wAt] = [addressOf(scores), addressOf(weights)];
      if (sAt < 0 || wAt < 0 || m > PACK_BYTES / 8 || rows * m > scores.length || rows * m > weights.length || rows === 0) return undefined;
      const mark = top;
      try {
        const statsAt = reserve(16 * rows);
        const perChunk = Math.max(1, Math.floor(ROW_VALUES_PER_CHUNK / m));
        words[KIND] = KIND_SOFTMAX;
        [sAt, wAt, statsAt, rows, n, m, causal ? 1 : 0, perChunk].forEach((value, i) => { words[ARG + i] = value; });
        floats[FARG] = scale;
        const chunks = Math.ceil(rows / perChunk);
        run(chunks, chunks > 1, checkpoint);
        return new Float64Array(heap.buffer, statsAt, 2 * rows).slice();
      } finally {
        top = mark;
      }
    },
    softmaxBackward: (weights, gradient, rows, m, scale, checkpoint) => {
      const [wAt, gAt] = [addressOf(weights), addressOf(gradient)];
      if (wAt < 0 || gAt < 0 || rows * m > weights.length || rows * m > gradient.length || rows === 0) return false;
      const perChunk = Math.max(1, Math.floor(ROW_VALUES_PER_CHUNK / m));
      words[KIND] = KIND_SOFTMAX_BACKWARD;
      [gAt, wAt, 0, rows, 0, m, 0, perChunk].forEach((value, i) => { words[ARG + i] = value; });
      floats[FARG] = scale;
      const chunks = Math.ceil(rows / perChunk);
      run(chunks, chunks > 1, checkpoint);
      return true;
    },
    multiplyHeads: (sequences, heads, m, n, k, a, b, transposed, c, checkpoint) => {
      const bases = [addressOf(a.data), addressOf(b.data), addressOf(c.data)];
      if (bases.some((at) => at < 0) || m % 2 !== 0 || n % 4 !== 0 || k % 4 !== 0 || m === 0 || sequences * heads === 0) return false;
      if (sequences * heads > 0xffff) return false; // chunk indices are 16 bits
      const [bRows, bCols] = transposed ? [n, k] : [k, n];
      const last = (blocks: HeadBlocks, rows: number, cols: number) =>
        blocks.at + (sequences - 1) * blocks.perSequence + (heads - 1) * blocks.perHead + (rows - 1) * blocks.stride + cols;
      if (last(a, m, k) > a.data.length || last(b, bRows, bCols) > b.data.length || last(c, m, n) > c.data.length) return false;
      words[KIND] = KIND_GEMM_BATCH;
      [
        bases[0]! + 4 * a.at, bases[1]! + 4 * b.at, bases[2]! + 4 * c.at, m, n, k, 4 * a.stride, 4 * b.stride, 4 * c.stride,
        transposed ? 1 : 0, heads, 4 * a.perSequence, 4 * a.perHead, 4 * b.perSequence, 4 * b.perHead, 4 * c.perSequence, 4 * c.perHead,
      ].forEach((value, i) => { words[ARG + i] = value; });
      run(sequences * heads, sequences * heads * m * n * k >= SHARE_THRESHOLD, checkpoint);
      return true;
    },
    multiplyBlocks: (m, n, k, a, aAt, lda, b, bAt, ldb, transposed, c, cAt, ldc, checkpoint) => {
      const [aBase, bBase, cBase] = [addressOf(a), addressOf(b), addressOf(c)];
      if (aBase < 0 || bBase < 0 || cBase < 0 || m % 2 !== 0 || n % 4 !== 0 || k % 4 !== 0 || m === 0) return false;
      // Every block within its array.
      const [bRows, bCols] = transposed ? [n, k] : [k, n];
      if (aAt + (m - 1) * lda + k > a.length || bAt + (bRows - 1) * ldb + bCols > b.length || cAt + (m - 1) * ldc + n > c.length) return false;
      multiplyAt(m, n, k, aBase + 4 * aAt, 4 * lda, bBase + 4 * bAt, 4 * ldb, transposed, cBase + 4 * cAt, 4 * ldc, checkpoint);
      return true;
    },
    meanSquare: (values) => (values.length === 0 ? NaN : staged((place) => kernels.meanSquare(place(values), values.length)) / values.length),
    layerNorm: (x, rows, xHat, eps, checkpoint) => {
      const xHatAt = addressOf(xHat);
      if (xHatAt < 0 || rows <= 0 || x.length !== xHat.length || x.length % rows !== 0) return undefined;
      const inverseAt = reserve(8 * rows);
      const inverse = new Float64Array(heap.buffer, inverseAt, rows);
      doubles.add(inverse);
      staged((place) => {
        const width = x.length / rows;
        const { perChunk, chunks } = rowChunks(rows, width);
        words[KIND] = KIND_LAYERNORM;
        [place(x), xHatAt, inverseAt, 0, rows, width, perChunk].forEach((value, i) => { words[ARG + i] = value; });
        floats[FARG] = eps;
        run(chunks, chunks > 1, checkpoint);
      });
      return inverse;
    },
    layerNormBackward: (g, xHat, inverse, rows, out, checkpoint) => {
      const xHatAt = addressOf(xHat);
      if (xHatAt < 0 || !doubles.has(inverse) || inverse.length !== rows || g.length !== xHat.length || out.length !== g.length || rows <= 0) return false;
      staged((place, result) => {
        const width = g.length / rows;
        const { perChunk, chunks } = rowChunks(rows, width);
        words[KIND] = KIND_LAYERNORM_BACKWARD;
        [place(g), xHatAt, inverse.byteOffset, result(out), rows, width, perChunk].forEach((value, i) => { words[ARG + i] = value; });
        run(chunks, chunks > 1, checkpoint);
      });
      return true;
    },
    tokenCrossSums: (data, sequences, tokens) => staged((place) => {
      const width = data.length / (sequences * tokens);
      const at = place(data);
      const sums = reserve(8 * width);
      const out = new Float64Array(sequences);
      for (let s = 0; s < sequences; s++) out[s] = kernels.crossMoment(at + 4 * s * tokens * width, sums, tokens, width);
      return out;
    }),
    axpy: (out, a, b, scale) => staged((place, result) => {
      if (a.length !== out.length || b.length !== out.length) throw new Error('kernelEngine.axpy: lengths differ');
      kernels.axpy(result(out), place(a), place(b), out.length, scale);
    }),
    sum3: (out, a, b, c) => staged((place, result) => {
      if (a.length !== out.length || b.length !== out.length || c.length !== out.length) throw new Error('kernelEngine.sum3: lengths differ');
      kernels.sum3(result(out), place(a), place(b), place(c), out.length);
    }),
    transposeBlocks: (from, to, blocks, n, m, checkpoint) => {
      const [fromAt, toAt] = [addressOf(from), addressOf(to)];
      if (fromAt < 0 || toAt < 0 || blocks <= 0 || blocks * n * m > from.length || blocks * n * m > to.length) return false;
      const { perChunk, chunks } = rowChunks(blocks, n * m);
      words[KIND] = KIND_TRANSPOSE;
      [fromAt, toAt, blocks, n, m, perChunk].forEach((value, i) => { words[ARG + i] = value; });
      run(chunks, chunks > 1, checkpoint);
      return true;
    },
    stopHelpers: () => {
      Atomics.store(words, QUIT, 1);
      Atomics.add(words, SEQ, 1);
      Atomics.notify(words, SEQ);
    },
  };
}

function transposeOf(b: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = b[r * cols + c]!;
  return out;
}
