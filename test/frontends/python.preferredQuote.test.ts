/**
 * The quote a fix writes in strings (moduleContext.ts preferredQuote) is counted by a scan
 * for `=` since issue 16 (two look-behind regexes over the whole source took ~4% of an
 * analysis of the 3,500-line benchmark file). The scan must count exactly what the regexes
 * counted: checked here on every Python fixture and example and on the edge cases of the
 * look-behind (`==`, `!=`, `<=`, `>=`, `=` at the very start and end, whitespace and newlines
 * between `=` and the quote).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { preferredQuote } from '../../server/src/core/frontends/python/interpreter/moduleContext';
import { pythonFiles } from '../support/python';

/** The regexes the scan replaced. */
function byRegex(text: string): string {
  const single = text.match(/(?<![=!<>])=\s*'/g)?.length ?? 0;
  const double = text.match(/(?<![=!<>])=\s*"/g)?.length ?? 0;
  return single > double ? "'" : '"';
}

const root = path.resolve(__dirname, '..', '..');

describe('Python: the quote a fix writes', () => {
  it('is the one the regexes picked, on every fixture and example', () => {
    const files = [...pythonFiles(path.join(root, 'test', 'fixtures')), ...pythonFiles(path.join(root, 'examples'))];
    assert.ok(files.length >= 40);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      assert.equal(preferredQuote(text), byRegex(text), file);
    }
  });

  it('counts as the look-behind did at its edges', () => {
    const cases = [
      "='a'", "x='a'", 'x == "a" and y = \'b\'', "a != 'x'\nb = \"y\"", "a <= 'x' or b >= 'y'\nc = \"z\"",
      "f(a='x', b = \t\n 'y', c=\"z\")", "a = \u00a0'x'\nb = \"y\"", "a ='", 'a = "', '=', '', "a=b='x'", "x = = 'y'",
      "if __name__ == '__main__':\n    f(a=\"b\")", "d = {'k': 'v'}\ne = \"w\"",
    ];
    for (const text of cases) assert.equal(preferredQuote(text), byRegex(text), JSON.stringify(text));
    // Counts, not just the first: two single against one double.
    assert.equal(preferredQuote("a='x'\nb='y'\nc=\"z\""), "'");
    assert.equal(preferredQuote("a='x'\nb=\"y\"\nc=\"z\""), '"');
  });
});
