/**
 * The server's view of the `initwise` settings: validated (they are user input, and
 * a malformed value must degrade to its default, not crash a lint run), mapped onto
 * the engine's Settings, and cached per document.
 *
 * Sources, lowest to highest: defaults, initializationOptions (clients without
 * workspace/configuration, e.g. Neovim's init_options), the settings pushed with
 * didChangeConfiguration, and, when the client supports it, workspace/configuration
 * pulled per document (so folder-level settings apply).
 */
import type { Connection } from 'vscode-languageserver/node';
import type { PerFileIgnore } from '../core/config/model';
import { decisionOfSetting } from '../core/frontends/python/frameworks/kerasVersion';
import { DEFAULT_SETTINGS, type Settings } from '../core/settings';
import type { RuleSeverity } from '../core/settings';
import { CONFIGURATION_DEFAULTS, CONFIGURATION_SECTION, SEVERITY_LEVELS, type SeverityLevel } from '../protocol';

/**
 * The configuration-file keys the editor mirrors that depend on the file's path
 * (relative to its workspace folder), resolved per document in lsp/configFiles.ts.
 */
export interface EditorFileSettings {
  readonly extendSelect: readonly string[];
  readonly perFileIgnores: readonly PerFileIgnore[];
  readonly exclude: readonly string[];
}

export interface ServerSettings {
  readonly enable: boolean;
  readonly debounceMs: number;
  readonly engine: Settings;
  readonly files: EditorFileSettings;
}

export const NO_EDITOR_FILE_SETTINGS: EditorFileSettings = { extendSelect: [], perFileIgnores: [], exclude: [] };

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  enable: CONFIGURATION_DEFAULTS.enable,
  debounceMs: CONFIGURATION_DEFAULTS.debounceMs,
  engine: DEFAULT_SETTINGS,
  files: NO_EDITOR_FILE_SETTINGS,
};

/** Turns whatever the client sent as the `initwise` section into valid settings. */
export function parseServerSettings(raw: unknown): ServerSettings {
  const section = isRecord(raw) ? raw : {};
  const simulation = isRecord(section.simulation) ? section.simulation : {};
  return {
    enable: typeof section.enable === 'boolean' ? section.enable : CONFIGURATION_DEFAULTS.enable,
    debounceMs: parseDebounce(section.debounceMs),
    engine: {
      severity: parseSeverity(section.severity),
      band: parseBand(simulation.band),
      simulation: simulation.mode === 'montecarlo' ? 'montecarlo' : 'analytic',
      select: parseCodeList(section.select),
      ignore: parseCodeList(section.ignore),
      ...(parseKerasVersion(section.kerasVersion) !== undefined ? { kerasVersion: parseKerasVersion(section.kerasVersion)! } : {}),
    },
    files: parseFileSettings(section),
  };
}

function parseFileSettings(section: Record<string, unknown>): EditorFileSettings {
  const extendSelect = parseCodeList(section.extendSelect);
  const exclude = parseStringList(section.exclude);
  const perFileIgnores: PerFileIgnore[] = [];
  if (isRecord(section.perFileIgnores)) {
    for (const [pattern, codes] of Object.entries(section.perFileIgnores)) {
      const list = parseCodeList(codes);
      if (pattern.trim() !== '' && list.length > 0) perFileIgnores.push({ pattern: pattern.trim(), codes: list });
    }
  }
  if (extendSelect.length === 0 && exclude.length === 0 && perFileIgnores.length === 0) return NO_EDITOR_FILE_SETTINGS;
  return { extendSelect, perFileIgnores, exclude };
}

/** `initwise.kerasVersion`: a Keras release with its minor ("3.15"); anything else is unset. */
function parseKerasVersion(value: unknown): string | undefined {
  return typeof value === 'string' && decisionOfSetting(value) !== undefined ? value.trim() : undefined;
}

function parseStringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
}

