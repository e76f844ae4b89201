/**
 * Single-precision matrix products for the Monte-Carlo simulation: C[m×n] = A[m×k]·B[k×n],
 * row-major Float32Array views. The WebAssembly SIMD kernel (wasmGemm.ts) does the work;
 * this file holds the contract and the plain JavaScript fallback for runtimes without
 * WebAssembly SIMD, register-blocked 4×4 (each step of the inner loop loads 8 values and
 * does 16 multiply-adds in locals; a naive i-k-j loop stores C once per multiply-add).
 *
 * Dense forward: x·Wᵀ with Wᵀ materialised (k = fan_in); dense backward: g·W;
 * convolutions: W·im2col per sample and group (conv.ts).
 * `checkpoint` runs every ~millisecond of work, for cancellation and the time budget.
 */
import { wasmGemm } from './wasmGemm';

export type Gemm = (
  m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array, checkpoint: () => void,
) => void;

/** The fastest kernel this runtime has. */
export function bestGemm(): Gemm {
  return wasmGemm() ?? jsGemm;
}

/** Rows of C between two checkpoints (~2M multiply-adds ≈ 1 ms in JavaScript). */
function rowsPerCheckpoint(n: number, k: number): number {
  return Math.max(4, Math.floor(2_000_000 / Math.max(1, n * k) / 4) * 4);
}

export const jsGemm: Gemm = (m, n, k, a, b, c, checkpoint) => {
  const step = rowsPerCheckpoint(n, k);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i0 = 0; i0 < m; i0 += step) {
    checkpoint();
    const iEnd = Math.min(m, i0 + step);
    for (let i = i0; i < iEnd; i += 4) {
      if (i >= m4) {
        for (let r = i; r < m; r++) for (let j = 0; j < n; j++) c[r * n + j] = dot(a, r * k, b, j, n, k);
        continue;
      }
      const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      for (let j = 0; j < n4; j += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0, bp = j; p < k; p++, bp += n) {
          const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
          const y0 = b[bp]!, y1 = b[bp + 1]!, y2 = b[bp + 2]!, y3 = b[bp + 3]!;
          c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
          c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
          c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
          c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
        }
        store4(c, i * n + j, c00, c01, c02, c03);
        store4(c, (i + 1) * n + j, c10, c11, c12, c13);
        store4(c, (i + 2) * n + j, c20, c21, c22, c23);
        store4(c, (i + 3) * n + j, c30, c31, c32, c33);
      }
      for (let r = i; r < i + 4; r++) for (let j = n4; j < n; j++) c[r * n + j] = dot(a, r * k, b, j, n, k);
    }
  }
};

function store4(c: Float32Array, at: number, v0: number, v1: number, v2: number, v3: number): void {
  c[at] = v0; c[at + 1] = v1; c[at + 2] = v2; c[at + 3] = v3;
}

function dot(a: Float32Array, ai: number, b: Float32Array, j: number, n: number, k: number): number {
  let sum = 0;
  for (let p = 0, bp = j; p < k; p++, bp += n) sum += a[ai + p]! * b[bp]!;
  return sum;
}

/** Bᵀ of a row-major [rows×cols] matrix, as [cols×rows]. */
export function transpose(b: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  // 32×32 tiles keep both sides in cache.
  for (let r0 = 0; r0 < rows; r0 += 32) {
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const rEnd = Math.min(rows, r0 + 32);
      const cEnd = Math.min(cols, c0 + 32);
      for (let r = r0; r < rEnd; r++) for (let c = c0; c < cEnd; c++) out[c * rows + r] = b[r * cols + c]!;
    }
  }
  return out;
}
