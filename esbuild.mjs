// Bundles the three hosts (extension client, language server, CLI) plus the
// docs generator and benchmarks into dist/. esbuild does not typecheck: `npm run
// typecheck` (tsc --noEmit) is its own step in `npm test`.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';

const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

// Native addons (the CLI's parser, issue 16): loaded from node_modules at run time.
const NATIVE = ['tree-sitter', 'tree-sitter-python'];

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', external: ['vscode'] }),
  esbuild.build({ ...common, entryPoints: ['server/src/lsp/main.ts'], outfile: 'dist/server.js' }),
  // The Monte-Carlo worker thread (server/src/host/montecarlo.ts starts it from beside the bundle).
  esbuild.build({ ...common, entryPoints: ['server/src/host/montecarloWorker.ts'], outfile: 'dist/montecarloWorker.js' }),
  // The CLI: the launcher (dist/cli.js) compiles its bundle (dist/cliMain.js) with a V8
  // code cache (server/src/cli/launcher.ts).
  // The native tree-sitter binding (host/nativeTreeSitter.ts) is required at run time from
  // node_modules, never bundled: where it is absent (the .vsix) the CLI falls back on WebAssembly.
  esbuild.build({ ...common, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cliMain.js', external: NATIVE }),
  esbuild.build({
    ...common,
    entryPoints: ['server/src/cli/launcher.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The CLI's worker threads (one per core for many files); loaded from next to dist/cli.js.
  esbuild.build({ ...common, entryPoints: ['server/src/cli/worker.ts'], outfile: 'dist/cliWorker.js', external: NATIVE }),
  esbuild.build({ ...common, entryPoints: ['tools/generate-docs.ts'], outfile: 'dist/tools/generate-docs.js' }),
  esbuild.build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'dist/bench/run.js', external: NATIVE }),
]);

// web-tree-sitter's runtime and the Python grammar are WebAssembly, which esbuild cannot
// inline: they ship beside the bundles (server/src/host/treeSitter.ts loads them from there).
await Promise.all([
  fs.promises.copyFile('node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/web-tree-sitter.wasm'),
  fs.promises.copyFile('node_modules/tree-sitter-python/tree-sitter-python.wasm', 'dist/tree-sitter-python.wasm'),
]);
