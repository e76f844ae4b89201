/**
 * Two regular expressions of the Python frontend have hand-written scans in their place on
 * the hot path (issue 16: each cost ~1% of a from-scratch analysis of the benchmark file):
 * `hasWholeLineComment` (syntax/parserText.ts) for `/^[ \t\f]*#/m`, and `plainDottedAscii`
 * (syntax/syntax.ts) for dottedName's Unicode identifier pattern on ASCII text. Each must
 * answer exactly as its expression does: checked here on fixed cases and on random strings
 * over the characters that decide (line terminators, blanks, `#`, dots, digits, a non-ASCII
 * letter).
 */
import * as assert from 'node:assert/strict';
import { hasWholeLineComment } from '../../server/src/core/frontends/python/syntax/parserText';
import { plainDottedAscii } from '../../server/src/core/frontends/python/syntax/syntax';

const WHOLE_LINE_COMMENT = /^[ \t\f]*#/m;
const PLAIN_DOTTED = /^[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*$/u;

/** Deterministic strings of up to `maxLength` characters drawn from `alphabet` (xorshift). */
function* randomStrings(alphabet: string, count: number, maxLength: number): Generator<string> {
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  for (let n = 0; n < count; n++) {
    const length = Math.floor(next() * (maxLength + 1));
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(next() * alphabet.length)];
    yield text;
  }
}

describe('Python frontend: hand-written text scans answer as their regular expressions', () => {
  it('hasWholeLineComment is /^[ \\t\\f]*#/m', () => {
    const fixed = ['', '#', '  # x', 'x = 1  # trailing', 'x\n# c', 'x\r\n\t# c', 'x\r# c', 'a\u2028# c', 'a\u2029 #', '\f#', 'x\n  y # z', '\n\n'];
    for (const text of fixed) assert.equal(hasWholeLineComment(text), WHOLE_LINE_COMMENT.test(text), JSON.stringify(text));
    for (const text of randomStrings(' \t\f#a\n\r\u2028\u2029x\u00a0', 100_000, 8)) {
      assert.equal(hasWholeLineComment(text), WHOLE_LINE_COMMENT.test(text), JSON.stringify(text));
    }
  });

  it('plainDottedAscii is the dotted-name pattern on ASCII text, and defers on any other', () => {
    const fixed = ['', '.', 'a', 'a.', '.a', 'a..b', 'self.fc1', '_x.y_2', '1a', 'a.1b', 'nn.init.kaiming_normal_', 'a b', 'a[0]', 'a(1)'];
    for (const text of fixed) assert.equal(plainDottedAscii(text), PLAIN_DOTTED.test(text), JSON.stringify(text));
    assert.equal(plainDottedAscii('poids.\u00e9chelle'), undefined);
    for (const text of randomStrings('aZ_9. (\n\u00e9', 100_000, 7)) {
      assert.equal(plainDottedAscii(text) ?? PLAIN_DOTTED.test(text), PLAIN_DOTTED.test(text), JSON.stringify(text));
    }
  });
});
