/**
 * Findings -> LSP diagnostics. Each diagnostic carries its fixes and the document
 * version they were computed for in `data`, which is all codeActions.ts needs.
 */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver/node';
import type { Finding, Severity } from '../core/findings';
import type { LineIndex } from '../core/text';
import { DIAGNOSTIC_SOURCE, ruleDocsUrl, type DiagnosticData } from '../protocol';
import { toRange, toTextEdit } from './convert';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toDiagnostic(finding: Finding, uri: string, version: number, index: LineIndex): Diagnostic {
  const data: DiagnosticData = {
    version,
    fixes: finding.fixes.map((fix) => ({
      title: fix.title,
      applicability: fix.applicability,
      edits: fix.edits.map((edit) => toTextEdit(index, edit)),
    })),
  };
  // A related location in another file (a layer of an imported block) is left out: its range needs that file's text.
  const relatedInformation: DiagnosticRelatedInformation[] = finding.related.filter((related) => related.path === undefined).map((related) => ({
    location: { uri, range: toRange(index, related.span) },
    message: related.message,
  }));
  return {
    range: toRange(index, finding.span),
    severity: SEVERITY[finding.severity],
    code: finding.code,
    codeDescription: { href: ruleDocsUrl(finding.code) },
    source: DIAGNOSTIC_SOURCE,
    message: finding.message,
    ...(relatedInformation.length > 0 ? { relatedInformation } : {}),
    data,
  };
}
