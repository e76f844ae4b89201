/**
 * The one helper every rule test goes through: a fixture file with its expectations
 * written inline, under the offending line, as comments:
 *
 *   dense 512 activation=relu init=glorot_uniform
 *   #                              ^^^^^^^^^^^^^^ IW101
 *
 * The caret line refers to the nearest line above it that is not itself an expectation.
 */
import type { LanguageId } from '../../server/src/core/frontends/types';
import { DEFAULT_SETTINGS, type Settings } from '../../server/src/core/settings';
import { LineIndex } from '../../server/src/core/text';
import type { Finding } from '../../server/src/core/findings';

const EXPECTATION = /^\s*#(\s*)(\^+)\s+(IW\d{3})\s*$/;

export interface Expectation {
  /** 0-based line and UTF-16 columns of the expected range. */
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly code: string;
}

export function readExpectations(text: string): Expectation[] {
  const lines = text.split(/\r?\n/);
  const out: Expectation[] = [];
  let target = -1;
  lines.forEach((line, i) => {
    const m = EXPECTATION.exec(line);
    if (!m) {
      target = i;
      return;
    }
    const start = line.indexOf('^');
    out.push({ line: target, start, end: start + m[2]!.length, code: m[3]! });
  });
  return out;
}

export function expectationKey(e: Expectation): string {
  return `${e.line + 1}:${e.start}-${e.end} ${e.code}`;
}

/** Findings in the same form as expectations (single-line ranges; a multi-line one is shown as such). */
export function findingKeys(text: string, findings: readonly Finding[]): string[] {
  const index = new LineIndex(text);
  return findings.map((f) => {
    const a = index.positionAt(f.span.start);
    const b = index.positionAt(f.span.end);
    const end = a.line === b.line ? b.character : `L${b.line + 1}:${b.character}`;
    return `${a.line + 1}:${a.character}-${end} ${f.code}`;
  });
}

/**
 * A fixture's settings: the defaults, and `keras-version` when a whole-line comment says
 * `# fixture keras-version: 2.15` (MultiHeadAttention's fans depend on it; docs/configuration.md).
 */
export function fixtureSettings(text: string): Settings {
  const version = /^# fixture keras-version: (\S+)$/m.exec(text)?.[1];
  return version === undefined ? DEFAULT_SETTINGS : { ...DEFAULT_SETTINGS, kerasVersion: version };
}

export function languageOf(file: string): LanguageId {
  return file.endsWith('.py') ? 'python' : 'netdef';
}
