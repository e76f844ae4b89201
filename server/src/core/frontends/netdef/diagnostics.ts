/**
 * Collects the frontend's findings: IW001 (the text cannot be read as written) and
 * IW002 (a name the engine does not know). A statement inside `repeat 20 { … }` is
 * lowered twenty times but reported once: findings are keyed by code and span, and a
 * message is only composed (did-you-mean is the costly part) when the key is new.
 */
import type { Fix, Finding } from '../../findings';
import type { Span } from '../../text';

/** A message, optionally with fixes. */
export type Content = string | { readonly message: string; readonly fixes?: readonly Fix[] };

export class Diagnostics {
  private readonly seen = new Set<string>();
  readonly findings: Finding[] = [];

  /** IW001: a syntax or structure error, with what was expected. */
  syntax(span: Span, content: Content | (() => Content)): void {
    this.add('IW001', 'error', span, content);
  }

  /** IW002: an unknown activation, initializer or nonlinearity name. */
  unknownName(span: Span, content: Content | (() => Content)): void {
    this.add('IW002', 'warning', span, content);
  }

  private add(code: string, severity: Finding['severity'], span: Span, content: Content | (() => Content)): void {
    const key = `${code}:${span.start}:${span.end}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const resolved = typeof content === 'function' ? content() : content;
    const { message, fixes = [] } = typeof resolved === 'string' ? { message: resolved } : resolved;
    this.findings.push({ code, severity, span, message, fixes, related: [] });
  }
}

/** The quick fix that replaces a misspelt name with the suggestion (unsafe: it changes meaning). */
export function replaceNameFix(span: Span, replacement: string): Fix {
  return { title: `Replace with '${replacement}'`, applicability: 'unsafe', edits: [{ span, newText: replacement }] };
}
