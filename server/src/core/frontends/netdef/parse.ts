/**
 * The .netdef frontend's entry point: source text in, every network that can be read
 * out, with IW001/IW002 findings for what cannot. It never throws.
 */
import type { Finding } from '../../findings';
import type { FrontendResult } from '../types';
import { Diagnostics } from './diagnostics';
import { netdefDropoutFixes } from './fixBuilder';
import { lowerFile } from './lower';
import { parseSyntax } from './parser';

export function parseNetdef(text: string): FrontendResult {
  const dropoutFixes = netdefDropoutFixes(text);
  try {
    const { file, problems, lines } = parseSyntax(text);
    const diags = new Diagnostics();
    for (const problem of problems) diags.syntax(problem.span, problem.message);
    const networks = lowerFile(file, text, lines, diags);
    return { networks, findings: diags.findings, dropoutFixes };
  } catch (error) {
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
