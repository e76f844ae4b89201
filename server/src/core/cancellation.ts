/**
 * Cooperative cancellation. An AbortSignal satisfies this shape, so hosts pass theirs
 * straight in; the engine only reads the flag (it imports nothing from the host).
 */
export interface CancellationSignal {
  readonly aborted: boolean;
}

export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

export const NEVER_CANCELLED: CancellationSignal = { aborted: false };

/** Throws AnalysisCancelled when the signal fired; called in every loop of the simulation. */
export function throwIfCancelled(signal: CancellationSignal): void {
  if (signal.aborted) throw new AnalysisCancelled();
}
