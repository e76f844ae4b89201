/**
 * "Did you mean …?" for misspelt names. Distance is Damerau–Levenshtein in its
 * optimal-string-alignment form (insertions, deletions, substitutions and swaps of two
 * adjacent characters each cost 1), which is the edit model of real typos: `rleu` is one
 * swap from `relu`. Comparison ignores case because every name the engine accepts does.
 */

/**
 * The largest distance still worth suggesting for a name of this length. Short names get
 * little slack so `tan` does not suggest `gelu`; a third of the length beyond that keeps
 * suggestions to what a reader would recognise as the same word.
 */
export function maxSuggestionDistance(length: number): number {
  if (length <= 3) return 1;
  if (length <= 6) return 2;
  return Math.min(3, Math.floor(length / 3));
}

/**
 * Optimal-string-alignment distance between a and b, or `limit + 1` as soon as it is
 * known to exceed `limit` (the caller only cares about close matches, and the cut-off
 * keeps a pathological 100 000-character "name" from costing 100 000² steps).
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const n = b.length;
  // Three rolling rows: the swap case looks two rows back.
  let twoBack = new Array<number>(n + 1).fill(0);
  let previous = Array.from({ length: n + 1 }, (_, j) => j);
  let current = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        best = Math.min(best, twoBack[j - 2]! + 1);
      }
      current[j] = best;
      if (best < rowMin) rowMin = best;
    }
    if (rowMin > limit) return limit + 1;
    [twoBack, previous, current] = [previous, current, twoBack];
  }
  return previous[n]!;
}

/**
 * The candidate closest to `name` (case-insensitive), or undefined when none is close
 * enough to be a plausible typo. Ties go to the earlier candidate, so callers list the
 * canonical spellings before aliases.
 */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  if (wanted.length === 0) return undefined;
  const limit = maxSuggestionDistance(wanted.length);
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (lower === wanted) continue;
    const distance = editDistance(wanted, lower, Math.min(limit, bestDistance - 1));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `— did you mean 'relu'?` or the empty string, for appending to a message. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const suggestion = suggest(name, candidates);
  return suggestion === undefined ? '' : ` — did you mean '${suggestion}'?`;
}
