/**
 * The Monte-Carlo pass's WebAssembly module (assembled by wasmAssembler.ts): matrix products
 * with SIMD (f32x4) and the seeded normal/uniform generators. It imports one shared memory, so
 * two threads can run it on the same data (kernelEngine.ts splits the work).
 *
 *   gemm(a, b, c, m, n, k, lda, ldb, ldc, scratch, transposed)  C[m×n] = A[m×k]·B[k×n]: A, C
 *       row-major with row strides lda and ldc bytes (either may be a column block of a wider
 *       matrix, as one head of an attention's rows); B[p, q] at b + p·ldb + 4q, or with
 *       `transposed` at b + q·ldb + 4p (B = Wᵀ of a row-major W [n×k]: the dense forward pass
 *       x·Wᵀ on W as drawn). m a multiple of 2, n and k of 4. For each KC values of k, each MC
 *       rows of A and each 4 columns it copies that block of B into `scratch` (the calling
 *       thread's PACK_BYTES), per 4 values of k the 4 columns' 4 values in a row (one pointer and
 *       constant offsets read them), then runs every 2 of those rows of A past it: a 2×4 block of C per step, per 4 values of
 *       k 2 loads of A, 4 of B and 8 f32x4 multiply-adds into accumulators kept in registers,
 *       each one's 4 lanes summed at the end by two rounds of shuffles (one vector of C's 4 columns
 *       added and stored). The copy reads B once per block in order: the
 *       backward pass g·W (W's rows 3–12 KiB apart) no longer walks W with that stride for
 *       every 4 rows of g. (A 4×8 block with broadcasts of A, the earlier A·B kernel, ran at
 *       ~12 GMAC/s here against this one's 15–16 unfused: V8's 15 vector registers hold its 8
 *       accumulators and 6 loads, and unrolling the k loop made TurboFan hoist the loads and
 *       spill accumulators.)
 *   normal(out, count, seed, mean, std, low, high)  out[i] = mean + std·N(0,1) redrawn until it
 *       lies in [low, high] (±∞ for an untruncated normal): prng.ts's generator (xoshiro128**
 *       seeded by splitmix32, the 128-layer ziggurat on the same tables, its tail and wedge by
 *       the imported Math.log and Math.exp), so a seed gives the numbers prng.ts would give.
 *   uniform(out, count, seed, low, width)  out[i] = low + width·U[0, 1).
 *   gelu(pre, out, derivative, count)  out[i] = GELU(pre[i]), derivative[i] = GELU′(pre[i]), as
 *       geluFloat32.ts computes them, bit for bit.
 *   softmax(…), softmaxBackward(…)  an attention's softmax over rows of logits and its backward
 *       step, bit for bit as attentionMonteCarlo.ts computes them in JavaScript.
 *   meanSquare, layerNorm, layerNormBackward, crossMoment, axpy, sum3, transpose  the per-element work around
 *       the products (wasmRowKernels.ts), bit for bit as montecarlo.ts's loops.
 *
 * Products are float32 (as PyTorch's float32 GEMM), accumulated in k order per lane within each
 * block of KC, the lanes summed pairwise ((l0 + l2) + (l1 + l3)), the blocks' sums added in order.
 */
import { Code, F64, functionBody, I32, name, section, uleb, V128, vector } from './wasmAssembler';
import { EXP as EXP_CONSTANTS, GELU } from './geluFloat32';
import { ZIGGURAT } from './prng';
import { axpyBody, crossMomentBody, layerNormBackwardBody, layerNormBody, meanSquareBody, sum3Body, transposeBody } from './wasmRowKernels';

/** Byte address of the ziggurat's tables in the shared memory (kernelEngine.ts writes them): K, W, F, 128 f64 each. */
export const ZIGGURAT_AT = 1024;
export const ZIGGURAT_BYTES = 3 * 128 * 8;
/**
 * Rows of k per packed block of B: a block of 4 columns is KC × 4 floats (12 KiB), which stays in
 * L1 while every 2-row step of A multiplies it. 768 (GPT-2 small's d_model: one block for its
 * attention projections, four for the MLP's second) rather than 256: each block of k ends in a
 * reduction of the 8 accumulators and a read-modify-write of C, ~80 instructions against 64 loop
 * turns at 256; x·Wᵀ and g·W at GPT-2's widths ran 13.2 → 16.1 GMAC/s a core (issue 15, 3
 * interleaved rounds under load, `mcspeed` branch).
 */
