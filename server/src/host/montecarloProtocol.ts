/**
 * Messages between the Monte-Carlo host (montecarlo.ts) and its worker thread
 * (montecarloWorker.ts). Only plain data crosses the thread boundary: the worker
 * re-parses the document text itself, because IR objects carry functions (fix builders).
 */
import type { LanguageId } from '../core/frontends/types';
import type { NetworkSimulation } from '../core/simulation/types';

/** The Monte-Carlo options that can cross a thread (no clock, no callbacks). */
export interface MonteCarloRunOptions {
  readonly seed: number;
  /** Default: 256 for MLPs, 32 when the network has convolutions (simulation/montecarlo.ts). */
  readonly batch?: number;
  readonly seeds?: number;
  readonly timeBudgetMs?: number;
}

export interface MonteCarloRequest {
  readonly text: string;
  readonly languageId: LanguageId;
  /** Which of the document's networks (as analyze() returns them). */
  readonly networkIndex: number;
  readonly options: MonteCarloRunOptions;
}

export type MonteCarloWorkerMessage =
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'result'; readonly simulation: NetworkSimulation | undefined }
  | { readonly type: 'error'; readonly message: string };
