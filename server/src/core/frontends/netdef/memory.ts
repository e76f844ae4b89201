/**
 * What a `.netdef` document remembers between analyses (incremental analysis, issue 16: the
 * keystroke → diagnostics path): each network's simulation and rule findings, keyed by the
 * network's own text. FileLowering lowers every network alone, from its own text, and the
 * rules read only the network, its simulation and the settings, so a network whose text an
 * edit did not touch has the same results, at offsets moved by where its text now starts.
 * The syntax findings and the network itself are read again every time (that is cheap).
 *
 * Memory stays one document's networks: an analysis keeps what it used or computed; what the
 * one before it had and this one did not ask for is dropped when it completes (a cancelled
 * analysis keeps both, the next one sorts them out).
 */
import type { Finding } from '../../findings';
import { Relocation, RelocationFailed } from '../../relocation';
import type { NetworkSimulation } from '../../simulation/types';
import type { Span } from '../../text';

/** At most this many networks are remembered per document (a hand-written file has tens). */
const MAX_REMEMBERED = 2048;

interface Remembered {
  /** Where the network's text started when the results were computed. */
  readonly start: number;
  readonly settingsKey: string;
  readonly simulation: NetworkSimulation | undefined;
  readonly findings: readonly Finding[];
}

export interface NetdefRemembered {
  readonly simulation: NetworkSimulation | undefined;
  readonly findings: readonly Finding[];
}

export class NetdefMemory {
  private previous = new Map<string, Remembered>();
  private current = new Map<string, Remembered>();
  private completed = true;

  /** A new analysis of the document starts. */
  begin(): void {
    if (this.completed) {
      this.previous = this.current;
    } else {
      for (const [text, entry] of this.current) this.previous.set(text, entry);
    }
    this.current = new Map();
    this.completed = false;
  }

  /** The analysis judged every network: what it did not use is dropped at the next begin(). */
  complete(): void {
    this.completed = true;
  }

  /** The results of a network whose text is `text`, now starting at `extent.start`, if remembered under these settings. */
  get(text: string, extent: Span, settingsKey: string): NetdefRemembered | undefined {
    const entry = this.current.get(text) ?? this.previous.get(text);
    if (!entry || entry.settingsKey !== settingsKey) return undefined;
    this.current.set(text, entry);
    if (entry.start === extent.start) return entry;
    const relocation = new Relocation([{ from: entry.start, to: extent.start, length: text.length }]);
    try {
      return { simulation: entry.simulation, findings: entry.findings.map((f) => relocation.finding(f)) };
    } catch (error) {
      // A finding outside the network's text (none is known): computed again rather than misplaced.
      if (error instanceof RelocationFailed) return undefined;
      throw error;
    }
  }

  set(text: string, extent: Span, settingsKey: string, result: NetdefRemembered): void {
    // A file of thousands of networks (issue 12's 20 MB file) is streamed one network at a
    // time; remembering each would hold them all.
    if (this.current.size >= MAX_REMEMBERED) return;
    this.current.set(text, { start: extent.start, settingsKey, simulation: result.simulation, findings: result.findings });
  }
}
