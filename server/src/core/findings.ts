/**
 * What the engine reports: findings with their fixes, as plain data. Hosts render
 * them (LSP diagnostics, CLI text/json); a finding carries everything its fixes need
 * so code actions are stateless.
 */
import type { Span } from './text';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/**
 * Ruff's applicability levels: only `safe` fixes are applied by fix-all / fix-on-save and
 * `--fix`; `unsafe` ones also with `--unsafe-fixes`; `display-only` ones (suppressions)
 * are only ever offered one at a time.
 */
export type Applicability = 'safe' | 'unsafe' | 'display-only';

export interface TextEdit {
  readonly span: Span;
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  readonly applicability: Applicability;
  readonly edits: readonly TextEdit[];
}

export interface RelatedInformation {
  readonly span: Span;
  /** Set when the location is in another file than the finding (a model's layer in an imported module, or the reverse). */
  readonly path?: string;
  readonly message: string;
}

export interface Finding {
  /** Rule code, IW001..IW901. */
  readonly code: string;
  readonly severity: Severity;
  readonly span: Span;
  readonly message: string;
  readonly fixes: readonly Fix[];
  readonly related: readonly RelatedInformation[];
}
