/**
 * RUN_MONTE_CARLO_REQUEST: the Monte-Carlo simulation on demand. Each requested network
 * of the open document runs in a worker thread (host/montecarlo.ts), so the server keeps
 * answering; progress goes to the client's work-done token, $/cancelRequest terminates
 * the worker. The results replace mean field for that document version until the next
 * edit (AnalysisCache.setSimulations), and the diagnostics are re-published from them.
 *
 * The parameters come from another process: they are checked, and a bad request or a
 * missing document is answered with InvalidParams and a message the client can show.
 */
import {
  ErrorCodes, LSPErrorCodes, ResponseError, WorkDoneProgress, type CancellationToken, type Connection,
  type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport,
} from 'vscode-languageserver/node';
import { AnalysisCancelled } from '../core/cancellation';
import type { LanguageId } from '../core/frontends/types';
import type { NetworkSimulation } from '../core/simulation/types';
import { runMonteCarloInWorker, type MonteCarloRequest } from '../host/montecarlo';
import type { RunMonteCarloParams, RunMonteCarloResult } from '../protocol';

/** What the handler needs from the session. */
export interface MonteCarloSession {
  /** The open document as the engine reads it, with its network names; undefined when not open or not analysable. */
  document(uri: string): Promise<{
    text: string; version: number; languageId: LanguageId; networks: readonly string[]; current: readonly (NetworkSimulation | undefined)[];
    /** Why each network would be declined at a batch (undefined batch: its default), when that is known beforehand. */
    declined: (index: number, batch: number | undefined) => string | undefined;
  } | undefined>;
  /** The document's version now (to drop results for an older one). */
  versionNow(uri: string): number | undefined;
  /** Store the simulations for that version and re-publish the diagnostics. */
  apply(uri: string, version: number, simulations: readonly (NetworkSimulation | undefined)[]): void;
}

/** Worker runner; tests and the session pass the real one. */
export type MonteCarloRunner = (request: MonteCarloRequest, signal: AbortSignal, onProgress?: (done: number, total: number) => void) => Promise<NetworkSimulation | undefined>;

const DEFAULT_SEEDS = 3;
const DEFAULT_BUDGET_MS = 30_000;

export async function answerRunMonteCarlo(
  raw: unknown,
  token: CancellationToken,
  connection: Pick<Connection, 'sendProgress'>,
  session: MonteCarloSession,
  run: MonteCarloRunner = runMonteCarloInWorker,
): Promise<RunMonteCarloResult> {
  const params = parseParams(raw);
  const document = await session.document(params.uri);
  if (!document) {
    throw new ResponseError(ErrorCodes.InvalidParams, `Monte-Carlo: ${params.uri} is not open, not a netdef or Python document, or InitWise is disabled for it`);
  }
  const indices = params.network === undefined
    ? document.networks.map((_, i) => i)
    : document.networks.flatMap((name, i) => (name === params.network ? [i] : []));
  if (indices.length === 0) {
    throw new ResponseError(ErrorCodes.InvalidParams, params.network === undefined
      ? 'Monte-Carlo: the document has no network'
      : `Monte-Carlo: no network named '${params.network}' in the document`);
  }

  const controller = new AbortController();
  const subscription = token.onCancellationRequested(() => controller.abort());
  const progressToken = params.workDoneToken;
  const progress = (value: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
    if (progressToken !== undefined) void connection.sendProgress(WorkDoneProgress.type, progressToken, value);
  };
  progress({ kind: 'begin', title: 'InitWise Monte-Carlo', cancellable: true, percentage: 0 });
  const simulations = [...document.current];
  const networks: RunMonteCarloResult['networks'] = [];
  try {
    for (const [position, index] of indices.entries()) {
      const name = document.networks[index]!;
      const started = Date.now();
      const simulation = await run(
        {
          text: document.text, languageId: document.languageId, networkIndex: index,
          options: {
            seed: 1, seeds: params.seeds ?? DEFAULT_SEEDS, timeBudgetMs: params.timeBudgetMs ?? DEFAULT_BUDGET_MS,
            ...(params.batch !== undefined ? { batch: params.batch } : {}),
          },
        },
        controller.signal,
        (done, total) => progress({
          kind: 'report',
          message: `${name}: ${Math.round((100 * done) / total)}%`,
          percentage: Math.round((100 * (position + done / total)) / indices.length),
        }),
      );
      if (simulation) simulations[index] = simulation;
      const reason = simulation ? undefined
        : document.declined(index, params.batch) ?? 'no seed finished within the time budget, or an operation the Monte-Carlo pass cannot follow';
      networks.push({ name, simulated: simulation !== undefined, durationMs: Date.now() - started, ...(reason ? { reason } : {}) });
    }
  } catch (error) {
    if (error instanceof AnalysisCancelled) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Monte-Carlo cancelled');
    throw error;
  } finally {
    subscription.dispose();
    progress({ kind: 'end' });
  }
  // An edit during the run retires these numbers before they are shown.
  if (session.versionNow(params.uri) === document.version) session.apply(params.uri, document.version, simulations);
  return { version: document.version, networks };
}

function parseParams(raw: unknown): RunMonteCarloParams {
  const bad = (why: string) => new ResponseError(ErrorCodes.InvalidParams, `Monte-Carlo: ${why}`);
  if (typeof raw !== 'object' || raw === null) throw bad('expected an object with a `uri`');
  const p = raw as Record<string, unknown>;
  if (typeof p.uri !== 'string') throw bad('`uri` must be a string');
  const optionalPositive = (key: string, max: number): number | undefined => {
    const value = p[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw bad(`\`${key}\` must be a whole number from 1 to ${max}`);
    return value;
  };
  if (p.network !== undefined && typeof p.network !== 'string') throw bad('`network` must be a string');
  const token = p.workDoneToken;
  if (token !== undefined && typeof token !== 'string' && typeof token !== 'number') throw bad('`workDoneToken` must be a string or a number');
  return {
    uri: p.uri,
    ...(typeof p.network === 'string' ? { network: p.network } : {}),
    ...(optionalPositive('seeds', 64) !== undefined ? { seeds: optionalPositive('seeds', 64) } : {}),
    ...(optionalPositive('batch', 65_536) !== undefined ? { batch: optionalPositive('batch', 65_536) } : {}),
    ...(optionalPositive('timeBudgetMs', 3_600_000) !== undefined ? { timeBudgetMs: optionalPositive('timeBudgetMs', 3_600_000) } : {}),
    ...(token !== undefined ? { workDoneToken: token } : {}),
  };
}
