/**
 * The Monte-Carlo pass's per-element work around the products, as WebAssembly function bodies
 * for wasmKernels.ts's module (issue 15: after the products, attention and GELU moved into the
 * module, LayerNorm, the residual sums and the statistics were the JavaScript left on the
 * worker's thread, ~8% of a 4-sequence GPT-2-small run, during which the helper thread waits).
 * Each computes what montecarlo.ts's loops computed, bit for bit: the same float64 operations in
 * the same order, float32 only where those loops stored float32. Where a loop's sums run in one
 * order (LayerNorm's row sums, the token sums) the body keeps that order; SIMD is used only where
 * lanes are independent in the loop already (meanSquare's four running sums, elementwise sums).
 *
 *   meanSquare(at, count) → f64  Σ x² as montecarlo.ts meanSquare sums it: s0..s3 over i mod 4
 *       (two f64x2 accumulators), the count mod 4 last values into s0, (s0 + s1) + (s2 + s3).
 *   layerNorm(x, xHat, inverse, first, count, width, eps)  rows first..first+count of [rows × width]:
 *       mean and 1/√(max(0, E[x²] − mean²) + eps) per row (float64, stored in inverse[r]), x̂ in float32.
 *   layerNormBackward(g, xHat, inverse, out, first, count, width)  out = (g − mean(g) − x̂·mean(g·x̂))·inverse per row.
 *   crossMoment(data, sums, tokens, width) → f64  one sequence's |Σ_t x_t|² − Σ_t |x_t|² (sums: width
 *       float64s of scratch), the token sums and the diagonal in montecarlo.ts tokenCrossMoment's order.
 *   axpy(out, a, b, count, scale)  out = a + scale·b (float64, stored float32): the residual sum.
 *   sum3(out, a, b, c, count)  out = (a + b) + c (float64, stored float32): an attention's three input gradients.
 *   transpose(from, to, first, count, n, m)  blocks of [n × m] matrices transposed (attentionMonteCarlo.ts).
 */
import { Code, F64, functionBody, I32, V128 } from './wasmAssembler';

/** Σ x² of `count` float32s at byte address AT, in meanSquare's order (montecarlo.ts). */
export function meanSquareBody(): number[] {
  const [AT, COUNT] = [0, 1];
  let next = 2;
  const p = next++, end4 = next++, end = next++;
  const i32Count = next - 2;
  const acc01 = next++, acc23 = next++, v = next++;
  const vCount = next - 2 - i32Count;
  const s0 = next++, s1 = next++, s2 = next++, s3 = next++, x = next++;
  const c = new Code();
  c.get(AT).set(p);
  c.get(AT).get(COUNT).i32(-4).and().i32(4).mul().add().set(end4);
  c.get(AT).get(COUNT).i32(4).mul().add().set(end);
  c.v128Zero().set(acc01);
  c.v128Zero().set(acc23);
  c.block(() => c.loop(() => {
    c.get(p).get(end4).geU().brIf(1);
    c.get(p).v128Load64Zero(0).f64x2PromoteLow().tee(v).get(v).f64x2Mul().get(acc01).f64x2Add().set(acc01);
    c.get(p).v128Load64Zero(8).f64x2PromoteLow().tee(v).get(v).f64x2Mul().get(acc23).f64x2Add().set(acc23);
    c.bump(p, () => c.i32(16));
    c.br(0);
  }));
  c.get(acc01).f64x2ExtractLane(0).set(s0);
  c.get(acc01).f64x2ExtractLane(1).set(s1);
  c.get(acc23).f64x2ExtractLane(0).set(s2);
  c.get(acc23).f64x2ExtractLane(1).set(s3);
  c.block(() => c.loop(() => {
    c.get(p).get(end).geU().brIf(1);
    c.get(p).f32Load(0).f64FromF32().set(x);
    c.get(s0).get(x).get(x).f64Mul().f64Add().set(s0);
    c.bump(p, () => c.i32(4));
    c.br(0);
  }));
  c.get(s0).get(s1).f64Add().get(s2).get(s3).f64Add().f64Add();
  return functionBody([[i32Count, I32], [vCount, V128], [5, F64]], c);
}

