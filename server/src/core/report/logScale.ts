/**
 * A base-10 logarithmic axis for second moments, which span tens of decades in a
 * network that vanishes or explodes. The domain is whole decades around every value to
 * show, so the ticks are powers of ten.
 */

export interface LogAxis {
  /** Decade exponents of the domain ends: the axis runs from 10^low to 10^high. */
  readonly low: number;
  readonly high: number;
  /** Exponents that get a tick and a grid line. */
  readonly ticks: readonly number[];
}

/** At most this many labelled ticks; a wider axis labels every k-th decade. */
const MAX_TICKS = 8;

/** Values a log axis can show: positive and finite. */
export function onLogScale(x: number): boolean {
  return x > 0 && Number.isFinite(x);
}

/** The axis covering `values` (those not on a log scale are ignored); undefined when none is. */
export function logAxis(values: Iterable<number>): LogAxis | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const x of values) {
    if (!onLogScale(x)) continue;
    const e = Math.log10(x);
    if (e < min) min = e;
    if (e > max) max = e;
  }
  if (min > max) return undefined;
  // `+ 0` turns Math.ceil(-0.3) = -0 into 0.
  let low = Math.floor(min) + 0;
  let high = Math.ceil(max) + 0;
  if (high - low < 2) {
    // A flat signal still gets a readable axis: at least one decade either side.
    low = Math.min(low, Math.floor(min) - 1);
    high = Math.max(high, Math.ceil(max) + 1);
  }
  const step = Math.max(1, Math.ceil((high - low) / MAX_TICKS));
  const ticks: number[] = [];
  for (let e = high; e >= low; e -= step) ticks.push(e);
  return { low, high, ticks };
}

/** Position of x in [0, 1] along the axis (0 at 10^low). */
export function logFraction(axis: LogAxis, x: number): number {
  return (Math.log10(x) - axis.low) / (axis.high - axis.low);
}

/** "10⁻¹⁵": a decade label in superscript digits (no markup needed inside SVG text). */
export function decadeLabel(exponent: number): string {
  if (exponent === 0) return '1';
  if (exponent === 1) return '10';
  const superscript: Record<string, string> = {
    '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
  };
  return `10${[...String(exponent)].map((c) => superscript[c] ?? c).join('')}`;
}
