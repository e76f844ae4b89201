/**
 * From configuration to the engine's Settings for one file. Precedence, lowest to
 * highest: defaults, the configuration (file or editor settings), then overrides (CLI
 * flags). `select` from a higher level replaces a lower one; `extend-select`, `ignore` and
 * matching `per-file-ignores` add up; `ignore` wins over `select` (as in Ruff).
 */
import picomatch from 'picomatch/posix';
import { DEFAULT_SETTINGS, type Settings } from '../settings';
import type { InitWiseConfig, SimulationMode } from './model';

export interface SettingsOverrides {
  readonly select?: readonly string[];
  readonly extendSelect?: readonly string[];
  readonly ignore?: readonly string[];
  readonly simulation?: SimulationMode;
}

/** Merges two configurations (the second wins key by key; lists that add up are concatenated). */
export function mergeConfigs(base: InitWiseConfig, top: InitWiseConfig): InitWiseConfig {
  return {
    select: top.select ?? base.select,
    extendSelect: [...(base.extendSelect ?? []), ...(top.extendSelect ?? [])],
    ignore: [...(base.ignore ?? []), ...(top.ignore ?? [])],
    perFileIgnores: [...(base.perFileIgnores ?? []), ...(top.perFileIgnores ?? [])],
    severity: { ...base.severity, ...top.severity },
    simulation: { ...base.simulation, ...top.simulation },
    exclude: [...(base.exclude ?? []), ...(top.exclude ?? [])],
    ...((top.kerasVersion ?? base.kerasVersion) !== undefined ? { kerasVersion: top.kerasVersion ?? base.kerasVersion } : {}),
  };
}

/**
 * `relativePath`: the file's path relative to the configuration's folder, `/`-separated.
 * A pattern without a `/` also matches the file name alone (`*_test.py`), as in Ruff.
 */
export function matchesGlob(pattern: string, relativePath: string): boolean {
  return picomatch(pattern, { dot: true, basename: !pattern.includes('/') })(relativePath);
}

export function resolveSettings(config: InitWiseConfig, relativePath: string | undefined, overrides: SettingsOverrides = {}): Settings {
  const baseSelect = overrides.select && overrides.select.length > 0 ? overrides.select : (config.select ?? []);
  const extend = [...(config.extendSelect ?? []), ...(overrides.extendSelect ?? [])];
  // An empty select means every rule, so extending it changes nothing.
  const select = baseSelect.length === 0 ? [] : [...baseSelect, ...extend];
  const perFile =
    relativePath === undefined ? [] : (config.perFileIgnores ?? []).filter((entry) => matchesGlob(entry.pattern, relativePath)).flatMap((entry) => entry.codes);
  return {
    ...DEFAULT_SETTINGS,
    severity: { ...DEFAULT_SETTINGS.severity, ...config.severity },
    band: config.simulation?.band ?? DEFAULT_SETTINGS.band,
    simulation: overrides.simulation ?? config.simulation?.mode ?? DEFAULT_SETTINGS.simulation,
    select: dedupe(select),
    ignore: dedupe([...(config.ignore ?? []), ...perFile, ...(overrides.ignore ?? [])]),
    ...(config.kerasVersion !== undefined ? { kerasVersion: config.kerasVersion } : {}),
  };
}

/** Is a path (relative to the configuration's folder) excluded from folder walks? */
export function isExcluded(config: InitWiseConfig, relativePath: string): boolean {
  return (config.exclude ?? []).some((pattern) => matchesGlob(pattern, relativePath) || matchesGlob(`${pattern.replace(/\/+$/, '')}/**`, relativePath));
}

const dedupe = (codes: readonly string[]) => [...new Set(codes)];