/** LayerNorm forward over rows (montecarlo.ts layerNormRows). */
export function layerNormBody(): number[] {
  const [X, XHAT, INV, FIRST, COUNT, WIDTH, EPS] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const r = next++, end = next++, p = next++, stop = next++, q = next++;
  const i32Count = next - 7;
  const sum = next++, sumSq = next++, v = next++, mean = next++, inv = next++, w = next++;
  const c = new Code();
  c.get(FIRST).set(r);
  c.get(FIRST).get(COUNT).add().set(end);
  c.get(WIDTH).f64FromI32U().set(w);
  c.block(() => c.loop(() => {
    c.get(r).get(end).geU().brIf(1);
    c.get(X).get(r).get(WIDTH).mul().i32(4).mul().add().set(p);
    c.get(p).get(WIDTH).i32(4).mul().add().set(stop);
    c.f64(0).set(sum);
    c.f64(0).set(sumSq);
    c.block(() => c.loop(() => {
      c.get(p).get(stop).geU().brIf(1);
      c.get(p).f32Load(0).f64FromF32().set(v);
      c.get(sum).get(v).f64Add().set(sum);
      c.get(sumSq).get(v).get(v).f64Mul().f64Add().set(sumSq);
      c.bump(p, () => c.i32(4));
      c.br(0);
    }));
    c.get(sum).get(w).f64Div().set(mean);
    // 1 / √(max(0, sumSq/width − mean²) + eps)
    c.f64(1);
    c.f64(0).get(sumSq).get(w).f64Div().get(mean).get(mean).f64Mul().f64Sub().f64Max().get(EPS).f64Add().f64Sqrt();
    c.f64Div().set(inv);
    c.get(INV).get(r).i32(8).mul().add().get(inv).f64Store(0);
    c.get(p).get(WIDTH).i32(4).mul().sub().set(p);
    c.get(XHAT).get(r).get(WIDTH).mul().i32(4).mul().add().set(q);
    c.block(() => c.loop(() => {
      c.get(p).get(stop).geU().brIf(1);
      c.get(q).get(p).f32Load(0).f64FromF32().get(mean).f64Sub().get(inv).f64Mul().f32FromF64().f32Store(0);
      c.bump(p, () => c.i32(4));
      c.bump(q, () => c.i32(4));
      c.br(0);
    }));
    c.bump(r, () => c.i32(1));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 7 - i32Count, F64]], c);
}

