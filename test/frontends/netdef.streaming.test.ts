/**
 * Findings streamed network by network (AnalysisInput.onFindings; the CLI's text and GitHub
 * output of a large .netdef, issue 12) are exactly the findings analyze() returns, in the
 * same order: every .netdef fixture and example, generated files, broken braces and random
 * mutations of the examples (the parser's recovery reports problems late; none may land
 * before a batch already handed out). A file of many networks really comes in many batches.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import type { Finding } from '../../server/src/core/findings';
import { generateNetdef } from '../../bench/generateNetdef';
import { manyNetworks } from '../hostile/inputs';

const ROOT = path.resolve(__dirname, '..', '..');

function netdefFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return netdefFiles(full);
    return entry.name.endsWith('.netdef') ? [full] : [];
  });
}

function streamed(text: string): { findings: Finding[]; batches: number } {
  const findings: Finding[] = [];
  let batches = 0;
  const result = analyze({ text, languageId: 'netdef', keepNetworks: false, onFindings: (batch) => { batches++; findings.push(...batch); } });
  assert.deepEqual(result.findings, [], 'streamed findings are not also returned');
  return { findings, batches };
}

function assertSame(text: string, what: string): void {
  const whole = analyze({ text, languageId: 'netdef', keepNetworks: false }).findings;
  assert.deepEqual(streamed(text).findings, whole, what);
}

/** A small LCG: the same mutations on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const BROKEN = [
  'network a {\n  input 8\n  dense 8 activation=relu init=glorot_uniform\nnetwork b {\n  input 8\n  dense 8 activation=tanh init=he_normal\n}\n',
  'network a {\n  input 8\n  repeat 2 {\n  dense 8 activation=relu init=zeros\n}\n  dense 4 activation=relu init=glorot_uniform\nnetwork b {\n  input 4\n  dense 4 activation=relu\n',
  'network a {\n  input 8\n  dense 8 activation=relu init=glorot_uniform\n}\n  dense 8 activation=relu init=zeros\nnetwork b {\n  input 8\n}\n',
  'network a {\n  input 8\n  dense 8 activation=relu init=zeros\n} network b {\n  input 8\n  dense activation=relu\n  dense 32 activation=tanh init=he_normal\n}\n',
  'dense 8\nnetwork a\n{\n  input 8\n  dense 8 activation=relu init=zeros\n}\n}\nnetwork b {\n  input 8\n  residual {\n    dense 8 activation=relu init=zeros\n  dense 8 activation=relu init=zeros\n}\n',
];

describe('netdef: findings streamed network by network (issue 12)', () => {
  it('equal analyze()\'s findings on every .netdef fixture and example', () => {
    const files = [...netdefFiles(path.join(ROOT, 'test', 'fixtures')), ...netdefFiles(path.join(ROOT, 'examples'))];
    assert.ok(files.length > 20, `found ${files.length} files`);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      // A file with suppression comments comes in one batch; without them the same text is streamed.
      assertSame(text, file);
      assertSame(text.replaceAll('initwise', 'initwize'), `${file} without its suppression comments`);
    }
  });

  it('equal analyze()\'s findings on generated files and broken braces', () => {
    assertSame(generateNetdef(3000), 'generated 3,000 lines');
    for (const [i, text] of BROKEN.entries()) assertSame(text, `broken ${i}`);
  });

  it('equal analyze()\'s findings after random mutations of the examples', () => {
    const random = lcg(7);
    const pieces = ['{', '}', '\n', 'network x {\n', ' ', '=', 'dense', '(', ')', '#', '1e400', 'repeat 3 {\n'];
    const examples = netdefFiles(path.join(ROOT, 'examples')).map((file) => fs.readFileSync(file, 'utf8'));
    const joined = examples.join('\n');
    for (let round = 0; round < 150; round++) {
      let text = joined;
      for (let edit = 0; edit < 6; edit++) {
        const at = Math.floor(random() * text.length);
        const cut = random() < 0.5 ? Math.floor(random() * 12) : 0;
        text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)]! + text.slice(at + cut);
      }
      assertSame(text, `mutation round ${round}`);
    }
  });

  it('hands out a file of many networks in many batches', () => {
    const { findings, batches } = streamed(manyNetworks(30, 5));
    assert.ok(findings.length >= 30);
    assert.ok(batches >= 30, `${batches} batches`);
  });
});
