/**
 * A small, fast, seedable generator for the Monte-Carlo simulation: xoshiro128**
 * (Blackman & Vigna 2018, https://prng.di.unimi.it/) seeded through splitmix32, and
 * standard normals by Marsaglia's polar method (no trigonometry, one log and one sqrt per
 * pair). Pure JavaScript, 32-bit integer arithmetic only, so a seed gives the same
 * numbers on every machine.
 */

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
  private spare = 0;
  private hasSpare = false;

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

  /** Standard normal (Marsaglia polar method; the second value of each pair is kept). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = this.uniform() * 2 - 1;
      v = this.uniform() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Fills `out` with mean + std·N(0,1). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    const n = out.length;
    let i = 0;
    if (this.hasSpare && n > 0) out[i++] = mean + std * this.normal();
    while (i + 1 < n) {
      let u: number;
      let v: number;
      let s: number;
      do {
        u = this.uniform() * 2 - 1;
        v = this.uniform() * 2 - 1;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = std * Math.sqrt((-2 * Math.log(s)) / s);
      out[i++] = mean + u * f;
      out[i++] = mean + v * f;
    }
    if (i < n) out[i] = mean + std * this.normal();
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
