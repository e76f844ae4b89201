/**
 * Loads web-tree-sitter and the tree-sitter-python grammar for the hosts (language
 * server, CLI, tests, benchmarks). The engine stays pure: it only receives the
 * initialised parser through AnalysisInput.python. Loading is asynchronous (WebAssembly
 * compilation), so hosts do it once, before the first Python file is analysed.
 *
 * The two .wasm files cannot be bundled by esbuild; esbuild.mjs copies them next to the
 * bundles in dist/. Run from source (tests via tsx), they are found in node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// An import-equals makes esbuild bundle the package's CommonJS build: its ES module build
// reads import.meta.url, which the CommonJS bundles in dist/ do not have.
// eslint-disable-next-line @typescript-eslint/no-require-imports
import webTreeSitter = require('web-tree-sitter');
import type { PythonSupport } from '../core/frontends/types';
import { fastTreeReaders } from './treeReader';

export const RUNTIME_WASM = 'web-tree-sitter.wasm';
export const PYTHON_GRAMMAR_WASM = 'tree-sitter-python.wasm';

/** The first existing file among the bundle's own folder and the installed packages. */
function locate(file: string, packageEntry: string): string {
  const besideBundle = path.join(__dirname, file);
  if (fs.existsSync(besideBundle)) return besideBundle;
  return require.resolve(packageEntry);
}

/** web-tree-sitter's parser: its trees have web-tree-sitter's whole API (tests and benchmarks read them). */
export interface WebPythonSupport extends PythonSupport {
  readonly parser: webTreeSitter.Parser;
}

let loading: Promise<WebPythonSupport> | undefined;

/** The Python parser, initialised once per process (later calls share the first load). */
export function loadPythonSupport(): Promise<WebPythonSupport> {
  loading ??= (async () => {
    const runtime = locate(RUNTIME_WASM, 'web-tree-sitter/web-tree-sitter.wasm');
    // Emscripten builds the binding's module on this object: the fast tree reader calls its exports.
    const binding = { locateFile: () => runtime };
    await webTreeSitter.Parser.init(binding);
    // Read here and handed over as bytes: given a path, Language.load reads it through a
    // dynamic import() of fs/promises, which code compiled by vm.Script (the CLI's launcher,
    // cli/launcher.ts) cannot run.
    const grammar = await fs.promises.readFile(locate(PYTHON_GRAMMAR_WASM, 'tree-sitter-python/tree-sitter-python.wasm'));
    const language = await webTreeSitter.Language.load(grammar);
    const parser = new webTreeSitter.Parser();
    parser.setLanguage(language);
    const treeReaders = fastTreeReaders(binding, webTreeSitter.LANGUAGE_VERSION);
    return { parser, newEdit: (edit) => new webTreeSitter.Edit(edit), ...(treeReaders ? { treeReaders } : {}) };
  })();
  return loading;
}
