/**
 * One parser interface, two loaders (issue 16): web-tree-sitter (the editor, the language
 * server, the tests) and the native tree-sitter binding (the CLI where it loads). The
 * engine must not be able to tell them apart: every Python fixture and example, the same
 * texts cut at spread-out places (ERROR and MISSING nodes), and the benchmark's file give
 * exactly the same findings (with fixes), networks and simulations under both. The CLI's
 * whole runs are compared in test/cli/parserLoaders.test.ts.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { loadNativePythonSupport } from '../../server/src/host/nativeTreeSitter';
import { generatePython } from '../../bench/generatePython';
import { pythonFiles, pythonSupport } from '../support/python';

const root = path.resolve(__dirname, '..', '..');

/** Everything analyze() returns, as plain data (fix builders are functions: their output is in the findings). */
function everything(result: AnalysisResult): string {
  return JSON.stringify(result, (key, value: unknown) => (typeof value === 'function' ? undefined : key === 'fixes' && !Array.isArray(value) ? undefined : value));
}

/** A few characters removed at three spread-out places (broken syntax on purpose). */
function cuts(text: string): string[] {
  if (text.length < 20) return [];
  return [1, 2, 3].map((k) => {
    const at = Math.floor((text.length * k) / 4);
    return text.slice(0, at) + text.slice(at + 3 + k);
  });
}

describe('Python: the native and the WebAssembly parser give the same analysis', function () {
  this.timeout(300_000);
  let wasm: PythonSupport;
  let native: PythonSupport;
  before(async function () {
    wasm = await pythonSupport();
    try {
      native = loadNativePythonSupport();
    } catch (error) {
      // An install where node-gyp could not build the optional binding: the CLI uses WebAssembly.
      console.warn(`    native tree-sitter binding not loadable, skipped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      this.skip();
    }
  });

  const files = [...pythonFiles(path.join(root, 'test', 'fixtures')), ...pythonFiles(path.join(root, 'examples'))];

  it('covers the fixtures and the examples', () => {
    assert.ok(files.length >= 100, `only ${files.length} Python files found`);
  });

  const same = (text: string, label: string): AnalysisResult => {
    const fromWasm = analyze({ text, languageId: 'python', python: wasm });
    const fromNative = analyze({ text, languageId: 'python', python: native });
    assert.equal(everything(fromNative), everything(fromWasm), label);
    return fromNative;
  };

  for (const file of files) {
    it(path.relative(root, file), () => {
      const text = fs.readFileSync(file, 'utf8');
      same(text, 'as written');
      cuts(text).forEach((cut, i) => same(cut, `cut ${i}`));
    });
  }

  it('the benchmark file', () => {
    const result = same(generatePython(3500), 'bench file');
    assert.ok(result.networks.length > 0 && result.findings.length > 0);
  });
});
