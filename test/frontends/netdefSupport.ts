/**
 * Helpers shared by the .netdef frontend tests: parse, pick findings and layers, apply
 * fix edits.
 */
import * as assert from 'node:assert/strict';
import type { Finding, TextEdit } from '../../server/src/core/findings';
import type { Network, WeightLayer } from '../../server/src/core/ir';
import { parseNetdef } from '../../server/src/core/frontends/netdef/parse';
import type { FrontendResult } from '../../server/src/core/frontends/types';

export { parseNetdef };

/** A one-network file: `input` then the body lines. */
export function wrap(body: string, options: { framework?: string; input?: string } = {}): string {
  const framework = options.framework ? ` framework=${options.framework}` : '';
  return `network t${framework} {\n  input ${options.input ?? '64'}\n${body}\n}\n`;
}

/** Parses and asserts the file produced no findings at all. */
export function clean(text: string): FrontendResult {
  const result = parseNetdef(text);
  assert.deepEqual(result.findings.map((f) => describe(f, text)), [], 'expected no findings');
  return result;
}

/** The only network of a file that must parse cleanly. */
export function network(text: string): Network {
  const result = clean(text);
  assert.equal(result.networks.length, 1);
  return result.networks[0]!;
}

/** The weight layers of a clean one-network file. */
export function layers(text: string): readonly WeightLayer[] {
  return network(text).layers;
}

/** The single weight layer of `wrap(line, options)`. */
export function layer(line: string, options: { framework?: string; input?: string } = {}): WeightLayer {
  const all = layers(wrap(`  ${line}`, options));
  assert.equal(all.length, 1);
  return all[0]!;
}

/** `IW001 'text at span': message`, for readable assertion failures. */
export function describe(finding: Finding, text?: string): string {
  const at = text === undefined ? `${finding.span.start}-${finding.span.end}` : `'${text.slice(finding.span.start, finding.span.end)}'`;
  return `${finding.code} ${at}: ${finding.message}`;
}

/** The findings of a file as [code, spanned text] pairs, in order. */
export function located(text: string): [string, string][] {
  return parseNetdef(text).findings.map((f) => [f.code, text.slice(f.span.start, f.span.end)]);
}

/** The one finding of a file (asserting there is exactly one). */
export function onlyFinding(text: string): Finding {
  const { findings } = parseNetdef(text);
  assert.equal(findings.length, 1, `expected one finding, got:\n${findings.map((f) => describe(f, text)).join('\n')}`);
  return findings[0]!;
}

/** Applies non-overlapping edits (as a client would). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.span.start - a.span.start);
  let out = text;
  for (const edit of sorted) out = out.slice(0, edit.span.start) + edit.newText + out.slice(edit.span.end);
  return out;
}

/** Asserts a text has no IW001 (it reads as valid netdef). */
export function assertParses(text: string): void {
  const syntax = parseNetdef(text).findings.filter((f) => f.code === 'IW001');
  assert.deepEqual(syntax.map((f) => describe(f, text)), [], `expected valid netdef:\n${text}`);
}
