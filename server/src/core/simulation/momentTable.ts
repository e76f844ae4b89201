/**
 * Fast evaluation of a smooth function of the pre-activation scale q, such as
 * E[φ(√q z)²]/q or E[φ′(√q z)²], by 4-point Lagrange interpolation on a grid in ln q.
 *
 * Gaussian smoothing makes these functions analytic in q > 0 even for kinked φ, so a
 * grid step of 0.05 in ln q keeps the interpolation error near 1e-8 relative (checked
 * against direct quadrature in test/unit/moments.test.ts). Nodes are computed by the
 * exact quadrature on first use and kept, so a deep stack converging to a fixed point
 * touches only a handful of them. Grid points (q = 1 among them) return the exact value.
 */

/** Grid step in ln q. */
const STEP = 0.05;
/** Outside e^±MAX_U·STEP (about 1e-13 … 1e13) the exact quadrature is used directly. */
const MAX_INDEX = Math.ceil((13 * Math.LN10) / STEP);

export class MomentTable {
  private readonly nodes = new Map<number, number>();

  constructor(private readonly exact: (q: number) => number) {}

  value(q: number): number {
    if (!(q > 0) || !Number.isFinite(q)) return this.exact(q);
    const u = Math.log(q) / STEP;
    const i = Math.floor(u);
    if (i - 1 < -MAX_INDEX || i + 2 > MAX_INDEX) return this.exact(q);
    const t = u - i;
    if (t === 0) return this.node(i);
    // Lagrange weights for nodes at −1, 0, 1, 2 evaluated at t ∈ (0, 1).
    const w0 = (-t * (t - 1) * (t - 2)) / 6;
    const w1 = ((t + 1) * (t - 1) * (t - 2)) / 2;
    const w2 = (-(t + 1) * t * (t - 2)) / 2;
    const w3 = ((t + 1) * t * (t - 1)) / 6;
    return w0 * this.node(i - 1) + w1 * this.node(i) + w2 * this.node(i + 1) + w3 * this.node(i + 2);
  }

  private node(i: number): number {
    let v = this.nodes.get(i);
    if (v === undefined) {
      v = this.exact(Math.exp(i * STEP));
      this.nodes.set(i, v);
    }
    return v;
  }
}
