/**
 * A WebAssembly SIMD kernel for C = A·B (float32), assembled at load time from the
 * instruction listing below: the source of the module is this file, readable and
 * reviewable, and the same bytes come out on every machine (no opaque binary in the
 * repository, no build step, no file I/O, so the engine stays pure and runs the same
 * from source, in the bundles and in worker threads).
 *
 * The kernel computes a 4×8 block of C per step: per k it broadcasts 4 values of A
 * (v128.load32_splat), loads 8 of B (two v128) and does 8 f32x4 multiply-adds into
 * accumulators that stay in registers; column strips of B (K×8 floats, packed contiguous by
 * the JavaScript side) stay in L1 while the rows of A stream past. About 4–5× the register-blocked JavaScript of matmul.ts.
 * Sums are float32 (as PyTorch's float32 GEMM), accumulated in k order.
 *
 * Binary format: WebAssembly Core Specification 2.0 §5 and the fixed-width SIMD proposal
 * (opcodes prefixed 0xFD). Node 20 (V8 11) enables SIMD by default.
 */

import type { Gemm } from './matmul';

// ── a minimal WebAssembly encoder ─────────────────────────────────────────────

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (text: string) => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const VOID = 0x40;

/** Instruction emitters (opcode tables: spec §5.4; SIMD: 0xFD prefix + LEB opcode). */
class Code {
  readonly bytes: number[] = [];
  private emit(...b: number[]): this { this.bytes.push(...b); return this; }
  get(local: number) { return this.emit(0x20, ...uleb(local)); }
  set(local: number) { return this.emit(0x21, ...uleb(local)); }
  i32(value: number) { return this.emit(0x41, ...sleb(value)); }
  add() { return this.emit(0x6a); }
  sub() { return this.emit(0x6b); }
  mul() { return this.emit(0x6c); }
  geU() { return this.emit(0x4f); }
  eqz() { return this.emit(0x45); }
  block(body: () => void) { this.emit(0x02, VOID); body(); return this.emit(0x0b); }
  loop(body: () => void) { this.emit(0x03, VOID); body(); return this.emit(0x0b); }
  br(depth: number) { return this.emit(0x0c, ...uleb(depth)); }
  brIf(depth: number) { return this.emit(0x0d, ...uleb(depth)); }
  private simd(opcode: number, ...rest: number[]) { return this.emit(0xfd, ...uleb(opcode), ...rest); }
  /** v128.load with memarg (align 2^2: our addresses are only float-aligned). */
  v128Load(offset: number) { return this.simd(0x00, 2, ...uleb(offset)); }
  v128Load32Splat() { return this.simd(0x09, 2, 0); }
  v128Store(offset: number) { return this.simd(0x0b, 2, ...uleb(offset)); }
  v128Zero() { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4Add() { return this.simd(0xe4); }
  f32x4Mul() { return this.simd(0xe6); }
  /** local += delta (i32). */
  bump(local: number, delta: () => void) { this.get(local); delta(); this.add(); return this.set(local); }
}

// ── the kernel ────────────────────────────────────────────────────────────────

/**
 * gemm(a, b, c, m, n, k): C[m×n] = A[m×k]·B[k×n], byte addresses, A and C row-major, B packed
 * in column strips (strip s holds B[0..k, 8s..8s+7] as k rows of 8 contiguous floats), m a
 * multiple of 4 and n of 8 (the caller pads and packs). Locals: 0–5 params, then i32s and v128s below.
 */
function kernelBody(): number[] {
  const [A, B, C, M, N, K] = [0, 1, 2, 3, 4, 5];
  let next = 6;
  const i32 = () => next++;
  const i = i32(), j = i32(), p = i32(), bp = i32(), cp = i32(), kb = i32(), nb = i32();
  const rows = [i32(), i32(), i32(), i32()]; // address of A[i+r, p]
  const i32Count = next - 6;
  const acc = Array.from({ length: 8 }, () => next++); // acc[2r + h]: row r, columns j+4h..j+4h+3
  const b0 = next++, b1 = next++, av = next++;
  const v128Count = next - 6 - i32Count;

  const c = new Code();
  c.get(K).i32(4).mul().set(kb);
  c.get(N).i32(4).mul().set(nb);
  c.i32(0).set(j);
  c.block(() => c.loop(() => {
    c.get(j).get(N).geU().brIf(1);
    c.i32(0).set(i);
    c.block(() => c.loop(() => {
      c.get(i).get(M).geU().brIf(1);
      for (const a of acc) c.v128Zero().set(a);
      c.get(A).get(i).get(kb).mul().add().set(rows[0]!);
      for (let r = 1; r < 4; r++) c.get(rows[r - 1]!).get(kb).add().set(rows[r]!);
      c.get(B).get(j).get(kb).mul().add().set(bp); // strip j/8 starts at j·K floats
      c.get(K).set(p);
      c.block(() => c.loop(() => {
        c.get(p).eqz().brIf(1);
        c.get(bp).v128Load(0).set(b0);
        c.get(bp).v128Load(16).set(b1);
        for (let r = 0; r < 4; r++) {
          c.get(rows[r]!).v128Load32Splat().set(av);
          c.get(acc[2 * r]!).get(av).get(b0).f32x4Mul().f32x4Add().set(acc[2 * r]!);
          c.get(acc[2 * r + 1]!).get(av).get(b1).f32x4Mul().f32x4Add().set(acc[2 * r + 1]!);
          c.bump(rows[r]!, () => c.i32(4));
        }
        c.bump(bp, () => c.i32(32));
        c.get(p).i32(1).sub().set(p);
        c.br(0);
      }));
      c.get(C).get(i).get(nb).mul().add().get(j).i32(4).mul().add().set(cp);
      for (let r = 0; r < 4; r++) {
        c.get(cp).get(acc[2 * r]!).v128Store(0);
        c.get(cp).get(acc[2 * r + 1]!).v128Store(16);
        c.bump(cp, () => c.get(nb));
      }
      c.bump(i, () => c.i32(4));
      c.br(0);
    }));
    c.bump(j, () => c.i32(8));
    c.br(0);
  }));
  const locals = vector([[...uleb(i32Count), I32], [...uleb(v128Count), V128]]);
  const body = [...locals, ...c.bytes, 0x0b];
  return [...uleb(body.length), ...body];
}

function assemble(): Uint8Array {
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, ...vector([[I32], [I32], [I32], [I32], [I32], [I32]]), 0x00]])),
    ...section(3, vector([[0x00]])),
    ...section(5, vector([[0x00, 0x01]])), // one memory, at least 1 page, grown by the host
    ...section(7, vector([[...name('memory'), 0x02, 0x00], [...name('gemm'), 0x00, 0x00]])),
    ...section(10, vector([kernelBody()])),
  ];
  return Uint8Array.from(bytes);
}

