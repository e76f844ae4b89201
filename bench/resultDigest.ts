/**
 * Result fingerprints for speed work (issue 16): one sha1 per file of everything analyze()
 * returns (networks, simulations, findings with their fixes), over the test fixtures, the
 * examples and any folders given (real code such as /work/eval and torchvision's models/).
 * Run it on the code before and after a change and diff the outputs: an optimisation must
 * leave every line unchanged.
 *
 *   npx tsx bench/resultDigest.ts [DIR ...] > digests.txt   (from the repository's root)
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult } from '../server/src/core/analyze';
import type { LanguageId } from '../server/src/core/frontends/types';
import { loadPythonSupport } from '../server/src/host/treeSitter';

const LANGUAGES: Readonly<Record<string, LanguageId>> = { '.py': 'python', '.netdef': 'netdef' };

/** Everything analyze() returns, as plain data (fix builders are functions: their output is in the findings). */
function everything(result: AnalysisResult): string {
  return JSON.stringify(
    { networks: result.networks, simulations: result.simulations, findings: result.findings, imported: result.imported },
    (key, value: unknown) => (typeof value === 'function' ? undefined : key === 'fixes' && !Array.isArray(value) ? undefined : value),
  );
}

function sourceFiles(dir: string, out: string[]): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, out);
    else if (path.extname(entry.name) in LANGUAGES) out.push(full);
  }
  return out;
}

async function main(): Promise<void> {
  // The repository is the working directory (bundled copies of this script run from elsewhere).
  const dirs = [path.resolve('test', 'fixtures'), path.resolve('examples'), ...process.argv.slice(2)];
  const python = await loadPythonSupport();
  const all = createHash('sha1');
  let count = 0;
  for (const dir of dirs) {
    for (const file of sourceFiles(dir, []).sort()) {
      const text = fs.readFileSync(file, 'utf8');
      const result = analyze({ text, languageId: LANGUAGES[path.extname(file)]!, python });
      const digest = createHash('sha1').update(everything(result)).digest('hex');
      all.update(digest);
      count++;
      process.stdout.write(`${digest} ${result.networks.length} ${result.findings.length} ${file}\n`);
    }
  }
  process.stdout.write(`${all.digest('hex')} all ${count} files\n`);
}

void main();
