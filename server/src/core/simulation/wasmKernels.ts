/**
 * The Monte-Carlo pass's WebAssembly module (assembled by wasmAssembler.ts): matrix products
 * with SIMD (f32x4) and the seeded normal/uniform generators. It imports one shared memory, so
 * two threads can run it on the same data (kernelEngine.ts splits the work).
 *
 *   gemm(a, b, c, m, n, k, bRow, bStrip, ldc)  C[m×n] = A[m×k]·B[k×n]: A, C row-major (row
 *       strides k floats and ldc bytes: C may be a column block of a wider matrix), B read in 8-column strips: B[p, 8s..8s+7] at b + s·bStrip + p·bRow
 *       bytes. Packed strips (bRow 32, bStrip 32k: K×8 contiguous floats, which stay in L1
 *       while the rows of A stream past) or a row-major B used in place (bRow 4n, bStrip 32:
 *       the dense backward pass g·W on the drawn W, no copy). m a multiple of 4, n of 8.
 *       A 4×8 block of C per step: per k it broadcasts 4 values of A (v128.load32_splat), loads
 *       8 of B (two v128) and does 8 f32x4 multiply-adds into accumulators kept in registers.
 *   gemmNT(a, b, c, m, n, k, ldc)  C[m×n] = A[m×k]·B[n×k]ᵀ, both row-major: the dense forward pass
 *       x·Wᵀ on W as drawn (no transpose, no packing). A 2×4 block of C per step: per 4 values
 *       of k, 2 loads of A, 4 of B, 8 f32x4 multiply-adds; the 4 lanes are summed at the end.
 *       m a multiple of 2, n and k of 4. 4 rows of B at a time stay in L1 while A's rows stream past.
 *   normal(out, count, seed, mean, std, low, high)  out[i] = mean + std·N(0,1) redrawn until it
 *       lies in [low, high] (±∞ for an untruncated normal): prng.ts's generator (xoshiro128**
 *       seeded by splitmix32, the 128-layer ziggurat on the same tables, its tail and wedge by
 *       the imported Math.log and Math.exp), so a seed gives the numbers prng.ts would give.
 *   uniform(out, count, seed, low, width)  out[i] = low + width·U[0, 1).
 *
 * Products are float32 (as PyTorch's float32 GEMM), accumulated in k order per lane.
 */
import { Code, F64, functionBody, I32, name, section, uleb, V128, vector } from './wasmAssembler';
import { ZIGGURAT } from './prng';

/** Byte address of the ziggurat's tables in the shared memory (kernelEngine.ts writes them): K, W, F, 128 f64 each. */
export const ZIGGURAT_AT = 1024;
export const ZIGGURAT_BYTES = 3 * 128 * 8;
/** Where kernelEngine.ts's arena starts. */
export const ARENA_AT = 4096;
/** The shared memory's maximum, in 64 KiB pages (4 GiB: all wasm32 can address). */
export const MAX_PAGES = 65536;

/** Writes the ziggurat's tables where normal() reads them. */
export function writeZigguratTables(buffer: ArrayBufferLike): void {
  const tables = new Float64Array(buffer, ZIGGURAT_AT, 3 * 128);
  tables.set(ZIGGURAT.k, 0);
  tables.set(ZIGGURAT.w, 128);
  tables.set(ZIGGURAT.f, 256);
}

// Function indices: the two imports first, then the kernels in this order.
const EXP = 0;
const LOG = 1;

