/**
 * Array helpers that cost the same stack on a million items as on ten. `a.push(...b)` and
 * `Math.max(...b)` pass every item as an argument: past ~120,000 of them V8 throws
 * `RangeError: Maximum call stack size exceeded` (issue 12: 130,000 findings crashed
 * analyze()). Anything whose length the input controls goes through these instead.
 */

/** Appends every item of `items` to `target` (in place) and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The largest value (`empty` when there is none). */
export function maxOf(values: Iterable<number>, empty = -Infinity): number {
  let best: number | undefined;
  for (const value of values) best = best === undefined || value > best || Number.isNaN(value) ? value : best;
  return best ?? empty;
}

/** The smallest value (`empty` when there is none). */
export function minOf(values: Iterable<number>, empty = Infinity): number {
  let best: number | undefined;
  for (const value of values) best = best === undefined || value < best || Number.isNaN(value) ? value : best;
  return best ?? empty;
}
