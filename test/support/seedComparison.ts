/**
 * Two samples of random networks compared as such (the Monte-Carlo oracle tests): the means over
 * seeds of a measured quantity must agree within
 *
 *     t · s · √(1/n_ours + 1/n_torch) + floor
 *
 * where s is the pooled standard deviation across seeds (both sides; in log units for second
 * moments), n the numbers of seeds and t Student's quantile with the coverage of ±3σ for the
 * degrees of freedom (s comes from few seeds): three standard errors of the difference of two
 * means, plus a floor for batch noise.
 */

/**
 * Two-sided quantile of Student's t with the coverage of ±3σ of a normal (99.73%), for
 * 1–30 degrees of freedom (computed by numerical integration of the t density): with the
 * spread estimated from 4–10 seeds, a fixed 3 would reject good agreement far too often.
 */
const T_3SIGMA = [235.8, 19.21, 9.22, 6.62, 5.51, 4.9, 4.53, 4.28, 4.09, 3.96, 3.85, 3.76, 3.69, 3.64, 3.59,
  3.54, 3.51, 3.48, 3.45, 3.42, 3.4, 3.38, 3.36, 3.34, 3.33, 3.32, 3.3, 3.29, 3.28, 3.27];

function studentT3Sigma(dof: number): number {
  return dof >= 1 ? (T_3SIGMA[Math.min(dof, T_3SIGMA.length) - 1] ?? 3) : Infinity;
}

/** Mean, sample variance and count. */
function stats(values: readonly number[]): { mean: number; variance: number; n: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1);
  return { mean, variance, n: values.length };
}

export interface ComparisonOptions {
  /** Compare logarithms (second moments, default) or the values themselves (correlations). */
  readonly scale?: 'log' | 'linear';
  /** Added to the tolerance (default 0.1 log units). */
  readonly floor?: number;
  /** `ours` is exact (mean field): no sampling error of its own (1/n_ours → 0). */
  readonly exact?: boolean;
}

/**
 * |mean(ours) − mean(PyTorch)| over the tolerance (> 1 fails). With one seed of ours, the
 * spread is PyTorch's alone.
 */
export function discrepancy(ours: readonly number[], torch: readonly number[], options: ComparisonOptions = {}): number {
  const transform = options.scale === 'linear' ? (v: number) => v : Math.log;
  const a = stats(ours.map(transform));
  const b = stats(torch.map(transform));
  const pooled = a.n > 1 ? ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2) : b.variance;
  const dof = a.n > 1 ? a.n + b.n - 2 : b.n - 1;
  const tolerance = studentT3Sigma(dof) * Math.sqrt(pooled * ((options.exact ? 0 : 1 / a.n) + 1 / b.n)) + (options.floor ?? 0.1);
  return Math.abs(a.mean - b.mean) / tolerance;
}

/**
 * One exact prediction (the analytic pass) against PyTorch's seeds: within their spread (max −
 * min) around their mean, or a floor where the seeds agree more closely than the
 * infinite-width limit can (the transformer tests use 3% of a second moment, `absolute`
 * false, and 0.015 of a correlation, `absolute` true).
 */
export function withinSeedSpread(predicted: number, perSeed: readonly number[], floor: number, absolute: boolean): boolean {
  const mean = perSeed.reduce((a, b) => a + b, 0) / perSeed.length;
  const allowed = Math.max(Math.max(...perSeed) - Math.min(...perSeed), absolute ? floor : floor * Math.abs(mean));
  return Math.abs(predicted - mean) <= allowed;
}
