/**
 * One parse and one whole-tree read per file and thread in a run of `initwise check` (issue
 * 16): a file checked as a document that other files of the run also import shares its
 * parse with them (workspace/moduleCache.ts treeFor/adopt), and the native binding's tree is
 * walked into its store once for all of them (host/nativeTreeReader.ts). The project's
 * modules import each other (test/fixtures/workspace/project): every file is both checked
 * and read as an import. Counted through the thread's own parser, wrapped.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import type { TreeReaderFactory } from '../../server/src/core/frontends/python/syntax/nodeStore';
import { loadNativePythonSupport } from '../../server/src/host/nativeTreeSitter';
import { loadPythonSupport } from '../../server/src/host/treeSitter';
import type { FileJob } from '../../server/src/cli/fileJob';
import { runJobs } from '../../server/src/cli/workers';
import { ROOT } from './support';

const PROJECT = path.join(ROOT, 'test', 'fixtures', 'workspace', 'project');

/** The project copied to a folder of its own: the thread's module cache has never seen these paths. */
function projectCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-parsed-once-'));
  fs.cpSync(PROJECT, dir, { recursive: true });
  return dir;
}

function pythonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.py')).map((f) => path.join(dir, f)).sort();
}

interface Counts {
  /** Parses by text. */
  readonly parses: Map<string, number>;
  /** Stores made from a tree: one per whole read of a native tree (lazy readers make one per tree too). */
  stores: number;
}

/** The support with its parser and readers counted. */
function counted(support: PythonSupport): { support: PythonSupport; counts: Counts } {
  const counts: Counts = { parses: new Map(), stores: 0 };
  const readers: TreeReaderFactory | undefined = support.treeReaders && ((tree) => {
    const reader = support.treeReaders!(tree);
    if (!reader) return reader;
    return {
      ...reader,
      readRoot: (make) => reader.readRoot((count) => {
        counts.stores++;
        return make(count);
      }),
    };
  });
  return {
    support: {
      ...support,
      parser: { parse: (text, old) => {
        counts.parses.set(text, (counts.parses.get(text) ?? 0) + 1);
        return support.parser.parse(text, old);
      } },
      ...(readers ? { treeReaders: readers } : {}),
    },
    counts,
  };
}

async function checkProject(support: PythonSupport): Promise<{ counts: Counts; files: string[] }> {
  const dir = projectCopy();
  try {
    const files = pythonFiles(dir);
    const jobs: FileJob[] = files.map((file) => ({
      absolutePath: file, displayPath: path.relative(dir, file), languageId: 'python', settings: DEFAULT_SETTINGS,
      fix: 'none', write: false, wantNetworks: false, projectRoot: dir,
    }));
    const wrapped = counted(support);
    const outcomes = await runJobs(jobs, { threads: 1, python: wrapped.support });
    assert.equal(outcomes.filter((o) => o.error !== undefined).length, 0);
    // Files that import others: the test is about sharing, so some must.
    assert.ok(outcomes.some((o) => o.imported.length > 0), 'the project\'s files reach each other\'s modules');
    return { counts: wrapped.counts, files };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('CLI: each file parsed once per run and thread, imported or checked', function () {
  this.timeout(60_000);

  it('the native binding: one parse and one whole-tree read per file, every file also imported', async function () {
    let support: PythonSupport;
    try {
      support = loadNativePythonSupport();
    } catch (error) {
      console.warn(`    native tree-sitter binding not loadable, skipped: ${String(error).split('\n')[0]}`);
      this.skip();
    }
    const { counts, files } = await checkProject(support!);
    assert.deepEqual([...counts.parses.values()].filter((n) => n !== 1), [], 'no text is parsed twice');
    assert.equal(counts.parses.size, files.length, 'every file is parsed');
    assert.equal(counts.stores, files.length, 'each tree is read into its store once, for the document and its importers');
  });

  it('web-tree-sitter: one parse per file', async () => {
    const { counts, files } = await checkProject(await loadPythonSupport());
    assert.deepEqual([...counts.parses.values()].filter((n) => n !== 1), [], 'no text is parsed twice');
    assert.equal(counts.parses.size, files.length);
  });
});
