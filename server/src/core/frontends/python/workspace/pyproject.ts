/**
 * Where a project's pyproject.toml puts its packages, for absolute imports. Supported:
 * setuptools (`[tool.setuptools] package-dir = {"" = "src"}` or `{"pkg" = "lib/pkg"}`,
 * `[tool.setuptools.packages.find] where = ["src"]`), Poetry (`packages = [{ include =
 * "pkg", from = "src" }]`), Hatch (`[tool.hatch.build.targets.wheel] packages =
 * ["src/pkg"]`), PDM (`[tool.pdm.build] package-dir = "src"`) and Flit (`[tool.flit.module]
 * name`: the module sits at the root or in src/, both of which are always searched).
 * A file that does not parse adds nothing (the CLI's configuration reports TOML errors).
 */
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };
import { dirname, joinPath } from './paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- smol-toml ships ESM types with a CommonJS build (cli/config/toml.ts)
const toml = require('smol-toml') as typeof SmolToml;

export interface PackageLayout {
  /** Directories absolute imports start from. */
  readonly roots: string[];
  /** A top-level package mapped to its own directory (`package-dir = {"pkg" = "lib/pkg"}`). */
  readonly packageDirs: Map<string, string>;
}

function table(value: unknown, ...keys: string[]): Record<string, unknown> | undefined {
  let v = value;
  for (const k of keys) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The layout a pyproject.toml at `root` declares. */
export function packageLayout(root: string, pyproject: string): PackageLayout {
  const layout: PackageLayout = { roots: [], packageDirs: new Map() };
  let doc: Record<string, unknown>;
  try {
    doc = toml.parse(pyproject);
  } catch {
    return layout;
  }
  const tool = table(doc, 'tool');
  const setuptools = table(tool, 'setuptools');
  const packageDir = table(setuptools, 'package-dir');
  for (const [pkg, dir] of Object.entries(packageDir ?? {})) {
    if (typeof dir !== 'string') continue;
    if (pkg === '') layout.roots.push(joinPath(root, dir));
    else layout.packageDirs.set(pkg, joinPath(root, dir));
  }
  for (const where of strings(table(setuptools, 'packages', 'find')?.where)) layout.roots.push(joinPath(root, where));
  const poetry = table(tool, 'poetry');
  for (const entry of Array.isArray(poetry?.packages) ? (poetry.packages as unknown[]) : []) {
    const from = table({ e: entry }, 'e')?.from;
    if (typeof from === 'string') layout.roots.push(joinPath(root, from));
  }
  for (const pkg of strings(table(tool, 'hatch', 'build', 'targets', 'wheel')?.packages)) {
    const dir = dirname(pkg);
    layout.roots.push(joinPath(root, dir));
  }
  for (const dir of strings(table(tool, 'pdm', 'build')?.['package-dir'])) layout.roots.push(joinPath(root, dir));
  return layout;
}
