// typescript-eslint with type information, so promise misuse
// (no-floating-promises, no-misused-promises) is caught in the server's async code.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // Plain-JS scripts (esbuild config, e2e drivers that load playwright-core from .e2e-cache)
  // are outside the TypeScript project, so the type-checked rules cannot run on them.
  { ignores: ['dist/**', 'node_modules/**', 'out/**', '.e2e-cache/**', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The pure engine must not reach for the host: no vscode, no LSP library, no node I/O.
    files: ['server/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: ['vscode', 'vscode-*', 'node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads'],
      }],
      'no-console': 'error',
    },
  },
);
