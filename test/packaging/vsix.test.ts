/**
 * What `npm run package` puts in the .vsix, from vsce's own listing of the files it would
 * pack (`vsce ls`, the .vscodeignore allow-list applied): everything the installed
 * extension loads at run time, nothing it does not.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function runtimeAssets(dir: string, prefix = 'dist/'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      // dist/tools and dist/bench hold repository tools; wasm grammars may sit in any other folder.
      if (prefix === 'dist/' && (entry.name === 'tools' || entry.name === 'bench')) continue;
      out.push(...runtimeAssets(join(dir, entry.name), `${prefix}${entry.name}/`));
    } else if ((prefix === 'dist/' && entry.name.endsWith('.js')) || entry.name.endsWith('.wasm')) {
      out.push(`${prefix}${entry.name}`);
    }
  }
  return out;
}

describe('packaging: the .vsix contents', function () {
  this.timeout(60_000);
  let files: string[];
  before(function () {
    if (!existsSync(join(ROOT, 'dist', 'server.js'))) this.skip();
    const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  });

  it('ships the manifest, docs, licence, icon, grammar and every runtime bundle and wasm file', () => {
    const expected = [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'images/icon.png',
      'language-configuration.json',
      'syntaxes/netdef.tmLanguage.json',
      'dist/client.js',
      'dist/server.js',
      ...runtimeAssets(join(ROOT, 'dist')),
    ];
    for (const file of expected) assert.ok(files.includes(file), `${file} missing from the .vsix: ${files.join(', ')}`);
  });

  it('ships no sources, source maps, tests, node_modules, native addons, repository tools or a local CLI run\'s code cache', () => {
    // dist/.cache/: the V8 code cache a local `initwise check` wrote (cli/launcher.ts); it is this machine's.
    const unwanted = files.filter((file) => /\.(ts|map|node)$/.test(file) || /^(client|server|test|node_modules|bench|tools|docs|examples|scripts|\.e2e-cache)\//.test(file) || /^dist\/(tools|bench|\.cache)\//.test(file));
    assert.deepEqual(unwanted, []);
  });
  it('the extension and the language server load no native parser (only the CLI tries it, issue 16)', () => {
    for (const bundle of ['client.js', 'server.js', 'montecarloWorker.js']) {
      const text = readFileSync(join(ROOT, 'dist', bundle), 'utf8');
      assert.doesNotMatch(text, /require\(["']tree-sitter(-python)?["']\)/, `dist/${bundle} requires the native binding`);
    }
  });
});
