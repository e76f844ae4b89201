/**
 * `npm run docs`: writes docs/rules/*.md, docs/rules/README.md and the README's rule
 * table from the rule metadata, and removes pages of rules that no longer exist.
 * Run from the repository root (npm does that).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../server/src/core/rules/registry';
import { renderAllDocs } from './docs';

function main(): void {
  const root = process.cwd();
  const readmePath = path.join(root, 'README.md');
  const files = renderAllDocs(
    RULES.map((rule) => rule.meta),
    fs.readFileSync(readmePath, 'utf8'),
  );

  let changed = 0;
  for (const file of files) {
    const target = path.join(root, file.path);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === file.content) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
    changed++;
    console.log(`wrote ${file.path}`);
  }

  const expected = new Set(files.map((file) => path.basename(file.path)));
  const rulesDir = path.join(root, 'docs', 'rules');
  for (const name of fs.readdirSync(rulesDir)) {
    if (/^IW\d+\.md$/.test(name) && !expected.has(name)) {
      fs.rmSync(path.join(rulesDir, name));
      changed++;
      console.log(`removed docs/rules/${name} (no such rule)`);
    }
  }
  console.log(changed === 0 ? 'docs are up to date' : `${changed} file(s) updated`);
}

main();
