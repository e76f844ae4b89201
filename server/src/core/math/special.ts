/**
 * Special functions to double precision: the error function and the standard normal
 * pdf/cdf. Accuracy matters: the truth-table tests compare per-layer gains to 1e-6
 * relative, and GELU's moments go through erf.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
export const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 0.3989422804014327;

/** erf by its Maclaurin series for |x| < 2.5 (≤ 1e-14 absolute), erfc otherwise. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Σ (−1)^n x^(2n+1) / (n! (2n+1)); terms peak near e^{x²} ≈ 500, so ~1e-13 is kept.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  const c = erfcLarge(ax);
  return x > 0 ? 1 - c : c - 1;
}

export function erfc(x: number): number {
  if (x >= 2.5) return erfcLarge(x);
  if (x <= -2.5) return 2 - erfcLarge(-x);
  return 1 - erf(x);
}

/** erfc(x) for x ≥ 2.5 by its continued fraction (modified Lentz), converging fast there. */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / SQRT2);
}
