/**
 * The generated docs must match the rule metadata: this renders them in memory and
 * compares with the files on disk. When it fails, run `npm run docs` and commit.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unifiedDiff } from '../../server/src/cli/formatters/diff';
import { PLAIN } from '../../server/src/cli/formatters/style';
import { RULES } from '../../server/src/core/rules/registry';
import { README_END, README_START, renderAllDocs, replaceReadmeTable } from '../../tools/docs';

const root = path.resolve(__dirname, '..', '..');
const metas = RULES.map((rule) => rule.meta);

describe('generated docs', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

  for (const file of renderAllDocs(metas, readme)) {
    it(`${file.path} is up to date (run \`npm run docs\` if not)`, () => {
      const target = path.join(root, file.path);
      assert.ok(fs.existsSync(target), `${file.path} is missing`);
      const onDisk = fs.readFileSync(target, 'utf8');
      if (onDisk !== file.content) {
        assert.fail(`${file.path} is stale (- on disk, + generated); run \`npm run docs\`\n${unifiedDiff(onDisk, file.content, file.path, PLAIN)}`);
      }
    });
  }

  it('has no page for a rule that does not exist', () => {
    const pages = fs.readdirSync(path.join(root, 'docs', 'rules')).filter((name) => /^IW\d+\.md$/.test(name));
    const codes = new Set(metas.map((meta) => `${meta.code}.md`));
    assert.deepEqual(pages.filter((page) => !codes.has(page)), []);
  });

  it('every rule documents every section', () => {
    for (const meta of metas) {
      const { references, ...prose } = meta.docs;
      for (const [section, text] of Object.entries(prose)) {
        assert.ok(text.trim().length > 0, `${meta.code} has an empty docs.${section}`);
      }
      assert.ok(references.length > 0, `${meta.code} lists no references`);
      assert.ok(meta.summary.trim().length > 0, `${meta.code} has no summary`);
    }
  });

  it('lists every rule in the README table', () => {
    for (const meta of metas) assert.match(readme, new RegExp(`\\[${meta.code}\\]\\(docs/rules/${meta.code}\\.md\\)`));
  });

  it('refuses a README without the table markers instead of leaving a stale table', () => {
    assert.throws(() => replaceReadmeTable('# no markers here\n', metas), /rules:start/);
    assert.throws(() => replaceReadmeTable(`${README_END}\n${README_START}\n`, metas), /rules:start/);
  });

  it('replaces only what lies between the markers', () => {
    const before = `intro\n${README_START}\nold table\n${README_END}\noutro\n`;
    const after = replaceReadmeTable(before, metas);
    assert.ok(after.startsWith(`intro\n${README_START}\n| code |`));
    assert.ok(after.endsWith(`\n${README_END}\noutro\n`));
    assert.ok(!after.includes('old table'));
  });
});
