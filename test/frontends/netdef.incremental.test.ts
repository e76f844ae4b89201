/**
 * Incremental analysis of `.netdef` documents (frontends/netdef/memory.ts, issue 16) must be
 * invisible: after every edit, analysing with the document's memory gives exactly what a fresh
 * analysis of the same text gives (findings with their fixes, networks with their spans,
 * simulations). Edits are random (seeded) and chained, as typing is, including ones that break
 * the syntax for a while, and undo. And it must pay: an edit inside one network leaves the
 * other networks' results as they were (the same objects, not computed again).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import { AnalysisMemory } from '../../server/src/core/memory';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { Random } from '../../server/src/core/simulation/prng';
import { generateNetdef } from '../../bench/generateNetdef';

const root = path.resolve(__dirname, '..', '..');

function netdefFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? netdefFiles(full) : entry.name.endsWith('.netdef') ? [full] : [];
  });
}

/** Everything a user sees, as plain data (fix builders are functions: their output is in the findings). */
function visible(result: AnalysisResult): string {
  return JSON.stringify({ findings: result.findings, networks: result.networks, simulations: result.simulations },
    (key, value: unknown) => (key === 'fixes' && !Array.isArray(value) ? undefined : value));
}

const INSERTS = ['1', '0', 'a', ' ', '\n', '{', '}', '(', ')', '=', ',', '#', '_', '\n  ', 'é', '\r\n', 'network n framework=pytorch {\n  input 8\n  dense 4 activation=relu\n}\n'];

function randomEdit(text: string, random: Random, history: string[]): string {
  const choice = random.nextUint32() % 10;
  const at = random.nextUint32() % (text.length + 1);
  if (choice === 0 && history.length > 1) return history[history.length - 2]!; // undo
  if (choice <= 3) {
    const digits = [...text.matchAll(/\d/g)];
    if (digits.length > 0) {
      const d = digits[random.nextUint32() % digits.length]!.index;
      return text.slice(0, d) + String((Number(text[d]) + 1) % 10) + text.slice(d + 1);
    }
  }
  if (choice <= 5 && text.length > 0) {
    const end = Math.min(text.length, at + 1 + (random.nextUint32() % 3));
    return text.slice(0, at) + text.slice(end);
  }
  return text.slice(0, at) + INSERTS[random.nextUint32() % INSERTS.length]! + text.slice(at);
}

describe('.netdef: incremental analysis gives what a fresh analysis gives', function () {
  this.timeout(300_000);

  const files = [...netdefFiles(path.join(root, 'examples')), ...netdefFiles(path.join(root, 'test', 'fixtures'))];
  const sources: [string, string, number][] = [
    ...files.map((f): [string, string, number] => [path.relative(root, f), fs.readFileSync(f, 'utf8'), 25]),
    ['generated 300-line file (bench/generateNetdef.ts)', generateNetdef(300), 60],
  ];

  it('covers the examples and the fixtures', () => {
    assert.ok(files.length >= 20, `only ${files.length} .netdef files found`);
  });

  for (const [name, original, edits] of sources) {
    it(`${name}: ${edits} chained random edits`, () => {
      const memory = new AnalysisMemory();
      const random = new Random(name.length * 7919 + original.length);
      const history = [original];
      let text = original;
      analyze({ text, languageId: 'netdef', memory });
      for (let step = 0; step < edits; step++) {
        text = randomEdit(text, random, history);
        history.push(text);
        const incremental = visible(analyze({ text, languageId: 'netdef', memory }, DEFAULT_SETTINGS));
        const fresh = visible(analyze({ text, languageId: 'netdef' }, DEFAULT_SETTINGS));
        assert.equal(incremental, fresh, `edit ${step + 1} of ${name} differs from a fresh analysis`);
      }
    });
  }

  it('an edit inside one network computes that network again and reuses the others (moved where their text moved)', () => {
    const memory = new AnalysisMemory();
    const text = generateNetdef(300);
    const before = analyze({ text, languageId: 'netdef', memory });
    assert.ok(before.networks.length >= 10);
    // The second network's first width gets one more digit: every later network moves by one.
    const second = before.networks[1]!;
    const width = /dense (\d+)/.exec(text.slice(second.span.start))!;
    const at = second.span.start + width.index + 'dense '.length;
    const edited = text.slice(0, at) + '1' + text.slice(at);
    const after = analyze({ text: edited, languageId: 'netdef', memory });
    assert.equal(after.simulations[0], before.simulations[0], 'the first network is reused as it was');
    assert.notEqual(after.simulations[1], before.simulations[1], 'the edited network is simulated again');
    for (let i = 2; i < before.networks.length; i++) {
      assert.equal(after.simulations[i], before.simulations[i], `network ${i} is reused`);
    }
    assert.equal(visible(after), visible(analyze({ text: edited, languageId: 'netdef' })));
  });

  it('settings are part of what is remembered', () => {
    const memory = new AnalysisMemory();
    const text = generateNetdef(120);
    const first = analyze({ text, languageId: 'netdef', memory });
    const other = { ...DEFAULT_SETTINGS, ignore: ['IW101'] };
    const withOther = analyze({ text, languageId: 'netdef', memory }, other);
    assert.equal(visible(withOther), visible(analyze({ text, languageId: 'netdef' }, other)));
    assert.notEqual(visible(withOther), visible(first));
  });
});
