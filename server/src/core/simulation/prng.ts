/**
 * A small, fast, seedable generator for the Monte-Carlo simulation: xoshiro128**
 * (Blackman & Vigna 2018, https://prng.di.unimi.it/) seeded through splitmix32, and
 * standard normals by the ziggurat method (Marsaglia & Tsang 2000, "The ziggurat method
 * for generating random variables", J. Stat. Softw. 5(8)), 128 layers: ~99% of draws cost
 * one 32-bit integer, a table lookup and a multiply (3× faster than the polar method, and
 * the weights of a 50×512² network are 13M draws). The layer index and the value come
 * from disjoint bits of the integer (the correlation Doornik 2005 found in the original
 * shared them). Pure JavaScript, 32-bit integer arithmetic for the bits, so a seed gives
 * the same numbers on every machine.
 */

/** The ziggurat's tables for N(0,1), 128 layers, values from 25-bit signed integers. */
const ZIG_R = 3.442619855899; // the base layer's right edge
const ZIG_SCALE = 2 ** 24; // |value bits| < 2^24
const ZIG_K = new Float64Array(128); // acceptance thresholds on |value bits|
const ZIG_W = new Float64Array(128); // value bits → x
const ZIG_F = new Float64Array(128); // density at each layer's edge
{
  const v = 9.91256303526217e-3; // area of each layer
  let d = ZIG_R;
  let t = d;
  const q = v / Math.exp(-0.5 * d * d);
  ZIG_K[0] = (d / q) * ZIG_SCALE;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / ZIG_SCALE;
  ZIG_W[127] = d / ZIG_SCALE;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(v / d + Math.exp(-0.5 * d * d)));
    ZIG_K[i + 1] = (d / t) * ZIG_SCALE;
    t = d;
    ZIG_F[i] = Math.exp(-0.5 * d * d);
    ZIG_W[i] = d / ZIG_SCALE;
  }
}

/** The ziggurat's tables, shared with the WebAssembly generator (wasmKernels.ts) so both draw the same way. */
export const ZIGGURAT = { r: ZIG_R, k: ZIG_K, w: ZIG_W, f: ZIG_F } as const;

/** splitmix32 step: spreads a small seed over 32 bits (Steele et al. 2014, 32-bit variant). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Mixes several integers (seed, stream, layer index) into one 32-bit seed. */
export function mixSeed(...parts: readonly number[]): number {
  const state = { s: 0x2545f491 };
  let h = 0;
  for (const part of parts) {
    state.s ^= Math.imul((part | 0) ^ h, 0x27d4eb2d);
    h = splitmix32(state);
  }
  return h;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const state = { s: seed | 0 };
    this.a = splitmix32(state);
    this.b = splitmix32(state);
    this.c = splitmix32(state);
    this.d = splitmix32(state);
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** Uniform 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextUint32() * 2.3283064365386963e-10;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (ziggurat). */
  normal(): number {
    for (;;) {
      const u = this.nextUint32();
      const layer = u & 127;
      const bits = (u | 0) >> 7; // 25-bit signed value, independent of the layer's 7 bits
      const x = bits * ZIG_W[layer]!;
      if (Math.abs(bits) < ZIG_K[layer]!) return x;
      if (layer === 0) {
        // The tail beyond R (Marsaglia 1964): exponential proposals.
        let tx: number;
        let ty: number;
        do {
          tx = -Math.log(1 - this.uniform()) / ZIG_R;
          ty = -Math.log(1 - this.uniform());
        } while (ty + ty < tx * tx);
        return bits > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      // The wedge between the layer's rectangle and the density.
      if (ZIG_F[layer]! + this.uniform() * (ZIG_F[layer - 1]! - ZIG_F[layer]!) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** Fills `out` with mean + std·N(0,1). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