/** LayerNorm backward over rows (montecarlo.ts layerNormRows's backward step). */
export function layerNormBackwardBody(): number[] {
  const [G, XHAT, INV, OUT, FIRST, COUNT, WIDTH] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const r = next++, end = next++, gp = next++, xp = next++, op = next++, stop = next++;
  const i32Count = next - 7;
  const sumG = next++, sumGx = next++, g = next++, meanG = next++, meanGx = next++, inv = next++, w = next++;
  const c = new Code();
  c.get(FIRST).set(r);
  c.get(FIRST).get(COUNT).add().set(end);
  c.get(WIDTH).f64FromI32U().set(w);
  c.block(() => c.loop(() => {
    c.get(r).get(end).geU().brIf(1);
    c.get(r).get(WIDTH).mul().i32(4).mul().set(op); // the row's byte offset
    c.get(G).get(op).add().set(gp);
    c.get(XHAT).get(op).add().set(xp);
    c.get(gp).get(WIDTH).i32(4).mul().add().set(stop);
    c.f64(0).set(sumG);
    c.f64(0).set(sumGx);
    c.block(() => c.loop(() => {
      c.get(gp).get(stop).geU().brIf(1);
      c.get(gp).f32Load(0).f64FromF32().set(g);
      c.get(sumG).get(g).f64Add().set(sumG);
      c.get(sumGx).get(g).get(xp).f32Load(0).f64FromF32().f64Mul().f64Add().set(sumGx);
      c.bump(gp, () => c.i32(4));
      c.bump(xp, () => c.i32(4));
      c.br(0);
    }));
    c.get(sumG).get(w).f64Div().set(meanG);
    c.get(sumGx).get(w).f64Div().set(meanGx);
    c.get(INV).get(r).i32(8).mul().add().f64Load(0).set(inv);
    c.get(OUT).get(op).add().set(op);
    c.get(gp).get(WIDTH).i32(4).mul().sub().set(gp);
    c.get(xp).get(WIDTH).i32(4).mul().sub().set(xp);
    c.block(() => c.loop(() => {
      c.get(gp).get(stop).geU().brIf(1);
      // ((g − meanG) − x̂·meanGx)·inv
      c.get(op);
      c.get(gp).f32Load(0).f64FromF32().get(meanG).f64Sub();
      c.get(xp).f32Load(0).f64FromF32().get(meanGx).f64Mul().f64Sub();
      c.get(inv).f64Mul().f32FromF64().f32Store(0);
      c.bump(gp, () => c.i32(4));
      c.bump(xp, () => c.i32(4));
      c.bump(op, () => c.i32(4));
      c.br(0);
    }));
    c.bump(r, () => c.i32(1));
    c.br(0);
  }));
  return functionBody([[i32Count, I32], [next - 7 - i32Count, F64]], c);
}

/** One sequence's |Σ_t x_t|² − Σ_t |x_t|² (montecarlo.ts tokenCrossMoment's sums, in its order). */
export function crossMomentBody(): number[] {
  const [DATA, SUMS, TOKENS, WIDTH] = [0, 1, 2, 3];
  let next = 4;
  const p = next++, end = next++, s = next++, sEnd = next++;
  const i32Count = next - 4;
  const diagonal = next++, square = next++, v = next++;
  const c = new Code();
  c.get(SUMS).get(WIDTH).i32(8).mul().add().set(sEnd);
  c.get(SUMS).set(s);
  c.block(() => c.loop(() => {
    c.get(s).get(sEnd).geU().brIf(1);
    c.get(s).f64(0).f64Store(0);
    c.bump(s, () => c.i32(8));
    c.br(0);
  }));
  c.f64(0).set(diagonal);
  c.get(DATA).set(p);
  c.get(DATA).get(TOKENS).get(WIDTH).mul().i32(4).mul().add().set(end);
  c.block(() => c.loop(() => { // each token
    c.get(p).get(end).geU().brIf(1);
    c.get(SUMS).set(s);
    c.block(() => c.loop(() => { // each feature
      c.get(s).get(sEnd).geU().brIf(1);
      c.get(p).f32Load(0).f64FromF32().set(v);
      c.get(s).get(s).f64Load(0).get(v).f64Add().f64Store(0);
      c.get(diagonal).get(v).get(v).f64Mul().f64Add().set(diagonal);
      c.bump(p, () => c.i32(4));
      c.bump(s, () => c.i32(8));
      c.br(0);
    }));
    c.br(0);
  }));
  c.f64(0).set(square);
  c.get(SUMS).set(s);
  c.block(() => c.loop(() => {
    c.get(s).get(sEnd).geU().brIf(1);
    c.get(square).get(s).f64Load(0).get(s).f64Load(0).f64Mul().f64Add().set(square);
    c.bump(s, () => c.i32(8));
    c.br(0);
  }));
  c.get(square).get(diagonal).f64Sub();
  return functionBody([[i32Count, I32], [next - 4 - i32Count, F64]], c);
}

/**
 * An elementwise float64 expression of float32 inputs, stored float32: two values a turn in
 * f64x2 lanes (each lane the scalar operation exactly), a last odd value alone. Params: out, the
 * `inputs` arrays, count, then `scalars` f64s; `expression(c, load, lanes)` pushes the value from
 * `load(input)` (f64x2 when `lanes`, f64 otherwise) and the scalar params.
 */
