import * as assert from 'node:assert/strict';
import { lex } from '../../server/src/core/frontends/netdef/lexer';

function kinds(text: string): string[] {
  return lex(text).map((t) => (t.kind === 'ident' || t.kind === 'number' || t.kind === 'dims' || t.kind === 'bad' || t.kind === 'string' ? `${t.kind}:${t.text}` : t.kind));
}

describe('netdef lexer', () => {
  it('reads names, numbers, shapes and punctuation, dropping blanks and comments', () => {
    assert.deepEqual(kinds('dense 64 activation=relu # a comment\n'), [
      'ident:dense', 'number:64', 'ident:activation', 'equals', 'ident:relu', 'newline', 'eof',
    ]);
    assert.deepEqual(kinds('input 3x32x32'), ['ident:input', 'dims:3x32x32', 'eof']);
    assert.deepEqual(kinds('kernel=3X3'), ['ident:kernel', 'equals', 'dims:3X3', 'eof']);
    assert.deepEqual(kinds('f(a=1, 2) { }'), ['ident:f', 'lparen', 'ident:a', 'equals', 'number:1', 'comma', 'number:2', 'rparen', 'lbrace', 'rbrace', 'eof']);
    assert.deepEqual(kinds('-1+2*3/4'), ['minus', 'number:1', 'plus', 'number:2', 'star', 'number:3', 'slash', 'number:4', 'eof']);
  });

  it('reads floats and scientific notation', () => {
    assert.deepEqual(kinds('0.5 .25 1. 1e-3 2.5E+4 7e2'), ['number:0.5', 'number:.25', 'number:1.', 'number:1e-3', 'number:2.5E+4', 'number:7e2', 'eof']);
    assert.deepEqual(kinds('5-3'), ['number:5', 'minus', 'number:3', 'eof']);
  });

  it('turns malformed numbers and shapes into one bad token each, with the reason', () => {
    const [shape] = lex('3x');
    assert.equal(shape!.kind, 'bad');
    assert.match(shape!.problem!, /malformed shape '3x'/);
    const [number] = lex('1.2.3');
    assert.equal(number!.kind, 'bad');
    assert.match(number!.problem!, /malformed number '1\.2\.3'/);
    const [exponent] = lex('1e');
    assert.equal(exponent!.kind, 'bad');
  });

  it('groups unknown characters into one bad token and quotes at most 40 of them', () => {
    assert.deepEqual(kinds('dense @@@ 3'), ['ident:dense', 'bad:@@@', 'number:3', 'eof']);
    const long = lex('§'.repeat(500))[0]!;
    assert.equal(long.kind, 'bad');
    assert.equal(long.end, 500);
    assert.ok(long.problem!.length < 60);
    const emoji = lex('😀')[0]!;
    assert.equal(emoji.kind, 'bad');
    assert.equal(emoji.end, 2); // UTF-16 code units
  });

  it('reads quoted text (so the parser can say "drop the quotes") and flags unterminated quotes', () => {
    assert.deepEqual(kinds("'relu' \"tanh\""), ['string:relu', 'string:tanh', 'eof']);
    const bad = lex("'relu\nx")[0]!;
    assert.equal(bad.kind, 'bad');
    assert.match(bad.problem!, /unterminated/);
  });

  it('treats \\n, \\r\\n and \\r as line breaks and keeps UTF-16 offsets', () => {
    const tokens = lex('a\r\nb\rc\nd');
    assert.deepEqual(tokens.map((t) => t.kind), ['ident', 'newline', 'ident', 'newline', 'ident', 'newline', 'ident', 'eof']);
    assert.deepEqual(tokens.map((t) => t.start), [0, 1, 3, 4, 5, 6, 7, 8]);
  });

  it('ignores a byte-order mark and non-breaking spaces', () => {
    assert.deepEqual(kinds('\ufeffdense\u00a064'), ['ident:dense', 'number:64', 'eof']);
  });
});
