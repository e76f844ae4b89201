/**
 * Analysis settings: the same shape for the CLI (flags, config files) and the server
 * (VS Code settings). Pure data; hosts merge their sources into one of these.
 */
import type { Severity } from './findings';

export type RuleSeverity = Severity | 'off';

export interface Settings {
  /** Per-rule severity overrides, e.g. { IW301: 'off', IW101: 'error' }. */
  readonly severity: Readonly<Record<string, RuleSeverity>>;
  /**
   * IW201–IW204 band: the depth-caused drift of the signal may shrink or grow by at
   * most this factor before a finding (spec/rules.md: default 100× either way).
   */
  readonly band: number;
  /**
   * Which simulation feeds the per-layer numbers and IW201–IW204: the analytic mean field
   * (default, instant) or Monte-Carlo at the real widths (on demand; hosts run it off the
   * main thread).
   */
  readonly simulation: 'analytic' | 'montecarlo';
  /** Rule codes or prefixes to run (empty: all); `ignore` wins over `select`. */
  readonly select: readonly string[];
  readonly ignore: readonly string[];
  /**
   * The Keras version the project runs ("3.15", "2.15.1"): it decides the fans Keras gives
   * MultiHeadAttention's 3-D kernels (keras-team/keras#22789, frameworks/kerasVersion.ts).
   * Absent: read from the project's pinned requirement, else those layers' fan-scaled inits are unknown.
   */
  readonly kerasVersion?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  severity: {},
  band: 100,
  simulation: 'analytic',
  select: [],
  ignore: [],
};

/** Is a rule enabled under select/ignore? Codes match exactly or by prefix (`IW1` selects IW1xx). */
export function ruleEnabled(settings: Settings, code: string): boolean {
  if (settings.severity[code] === 'off') return false;
  const matches = (pattern: string) => code.startsWith(pattern.trim().toUpperCase());
  if (settings.ignore.some(matches)) return false;
  return settings.select.length === 0 || settings.select.some(matches);
}
