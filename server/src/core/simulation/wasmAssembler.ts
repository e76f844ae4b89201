/**
 * A minimal WebAssembly encoder: the Monte-Carlo kernels (wasmKernels.ts) are assembled at
 * load time from instruction listings in TypeScript, so the source of the module is
 * readable and reviewable, the same bytes come out on every machine, and there is no opaque
 * binary, build step or file I/O (the engine stays pure and runs the same from source, in the
 * bundles and in worker threads).
 *
 * Binary format: WebAssembly Core Specification 2.0 §5 (opcode tables §5.4), the fixed-width
 * SIMD proposal (opcodes prefixed 0xFD) and the threads proposal's shared memory (limits
 * flag 0x03). Node 20 (V8 11) enables both by default.
 */

export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

export function sleb(value: number): number[] {
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

export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
export const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
export const name = (text: string) => [...uleb(text.length), ...[...text].map((c) => c.charCodeAt(0))];

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
const VOID = 0x40;

/** Instruction emitters (opcode tables: spec §5.4; SIMD: 0xFD prefix + LEB opcode). */
export class Code {
  readonly bytes: number[] = [];
  private emit(...b: number[]): this { this.bytes.push(...b); return this; }
  get(local: number) { return this.emit(0x20, ...uleb(local)); }
  set(local: number) { return this.emit(0x21, ...uleb(local)); }
  tee(local: number) { return this.emit(0x22, ...uleb(local)); }
  i32(value: number) { return this.emit(0x41, ...sleb(value)); }
  f32(value: number) {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return this.emit(0x43, ...bytes);
  }
  f64(value: number) {
    const bytes = new Uint8Array(new Float64Array([value]).buffer);
    return this.emit(0x44, ...bytes);
  }
  add() { return this.emit(0x6a); }
  sub() { return this.emit(0x6b); }
  mul() { return this.emit(0x6c); }
  and() { return this.emit(0x71); }
  or() { return this.emit(0x72); }
  xor() { return this.emit(0x73); }
  shl() { return this.emit(0x74); }
  shrS() { return this.emit(0x75); }
  shrU() { return this.emit(0x76); }
  rotl() { return this.emit(0x77); }
  geU() { return this.emit(0x4f); }
  geS() { return this.emit(0x4e); }
  ltU() { return this.emit(0x49); }
  remU() { return this.emit(0x70); }
  gtS() { return this.emit(0x4a); }
  eqz() { return this.emit(0x45); }
  /** f64 arithmetic and comparisons. */
  f64Add() { return this.emit(0xa0); }
  f64Sub() { return this.emit(0xa1); }
  f64Mul() { return this.emit(0xa2); }
  f64Div() { return this.emit(0xa3); }
  f64Max() { return this.emit(0xa5); }
  f64Neg() { return this.emit(0x9a); }
  f64Abs() { return this.emit(0x99); }
  f64Lt() { return this.emit(0x63); }
  f64Gt() { return this.emit(0x64); }
  f64Ne() { return this.emit(0x62); }
  i64(value: number) { return this.emit(0x42, ...sleb(value)); }
  i64Add() { return this.emit(0x7c); }
  i64Shl() { return this.emit(0x86); }
  i64ReinterpretF64() { return this.emit(0xbd); }
  f64ReinterpretI64() { return this.emit(0xbf); }
  f64Ge() { return this.emit(0x66); }
  f64FromI32S() { return this.emit(0xb7); }
  f64FromI32U() { return this.emit(0xb8); }
  f32FromF64() { return this.emit(0xb6); }
  f64FromF32() { return this.emit(0xbb); }
  /** Loads and stores with memarg (alignment hint, offset). */
  f64Load(offset = 0) { return this.emit(0x2b, 3, ...uleb(offset)); }
  f64Store(offset = 0) { return this.emit(0x39, 3, ...uleb(offset)); }
  f32Load(offset = 0) { return this.emit(0x2a, 2, ...uleb(offset)); }
  f32Store(offset = 0) { return this.emit(0x38, 2, ...uleb(offset)); }
  call(index: number) { return this.emit(0x10, ...uleb(index)); }
  select() { return this.emit(0x1b); }
  block(body: () => void) { this.emit(0x02, VOID); body(); return this.emit(0x0b); }
  loop(body: () => void) { this.emit(0x03, VOID); body(); return this.emit(0x0b); }
  /** if … [else …] end, no result. */
  ifElse(then: () => void, otherwise?: () => void) {
    this.emit(0x04, VOID);
    then();
    if (otherwise) { this.emit(0x05); otherwise(); }
    return this.emit(0x0b);
  }
  br(depth: number) { return this.emit(0x0c, ...uleb(depth)); }
  brIf(depth: number) { return this.emit(0x0d, ...uleb(depth)); }
  private simd(opcode: number, ...rest: number[]) { return this.emit(0xfd, ...uleb(opcode), ...rest); }
  /** v128.load with memarg (align 2^2: our addresses are only float-aligned). */
  v128Load(offset: number) { return this.simd(0x00, 2, ...uleb(offset)); }
  v128Load32Splat(offset = 0) { return this.simd(0x09, 2, ...uleb(offset)); }
  v128Store(offset: number) { return this.simd(0x0b, 2, ...uleb(offset)); }
  v128Zero() { return this.simd(0x0c, ...new Array<number>(16).fill(0)); }
  f32x4ExtractLane(lane: number) { return this.simd(0x1f, lane); }
  /** i8x16.shuffle by float lanes: result lane i ← lane lanes[i] of (a, b) (0–3 a's, 4–7 b's). */
  f32x4Shuffle(lanes: readonly [number, number, number, number]) {
    return this.simd(0x0d, ...lanes.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]));
  }
  f32x4Add() { return this.simd(0xe4); }
  f32x4Mul() { return this.simd(0xe6); }
  f32x4RelaxedMadd() { return this.simd(0x105); }
  f32Add() { return this.emit(0x92); }
  f64Sqrt() { return this.emit(0x9f); }
  /** v128.load64_zero: two floats into the low half, zeros above (align 2^2). */
  v128Load64Zero(offset = 0) { return this.simd(0x5d, 2, ...uleb(offset)); }
  /** v128.store64_lane: the low (lane 0) or high half stored (align 2^2). */
  v128Store64Lane(offset: number, lane: number) { return this.simd(0x5b, 2, ...uleb(offset), lane); }
  f64x2Splat() { return this.simd(0x14); }
  f64x2ExtractLane(lane: number) { return this.simd(0x21, lane); }
  f64x2PromoteLow() { return this.simd(0x5f); }
  f32x4DemoteZero() { return this.simd(0x5e); }
  f64x2Add() { return this.simd(0xf0); }
  f64x2Mul() { return this.simd(0xf2); }
  /** local += delta (i32). */
  bump(local: number, delta: () => void) { this.get(local); delta(); this.add(); return this.set(local); }
}

/** A function body: its locals (runs of one type) and code. */
export function functionBody(locals: readonly [count: number, type: number][], code: Code): number[] {
  const body = [...vector(locals.filter(([n]) => n > 0).map(([n, t]) => [...uleb(n), t])), ...code.bytes, 0x0b];
  return [...uleb(body.length), ...body];
}
