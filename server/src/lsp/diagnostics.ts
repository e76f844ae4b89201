/**
 * Findings -> LSP diagnostics. Each diagnostic carries its fixes and the document
 * version they were computed for in `data`, which is all codeActions.ts needs.
 */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../core/findings';
import type { LineIndex } from '../core/text';
import { DIAGNOSTIC_SOURCE, ruleDocsUrl, type DiagnosticData } from '../protocol';
import { textDocumentMap, toWireEdits, type DocumentMap } from './documentMap';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(finding: Finding, uri: string, version: number, index: LineIndex): Diagnostic {
  return toLocatedDiagnostic(finding, version, textDocumentMap(uri, index))!.diagnostic;
}

/**
 * The diagnostic and the document it is published on (a notebook's finding goes to its
 * cell); undefined when the finding's span does not lie in one document. A fix with an
 * edit that cannot be placed is left out, never sent in part.
 */
export function toLocatedDiagnostic(finding: Finding, version: number, map: DocumentMap): { uri: string; diagnostic: Diagnostic } | undefined {
  const located = map.location(finding.span);
  if (!located) return undefined;
  const { uri } = located;
  const data: DiagnosticData = {
    version,
    fixes: finding.fixes.flatMap((fix) => {
      const edits = toWireEdits(map, uri, fix.edits);
      return edits ? [{ title: fix.title, applicability: fix.applicability, edits }] : [];
    }),
  };
  // A related location in another file (a layer of an imported block) is left out: its range needs that file's text.
  const relatedInformation: DiagnosticRelatedInformation[] = finding.related.flatMap((related) => {
    if (related.path !== undefined) return [];
    const location = map.location(related.span);
    return location ? [{ location: { uri: location.uri, range: location.range }, message: related.message }] : [];
  });
  const diagnostic: Diagnostic = {
    range: located.range,
    severity: SEVERITY[finding.severity],
    code: finding.code,
    codeDescription: { href: ruleDocsUrl(finding.code) },
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    ...(relatedInformation.length > 0 ? { relatedInformation } : {}),
    data,
  };
  return { uri, diagnostic };
}
