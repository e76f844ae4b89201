/**
 * The .netdef frontend's entry point: source text in, every network that can be read
 * out, with IW001/IW002 findings for what cannot. It never throws.
 */
import type { Finding } from '../../findings';
import type { Network } from '../../ir';
import { LineIndex, type Span } from '../../text';
import type { FrontendResult } from '../types';
import { Diagnostics } from './diagnostics';
import { netdefDropoutFixes } from './fixBuilder';
import { FileLowering } from './lower';
import { parseSyntaxSteps, type SyntaxProblem } from './parser';
import { AnalysisCancelled } from '../../cancellation';
import { runToEnd, type Steps } from '../../steps';

/**
 * `onNetwork`: each network is handed over as soon as it is read and lowered, and not kept
 * (the result's `networks` is empty): analyze() judges it at once, so a caller that does not
 * keep networks holds one network at a time (issue 12: a 20 MB file took 1.8 GB).
 */
export function parseNetdef(text: string, onNetwork?: OnNetdefNetwork): FrontendResult {
  return runToEnd(parseNetdefSteps(text, onNetwork));
}

/**
 * A network read, with the frontend's findings so far (syntax, IW002; the result's
 * `findings` ends with the same list) and the offset the text is read to: no finding the
 * frontend or the rules report later starts before it (analyze() streams findings on it).
 */
export type OnNetdefNetwork = (network: Network, progress: NetdefProgress) => void;

export interface NetdefProgress {
  readonly findings: readonly Finding[];
  readonly readTo: number;
  /** The network's text: its header to its closing brace (to `readTo` when that is missing). */
  readonly extent: Span;
}

/** parseNetdef in steps: a yield after each network is handed to `onNetwork` (core/steps.ts). */
export function* parseNetdefSteps(text: string, onNetwork?: OnNetdefNetwork): Steps<FrontendResult> {
  const dropoutFixes = netdefDropoutFixes(text);
  try {
    const diags = new Diagnostics();
    const lines = new LineIndex(text);
    const lowering = new FileLowering(text, lines, diags);
    const networks: Network[] = [];
    let reported = 0;
    // Problems become findings before the network they belong to is lowered, as a whole-file parse would order them.
    const report = (problems: readonly SyntaxProblem[]) => {
      for (; reported < problems.length; reported++) diags.syntax(problems[reported]!.span, problems[reported]!.message);
    };
    const { problems } = yield* parseSyntaxSteps(text, {
      lines,
      onNetwork: (statement, problemsSoFar, readTo) => {
        report(problemsSoFar);
        const network = lowering.lower(statement);
        if (onNetwork) onNetwork(network, { findings: diags.findings, readTo, extent: { start: statement.span.start, end: statement.block?.close?.end ?? readTo } });
        else networks.push(network);
      },
    });
    report(problems);
    return { networks, findings: diags.findings, dropoutFixes };
  } catch (error) {
    // Cancellation (analyze()'s judge checks the signal) is the host's, not a bug of this frontend.
    if (error instanceof AnalysisCancelled) throw error;
    // A bug in this frontend must cost one file its analysis, never the whole server.
    // The fuzz tests assert this branch is never taken.
    const internal: Finding = {
      code: 'IW001',
      severity: 'error',
      span: { start: 0, end: 0 },
      message: `internal error while reading this file (please report it): ${error instanceof Error ? error.message : String(error)}`,
      fixes: [],
      related: [],
    };
    return { networks: [], findings: [internal], dropoutFixes };
  }
}