function gemmBody(): number[] {
  const [A, B, C, M, N, K, BROW, BSTRIP, LDC] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  let next = 9;
  const local = () => next++;
  const i = local(), j = local(), p = local(), bp = local(), cp = local(), kb = local(), nb = local();
  const rows = [local(), local(), local(), local()]; // address of A[i+r, p]
  const i32Count = next - 9;
  const acc = Array.from({ length: 8 }, () => next++); // acc[2r + h]: row r, columns j+4h..j+4h+3
  const b0 = next++, b1 = next++, av = next++;
  const c = new Code();
  c.get(K).i32(4).mul().set(kb);
  c.get(LDC).set(nb);
  c.i32(0).set(j);
  c.block(() => c.loop(() => {
    c.get(j).get(N).geU().brIf(1);
    c.i32(0).set(i);
    c.block(() => c.loop(() => {
      c.get(i).get(M).geU().brIf(1);
      for (const a of acc) c.v128Zero().set(a);
      c.get(A).get(i).get(kb).mul().add().set(rows[0]!);
      for (let r = 1; r < 4; r++) c.get(rows[r - 1]!).get(kb).add().set(rows[r]!);
      c.get(B).get(j).i32(3).shrU().get(BSTRIP).mul().add().set(bp); // strip j/8
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
        c.bump(bp, () => c.get(BROW));
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
  return functionBody([[i32Count, I32], [next - 9 - i32Count, V128]], c);
}

function gemmNTBody(): number[] {
  const [A, B, C, M, N, K, LDC] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const local = () => next++;
  const i = local(), j = local(), q = local(), kb = local(), nb = local(), a0 = local(), a1 = local(), cp = local();
  const bRows = [local(), local(), local(), local()];
  const i32Count = next - 7;
  const acc = Array.from({ length: 8 }, () => next++); // acc[4r + col]
  const x0 = next++, x1 = next++, y = next++;
  const c = new Code();
  c.get(K).i32(4).mul().set(kb);
  c.get(LDC).set(nb);
  c.i32(0).set(j);
  c.block(() => c.loop(() => {
    c.get(j).get(N).geU().brIf(1);
    c.get(B).get(j).get(kb).mul().add().set(bRows[0]!);
    for (let r = 1; r < 4; r++) c.get(bRows[r - 1]!).get(kb).add().set(bRows[r]!);
    c.i32(0).set(i);
    c.block(() => c.loop(() => {
      c.get(i).get(M).geU().brIf(1);
      for (const a of acc) c.v128Zero().set(a);
      c.get(A).get(i).get(kb).mul().add().set(a0);
      c.get(a0).get(kb).add().set(a1);
      c.i32(0).set(q);
      c.block(() => c.loop(() => {
        c.get(q).get(kb).geU().brIf(1);
        c.get(a0).get(q).add().v128Load(0).set(x0);
        c.get(a1).get(q).add().v128Load(0).set(x1);
        for (let col = 0; col < 4; col++) {
          c.get(bRows[col]!).get(q).add().v128Load(0).set(y);
          c.get(acc[col]!).get(x0).get(y).f32x4Mul().f32x4Add().set(acc[col]!);
          c.get(acc[4 + col]!).get(x1).get(y).f32x4Mul().f32x4Add().set(acc[4 + col]!);
        }
        c.bump(q, () => c.i32(16));
        c.br(0);
      }));
      c.get(C).get(i).get(nb).mul().add().get(j).i32(4).mul().add().set(cp);
      for (let r = 0; r < 2; r++) {
        for (let col = 0; col < 4; col++) {
          // C[i+r, j+col] = the accumulator's four lanes summed.
          c.get(cp);
          c.get(acc[4 * r + col]!).f32x4ExtractLane(0);
          for (let lane = 1; lane < 4; lane++) c.get(acc[4 * r + col]!).f32x4ExtractLane(lane).f32Add();
          c.f32Store(col * 4);
        }
        c.bump(cp, () => c.get(nb));
      }
      c.bump(i, () => c.i32(2));
      c.br(0);
    }));
    c.bump(j, () => c.i32(4));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 7 - i32Count, V128]], c);
}

/** The xoshiro128** state (four i32 locals) and the splitmix32 seeding, emitted inline. */
class Generator {
  constructor(private readonly c: Code, private readonly s: { a: number; b: number; c: number; d: number; t: number; u: number; z: number; m: number }) {}

  /** a, b, c, d ← four splitmix32 steps from the seed in local `seed` (prng.ts Random's constructor). */
  seed(seedLocal: number): void {
    const { c, s } = this;
    c.get(seedLocal).set(s.m);
    for (const target of [s.a, s.b, s.c, s.d]) {
      c.get(s.m).i32(0x9e3779b9 | 0).add().tee(s.m).set(s.z);
      c.get(s.z).get(s.z).i32(16).shrU().xor().i32(0x85ebca6b | 0).mul().set(s.z);
      c.get(s.z).get(s.z).i32(13).shrU().xor().i32(0xc2b2ae35 | 0).mul().set(s.z);
      c.get(s.z).get(s.z).i32(16).shrU().xor().set(target);
    }
    // The all-zero state is a fixed point.
    c.get(s.a).get(s.b).or().get(s.c).or().get(s.d).or().eqz().ifElse(() => c.i32(1).set(s.a));
  }

  /** u ← the next 32 bits (xoshiro128**). */
  next(): void {
    const { c, s } = this;
    c.get(s.b).i32(5).mul().i32(7).rotl().i32(9).mul().set(s.u);
    c.get(s.b).i32(9).shl().set(s.t);
    c.get(s.c).get(s.a).xor().set(s.c);
    c.get(s.d).get(s.b).xor().set(s.d);
    c.get(s.b).get(s.c).xor().set(s.b);
    c.get(s.a).get(s.d).xor().set(s.a);
    c.get(s.c).get(s.t).xor().set(s.c);
    c.get(s.d).i32(11).rotl().set(s.d);
  }

  /** Pushes a uniform f64 in [0, 1) with 32 random bits. */
  uniform(): void {
    this.next();
    this.c.get(this.s.u).f64FromI32U().f64(2.3283064365386963e-10).f64Mul();
  }
}

function normalBody(): number[] {
  const [OUT, COUNT, SEED, MEAN, STD, LOW, HIGH] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const local = () => next++;
  const state = { a: local(), b: local(), c: local(), d: local(), t: local(), u: local(), z: local(), m: local() };
  const layer = local(), bits = local(), end = local(), address = local();
  const i32Count = next - 7;
  const x = next++, tx = next++, ty = next++, v = next++;
  const c = new Code();
  const g = new Generator(c, state);
  const K_AT = ZIGGURAT_AT, W_AT = ZIGGURAT_AT + 1024, F_AT = ZIGGURAT_AT + 2048;
  const R = ZIGGURAT.r;
  g.seed(SEED);
  c.get(OUT).set(address);
  c.get(OUT).get(COUNT).i32(4).mul().add().set(end);
  c.block(() => c.loop(() => { // each value
    c.get(address).get(end).geU().brIf(1);
    c.block(() => { // x accepted
      c.loop(() => { // retry
        g.next();
        c.get(state.u).i32(127).and().set(layer);
        c.get(state.u).i32(7).shrS().set(bits); // 25-bit signed value, independent of the layer's 7 bits
        c.get(bits).f64FromI32S().get(layer).i32(8).mul().f64Load(W_AT).f64Mul().set(x);
        c.get(bits).f64FromI32S().f64Abs().get(layer).i32(8).mul().f64Load(K_AT).f64Lt().brIf(1);
        c.get(layer).eqz().ifElse(() => {
          // The tail beyond R (Marsaglia 1964): exponential proposals.
          c.loop(() => {
            c.f64(1); g.uniform(); c.f64Sub().call(LOG).f64Neg().f64(R).f64Div().set(tx);
            c.f64(1); g.uniform(); c.f64Sub().call(LOG).f64Neg().set(ty);
            c.get(ty).get(ty).f64Add().get(tx).get(tx).f64Mul().f64Lt().brIf(0);
          });
          c.f64(R).get(tx).f64Add();
          c.f64(-R).get(tx).f64Sub();
          c.get(bits).i32(0).gtS().select().set(x);
          c.br(2);
        }, () => {
          // The wedge between the layer's rectangle and the density.
          c.get(layer).i32(8).mul().f64Load(F_AT);
          g.uniform();
          c.get(layer).i32(8).mul().f64Load(F_AT - 8).get(layer).i32(8).mul().f64Load(F_AT).f64Sub().f64Mul().f64Add();
          c.f64(-0.5).get(x).f64Mul().get(x).f64Mul().call(EXP);
          c.f64Lt().brIf(2);
        });
        c.br(0);
      });
    });
    c.get(MEAN).get(STD).get(x).f64Mul().f64Add().set(v);
    c.get(v).get(LOW).f64Lt().brIf(0);
    c.get(v).get(HIGH).f64Gt().brIf(0);
    c.get(address).get(v).f32FromF64().f32Store(0);
    c.bump(address, () => c.i32(4));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 7 - i32Count, F64]], c);
}

function uniformBody(): number[] {
  const [OUT, COUNT, SEED, LOW, WIDTH] = [0, 1, 2, 3, 4];
  let next = 5;
  const local = () => next++;
  const state = { a: local(), b: local(), c: local(), d: local(), t: local(), u: local(), z: local(), m: local() };
  const end = local(), address = local();
  const c = new Code();
  const g = new Generator(c, state);
  g.seed(SEED);
  c.get(OUT).set(address);
  c.get(OUT).get(COUNT).i32(4).mul().add().set(end);
  c.block(() => c.loop(() => {
    c.get(address).get(end).geU().brIf(1);
    c.get(address).get(LOW).get(WIDTH);
    g.uniform();
    c.f64Mul().f64Add().f32FromF64().f32Store(0);
    c.bump(address, () => c.i32(4));
    c.br(0);
  }));
  return functionBody([[next - 5, I32]], c);
}

function assemble(): Uint8Array {
  const i32s = (n: number) => Array.from({ length: n }, () => [I32]);
  const types = [
    [0x60, ...vector([[F64]]), ...vector([[F64]])], // 0: exp, log
    [0x60, ...vector(i32s(9)), 0x00], // 1: gemm
    [0x60, ...vector(i32s(7)), 0x00], // 2: gemmNT
    [0x60, ...vector([...i32s(3), [F64], [F64], [F64], [F64]]), 0x00], // 3: normal
    [0x60, ...vector([...i32s(3), [F64], [F64]]), 0x00], // 4: uniform
  ];
  const env = name('env');
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector([
      [...env, ...name('exp'), 0x00, 0x00],
      [...env, ...name('log'), 0x00, 0x00],
      [...env, ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(MAX_PAGES)], // shared, 1 page to start
    ])),
    ...section(3, vector([[1], [2], [3], [4]])),
    ...section(7, vector([
      [...name('gemm'), 0x00, 2], [...name('gemmNT'), 0x00, 3], [...name('normal'), 0x00, 4], [...name('uniform'), 0x00, 5],
    ])),
    ...section(10, vector([gemmBody(), gemmNTBody(), normalBody(), uniformBody()])),
  ];
  return Uint8Array.from(bytes);
}

/**
 * The slice of the WebAssembly JavaScript API used here. The engine compiles against ES2022
 * without DOM or Node typings (it must not depend on a host), so it names the global's shape itself.
 */
export interface WasmMemory { readonly buffer: ArrayBufferLike; grow(pages: number): number }
export interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}

export interface KernelExports {
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, bRow: number, bStrip: number, ldc: number): void;
  gemmNT(a: number, b: number, c: number, m: number, n: number, k: number, ldc: number): void;
  normal(out: number, count: number, seed: number, mean: number, std: number, low: number, high: number): void;
  uniform(out: number, count: number, seed: number, low: number, width: number): void;
}

export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

let compiled: object | null | undefined;

/** The compiled module (once per thread), or undefined where WebAssembly SIMD or shared memory is unavailable. */
export function kernelModule(): object | undefined {
  if (compiled === undefined) {
    const api = wasmApi();
    try {
      compiled = api ? new api.Module(assemble()) : null;
    } catch {
      compiled = null; // no SIMD or threads in this runtime: the JavaScript kernels take over
    }
  }
  return compiled ?? undefined;
}

/** An instance of the module on a shared memory (this thread's, or one handed over by another thread). */
export function instantiateKernels(module: object, memory: WasmMemory): KernelExports {
  const api = wasmApi()!;
  const instance = new api.Instance(module, { env: { memory, exp: Math.exp, log: Math.log } });
  return instance.exports as unknown as KernelExports;
}
