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

/** Φ(x) and φ(x) of one value. */
function cdfAndPdf(x: number, out: { cdf: number; pdf: number }): void {
  const z = Math.abs(x) * Math.SQRT1_2;
  const t = 1 / (1 + P * z);
  const e = Math.exp(-z * z);
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
