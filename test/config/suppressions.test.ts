/**
 * Suppression comments (core/suppressions.ts) through analyze(), on the fixtures in
 * test/fixtures/suppressions: what is silenced, what IW901 reports, and that both the
 * "Suppress IWxxx on this line" fix and IW901's removal fix leave a file that reports
 * exactly what the user expects.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import type { Finding } from '../../server/src/core/findings';
import { applyEdits } from '../../server/src/core/fixes/applyEdits';
import { selectFixes } from '../../server/src/core/fixes/selectFixes';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { parseSuppressions } from '../../server/src/core/suppressions';
import { LineIndex } from '../../server/src/core/text';
import { pythonSupport } from '../support/python';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'suppressions');
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** `IW101@3` with 1-based lines: what a user reads in the report. */
function codesByLine(text: string, findings: readonly Finding[]): string[] {
  const index = new LineIndex(text);
  return findings.map((f) => `${f.code}@${index.positionAt(f.span.start).line + 1}`);
}

const lint = (text: string, settings = DEFAULT_SETTINGS) => analyze({ text, languageId: 'netdef' }, settings).findings;

describe('suppression comments', () => {
  it('parses line, bare and file directives with the range of each code', () => {
    const text = 'a  # initwise: ignore[IW101, iw105]\n# initwise:ignore-file\nb # note # initwise: ignore\n';
    const parsed = parseSuppressions(text);
    assert.deepEqual(
      parsed.map((s) => ({ scope: s.scope, line: s.line, codes: s.codes?.map((c) => `${c.code}:${text.slice(c.span.start, c.span.end)}`) })),
      [
        { scope: 'line', line: 0, codes: ['IW101:IW101', 'IW105:iw105'] },
        { scope: 'file', line: 1, codes: undefined },
        { scope: 'line', line: 2, codes: undefined },
      ],
    );
    assert.equal(text.slice(parsed[0]!.span.start, parsed[0]!.span.end), '# initwise: ignore[IW101, iw105]');
    // An unclosed list is no directive: read as a bare `ignore`, it would silence the whole line.
    assert.deepEqual(parseSuppressions('dense 8  # initwise: ignore[IW101\n'), []);
  });

  it('silences the listed codes on their line; an unused one is IW901 on the comment', () => {
    const text = read('line.netdef');
    const findings = lint(text);
    // Lines 3–5 are silenced; line 6 (he_normal) is clean, so its ignore[IW101] is unused. The linear head's
    // default init suits it (no IW301).
    assert.deepEqual(codesByLine(text, findings), ['IW901@6']);
    const iw901 = findings[0]!;
    assert.equal(text.slice(iw901.span.start, iw901.span.end), '# initwise: ignore[IW101]');
    assert.equal(iw901.message, 'Unused suppression: IW101 is not reported on this line.');
  });

  it('ignore-file silences a code everywhere in the file, and nothing else', () => {
    const text = read('file.netdef');
    assert.deepEqual(codesByLine(text, lint(text)), ['IW101@6']);
  });

  it('does not report codes of rules the settings turn off, but does report unknown codes', () => {
    const text = 'network n framework=keras {\n  input 8\n  dense 8 activation=relu init=he_normal  # initwise: ignore[IW101, IW777]\n}\n';
    const all = lint(text);
    assert.deepEqual(all.map((f) => f.message), ['Unused suppression: IW101 is not reported on this line; `IW777` is not a rule code.']);
    const withoutIw101 = lint(text, { ...DEFAULT_SETTINGS, ignore: ['IW101'] });
    assert.deepEqual(withoutIw101.map((f) => f.message), ['Unused suppression: `IW777` is not a rule code.']);
    assert.deepEqual(lint(text, { ...DEFAULT_SETTINGS, ignore: ['IW9'] }), []);
  });

  it('never silences a syntax error (IW001)', () => {
    const text = 'network n {\n  input 8\n  dense 8 bogus  # initwise: ignore\n}\n';
    const findings = lint(text);
    assert.ok(findings.some((f) => f.code === 'IW001'));
    assert.ok(findings.some((f) => f.code === 'IW901'), 'the bare ignore silenced nothing');
  });

  it("IW901's safe fix removes only what does nothing, and leaves a clean file", () => {
    const text = read('line.netdef');
    const fixed = applyEdits(text, selectFixes(lint(text)).edits)!;
    assert.deepEqual(codesByLine(fixed, lint(fixed)), []);
    assert.match(fixed, /init=he_normal\n/);

    const partial = 'network n framework=keras {\n  input 8\n  dense 8 activation=relu init=glorot_uniform  # initwise: ignore[IW105, IW101]\n  dense 2 init=glorot_uniform\n}\n';
    const afterPartial = applyEdits(partial, selectFixes(lint(partial)).edits)!;
    assert.match(afterPartial, /# initwise: ignore\[IW101\]\n/);
    assert.deepEqual(lint(afterPartial), []);

    const alone = 'network n framework=keras {\n  input 8\n  # initwise: ignore-file[IW104]\n  dense 8 activation=relu init=he_normal\n}\n';
    assert.equal(applyEdits(alone, selectFixes(lint(alone)).edits), alone.replace('  # initwise: ignore-file[IW104]\n', ''));
  });

  it('offers "Suppress IWxxx on this line" on every finding except IW001, never in bulk', () => {
    const text = 'network n framework=pytorch {\n  input 8\n  dense 8 activation=relu init=normal(std=0.01)  # note\n  dense 8 activation=relu\n  dense 2 init=xavier_uniform\n}\n';
    const findings = lint(text);
    assert.deepEqual(codesByLine(text, findings), ['IW101@3', 'IW105@3', 'IW301@4']);
    for (const finding of findings) {
      const suppress = finding.fixes.find((fix) => fix.title === `Suppress ${finding.code} on this line`);
      assert.ok(suppress, `${finding.code} has a suppression fix`);
      assert.equal(suppress.applicability, 'display-only');
      const after = lint(applyEdits(text, suppress.edits)!);
      assert.ok(!codesByLine(text, after).includes(codesByLine(text, [finding])[0]!), `${finding.code} is gone`);
      assert.ok(!after.some((f) => f.code === 'IW901' || f.code === 'IW001'));
    }
    // A second code joins the existing list rather than adding a second comment.
    const once = applyEdits(text, findings[0]!.fixes.at(-1)!.edits)!;
    assert.match(once, /# note {2}# initwise: ignore\[IW101\]\n/);
    const twice = applyEdits(once, lint(once).find((f) => f.code === 'IW105')!.fixes.at(-1)!.edits)!;
    assert.match(twice, /# initwise: ignore\[IW101, IW105\]\n/);
    assert.deepEqual(codesByLine(twice, lint(twice)), ['IW301@4']);
    // Neither --fix nor --unsafe-fixes applies a suppression.
    assert.ok(selectFixes(findings, { unsafe: true }).fixes.every((fix) => fix.applicability !== 'display-only'));
  });

  it('works the same in Python files, and the suppression fix keeps them parseable', async () => {
    const python = await pythonSupport();
    const text = read('model.py');
    const lintPy = (source: string) => analyze({ text: source, languageId: 'python', python }).findings;
    const findings = lintPy(text);
    // fc1's IW301 is silenced; fc2 (Glorot under ReLU) is IW101 on the xavier line; fc3's default is IW301, and
    // its ignore[IW104] silences nothing (IW901); the file-wide IW105 suppression silences nothing either.
    assert.deepEqual(codesByLine(text, findings), ['IW901@1', 'IW301@11', 'IW901@11', 'IW101@13']);
    const iw101 = findings.find((f) => f.code === 'IW101')!;
    const suppressed = applyEdits(text, iw101.fixes.find((fix) => fix.applicability === 'display-only')!.edits)!;
    assert.match(suppressed, /nn\.init\.xavier_uniform_\(self\.fc2\.weight\) {2}# initwise: ignore\[IW101\]\n/);
    assert.deepEqual(codesByLine(suppressed, lintPy(suppressed)), ['IW901@1', 'IW301@11', 'IW901@11']);
    const cleaned = applyEdits(text, selectFixes(findings).edits)!;
    assert.ok(!lintPy(cleaned).some((f) => f.code === 'IW901' || f.code === 'IW001'));
  });
});