// ── the JavaScript side ───────────────────────────────────────────────────────


/** Multiply-adds per call into WebAssembly: ~1 ms, so cancellation stays prompt. */
const MACS_PER_CALL = 8_000_000;

let cached: Gemm | null | undefined;

/** The SIMD kernel, or undefined where WebAssembly SIMD is unavailable (callers fall back to matmul.ts). */
export function wasmGemm(): Gemm | undefined {
  if (cached === undefined) cached = instantiate();
  return cached ?? undefined;
}

/**
 * The slice of the WebAssembly JavaScript API used here. The engine compiles against
 * ES2022 without DOM or Node typings (it must not depend on a host), so it names the
 * global's shape itself.
 */
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

function instantiate(): Gemm | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  let exports: Record<string, unknown>;
  try {
    exports = new api.Instance(new api.Module(assemble())).exports;
  } catch {
    return null; // no SIMD in this runtime: the JavaScript kernel takes over
  }
  const memory = exports.memory as WasmMemory;
  const kernel = exports.gemm as (a: number, b: number, c: number, m: number, n: number, k: number) => void;
  let heap = new Float32Array(memory.buffer);
  const reserve = (floats: number) => {
    const bytes = floats * 4;
    if (bytes > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
      heap = new Float32Array(memory.buffer);
    }
  };
  return (m, n, k, a, b, c, checkpoint) => {
    const mPad = Math.ceil(m / 4) * 4;
    const nPad = Math.ceil(n / 8) * 8;
    const aAt = 0;
    const bAt = aAt + mPad * k;
    const cAt = bAt + k * nPad;
    reserve(cAt + mPad * nPad);
    heap.set(a.subarray(0, m * k), aAt);
    if (mPad > m) heap.fill(0, aAt + m * k, aAt + mPad * k);
    // B in column strips of 8 (the kernel's layout): a strip is K×8 contiguous floats, which
    // stays in L1 while the rows of A stream past (row-major, its K rows would span K cache lines).
    for (let s = 0; s < nPad; s += 8) {
      const strip = bAt + s * k;
      const width = Math.min(8, n - s);
      for (let r = 0; r < k; r++) {
        const from = r * n + s;
        const to = strip + r * 8;
        for (let e = 0; e < width; e++) heap[to + e] = b[from + e]!;
        for (let e = width; e < 8; e++) heap[to + e] = 0;
      }
    }
    const rowsPerCall = Math.max(4, Math.floor(MACS_PER_CALL / Math.max(1, nPad * k) / 4) * 4);
    for (let row = 0; row < mPad; row += rowsPerCall) {
      checkpoint();
      const rowsNow = Math.min(rowsPerCall, mPad - row);
      kernel((aAt + row * k) * 4, bAt * 4, (cAt + row * nPad) * 4, rowsNow, nPad, k);
    }
    if (nPad === n) c.set(heap.subarray(cAt, cAt + m * n));
    else for (let r = 0; r < m; r++) c.set(heap.subarray(cAt + r * nPad, cAt + r * nPad + n), r * n);
  };
}
