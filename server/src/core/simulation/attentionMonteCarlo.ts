/**
 * Multi-head self-attention in the Monte-Carlo pass (montecarlo.ts), done as PyTorch does it
 * (test/reference/transformer/transformer_oracle.py): the activations are rows of tokens,
 * sequences × tokens rows of d_model; per sequence and head
 *
 *   S = scale · Q_h K_hᵀ  [+ causal mask: row i sees keys 0..i],  A = softmax(S),  Y_h = A V_h
 *
 * heads concatenated, then the output projection (where there is one). Backward (the softmax's Jacobian per row):
 *   dV_h = Aᵀ dY_h,  dA = dY_h V_hᵀ,  dS_ij = A_ij (dA_ij − Σ_l A_il dA_il),
 *   dQ_h = scale · dS K_h,  dK_h = scale · dSᵀ Q_h
 * and the input's gradient is the sum of the three projections' (each projection measures its
 * own, as a dense layer does). Float32 storage and products, float64 sums for the softmax and
 * the statistics. Per attention it measures what the oracle measures: the population variance
 * of each row's logits over the keys it sees and Σ_j A_ij², averaged over rows and heads.
 * Cross-attention (`env.memory`): K and V are projected from the memory's rows (S tokens per
 * sequence), so S is T × S; the key and value gradients go to the memory
 * (test/reference/transformer/decoder_oracle.py measures nn.MultiheadAttention(x, mem, mem)).
 */
import type { AttentionOp, WeightLayer } from '../ir';
import type { HeadBlocks } from './kernelEngine';
import type { Gemm } from './matmul';

/** Rows of token activations; `shape` is one token's (here [width]). */
export interface TokenRows {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A projection run forward by the Monte-Carlo pass (drawn, multiplied, measured) and its backward step. */
export interface Projected {
  readonly out: TokenRows;
  readonly backward: (gradient: Float32Array) => Float32Array;
}

export interface AttentionEnvironment {
  readonly sequences: number;
  readonly tokens: number;
  readonly gemm: Gemm;
  readonly checkpoint: () => void;
  /** Runs one projection over the rows (montecarlo.ts's dense layer). */
  readonly project: (layer: WeightLayer, x: TokenRows) => Projected;
  /**
   * The engine's products on blocks of arrays in its arena (kernelEngine.ts multiplyBlocks):
   * each head's products read and write the rows in place; false where it does not take them.
   */
  readonly multiplyBlocks?: (a: Block, b: Block, transposed: boolean, c: Block) => boolean;
  /** The softmax over rows of logits and its backward step, both threads (kernelEngine.ts): the same numbers as the loops here. */
  readonly softmax?: (scores: Float32Array, weights: Float32Array, rows: number, n: number, m: number, causal: boolean, scale: number) => Float64Array | undefined;
  readonly softmaxBackward?: (weights: Float32Array, gradient: Float32Array, rows: number, m: number, scale: number) => boolean;
  /** The same for every sequence and head at once (kernelEngine.ts multiplyHeads). */
  readonly multiplyHeads?: (m: number, n: number, k: number, a: HeadBlocks, b: HeadBlocks, transposed: boolean, c: HeadBlocks) => boolean;
  /**
   * An array the attention writes whole (montecarlo.ts rowsArray: in the engine's arena when there
   * is one, where the products read it in place); `scope` lets go of those allocated in `run`.
   */
  readonly allocate?: (length: number) => Float32Array;
  readonly scope?: <T>(run: () => T) => T;
  /** The input gradients' sums in WebAssembly (kernelEngine.ts axpy, sum3): the same numbers as the loops here. */
  readonly axpy?: (out: Float32Array, a: Float32Array, b: Float32Array, scale: number) => void;
  readonly sum3?: (out: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array) => void;
  /** Blocks of [n × m] transposed on both threads (kernelEngine.ts transposeBlocks); false where it does not take them. */
  readonly transposeBlocks?: (from: Float32Array, to: Float32Array, blocks: number, n: number, m: number) => boolean;
  /** Cross-attention: the memory's rows (sequences × its tokens) keys and values come from. */
  readonly memory?: { readonly rows: TokenRows; readonly tokens: number };
}

/** What the oracle records per attention (transformer_oracle.py `logit_var`, `attn_pii`). */
export interface AttentionMeasure {
  readonly logitVariance: number;
  readonly p2: number;
}

/** The attention cannot be run: unknown scale, or head widths that do not tile the projections. */
export class AttentionNotSimulable extends Error {}

export interface AttentionRun {
  readonly output: TokenRows;
  readonly measure: AttentionMeasure;
  /** The gradient at the input (the queries' rows), and for cross-attention the memory's. */
  readonly backward: (gradient: Float32Array) => { input: Float32Array; memory?: Float32Array };
}

/** A block of a row-major array: `rows` rows of `cols` values, row r from data[at + r·stride]. */
export interface Block {
  readonly data: Float32Array;
  readonly at: number;
  readonly stride: number;
  readonly rows: number;
  readonly cols: number;
}

/** A block's values as a [rows×cols] array (transposed: [cols×rows]). */
function copyOut(block: Block, transposed: boolean): Float32Array {
  const { data, at, stride, rows, cols } = block;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[transposed ? c * rows + r : r * cols + c] = data[at + r * stride + c]!;
  }
  return out;
}

