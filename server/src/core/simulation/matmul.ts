/**
 * Single-precision matrix products for the Monte-Carlo simulation, register-blocked
 * 4×4 in plain JavaScript: each step of the inner loop loads 8 values and does 16
 * multiply-adds in locals (a naive i-k-j loop does 1 load-store of C per multiply-add).
 * Operands are Float32Array views (PyTorch runs the forward pass in float32); sums are
 * formed in JavaScript doubles and rounded once on store.
 *
 *   gemmNT: C[M×N] (+)= A[M×K] · B[N×K]ᵀ   (dense forward: x·Wᵀ)
 *   gemmNN: C[M×N] (+)= A[M×K] · B[K×N]     (dense backward: g·W; convolutions via im2col)
 *
 * `checkpoint` runs every few rows (a few milliseconds at most) for cancellation.
 */

/** Rows of C between two checkpoints (4·N·K multiply-adds per row block). */
function rowsPerCheckpoint(n: number, k: number): number {
  // ~4M multiply-adds ≈ 2–4 ms in JavaScript.
  return Math.max(4, Math.floor((4_000_000 / Math.max(1, n * k)) / 4) * 4);
}

export function gemmNT(
  m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, c: Float32Array,
  accumulate: boolean, checkpoint: () => void,
): void {
  const step = rowsPerCheckpoint(n, k);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i0 = 0; i0 < m; i0 += step) {
    checkpoint();
    const iEnd = Math.min(m, i0 + step);
    for (let i = i0; i < iEnd; i += 4) {
      if (i < m4) {
        const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        for (let j = 0; j < n4; j += 4) {
          const b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
          let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
          let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
          for (let p = 0; p < k; p++) {
            const x0 = a[a0 + p]!, x1 = a[a1 + p]!, x2 = a[a2 + p]!, x3 = a[a3 + p]!;
            const y0 = b[b0 + p]!, y1 = b[b1 + p]!, y2 = b[b2 + p]!, y3 = b[b3 + p]!;
            c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
            c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
            c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
            c30 += x3 * y0; c31 += x3 * y1; c32 += x3 * y2; c33 += x3 * y3;
          }
          store4(c, i * n + j, c00, c01, c02, c03, accumulate);
          store4(c, (i + 1) * n + j, c10, c11, c12, c13, accumulate);
          store4(c, (i + 2) * n + j, c20, c21, c22, c23, accumulate);
          store4(c, (i + 3) * n + j, c30, c31, c32, c33, accumulate);
        }
        for (let r = i; r < i + 4; r++) for (let j = n4; j < n; j++) dotNT(a, r * k, b, j * k, k, c, r * n + j, accumulate);
      } else {
        for (let r = i; r < m; r++) for (let j = 0; j < n; j++) dotNT(a, r * k, b, j * k, k, c, r * n + j, accumulate);
      }
    }
  }
}

export function gemmNN(
  m: number, n: number, k: number,
  a: Float32Array, b: Float32Array, c: Float32Array,
  accumulate: boolean, checkpoint: () => void,
): void {
  const step = rowsPerCheckpoint(n, k);
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i0 = 0; i0 < m; i0 += step) {
    checkpoint();
    const iEnd = Math.min(m, i0 + step);
    for (let i = i0; i < iEnd; i += 4) {
      if (i < m4) {
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
          store4(c, i * n + j, c00, c01, c02, c03, accumulate);
          store4(c, (i + 1) * n + j, c10, c11, c12, c13, accumulate);
          store4(c, (i + 2) * n + j, c20, c21, c22, c23, accumulate);
          store4(c, (i + 3) * n + j, c30, c31, c32, c33, accumulate);
        }
        for (let r = i; r < i + 4; r++) for (let j = n4; j < n; j++) dotNN(a, r * k, b, j, n, k, c, r * n + j, accumulate);
      } else {
        for (let r = i; r < m; r++) for (let j = 0; j < n; j++) dotNN(a, r * k, b, j, n, k, c, r * n + j, accumulate);
      }
    }
  }
}

function store4(c: Float32Array, at: number, v0: number, v1: number, v2: number, v3: number, accumulate: boolean): void {
  if (accumulate) {
    c[at] = c[at]! + v0; c[at + 1] = c[at + 1]! + v1; c[at + 2] = c[at + 2]! + v2; c[at + 3] = c[at + 3]! + v3;
  } else {
    c[at] = v0; c[at + 1] = v1; c[at + 2] = v2; c[at + 3] = v3;
  }
}

function dotNT(a: Float32Array, ai: number, b: Float32Array, bj: number, k: number, c: Float32Array, at: number, accumulate: boolean): void {
  let sum = 0;
  for (let p = 0; p < k; p++) sum += a[ai + p]! * b[bj + p]!;
  c[at] = accumulate ? c[at]! + sum : sum;
}

function dotNN(
  a: Float32Array, ai: number, b: Float32Array, j: number, n: number, k: number, c: Float32Array, at: number, accumulate: boolean,
): void {
  let sum = 0;
  for (let p = 0, bp = j; p < k; p++, bp += n) sum += a[ai + p]! * b[bp]!;
  c[at] = accumulate ? c[at]! + sum : sum;
}
