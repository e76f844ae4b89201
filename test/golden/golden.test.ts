/**
 * Golden files: for every example and fixture, what a user sees — each diagnostic as
 * the CLI prints it (with carets), and for every fix its title, applicability and the
 * unified diff it would make. A change in any message, range or fix shows up here as
 * a reviewable diff. Refresh with `npm run test:update-golden` (UPDATE_GOLDEN=1).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { LineIndex } from '../../server/src/core/text';
import { applyEdits, unifiedDiff } from '../../server/src/cli/formatters/diff';
import { PLAIN } from '../../server/src/cli/formatters/style';
import { countSeverities, renderFinding, renderSummary } from '../../server/src/cli/formatters/text';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { fixtureSettings, languageOf } from '../support/fixtures';
import { fixNotebookCopy, renderNotebook } from './notebooks';
import { pythonSupport } from '../support/python';

const root = path.resolve(__dirname, '..', '..');
const goldenRoot = path.join(root, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

/** Source folders, and where their golden files live under test/golden/. */
const SOURCES: readonly { readonly folder: string; readonly mirror: string }[] = [
  { folder: 'examples', mirror: 'examples' },
  { folder: 'test/fixtures', mirror: 'fixtures' },
];

function walk(folder: string, extension: string): string[] {
  if (!fs.existsSync(folder)) return [];
  const out: string[] = [];
  const entries = fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, extension));
    else if (entry.name.endsWith(extension)) out.push(full);
  }
  return out;
}

const toPosix = (p: string) => p.split(path.sep).join('/');

interface Case {
  /** Repository-relative source path, as shown in the golden file. */
  readonly source: string;
  readonly golden: string;
}

function cases(): Case[] {
  return SOURCES.flatMap(({ folder, mirror }) =>
    [...walk(path.join(root, folder), '.netdef'), ...walk(path.join(root, folder), '.py'), ...walk(path.join(root, folder), '.ipynb')].map((file) => {
      const relative = toPosix(path.relative(path.join(root, folder), file));
      return { source: `${folder}/${relative}`, golden: path.join(goldenRoot, mirror, `${relative}.golden`) };
    }),
  );
}

/** The Python parser, loaded before the tests run (analysis of .py files needs it). */
let python: PythonSupport | undefined;

/** A fixture that names its Keras version (`# fixture keras-version: 3.15`) is analysed with it, as the rule fixtures are. */
function analyzeSource(sourcePath: string, text: string): ReturnType<typeof analyze> {
  return analyze({ text, languageId: languageOf(sourcePath), python }, fixtureSettings(text));
}

function render(sourcePath: string, text: string): string {
  if (sourcePath.endsWith('.ipynb')) return renderNotebook(sourcePath, text, python);
  const { findings } = analyzeSource(sourcePath, text);
  const view = { path: sourcePath, text, index: new LineIndex(text) };
  const blocks = findings.map((finding) => renderFinding(view, finding, { style: PLAIN, showFixDiffs: true }));
  const summary = renderSummary(countSeverities(findings), findings.length > 0 ? 1 : 0, PLAIN);
  return [...blocks, summary].join('\n') + '\n';
}

/** A notebook's second golden file: the file after `--fix`, as a diff. */
function fixGolden(c: Case): string {
  return c.golden.replace(/\.golden$/, '.fix.golden');
}

function compareGolden(golden: string, actual: string): void {
  const relativeGolden = toPosix(path.relative(root, golden));
  if (update) {
    fs.mkdirSync(path.dirname(golden), { recursive: true });
    if (!fs.existsSync(golden) || fs.readFileSync(golden, 'utf8') !== actual) fs.writeFileSync(golden, actual);
    return;
  }
  if (!fs.existsSync(golden)) {
    assert.fail(`${relativeGolden} does not exist; create it with \`npm run test:update-golden\` and review it`);
  }
  const expected = fs.readFileSync(golden, 'utf8');
  if (actual !== expected) {
    const diff = unifiedDiff(expected, actual, relativeGolden, PLAIN);
    assert.fail(`${relativeGolden} is out of date (- golden, + now); if the change is intended, run \`npm run test:update-golden\`\n${diff}`);
  }
}

describe('golden files', () => {
  const all = cases();

  before(async () => {
    python = await pythonSupport();
  });

  it('finds the examples', () => {
    assert.ok(all.some((c) => c.source.startsWith('examples/')), 'no examples/**/*.netdef found');
  });

  for (const c of all) {
    it(c.source, () => {
      const text = fs.readFileSync(path.join(root, c.source), 'utf8');
      compareGolden(c.golden, render(c.source, text));
    });

    if (c.source.endsWith('.ipynb')) {
      // The round trip: `--fix --unsafe-fixes` on a copy; the file changes only inside the fixed cells' sources.
      it(`${c.source}: --fix rewrites only the fixed cells' sources`, () => {
        compareGolden(fixGolden(c), fixNotebookCopy(path.join(root, c.source), c.source, python));
      });
      continue;
    }

    it(`${c.source}: every fix applies and keeps the file free of syntax errors`, () => {
      const text = fs.readFileSync(path.join(root, c.source), 'utf8');
      const before = analyzeSource(c.source, text).findings.filter((f) => f.code === 'IW001').length;
      for (const finding of analyzeSource(c.source, text).findings) {
        for (const fix of finding.fixes) {
          const fixed = applyEdits(text, fix.edits);
          assert.ok(fixed !== undefined, `${finding.code} fix "${fix.title}" has overlapping or out-of-range edits`);
          assert.notEqual(fixed, text, `${finding.code} fix "${fix.title}" changes nothing`);
          const after = analyzeSource(c.source, fixed).findings.filter((f) => f.code === 'IW001').length;
          assert.ok(after <= before, `${finding.code} fix "${fix.title}" introduces a syntax error`);
        }
      }
    });
  }

  it('has no golden file without a source', () => {
    const expected = new Set([...all.map((c) => c.golden), ...all.filter((c) => c.source.endsWith('.ipynb')).map(fixGolden)]);
    const orphans = walk(goldenRoot, '.golden').filter((file) => !expected.has(file));
    if (update) {
      for (const orphan of orphans) fs.rmSync(orphan);
      return;
    }
    assert.deepEqual(orphans.map((file) => toPosix(path.relative(root, file))), [], 'delete these or run `npm run test:update-golden`');
  });
});
