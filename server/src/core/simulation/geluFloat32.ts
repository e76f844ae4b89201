/**
 * GELU for the Monte-Carlo pass at float32 accuracy: x·Φ(x) and its derivative Φ(x) + x·φ(x)
 * with Φ from Abramowitz & Stegun 7.1.26 (|erf error| ≤ 1.5·10⁻⁷, about one float32 ulp of Φ near 1),
 * whose exp(−x²/2) is φ's too: one exponential per element. knowledge/activations.ts's GELU
 * (erf to 1e-14 by series, for the moment tables) costs ~85 ns an element, which made GELU MLPs
 * a sixth of a transformer's Monte-Carlo time.
 */
/** The constants, shared with wasmKernels.ts's gelu (which must compute the same numbers). */
export const GELU = {
  P: 0.3275911, A1: 0.254829592, A2: -0.284496736, A3: 1.421413741, A4: -1.453152027, A5: 1.061405429,
  INV_SQRT_2PI: 0.3989422804014327, SQRT1_2: Math.SQRT1_2,
} as const;
const { P, A1, A2, A3, A4, A5, INV_SQRT_2PI } = GELU;

/**
 * exp(x) for x ≤ 0 (GELU's exp(−z²)) in plain float64 operations that WebAssembly computes the
 * same, bit for bit: wasmKernels.ts's gelu inlines this sequence instead of calling Math.exp
 * through an import (21 → 16 ns an element there; issue 15). x = n·ln 2 + r with
 * n = round(x/ln 2) (by adding and subtracting 1.5·2⁵², round-half-even in both), ln 2 split
 * in two as fdlibm's exp does (n·LN2_HI exact), e^r by its Taylor series to r¹³ (|r| ≤ ln 2 / 2:
 * the first term left out is < 5·10⁻¹⁸ relative), times 2ⁿ built in the exponent bits. Within
 * 1 float64 ulp of Math.exp (2·10⁶ draws over [−708, 0]), so GELU's float32 results move by an
 * ulp at most, rarely.
 * Below −708 (2ⁿ would be subnormal) it is 0, where GELU's tail term is 0 in float32 anyway.
 */
export const EXP = {
  SHIFT: 6755399441055744, // 1.5·2⁵²
  LOG2E: 1.4426950408889634,
  LN2_HI: 6.93147180369123816490e-01,
  LN2_LO: 1.90821492927058770002e-10,
  LOW: -708,
  /** 1/13!, 1/12!, …, 1/1!, 1/0!: Horner's order. */
  TAYLOR: Array.from({ length: 14 }, (_, i) => {
    let factorial = 1;
    for (let k = 2; k <= 13 - i; k++) factorial *= k;
    return 1 / factorial;
  }),
} as const;

const bits = new DataView(new ArrayBuffer(8));

export function expNonPositive(x: number): number {
  if (!(x > EXP.LOW)) return x !== x ? x : 0;
  const t = x * EXP.LOG2E + EXP.SHIFT;
  const n = t - EXP.SHIFT;
  const r = x - n * EXP.LN2_HI - n * EXP.LN2_LO;
  let p = EXP.TAYLOR[0]!;
  for (let i = 1; i < EXP.TAYLOR.length; i++) p = p * r + EXP.TAYLOR[i]!;
  // t's low bits hold n (two's complement): 2ⁿ's exponent field is n + 1023.
  bits.setFloat64(0, t, true);
  const exponent = (bits.getInt32(0, true) + 1023) << 20;
  bits.setInt32(0, 0, true);
  bits.setInt32(4, exponent, true);
  return p * bits.getFloat64(0, true);
}

/** Φ(x) and φ(x) of one value. */
function cdfAndPdf(x: number, out: { cdf: number; pdf: number }): void {
  const z = Math.abs(x) * Math.SQRT1_2;
  const t = 1 / (1 + P * z);
  const e = expNonPositive(-z * z);
  const tail = 0.5 * t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * e; // = Φ(−|x|)
  out.cdf = x >= 0 ? 1 - tail : tail;
  out.pdf = INV_SQRT_2PI * e;
}

export function geluForward(pre: Float32Array): Float32Array {
  const out = new Float32Array(pre.length);
  const s = { cdf: 0, pdf: 0 };
  for (let i = 0; i < pre.length; i++) {
    const x = pre[i]!;
    cdfAndPdf(x, s);
    out[i] = x * s.cdf;
  }
  return out;
}

/** x·Φ(x) and Φ(x) + x·φ(x) together (the Monte-Carlo pass keeps the derivative for the backward step). */
export function geluWithDerivative(pre: Float32Array): { out: Float32Array; derivative: Float32Array } {
  const out = new Float32Array(pre.length);
  const derivative = new Float32Array(pre.length);
  const s = { cdf: 0, pdf: 0 };
  for (let i = 0; i < pre.length; i++) {
    const x = pre[i]!;
    cdfAndPdf(x, s);
    out[i] = x * s.cdf;
    derivative[i] = s.cdf + x * s.pdf;
  }
  return { out, derivative };
}

export function geluGradient(pre: Float32Array, g: Float32Array): Float32Array {
  const out = new Float32Array(g.length);
  const s = { cdf: 0, pdf: 0 };
  for (let i = 0; i < g.length; i++) {
    const x = pre[i]!;
    cdfAndPdf(x, s);
    out[i] = g[i]! * (s.cdf + x * s.pdf);
  }
  return out;
}