export const KC = 768;
/**
 * Rows of A per block (a multiple of 2): the 4-column loop runs over MC rows of A at a time, so the
 * block it re-reads for every 4 columns (128 × KC floats, 384 KiB) stays in L2 instead of the whole
 * A (1.5 MiB for 4 sequences of 128 tokens at d_model 768); B's 4 columns are packed again per
 * block (1/64 of the block's work). 15.7 against 14.7 GMAC/s a core (6 interleaved rounds, load 10).
 */
export const MC = 128;
/** Bytes of one thread's packing buffer. */
export const PACK_BYTES = KC * 32;

/** The threads' packing buffers for gemm (kernelEngine.ts: the calling thread's first, then one per helper). */
export const SCRATCH_AT = 4096;
export const SCRATCH_SLOTS = 8;
/** Where kernelEngine.ts's arena starts. */
export const ARENA_AT = SCRATCH_AT + SCRATCH_SLOTS * PACK_BYTES;
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

function gemmBody(fused: boolean): number[] {
  const [A, B, C, M, N, K, LDA, LDB, LDC, S, TRANS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  let next = 11;
  const local = () => next++;
  const pc = local(), kc = local(), j = local(), i = local(), kcb = local(), i0 = local(), iEnd = local();
  const src = local(), dst = local(), end = local(), a0 = local(), a1 = local(), aEnd = local(), bp = local(), cp = local();
  const i32Count = next - 11;
  const acc = Array.from({ length: 8 }, () => next++); // acc[4r + e]: C[i+r, j+e], 4 partial sums
  const x0 = next++, x1 = next++, y = next++;
  const c = new Code();
  c.i32(0).set(pc);
  c.block(() => c.loop(() => { // each block of KC values of k
    c.get(pc).get(K).geU().brIf(1);
    c.get(K).get(pc).sub().set(kc);
    c.i32(KC).get(kc).get(kc).i32(KC).geU().select().set(kc); // min(KC, K − pc)
    c.get(kc).i32(4).mul().set(kcb);
    c.get(S).get(kcb).i32(4).mul().add().set(end);
    c.i32(0).set(i0);
    c.block(() => c.loop(() => { // each block of MC rows of A
      c.get(i0).get(M).geU().brIf(1);
      c.get(i0).i32(MC).add().set(iEnd);
      c.get(M).get(iEnd).get(iEnd).get(M).geU().select().set(iEnd); // min(i0 + MC, M)
      c.i32(0).set(j);
      c.block(() => c.loop(() => { // each 4 columns
        c.get(j).get(N).geU().brIf(1);
        // Pack B[pc .. pc+kc, j .. j+3] into S: per 4 values of k, column e's 4 values at 16e.
        c.get(S).set(dst);
        c.get(TRANS).ifElse(() => {
          // B[p, q] at B + q·LDB + 4p (B = Wᵀ of a row-major W): 4 values of a column are one v128 of W's row.
          c.get(B).get(j).get(LDB).mul().add().get(pc).i32(4).mul().add().set(src);
          c.block(() => c.loop(() => {
            c.get(dst).get(end).geU().brIf(1);
            for (let e = 0; e < 4; e++) {
              c.get(dst).get(src);
              if (e > 0) c.get(LDB).i32(e).mul().add();
              c.v128Load(0).v128Store(16 * e);
            }
            c.bump(src, () => c.i32(16));
            c.bump(dst, () => c.i32(64));
            c.br(0);
          }));
        }, () => {
          // B[p, q] at B + p·LDB + 4q: each 4×4 block transposed.
          c.get(B).get(pc).get(LDB).mul().add().get(j).i32(4).mul().add().set(src);
          c.block(() => c.loop(() => {
            c.get(dst).get(end).geU().brIf(1);
            for (let l = 0; l < 4; l++) {
              for (let e = 0; e < 4; e++) c.get(dst).get(src).f32Load(4 * e).f32Store(16 * e + 4 * l);
              c.bump(src, () => c.get(LDB));
            }
            c.bump(dst, () => c.i32(64));
            c.br(0);
          }));
        });
        c.get(i0).set(i);
        c.block(() => c.loop(() => { // each 2 rows
          c.get(i).get(iEnd).geU().brIf(1);
          for (const a of acc) c.v128Zero().set(a);
          c.get(A).get(i).get(LDA).mul().add().get(pc).i32(4).mul().add().set(a0);
          c.get(a0).get(LDA).add().set(a1);
          c.get(a0).get(kcb).add().set(aEnd);
          c.get(S).set(bp);
          c.block(() => c.loop(() => { // 4 values of k a turn (KC and K are multiples of 4)
            c.get(a0).get(aEnd).geU().brIf(1);
            c.get(a0).v128Load(0).set(x0);
            c.get(a1).v128Load(0).set(x1);
            for (let e = 0; e < 4; e++) {
              c.get(bp).v128Load(16 * e).set(y);
              if (fused) {
                c.get(x0).get(y).get(acc[e]!).f32x4RelaxedMadd().set(acc[e]!);
                c.get(x1).get(y).get(acc[4 + e]!).f32x4RelaxedMadd().set(acc[4 + e]!);
              } else {
                c.get(acc[e]!).get(x0).get(y).f32x4Mul().f32x4Add().set(acc[e]!);
                c.get(acc[4 + e]!).get(x1).get(y).f32x4Mul().f32x4Add().set(acc[4 + e]!);
              }
            }
            c.bump(a0, () => c.i32(16));
            c.bump(a1, () => c.i32(16));
            c.bump(bp, () => c.i32(64));
            c.br(0);
          }));
          c.get(C).get(i).get(LDC).mul().add().get(j).i32(4).mul().add().set(cp);
          for (let r = 0; r < 2; r++) {
            // C[i+r, j..j+3] = each accumulator's four lanes summed ((l0 + l2) + (l1 + l3)) by two
            // rounds of shuffles, one vector for the four columns, added to the earlier blocks' sums.
            const [e0, e1, e2, e3] = [0, 1, 2, 3].map((e) => acc[4 * r + e]!) as [number, number, number, number];
            const pairs = (p: number, q: number) => {
              c.get(p).get(q).f32x4Shuffle([0, 4, 1, 5]);
              c.get(p).get(q).f32x4Shuffle([2, 6, 3, 7]);
              c.f32x4Add(); // [p0+p2, q0+q2, p1+p3, q1+q3]
            };
            pairs(e0, e1);
            c.set(x0);
            pairs(e2, e3);
            c.set(x1);
            c.get(x0).get(x1).f32x4Shuffle([0, 1, 4, 5]);
            c.get(x0).get(x1).f32x4Shuffle([2, 3, 6, 7]);
            c.f32x4Add().set(y);
            c.get(pc).ifElse(() => { c.get(y).get(cp).v128Load(0).f32x4Add().set(y); }); // C as it is, from the second block on
            c.get(cp).get(y).v128Store(0);
            c.bump(cp, () => c.get(LDC));
          }
          c.bump(i, () => c.i32(2));
          c.br(0);
        }));
        c.bump(j, () => c.i32(4));
        c.br(0);
      }));
      c.bump(i0, () => c.i32(MC));
      c.br(0);
    }));
    c.bump(pc, () => c.i32(KC));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 11 - i32Count, V128]], c);
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

/**
 * GELU and its derivative, element by element, exactly as geluFloat32.ts computes them (the same
 * float64 operations in the same order, its expNonPositive inline rather than Math.exp through
 * the import: 21 → 16 ns an element), so the numbers are the same bit for bit; here so that both
 * threads share the work.
 */
function geluBody(): number[] {
  const [PRE, OUT, DERIVATIVE, COUNT] = [0, 1, 2, 3];
  let next = 4;
  const at = next++, end = next++;
  const i32Count = next - 4;
  const x = next++, z = next++, t = next++, e = next++, tail = next++, cdf = next++;
  const ex = next++, et = next++, en = next++, er = next++;
  const c = new Code();
  c.i32(0).set(at);
  c.get(COUNT).i32(4).mul().set(end);
  c.block(() => c.loop(() => {
    c.get(at).get(end).geU().brIf(1);
    c.get(PRE).get(at).add().f32Load(0).f64FromF32().set(x);
    c.get(x).f64Abs().f64(GELU.SQRT1_2).f64Mul().set(z);
    c.f64(1).f64(1).f64(GELU.P).get(z).f64Mul().f64Add().f64Div().set(t);
    // e = exp(−z²): geluFloat32.ts expNonPositive's operations, inline.
    const { SHIFT, LOG2E, LN2_HI, LN2_LO, LOW, TAYLOR } = EXP_CONSTANTS;
    c.get(z).f64Neg().get(z).f64Mul().set(ex);
    c.get(ex).f64(LOW).f64Gt().ifElse(() => {
      c.get(ex).f64(LOG2E).f64Mul().f64(SHIFT).f64Add().set(et);
      c.get(et).f64(SHIFT).f64Sub().set(en);
      c.get(ex).get(en).f64(LN2_HI).f64Mul().f64Sub().get(en).f64(LN2_LO).f64Mul().f64Sub().set(er);
      c.f64(TAYLOR[0]!);
      for (const coefficient of TAYLOR.slice(1)) c.get(er).f64Mul().f64(coefficient).f64Add();
      // × 2ⁿ: t's low bits hold n, so (bits of t + 1023) << 52 is 2ⁿ's.
      c.get(et).i64ReinterpretF64().i64(1023).i64Add().i64(52).i64Shl().f64ReinterpretI64().f64Mul().set(e);
    }, () => {
      c.get(ex).f64(0).get(ex).get(ex).f64Ne().select().set(e); // NaN stays NaN, 0 below LOW
    });
    // 0.5·t·(A1 + t·(A2 + t·(A3 + t·(A4 + t·A5))))·e = Φ(−|x|)
    c.f64(0.5).get(t).f64Mul();
    c.f64(GELU.A1).get(t).f64(GELU.A2).get(t).f64(GELU.A3).get(t).f64(GELU.A4).get(t).f64(GELU.A5).f64Mul()
      .f64Add().f64Mul().f64Add().f64Mul().f64Add().f64Mul().f64Add();
    c.f64Mul().get(e).f64Mul().set(tail);
    c.f64(1).get(tail).f64Sub().get(tail).get(x).f64(0).f64Ge().select().set(cdf);
    c.get(OUT).get(at).add().get(x).get(cdf).f64Mul().f32FromF64().f32Store(0);
    c.get(DERIVATIVE).get(at).add().get(cdf).get(x).f64(GELU.INV_SQRT_2PI).get(e).f64Mul().f64Mul().f64Add().f32FromF64().f32Store(0);
    c.bump(at, () => c.i32(4));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 4 - i32Count, F64]], c);
}

/**
 * Softmax over rows of attention logits, as attentionMonteCarlo.ts computed it in JavaScript (the
 * same float64 operations in the same order, V8's Math.exp for the import): rows first..first+count
 * of [rows × m] matrices stacked n rows each; row r sees keys 0..(r mod n) when `causal`, all m
 * otherwise. Each seen logit becomes s = scale·S (stored back as float32); A = exp(S − max)/Σ
 * (float32), 0 for the keys not seen; stats[2r], stats[2r+1] ← the row's population variance of
 * s (at least 0) and Σ A² in float64 (the caller sums them in row order). `exps`: m float64s of
 * the calling thread's own.
 */
function softmaxBody(): number[] {
  const [S, W, STATS, FIRST, COUNT, N, M, CAUSAL, SCALE, EXPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  let next = 10;
  const r = next++, seen = next++, at = next++, j = next++, end = next++;
  const i32Count = next - 10;
  const x = next++, max = next++, sum = next++, sumSq = next++, total = next++, squares = next++, w = next++, mean = next++;
  const c = new Code();
  const loopJ = (limit: number, body: () => void) => {
    c.i32(0).set(j);
    c.block(() => c.loop(() => {
      c.get(j).get(limit).geU().brIf(1);
      body();
      c.bump(j, () => c.i32(1));
      c.br(0);
    }));
  };
  c.get(FIRST).set(r);
  c.get(FIRST).get(COUNT).add().set(end);
  c.block(() => c.loop(() => {
    c.get(r).get(end).geU().brIf(1);
    c.get(r).get(N).remU().i32(1).add().get(M).get(CAUSAL).select().set(seen);
    c.get(r).get(M).mul().i32(4).mul().set(at);
    c.f64(-Infinity).set(max);
    c.f64(0).set(sum);
    c.f64(0).set(sumSq);
    loopJ(seen, () => {
      c.get(SCALE).get(S).get(at).add().get(j).i32(4).mul().add().f32Load(0).f64FromF32().f64Mul().set(x);
      c.get(S).get(at).add().get(j).i32(4).mul().add().get(x).f32FromF64().f32Store(0);
      c.get(x).get(max).get(x).get(max).f64Gt().select().set(max);
      c.get(sum).get(x).f64Add().set(sum);
      c.get(sumSq).get(x).get(x).f64Mul().f64Add().set(sumSq);
    });
    c.get(sum).get(seen).f64FromI32U().f64Div().set(mean);
    c.get(STATS).get(r).i32(16).mul().add();
    c.f64(0).get(sumSq).get(seen).f64FromI32U().f64Div().get(mean).get(mean).f64Mul().f64Sub().f64Max();
    c.f64Store(0);
    c.f64(0).set(total);
    loopJ(seen, () => {
      c.get(EXPS).get(j).i32(8).mul().add();
      c.get(S).get(at).add().get(j).i32(4).mul().add().f32Load(0).f64FromF32().get(max).f64Sub().call(EXP).tee(w);
      c.f64Store(0);
      c.get(total).get(w).f64Add().set(total);
    });
    c.f64(0).set(squares);
    loopJ(seen, () => {
      c.get(EXPS).get(j).i32(8).mul().add().f64Load(0).get(total).f64Div().set(w);
      c.get(W).get(at).add().get(j).i32(4).mul().add().get(w).f32FromF64().f32Store(0);
      c.get(squares).get(w).get(w).f64Mul().f64Add().set(squares);
    });
    loopJ(M, () => {
      c.get(j).get(seen).geU().ifElse(() => c.get(W).get(at).add().get(j).i32(4).mul().add().f32(0).f32Store(0));
    });
    c.get(STATS).get(r).i32(16).mul().add().get(squares).f64Store(8);
    c.bump(r, () => c.i32(1));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 10 - i32Count, F64]], c);
}

/**
 * The softmax's backward step on rows first..first+count of [rows × m]: dA ← scale·A ⊙ (dA − Σ_j A·dA)
 * per row, as attentionMonteCarlo.ts computed it (float64 sums and products, float32 stored).
 */
function softmaxBackwardBody(): number[] {
  const [W, D, FIRST, COUNT, M, SCALE] = [0, 1, 2, 3, 4, 5];
  let next = 6;
  const at = next++, end = next++, rowEnd = next++;
  const i32Count = next - 6;
  const dot = next++;
  const c = new Code();
  c.get(FIRST).get(M).mul().i32(4).mul().set(at);
  c.get(FIRST).get(COUNT).add().get(M).mul().i32(4).mul().set(end);
  c.block(() => c.loop(() => {
    c.get(at).get(end).geU().brIf(1);
    c.get(at).get(M).i32(4).mul().add().set(rowEnd);
    c.f64(0).set(dot);
    c.block(() => c.loop(() => {
      c.get(at).get(rowEnd).geU().brIf(1);
      c.get(dot).get(W).get(at).add().f32Load(0).f64FromF32().get(D).get(at).add().f32Load(0).f64FromF32().f64Mul().f64Add().set(dot);
      c.bump(at, () => c.i32(4));
      c.br(0);
    }));
    c.get(at).get(M).i32(4).mul().sub().set(at);
    c.block(() => c.loop(() => {
      c.get(at).get(rowEnd).geU().brIf(1);
      c.get(D).get(at).add();
      c.get(SCALE).get(W).get(at).add().f32Load(0).f64FromF32().f64Mul();
      c.get(D).get(at).add().f32Load(0).f64FromF32().get(dot).f64Sub().f64Mul();
      c.f32FromF64().f32Store(0);
      c.bump(at, () => c.i32(4));
      c.br(0);
    }));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 6 - i32Count, F64]], c);
}

/** The module's bytes; `fused`: its products' multiply-adds are relaxed SIMD's f32x4.relaxed_madd. */
export function assembleKernels(fused: boolean): Uint8Array {
  const i32s = (n: number) => Array.from({ length: n }, () => [I32]);
  const types = [
    [0x60, ...vector([[F64]]), ...vector([[F64]])], // 0: exp, log
    [0x60, ...vector(i32s(11)), 0x00], // 1: gemm
    [0x60, ...vector([...i32s(3), [F64], [F64], [F64], [F64]]), 0x00], // 2: normal
    [0x60, ...vector([...i32s(3), [F64], [F64]]), 0x00], // 3: uniform
    [0x60, ...vector(i32s(4)), 0x00], // 4: gelu
    [0x60, ...vector([...i32s(8), [F64], [I32]]), 0x00], // 5: softmax
    [0x60, ...vector([...i32s(5), [F64]]), 0x00], // 6: softmaxBackward
    [0x60, ...vector(i32s(2)), ...vector([[F64]])], // 7: meanSquare
    [0x60, ...vector([...i32s(6), [F64]]), 0x00], // 8: layerNorm
    [0x60, ...vector(i32s(7)), 0x00], // 9: layerNormBackward
    [0x60, ...vector(i32s(4)), ...vector([[F64]])], // 10: crossMoment
    [0x60, ...vector([...i32s(4), [F64]]), 0x00], // 11: axpy
    [0x60, ...vector(i32s(5)), 0x00], // 12: sum3
    [0x60, ...vector(i32s(6)), 0x00], // 13: transpose
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
    ...section(3, vector([[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11], [12], [13]])),
    ...section(7, vector([
      [...name('gemm'), 0x00, 2], [...name('normal'), 0x00, 3], [...name('uniform'), 0x00, 4], [...name('gelu'), 0x00, 5],
      [...name('softmax'), 0x00, 6], [...name('softmaxBackward'), 0x00, 7],
      [...name('meanSquare'), 0x00, 8], [...name('layerNorm'), 0x00, 9], [...name('layerNormBackward'), 0x00, 10],
      [...name('crossMoment'), 0x00, 11], [...name('axpy'), 0x00, 12], [...name('sum3'), 0x00, 13], [...name('transpose'), 0x00, 14],
    ])),
    ...section(10, vector([
      gemmBody(fused), normalBody(), uniformBody(), geluBody(), softmaxBody(), softmaxBackwardBody(),
      meanSquareBody(), layerNormBody(), layerNormBackwardBody(), crossMomentBody(), axpyBody(), sum3Body(), transposeBody(),
    ])),
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
  gemm(a: number, b: number, c: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, scratch: number, transposed: number): void;
  normal(out: number, count: number, seed: number, mean: number, std: number, low: number, high: number): void;
  uniform(out: number, count: number, seed: number, low: number, width: number): void;
  gelu(pre: number, out: number, derivative: number, count: number): void;
  softmax(scores: number, weights: number, stats: number, first: number, count: number, n: number, m: number, causal: number, scale: number, exps: number): void;
  softmaxBackward(weights: number, gradient: number, first: number, count: number, m: number, scale: number): void;
  meanSquare(at: number, count: number): number;
  layerNorm(x: number, xHat: number, inverse: number, first: number, count: number, width: number, eps: number): void;
  layerNormBackward(g: number, xHat: number, inverse: number, out: number, first: number, count: number, width: number): void;
  crossMoment(data: number, sums: number, tokens: number, width: number): number;
  axpy(out: number, a: number, b: number, count: number, scale: number): void;
  sum3(out: number, a: number, b: number, c: number, count: number): void;
  transpose(from: number, to: number, first: number, count: number, n: number, m: number): void;
}

export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

let compiled: object | null | undefined;

/** The module compiled, or undefined where the runtime rejects it (no SIMD, shared memory or, `fused`, relaxed SIMD). */
export function compileKernels(fused: boolean): object | undefined {
  const api = wasmApi();
  try {
    return api ? new api.Module(assembleKernels(fused)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The compiled module (once per thread), or undefined where WebAssembly SIMD or shared memory is
 * unavailable (the JavaScript kernels take over). With relaxed SIMD (V8 11.4+, Node 22; Node 20
 * with --experimental-wasm-relaxed-simd, which host/wasmFeatures.ts sets) the products use fused
 * multiply-adds: on this project's machine (AMD EPYC, 128-bit vectors) a multiply and an add are
 * two instructions of the 6 the core issues a cycle, and the kernel's inner loop was limited by
 * issue, not by the floating-point units: x·Wᵀ and g·W at GPT-2's widths ran at 15–16 GMAC/s
 * per core unfused, 19–21 fused (issue 15). Fused products differ from unfused ones by
 * float32 rounding only.
 */
export function kernelModule(): object | undefined {
  if (compiled === undefined) compiled = compileKernels(true) ?? compileKernels(false) ?? null;
  return compiled ?? undefined;
}

/** An instance of the module on a shared memory (this thread's, or one handed over by another thread). */
export function instantiateKernels(module: object, memory: WasmMemory): KernelExports {
  const api = wasmApi()!;
  const instance = new api.Instance(module, { env: { memory, exp: Math.exp, log: Math.log } });
  return instance.exports as unknown as KernelExports;
}