function elementwise(
  inputs: number, scalars: number, expression: (c: Code, load: (input: number) => void, lanes: boolean) => void,
): number[] {
  const OUT = 0;
  const COUNT = 1 + inputs;
  let next = 2 + inputs + scalars;
  const i = next++, pairs = next++;
  const c = new Code();
  const address = (param: number) => c.get(param).get(i).add();
  c.i32(0).set(i);
  c.get(COUNT).i32(-2).and().i32(4).mul().set(pairs);
  c.block(() => c.loop(() => {
    c.get(i).get(pairs).geU().brIf(1);
    address(OUT);
    expression(c, (input) => { address(1 + input).v128Load64Zero(0).f64x2PromoteLow(); }, true);
    c.f32x4DemoteZero().v128Store64Lane(0, 0);
    c.bump(i, () => c.i32(8));
    c.br(0);
  }));
  c.get(COUNT).i32(1).and().ifElse(() => {
    address(OUT);
    expression(c, (input) => { address(1 + input).f32Load(0).f64FromF32(); }, false);
    c.f32FromF64().f32Store(0);
  });
  return functionBody([[2, I32]], c);
}

/** out = a + scale·b (params: out, a, b, count, scale). */
export function axpyBody(): number[] {
  const SCALE = 4;
  return elementwise(2, 1, (c, load, lanes) => {
    load(0);
    if (lanes) c.get(SCALE).f64x2Splat();
    else c.get(SCALE);
    load(1);
    if (lanes) c.f64x2Mul().f64x2Add();
    else c.f64Mul().f64Add();
  });
}

/** out = (a + b) + c (params: out, a, b, c, count). */
export function sum3Body(): number[] {
  return elementwise(3, 0, (c, load, lanes) => {
    load(0);
    load(1);
    if (lanes) c.f64x2Add();
    else c.f64Add();
    load(2);
    if (lanes) c.f64x2Add();
    else c.f64Add();
  });
}

/**
 * Blocks first..first+count of [n × m] matrices stored one after the other, each transposed into
 * the same place of `to` ([m × n]): an attention's weights and logit gradients per sequence and
 * head (attentionMonteCarlo.ts transposeAll). Params: from, to, first, count, n, m.
 */
export function transposeBody(): number[] {
  const [FROM, TO, FIRST, COUNT, N, M] = [0, 1, 2, 3, 4, 5];
  let next = 6;
  const block = next++, end = next++, i = next++, src = next++, dst = next++, rowEnd = next++, base = next++;
  const c = new Code();
  c.get(FIRST).set(block);
  c.get(FIRST).get(COUNT).add().set(end);
  c.block(() => c.loop(() => {
    c.get(block).get(end).geU().brIf(1);
    c.get(block).get(N).mul().get(M).mul().i32(4).mul().set(base);
    c.i32(0).set(i);
    c.block(() => c.loop(() => { // each row i of the block: from[i, j] → to[j, i]
      c.get(i).get(N).geU().brIf(1);
      c.get(FROM).get(base).add().get(i).get(M).mul().i32(4).mul().add().set(src);
      c.get(src).get(M).i32(4).mul().add().set(rowEnd);
      c.get(TO).get(base).add().get(i).i32(4).mul().add().set(dst);
      c.block(() => c.loop(() => {
        c.get(src).get(rowEnd).geU().brIf(1);
        c.get(dst).get(src).f32Load(0).f32Store(0);
        c.bump(src, () => c.i32(4));
        c.bump(dst, () => c.get(N).i32(4).mul());
        c.br(0);
      }));
      c.bump(i, () => c.i32(1));
      c.br(0);
    }));
    c.bump(block, () => c.i32(1));
    c.br(0);
  }));
  return functionBody([[next - 6, I32]], c);
}
