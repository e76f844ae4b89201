/**
 * SIGNAL_REPORT_REQUEST: the client's webview asks for the report of one network of an
 * open document and gets the whole HTML document back (core/report/html.ts), rendered
 * from the same analysis the diagnostics and the code lens use.
 *
 * The parameters come from another process: they are checked, and every way the request
 * can fail becomes a ReportRequestError with a message for the user.
 */
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { lineOf } from '../core/analyze';
import { MODULE_OFFSET_BASE } from '../core/frontends/python/parse';
import { buildSignalReport } from '../core/report/model';
import { renderReportHtml, reportTitle } from '../core/report/html';
import type { NetworksAtParams, NetworksAtResult, SignalReportParams, SignalReportResult } from '../protocol';
import type { DocumentAnalysis } from './analysisCache';

export class ReportRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportRequestError';
  }
}

/** What the request needs from the session: the current analysis of an open document and the band. */
export type ReportAnalysisLookup = (uri: string) => Promise<{ analysis: DocumentAnalysis; band: number } | undefined>;

/**
 * The request handler. A bad request or a missing document or network is answered with
 * InvalidParams and a message the client can show; an engine failure is logged and
 * answered with InternalError, never a crash.
 */
export async function answerSignalReport(
  raw: unknown,
  lookup: ReportAnalysisLookup,
  logError: (what: string, error: unknown) => void,
): Promise<SignalReportResult> {
  try {
    const params = parseSignalReportParams(raw);
    const current = await lookup(params.uri);
    if (!current) {
      throw new ReportRequestError(`signal report: ${params.uri} is not open, not a netdef or Python document, or InitWise is disabled for it`);
    }
    return signalReport(current.analysis, params, current.band);
  } catch (error) {
    if (error instanceof ReportRequestError) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
    logError('building the signal report', error);
    throw new ResponseError(ErrorCodes.InternalError, 'signal report: internal error (see the InitWise output log)');
  }
}

export function parseSignalReportParams(value: unknown): SignalReportParams {
  if (typeof value !== 'object' || value === null) throw new ReportRequestError('signal report: parameters must be an object');
  const p = value as Record<string, unknown>;
  if (typeof p.uri !== 'string') throw new ReportRequestError('signal report: `uri` must be a string');
  if (typeof p.nonce !== 'string' || p.nonce === '') throw new ReportRequestError('signal report: `nonce` must be a non-empty string');
  if (p.network !== undefined && p.network !== null && typeof p.network !== 'string') {
    throw new ReportRequestError('signal report: `network` must be a string when given');
  }
  return {
    uri: p.uri,
    nonce: p.nonce,
    cspSource: typeof p.cspSource === 'string' ? p.cspSource : '',
    ...(typeof p.network === 'string' ? { network: p.network } : {}),
  };
}

export function signalReport(analysis: DocumentAnalysis, params: SignalReportParams, band: number): SignalReportResult {
  const { networks, simulations } = analysis.result;
  const index = params.network === undefined ? 0 : networks.findIndex((n) => n.name === params.network);
  const network = networks[index];
  if (!network) {
    throw new ReportRequestError(
      params.network === undefined ? 'this document defines no network' : `no network named '${params.network}' in this document`,
    );
  }
  const report = buildSignalReport(network, simulations[index], {
    band,
    // In a notebook, lines count within the cell of each layer; a layer of an imported module on its own file's line.
    lineOf: (offset) => (offset >= MODULE_OFFSET_BASE ? lineOf(analysis.result, analysis.index)(offset) : (analysis.map.position(offset)?.position.line ?? analysis.index.positionAt(offset).line) + 1),
  });
  let html: string;
  try {
    html = renderReportHtml(report, { nonce: params.nonce, source: sourceLabel(analysis.uri) });
  } catch (error) {
    if (error instanceof RangeError) throw new ReportRequestError(`signal report: ${error.message}`);
    throw error;
  }
  return { title: reportTitle(report), html };
}

/** The file name of a document uri, for the report's subtitle. */
function sourceLabel(uri: string): string {
  const path = uri.split(/[?#]/)[0] ?? uri;
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(name) || uri;
  } catch {
    return name || uri;
  }
}

/**
 * The networks of a document and the one under an offset: the innermost whose extent
 * holds it. A network's extent runs from its header to the last of its layers' statements
 * and on to the end of the block it sits in (the next line that starts at
 * column 0), so a cursor in a class's forward pass is in that class.
 */
export function networksAt(analysis: DocumentAnalysis, offset: number): NetworksAtResult {
  const { networks } = analysis.result;
  const names = [...networks].sort((a, b) => a.span.start - b.span.start).map((n) => n.name);
  let best: { name: string; length: number } | undefined;
  for (const network of networks) {
    const start = Math.min(network.span.start, ...network.layers.map((l) => l.span.start));
    const end = blockEnd(analysis.text, Math.max(network.span.end, ...network.layers.map((l) => l.span.end)));
    if (offset < start || offset > end) continue;
    if (!best || end - start < best.length) best = { name: network.name, length: end - start };
  }
  return best ? { atCursor: best.name, names } : { names };
}

/** The start of the next line that begins at column 0 with code (not blank, not a comment), or the end of the text. */
function blockEnd(text: string, from: number): number {
  const pattern = /\n(?=[^\s#])/g;
  pattern.lastIndex = from;
  const next = pattern.exec(text);
  return next ? next.index : text.length;
}

export function parseNetworksAtParams(value: unknown): NetworksAtParams {
  if (typeof value !== 'object' || value === null) throw new ReportRequestError('networks at: parameters must be an object');
  const p = value as Record<string, unknown>;
  const position = p.position as Record<string, unknown> | undefined;
  if (typeof p.uri !== 'string') throw new ReportRequestError('networks at: `uri` must be a string');
  if (typeof position !== 'object' || position === null || !Number.isInteger(position.line) || !Number.isInteger(position.character)) {
    throw new ReportRequestError('networks at: `position` must be { line, character } with integers');
  }
  return { uri: p.uri, position: { line: position.line as number, character: position.character as number } };
}

export async function answerNetworksAt(
  raw: unknown,
  lookup: ReportAnalysisLookup,
  logError: (what: string, error: unknown) => void,
): Promise<NetworksAtResult> {
  try {
    const params = parseNetworksAtParams(raw);
    const current = await lookup(params.uri);
    if (!current) throw new ReportRequestError(`networks at: ${params.uri} is not open, not a netdef or Python document, or InitWise is disabled for it`);
    const offset = current.analysis.map.offsetAt(params.uri, params.position);
    if (offset === undefined) return networksAt(current.analysis, -1);
    return networksAt(current.analysis, offset);
  } catch (error) {
    if (error instanceof ReportRequestError) throw new ResponseError(ErrorCodes.InvalidParams, error.message);
    logError('finding the network under the cursor', error);
    throw new ResponseError(ErrorCodes.InternalError, 'networks at: internal error (see the InitWise output log)');
  }
}
