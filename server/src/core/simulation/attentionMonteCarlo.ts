/**
 * Multi-head self-attention in the Monte-Carlo pass (montecarlo.ts), done as PyTorch does it
 * (test/reference/transformer/transformer_oracle.py): the activations are rows of tokens,
 * sequences × tokens rows of d_model; per sequence and head
 *
 *   S = scale · Q_h K_hᵀ  [+ causal mask: row i sees keys 0..i],  A = softmax(S),  Y_h = A V_h
 *
 * heads concatenated, then the output projection. Backward (the softmax's Jacobian per row):
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
import type { Gemm } from './matmul';
import { transpose } from './matmul';

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
  /** An array for the heads' concatenated outputs (montecarlo.ts rowsArray: the output projection reads it in place); every value is written. */
  readonly allocate?: (length: number) => Float32Array;
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

/** Copies head h of sequence b ([tokens × headDim]) out of rows of `width`. */
function gather(source: Float32Array, target: Float32Array, b: number, h: number, tokens: number, width: number, headDim: number): void {
  for (let t = 0; t < tokens; t++) {
    const from = (b * tokens + t) * width + h * headDim;
    target.set(source.subarray(from, from + headDim), t * headDim);
  }
}

/** Adds a [tokens × headDim] block back into head h of sequence b. */
function scatter(source: Float32Array, target: Float32Array, b: number, h: number, tokens: number, width: number, headDim: number): void {
  for (let t = 0; t < tokens; t++) {
    const to = (b * tokens + t) * width + h * headDim;
    for (let e = 0; e < headDim; e++) target[to + e] = source[t * headDim + e]!;
  }
}

export function attentionForward(op: AttentionOp, x: TokenRows, env: AttentionEnvironment): AttentionRun {
  const scale = op.logitScale;
  if (scale === undefined) throw new AttentionNotSimulable();
  const { sequences: batch, tokens: n, gemm, checkpoint } = env;
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
  const weights = new Float32Array(batch * heads * n * m);
  const y = env.allocate ? env.allocate(batch * n * width) : new Float32Array(batch * n * width);
  const qh = new Float32Array(n * dh);
  const kh = new Float32Array(m * dh);
  const vh = new Float32Array(m * dh);
  const yh = new Float32Array(n * dh);
  const scores = new Float32Array(n * m);
  const exps = new Float64Array(m);
  let logitVariance = 0;
  let p2 = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      checkpoint();
      gather(q.out.data, qh, b, h, n, width, dh);
      gather(k.out.data, kh, b, h, m, width, dh);
      gather(v.out.data, vh, b, h, m, width, dh);
      gemm(n, m, dh, qh, transpose(kh, m, dh), scores, checkpoint);
      const a = weights.subarray(((b * heads) + h) * n * m, ((b * heads) + h + 1) * n * m);
      for (let i = 0; i < n; i++) {
        const seen = op.causal ? i + 1 : m;
        const row = i * m;
        let max = -Infinity;
        let sum = 0;
        let sumSq = 0;
        for (let j = 0; j < seen; j++) {
          const s = scale * scores[row + j]!;
          scores[row + j] = s;
          if (s > max) max = s;
          sum += s;
          sumSq += s * s;
        }
        const mean = sum / seen;
        logitVariance += Math.max(0, sumSq / seen - mean * mean);
        // exp(s − max) once per entry, kept in float64 until it is divided by the row's total.
        let total = 0;
        for (let j = 0; j < seen; j++) {
          const e = Math.exp(scores[row + j]! - max);
          exps[j] = e;
          total += e;
        }
        let squares = 0;
        for (let j = 0; j < seen; j++) {
          const w = exps[j]! / total;
          a[row + j] = w;
          squares += w * w;
        }
        p2 += squares;
      }
      gemm(n, dh, m, a, vh, yh, checkpoint);
      scatter(yh, y, b, h, n, width, dh);
    }
  }
  const rows = batch * heads * n;
  const o = env.project(op.output, { data: y, shape: [width] });
  return {
    output: o.out,
    measure: { logitVariance: logitVariance / rows, p2: p2 / rows },
    backward: (g) => {
      const gy = o.backward(g);
      const gq = new Float32Array(gy.length);
      const gk = new Float32Array(batch * m * width);
      const gv = new Float32Array(batch * m * width);
      const gyh = new Float32Array(n * dh);
      const dA = new Float32Array(n * m);
      const part = new Float32Array(n * dh);
      const keyPart = new Float32Array(m * dh);
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          checkpoint();
          const a = weights.subarray(((b * heads) + h) * n * m, ((b * heads) + h + 1) * n * m);
          gather(gy, gyh, b, h, n, width, dh);
          gather(q.out.data, qh, b, h, n, width, dh);
          gather(k.out.data, kh, b, h, m, width, dh);
          gather(v.out.data, vh, b, h, m, width, dh);
          gemm(m, dh, n, transpose(a, n, m), gyh, keyPart, checkpoint);
          scatter(keyPart, gv, b, h, m, width, dh);
          gemm(n, m, dh, gyh, transpose(vh, m, dh), dA, checkpoint);
          // dS = A ⊙ (dA − rowsum(A ⊙ dA)), times the scale; masked entries have A = 0.
          for (let i = 0; i < n; i++) {
            const row = i * m;
            let dot = 0;
            for (let j = 0; j < m; j++) dot += a[row + j]! * dA[row + j]!;
            for (let j = 0; j < m; j++) dA[row + j] = scale * a[row + j]! * (dA[row + j]! - dot);
          }
          gemm(n, dh, m, dA, kh, part, checkpoint);
          scatter(part, gq, b, h, n, width, dh);
          gemm(m, dh, n, transpose(dA, n, m), qh, keyPart, checkpoint);
          scatter(keyPart, gk, b, h, m, width, dh);
        }
      }
      const fromValue = v.backward(gv);
      const fromKey = k.backward(gk);
      const fromQuery = q.backward(gq);
      if (memory) {
        const gm = new Float32Array(fromValue.length);
        for (let i = 0; i < gm.length; i++) gm[i] = fromKey[i]! + fromValue[i]!;
        return { input: fromQuery, memory: gm };
      }
      const gx = new Float32Array(fromValue.length);
      for (let i = 0; i < gx.length; i++) gx[i] = fromQuery[i]! + fromKey[i]! + fromValue[i]!;
      return { input: gx };
    },
  };
}
