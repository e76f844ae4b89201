/**
 * The whole-identifier scan of the pre-pass, the users-first class order and the component
 * classes (syntax/nameMentions.ts) finds exactly what the Unicode regular expression it
 * replaced found: `(?<![\p{L}\p{N}_])(?:names)(?![\p{L}\p{N}_])` with the 'u' flag (with `.`
 * also excluded before a mention for the component classes). Compared on hand-picked edge
 * cases (names inside longer words, a short name that is a prefix of a long one, non-ASCII
 * letters and digits, astral characters and lone surrogates on either side, a dot before)
 * and on random texts over an alphabet made of those pieces.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NameMentions } from '../../server/src/core/frontends/python/syntax/nameMentions';
import { pythonFiles } from '../support/python';

/** The matches of the regular expression NameMentions replaced, as [name, index] pairs. */
function byRegExp(names: readonly string[], text: string, notAfter = ''): [string, number][] {
  const cleaned = [...new Set(names.map((n) => n.replace(/[^\p{L}\p{N}_]/gu, '')).filter((n) => n.length > 0))].sort((a, b) => b.length - a.length);
  if (cleaned.length === 0) return [];
  const extra = notAfter.replace(/[\\\]^-]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_${extra}])(?:${cleaned.join('|')})(?![\\p{L}\\p{N}_])`, 'gu');
  return [...text.matchAll(pattern)].map((m) => [m[0], m.index]);
}

function byScan(names: readonly string[], text: string, notAfter = ''): [string, number][] {
  return [...new NameMentions(names, notAfter).all(text)].map((m) => [m.name, m.index]);
}

const NAMES = ['nn', 'F', 'Foo', 'FooBar', 'Bär', 'x𝔘', 'torch.nn', 'Net2', '_'];

/** Pieces texts are made of: names, their neighbours, separators, non-ASCII letters and digits, astral letters, lone surrogates. */
const PIECES = ['nn', 'F', 'Foo', 'Bar', 'Bär', 'x', '𝔘', '2', '٣', 'é', '_', '.', ' ', '(', ')', '\n', '·', '—', '\ud835', '\udd18', '😀', 'torch', 'Net', '"'];

describe('Python: whole-identifier mentions of names (the pre-pass scan)', () => {
  const cases: [string, string][] = [
    ['F(x) + Foo(y)', ''],
    ['FooBarBaz FooBar Foo_ F2 xF Fé éF F٣ ٣F', ''],
    ['self.nn = nn.Linear; a.Foo Foo.a', '.'],
    ['Bär Bärx xBär ·Bär· —Foo—', ''],
    ['x𝔘 x𝔘𝔘 𝔘x𝔘 x𝔘2', ''],
    ['\ud835Foo Foo\udd18 😀Foo Foo😀', ''],
    ['torchnn torch.nn torch nn', ''],
    ['_ __ _F F_ Net2 Net22', ''],
    ['', ''],
  ];
  for (const [text, notAfter] of cases) {
    it(`finds what the regular expression found in ${JSON.stringify(text)}${notAfter ? ` (not after ${notAfter})` : ''}`, () => {
      assert.deepEqual(byScan(NAMES, text, notAfter), byRegExp(NAMES, text, notAfter));
    });
  }

  it('finds what the regular expression found in 3,000 random texts', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const length = Math.floor(random() * 30);
      for (let j = 0; j < length; j++) text += PIECES[Math.floor(random() * PIECES.length)]!;
      const names = NAMES.filter(() => random() < 0.5);
      const notAfter = random() < 0.5 ? '.' : '';
      assert.deepEqual(byScan(names, text, notAfter), byRegExp(names, text, notAfter), JSON.stringify({ text, names, notAfter }));
    }
  });

  it('finds what the regular expression found in every Python fixture, for the names it defines and imports', () => {
    const root = path.resolve(__dirname, '..', '..');
    const files = pythonFiles(path.join(root, 'test', 'fixtures'));
    assert.ok(files.length >= 40);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const names = [...text.matchAll(/(?:class|def|import|as)\s+([\p{L}_][\p{L}\p{N}_]*)/gu)].map((m) => m[1]!);
      assert.deepEqual(byScan(names, text), byRegExp(names, text), file);
      assert.deepEqual(byScan(names, text, '.'), byRegExp(names, text, '.'), file);
    }
  });

  it('says whether a text mentions any name, and nothing for no names', () => {
    assert.equal(new NameMentions(['Net']).inText('model = Net()'), true);
    assert.equal(new NameMentions(['Net']).inText('model = Network()'), false);
    assert.equal(new NameMentions([]).inText('Net'), false);
    assert.equal(new NameMentions(['...']).inText('...'), false);
  });
});
