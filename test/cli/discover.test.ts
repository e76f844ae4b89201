/** File discovery: which files a folder yields, in which order, and what happens to bad paths. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverFiles } from '../../server/src/cli/discover';

describe('file discovery', () => {
  let root: string;

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-discover-'));
    const files = [
      'b.netdef',
      'a.netdef',
      'model.py',
      'notes.txt',
      'sub/z.netdef',
      'sub/B.py',
      'node_modules/pkg/x.netdef',
      'dist/y.netdef',
      '.git/q.netdef',
      '.hidden/h.netdef',
      'UPPER.NETDEF',
    ];
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), '');
    }
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('walks folders for .netdef and .py in code-unit order, skipping tool and hidden folders', () => {
    const { files, errors } = discoverFiles(['.'], root);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      files.map((f) => [f.displayPath, f.languageId]),
      [
        ['UPPER.NETDEF', 'netdef'],
        ['a.netdef', 'netdef'],
        ['b.netdef', 'netdef'],
        ['model.py', 'python'],
        ['sub/B.py', 'python'],
        ['sub/z.netdef', 'netdef'],
      ],
    );
  });

  it('checks an explicitly named file even in a skipped folder, once', () => {
    const { files } = discoverFiles(['dist/y.netdef', 'a.netdef', 'dist/y.netdef', '.'], root);
    assert.deepEqual(files.slice(0, 2).map((f) => f.displayPath), ['dist/y.netdef', 'a.netdef']);
    assert.equal(files.filter((f) => f.displayPath === 'a.netdef').length, 1);
  });

  it('reports missing paths and unknown file types but keeps the rest', () => {
    const { files, errors } = discoverFiles(['missing.netdef', 'notes.txt', 'sub'], root);
    assert.deepEqual(errors, ['missing.netdef: no such file or directory', 'notes.txt: not a .netdef, .py or .ipynb file']);
    assert.deepEqual(files.map((f) => f.displayPath), ['sub/B.py', 'sub/z.netdef']);
  });

  it('shows paths relative to the working directory', () => {
    const { files } = discoverFiles([path.join(root, 'sub')], path.join(root, 'sub'));
    assert.deepEqual(files.map((f) => f.displayPath), ['B.py', 'z.netdef']);
  });
});
