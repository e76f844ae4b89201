/**
 * Gaussian expectations E[f(√q·z)], z ~ N(0,1), by composite Gauss–Legendre.
 *
 * Plain Gauss–Hermite fails on exactly the activations users have: kinks (ReLU, ELU,
 * SELU at 0) cost it 51–110% over a stack, and saturation at large q (tanh′² is a spike
 * of width 1/√q) makes it return ≈0, a 1e65 error in a gradient prediction
 * (shared/oracle/README.md). So the z-axis is split at the kinks (mapped to z = k/√q),
 * at the scale points ±c/√q where a saturating function changes, and into unit panels
 * over [−Z, Z] where the Gaussian weight lives.
 */

/** 8-point Gauss–Legendre nodes and weights on [−1, 1]. */
const GL_NODES = [
  -0.9602898564975363, -0.7966664774136267, -0.525532409916329, -0.1834346424956498,
  0.1834346424956498, 0.525532409916329, 0.7966664774136267, 0.9602898564975363,
];
const GL_WEIGHTS = [
  0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.362683783378362,
  0.362683783378362, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
];

/** Beyond |z| = 12 the Gaussian weight is below 1e-31: nothing an activation can make up for. */
const Z_MAX = 12;
/** Scale points (in units of 1/√q) where saturating activations change shape. */
const SCALE_POINTS = [0.25, 1, 3, 8];
const INV_SQRT_2PI = 0.3989422804014327;

/**
 * E[f(√q·z)] for z ~ N(0,1). `kinks` are x-values where f is not smooth. q must be
 * finite and ≥ 0; q = 0 gives f(0).
 */
export function gaussianExpectation(f: (x: number) => number, q: number, kinks: readonly number[]): number {
  if (!(q > 0)) return f(0);
  const s = Math.sqrt(q);
  const points = breakpoints(s, kinks);
  let total = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    // Unit-width panels resolve the Gaussian weight itself.
    const panels = Math.max(1, Math.ceil(b - a));
    const h = (b - a) / panels;
    for (let p = 0; p < panels; p++) {
      const lo = a + p * h;
      const mid = lo + h / 2;
      const half = h / 2;
      let sum = 0;
      for (let j = 0; j < 8; j++) {
        const z = mid + half * GL_NODES[j]!;
        sum += GL_WEIGHTS[j]! * f(s * z) * Math.exp(-0.5 * z * z);
      }
      total += sum * half;
    }
  }
  return total * INV_SQRT_2PI;
}

/** The panel ends on the z-axis: ±Z_MAX, 0, the kinks and the scale points (in units of 1/√q). */
function breakpoints(s: number, kinks: readonly number[]): number[] {
  const breaks = new Set<number>([-Z_MAX, 0, Z_MAX]);
  for (const k of kinks) addBreak(breaks, k / s);
  for (const c of SCALE_POINTS) {
    addBreak(breaks, c / s);
    addBreak(breaks, -c / s);
  }
  return [...breaks].sort((a, b) => a - b);
}

/**
 * The same rule as nodes and weights: E[f(√q·z)] = Σ w_i·f(x_i), for integrals that evaluate
 * f at each node more than once (a product of functions of two Gaussians, cellProduct.ts).
 * Nodes whose weight is below 1e-17 of the total (|z| beyond ~9) are dropped. `panel` is the
 * widest panel in units of z (1 resolves the Gaussian weight; a polynomial-weighted integrand,
 * such as the Hermite coefficients of dualKernel.ts, needs narrower ones).
 */
export function gaussianRule(q: number, kinks: readonly number[], panel = 1): { x: Float64Array; w: Float64Array } {
  if (!(q > 0)) return { x: Float64Array.of(0), w: Float64Array.of(1) };
  const s = Math.sqrt(q);
  const points = breakpoints(s, kinks);
  const xs: number[] = [];
  const ws: number[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const panels = Math.max(1, Math.ceil((b - a) / panel));
    const h = (b - a) / panels;
    for (let p = 0; p < panels; p++) {
      const mid = a + p * h + h / 2;
      for (let j = 0; j < 8; j++) {
        const z = mid + (h / 2) * GL_NODES[j]!;
        const w = GL_WEIGHTS[j]! * (h / 2) * Math.exp(-0.5 * z * z) * INV_SQRT_2PI;
        if (w < 1e-17) continue;
        xs.push(s * z);
        ws.push(w);
      }
    }
  }
  return { x: Float64Array.from(xs), w: Float64Array.from(ws) };
}

function addBreak(breaks: Set<number>, z: number): void {
  if (Number.isFinite(z) && z > -Z_MAX && z < Z_MAX) breaks.add(z);
}