/** C = A·B, or A·Bᵀ when `transposed` (B's block is then [n×k]). */
function multiply(env: AttentionEnvironment, a: Block, b: Block, transposed: boolean, c: Block): void {
  if (env.multiplyBlocks?.(a, b, transposed, c)) return;
  const product = new Float32Array(c.rows * c.cols);
  env.gemm(a.rows, c.cols, a.cols, copyOut(a, false), copyOut(b, transposed), product, env.checkpoint);
  for (let r = 0; r < c.rows; r++) c.data.set(product.subarray(r * c.cols, (r + 1) * c.cols), c.at + r * c.stride);
}

/** The [n×m] matrix at a[at] (row stride m) transposed into out[to] ([m×n]). */
function transposeInto(a: Float32Array, at: number, n: number, m: number, out: Float32Array, to: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[to + j * n + i] = a[at + i * m + j]!;
}

export function attentionForward(op: AttentionOp, x: TokenRows, env: AttentionEnvironment): AttentionRun {
  const scale = op.logitScale;
  if (scale === undefined) throw new AttentionNotSimulable();
  const { sequences: batch, tokens: n, checkpoint } = env;
  const memory = env.memory;
  if (op.crossAttention ? !memory || op.causal : memory) throw new AttentionNotSimulable();
  // Keys per row: the memory's tokens for cross-attention.
  const m = memory ? memory.tokens : n;
  const source = memory ? memory.rows : x;
  const q = env.project(op.query, x);
  const k = env.project(op.key, source);
  const v = env.project(op.value, source);
  const width = q.out.shape[0]!;
  const heads = op.heads;
  const dh = op.headDim;
  if (heads * dh !== width || k.out.shape[0] !== width || v.out.shape[0] !== width) throw new AttentionNotSimulable();
  const allocate = env.allocate ?? ((length: number) => new Float32Array(length));
  const scope = env.scope ?? (<T>(run: () => T) => run());
  /** The heads of rows of `width`, `tokens` rows per sequence. */
  const headsOf = (data: Float32Array, tokens: number): HeadBlocks => ({ data, at: 0, stride: width, perSequence: tokens * width, perHead: dh });
  /** A [rows×cols] matrix per sequence and head, one after the other. */
  const matrices = (data: Float32Array, rows = n, cols = m): HeadBlocks => ({ data, at: 0, stride: cols, perSequence: heads * rows * cols, perHead: rows * cols });
  /** C = A·B (A·Bᵀ) for every sequence and head: one job of the engine's, or head by head. */
  const multiplyAll = (rows: number, cols: number, inner: number, a: HeadBlocks, b: HeadBlocks, transposed: boolean, c: HeadBlocks) => {
    if (env.multiplyHeads?.(rows, cols, inner, a, b, transposed, c)) return;
    const block = (x: HeadBlocks, s: number, h: number, r: number, c: number): Block =>
      ({ data: x.data, at: x.at + s * x.perSequence + h * x.perHead, stride: x.stride, rows: r, cols: c });
    for (let s = 0; s < batch; s++) {
      for (let h = 0; h < heads; h++) {
        checkpoint();
        multiply(env, block(a, s, h, rows, inner), transposed ? block(b, s, h, cols, inner) : block(b, s, h, inner, cols), transposed, block(c, s, h, rows, cols));
      }
    }
  };
  /** Each sequence's and head's [n×m] matrix of `from` transposed into `to`. */
  const transposeAll = (from: Float32Array, to: Float32Array) => {
    if (env.transposeBlocks?.(from, to, batch * heads, n, m)) return;
    for (let at = 0; at < batch * heads * n * m; at += n * m) transposeInto(from, at, n, m, to, at);
  };
  // Each sequence's and head's weights A, every entry written (0 where the mask hides a key).
  const weights = allocate(batch * heads * n * m);
  const y = allocate(batch * n * width);
  const exps = new Float64Array(m);
  let logitVariance = 0;
  let p2 = 0;
  scope(() => {
    const scores = allocate(batch * heads * n * m);
    multiplyAll(n, m, dh, headsOf(q.out.data, n), headsOf(k.out.data, m), true, matrices(scores));
    const stats = env.softmax?.(scores, weights, batch * heads * n, n, m, op.causal, scale);
    if (stats) {
      for (let row = 0; row < batch * heads * n; row++) {
        logitVariance += stats[2 * row]!;
        p2 += stats[2 * row + 1]!;
      }
    }
    for (let row = 0; !stats && row < batch * heads * n; row++) {
      if (row % n === 0) checkpoint();
      const i = row % n;
      const seen = op.causal ? i + 1 : m;
      const at = row * m;
      let max = -Infinity;
      let sum = 0;
      let sumSq = 0;
      for (let j = 0; j < seen; j++) {
        const s = scale * scores[at + j]!;
        scores[at + j] = s;
        if (s > max) max = s;
        sum += s;
        sumSq += s * s;
      }
      const mean = sum / seen;
      logitVariance += Math.max(0, sumSq / seen - mean * mean);
      // exp(s − max) once per entry, kept in float64 until it is divided by the row's total.
      let total = 0;
      for (let j = 0; j < seen; j++) {
        const e = Math.exp(scores[at + j]! - max);
        exps[j] = e;
        total += e;
      }
      let squares = 0;
      for (let j = 0; j < seen; j++) {
        const w = exps[j]! / total;
        weights[at + j] = w;
        squares += w * w;
      }
      weights.fill(0, at + seen, at + m);
      p2 += squares;
    }
    multiplyAll(n, dh, m, matrices(weights), headsOf(v.out.data, m), false, headsOf(y, n));
  });
  const rows = batch * heads * n;
  // No output projection (ir.ts AttentionOp.output): the merged heads are the output, the gradient reaches them as it is.
  const o: Projected = op.output ? env.project(op.output, { data: y, shape: [width] }) : { out: { data: y, shape: [width] }, backward: (g) => g };
  return {
    output: o.out,
    measure: { logitVariance: logitVariance / rows, p2: p2 / rows },
    backward: (g) => scope(() => {
      const gyHeap = o.backward(g);
      const gy = allocate(gyHeap.length);
      gy.set(gyHeap);
      const gq = allocate(gy.length);
      const gk = allocate(batch * m * width);
      const gv = allocate(batch * m * width);
      const dA = allocate(batch * heads * n * m);
      const flipped = allocate(batch * heads * m * n);
      // dV_h = Aᵀ dY_h
      transposeAll(weights, flipped);
      multiplyAll(m, dh, n, matrices(flipped, m, n), headsOf(gy, n), false, headsOf(gv, m));
      // dA = dY_h V_hᵀ
      multiplyAll(n, m, dh, headsOf(gy, n), headsOf(v.out.data, m), true, matrices(dA));
      // dS = A ⊙ (dA − rowsum(A ⊙ dA)), times the scale; masked entries have A = 0.
      const done = env.softmaxBackward?.(weights, dA, batch * heads * n, m, scale) ?? false;
      for (let row = 0; !done && row < batch * heads * n; row++) {
        if (row % n === 0) checkpoint();
        const at = row * m;
        let dot = 0;
        for (let j = 0; j < m; j++) dot += weights[at + j]! * dA[at + j]!;
        for (let j = 0; j < m; j++) dA[at + j] = scale * weights[at + j]! * (dA[at + j]! - dot);
      }
      // dQ_h = dS K_h, dK_h = dSᵀ Q_h
      multiplyAll(n, dh, m, matrices(dA), headsOf(k.out.data, m), false, headsOf(gq, n));
      transposeAll(dA, flipped);
      multiplyAll(m, dh, n, matrices(flipped, m, n), headsOf(q.out.data, n), false, headsOf(gk, m));
      const fromValue = v.backward(gv);
      const fromKey = k.backward(gk);
      const fromQuery = q.backward(gq);
      if (memory) {
        const gm = new Float32Array(fromValue.length);
        if (env.axpy) env.axpy(gm, fromKey, fromValue, 1);
        else for (let i = 0; i < gm.length; i++) gm[i] = fromKey[i]! + fromValue[i]!;
        return { input: fromQuery, memory: gm };
      }
      const gx = new Float32Array(fromValue.length);
      if (env.sum3) env.sum3(gx, fromQuery, fromKey, fromValue);
      else for (let i = 0; i < gx.length; i++) gx[i] = fromQuery[i]! + fromKey[i]! + fromValue[i]!;
      return { input: gx };
    }),
  };
}
