/**
 * How many layers each call site affects, counted over the whole file: a constructor call
 * run for several modules (a class instantiated twice, a loop) or an init call that sets
 * several weights (inside apply(fn) or a loop over modules()). A fix edits such a site only
 * when it touches one layer, so the count is read when the fix is built, after every unit
 * of the file ran.
 *
 * Each unit of the file (units.ts) also logs what it added, so a unit reused from an earlier
 * analysis can add the same counts without running again.
 */
export type SiteKind = 'construction' | 'initCall';

export class SiteCounts {
  private readonly counts: Record<SiteKind, Map<number, number>> = { construction: new Map(), initCall: new Map() };
  /** What the running unit added, in order; undefined outside units. */
  log: [SiteKind, number][] | undefined;

  add(kind: SiteKind, start: number, times = 1): void {
    const map = this.counts[kind];
    map.set(start, (map.get(start) ?? 0) + times);
    this.log?.push([kind, start]);
  }

  get(kind: SiteKind, start: number): number {
    return this.counts[kind].get(start) ?? 0;
  }
}
