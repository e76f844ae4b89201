/**
 * smol-toml (a maintained TOML 1.0 parser) ships ESM types with a CommonJS build. This
 * project compiles as CommonJS (node16 resolution), so the types are imported in ESM
 * resolution mode and the module is required, which esbuild bundles from its CJS build.
 */
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };

// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: types from ESM, code from the CJS build
const toml = require('smol-toml') as typeof SmolToml;

export const parseToml: (text: string) => Record<string, unknown> = toml.parse;
export const TomlError: typeof SmolToml.TomlError = toml.TomlError;
