/**
 * The configuration a project writes once (`[tool.initwise]` in pyproject.toml, or an
 * initwise.toml) and the editor mirrors in its settings. Keys follow Ruff's names so a
 * team's linters read alike. Pure data; core/config/validate.ts turns untrusted input into
 * this shape and core/config/resolve.ts turns it into the engine's Settings for one file.
 */
import type { RuleSeverity } from '../settings';

export type SimulationMode = 'analytic' | 'montecarlo';

export interface PerFileIgnore {
  /** A glob, relative to the folder of the configuration file (`tests/**`, `*_legacy.py`). */
  readonly pattern: string;
  readonly codes: readonly string[];
}

export interface InitWiseConfig {
  /** Rule codes or prefixes to run; absent or empty: every rule. */
  readonly select?: readonly string[];
  /** Codes or prefixes added to `select` (or to whatever a `--select` flag chose). */
  readonly extendSelect?: readonly string[];
  /** Codes or prefixes to skip; wins over select. */
  readonly ignore?: readonly string[];
  readonly perFileIgnores?: readonly PerFileIgnore[];
  /** Severity per exact rule code; `off` disables the rule. */
  readonly severity?: Readonly<Record<string, RuleSeverity>>;
  readonly simulation?: { readonly band?: number; readonly mode?: SimulationMode };
  /** Globs of files and folders not to check when walking folders (relative to the configuration file). */
  readonly exclude?: readonly string[];
  /** The Keras version the project runs ("3.15"): MultiHeadAttention's kernel fans depend on it (Settings.kerasVersion). */
  readonly kerasVersion?: string;
}

/** The keys as written in TOML (kebab-case, as Ruff) and in VS Code settings (camelCase). */
export const CONFIG_KEYS = ['select', 'extend-select', 'ignore', 'per-file-ignores', 'severity', 'simulation', 'exclude', 'keras-version'] as const;
export const SIMULATION_KEYS = ['band', 'mode'] as const;
export const SIMULATION_MODES: readonly SimulationMode[] = ['analytic', 'montecarlo'];
export const SEVERITY_VALUES: readonly RuleSeverity[] = ['error', 'warning', 'info', 'hint', 'off'];
