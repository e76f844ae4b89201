/**
 * Rule fixtures (test/fixtures/rules/IWxxx/*.netdef): every finding must be expected
 * inline and every expectation found. Then every fix offered is applied: the file still
 * parses, the finding is gone and no new finding appears. The harness also holds the
 * rule metadata to the truth (fixable, titles, fixtures for every rule).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { applyEdits } from '../../server/src/core/fixes/applyEdits';
import type { TextEdit } from '../../server/src/core/findings';
import { RULES, ruleByCode } from '../../server/src/core/rules/registry';
import { LineIndex } from '../../server/src/core/text';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { expectationKey, findingKeys, fixtureSettings, languageOf, readExpectations } from '../support/fixtures';
import { pythonSupport, pythonSyntaxErrors } from '../support/python';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'rules');

function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const dir of fs.readdirSync(FIXTURES).sort()) {
    for (const file of fs.readdirSync(path.join(FIXTURES, dir)).sort()) out.push(path.join(FIXTURES, dir, file));
  }
  return out;
}

function codeLines(text: string, findings: ReturnType<typeof analyze>['findings'], shift: (offset: number) => number = (o) => o): string[] {
  const index = new LineIndex(text);
  return findings.map((f) => `${f.code}@${index.positionAt(shift(f.span.start)).line}`).sort();
}

/** Where an offset of the original text lands after the edits (a fix that inserts a line moves what follows). */
function shiftThrough(edits: readonly TextEdit[]): (offset: number) => number {
  return (offset) => offset + edits.filter((e) => e.span.end <= offset).reduce((d, e) => d + e.newText.length - (e.span.end - e.span.start), 0);
}

describe('rule fixtures', () => {
  let python: PythonSupport | undefined;
  before(async () => {
    python = await pythonSupport();
  });

  for (const file of fixtureFiles()) {
    const name = path.relative(FIXTURES, file);
    describe(name, () => {
      const text = fs.readFileSync(file, 'utf8');
      let result: ReturnType<typeof analyze>;
      const settings = fixtureSettings(text);
      before(() => {
        result = analyze({ text, languageId: languageOf(file), python }, settings);
      });

      it('reports exactly the inline expectations', () => {
        const expected = readExpectations(text).map(expectationKey).sort();
        const actual = findingKeys(text, result.findings).sort();
        assert.deepEqual(actual, expected, result.findings.map((f) => `${f.code}: ${f.message}`).join('\n'));
      });

      it('offers fixes that apply cleanly, remove their finding and add nothing', () => {
        for (const finding of result.findings) {
          const meta = ruleByCode(finding.code)!.meta;
          // "Suppress IWxxx on this line" (display-only) comes with every suppressible finding; it fixes no design.
          if (meta.fixable === 'never') assert.equal(finding.fixes.filter((f) => f.applicability !== 'display-only').length, 0, `${finding.code} says it is never fixable`);
          if (meta.fixable === 'always') assert.ok(finding.fixes.length > 0, `${finding.code} says it is always fixable`);
          for (const fix of finding.fixes) {
            assert.ok(fix.title.length > 0, 'every fix has a title');
            const fixed = applyEdits(text, fix.edits);
            assert.ok(fixed !== undefined, `${fix.title}: edits overlap`);
            const after = analyze({ text: fixed, languageId: languageOf(file), python }, settings);
            assert.deepEqual(after.findings.filter((f) => f.code === 'IW001').map((f) => f.message), [], `${fix.title} broke the file`);
            if (languageOf(file) === 'python') assert.deepEqual(pythonSyntaxErrors(python!, fixed), [], `${fix.title} left a Python syntax error`);
            const remaining = codeLines(fixed, after.findings);
            const shift = shiftThrough(fix.edits);
            const before = codeLines(fixed, result.findings, shift);
            const line = new LineIndex(fixed).positionAt(shift(finding.span.start)).line;
            assert.ok(!remaining.includes(`${finding.code}@${line}`), `${fix.title} did not remove ${finding.code} on line ${line + 1}`);
            const added = remaining.filter((k) => !before.includes(k));
            assert.deepEqual(added, [], `${fix.title} introduced new findings`);
          }
        }
      });
    });
  }

  it('every rule that checks has a fixture that fires and one that stays clean', () => {
    for (const rule of RULES.filter((r) => r.check)) {
      const dir = path.join(FIXTURES, rule.meta.code);
      assert.ok(fs.existsSync(dir), `no fixtures for ${rule.meta.code}`);
      const files = fs.readdirSync(dir);
      const fires = files.some((f) => readExpectations(fs.readFileSync(path.join(dir, f), 'utf8')).some((e) => e.code === rule.meta.code));
      assert.ok(fires, `${rule.meta.code}: no fixture expects it to fire`);
      assert.ok(files.some((f) => f.startsWith('clean')), `${rule.meta.code}: no clean fixture`);
    }
  });
});