function parseDebounce(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return CONFIGURATION_DEFAULTS.debounceMs;
  return Math.min(value, CONFIGURATION_DEFAULTS.maxDebounceMs);
}

/** A band is a factor either way; anything at or below 1 would flag every network. */
function parseBand(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 1) return CONFIGURATION_DEFAULTS.band;
  return value;
}

function parseSeverity(value: unknown): Record<string, RuleSeverity> {
  if (!isRecord(value)) return {};
  const out: Record<string, RuleSeverity> = {};
  for (const [code, level] of Object.entries(value)) {
    if (typeof level !== 'string') continue;
    const normalized = level.trim().toLowerCase();
    // VS Code users sometimes write "information" (the editor's own word for it).
    const mapped = normalized === 'information' ? 'info' : normalized;
    if ((SEVERITY_LEVELS as readonly string[]).includes(mapped)) out[code.trim().toUpperCase()] = mapped as SeverityLevel;
  }
  return out;
}

function parseCodeList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim().toUpperCase());
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Per-document settings with a cache, invalidated on didChangeConfiguration. Pulling
 * per document costs one round trip on first open and none afterwards.
 */
export class SettingsStore {
  private pushed: ServerSettings;
  private readonly perDocument = new Map<string, Promise<ServerSettings>>();
  /** The settings last resolved per document, for decisions that cannot wait (the debounce delay). */
  private readonly resolved = new Map<string, ServerSettings>();
  private pullSupported = false;

  constructor(
    private readonly connection: Connection,
    initializationOptions: unknown,
  ) {
    // initializationOptions belong to this server alone: accept the bare section too.
    const options = isRecord(initializationOptions) ? initializationOptions : {};
    this.pushed = parseServerSettings(CONFIGURATION_SECTION in options ? options[CONFIGURATION_SECTION] : options);
  }

  /** Called once the client's capabilities are known. */
  enablePull(supported: boolean): void {
    this.pullSupported = supported;
  }

  /**
   * didChangeConfiguration: VS Code sends `{ settings: null }` (pull again), Neovim
   * sends the settings themselves; accept either.
   */
  onDidChange(settings: unknown): void {
    // Only `{ initwise: ... }` counts: Neovim pushes every server's settings in one object.
    if (isRecord(settings) && CONFIGURATION_SECTION in settings) this.pushed = parseServerSettings(settings[CONFIGURATION_SECTION]);
    this.perDocument.clear();
  }

  forget(uri: string): void {
    this.perDocument.delete(uri);
    this.resolved.delete(uri);
  }

  /** Synchronous best guess: what `get` last returned for `uri`, else the pushed settings. */
  peek(uri: string): ServerSettings {
    return this.resolved.get(uri) ?? this.pushed;
  }

  get(uri: string): Promise<ServerSettings> {
    if (!this.pullSupported) return Promise.resolve(this.pushed);
    let cached = this.perDocument.get(uri);
    if (!cached) {
      const pulled = this.pull(uri).then((settings) => {
        if (settings === undefined) {
          // Not cached: the next request asks again (identity check: a newer pull may have replaced it).
          if (this.perDocument.get(uri) === pulled) this.perDocument.delete(uri);
          return this.pushed;
        }
        this.resolved.set(uri, settings);
        return settings;
      });
      cached = pulled;
      this.perDocument.set(uri, cached);
    }
    return cached;
  }

  /** The client's settings for `uri`; undefined when the request failed. */
  private async pull(uri: string): Promise<ServerSettings | undefined> {
    try {
      const section: unknown = await this.connection.workspace.getConfiguration({
        scopeUri: uri,
        section: CONFIGURATION_SECTION,
      });
      // A client that has no value for the section answers null: keep what was pushed.
      return section === null || section === undefined ? this.pushed : parseServerSettings(section);
    } catch (error) {
      this.connection.console.warn(`initwise: could not read settings for ${uri}: ${String(error)}`);
      return undefined;
    }
  }
}
