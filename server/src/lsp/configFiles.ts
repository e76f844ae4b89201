/**
 * Configuration files in the editor: the same `initwise.toml` / `[tool.initwise]` the CLI
 * reads (found by walking up from each document, cli/config/load.ts), merged under the
 * editor's settings the way CLI flags merge over the file (core/config/resolve.ts): a
 * non-empty `initwise.select` replaces the file's select, `initwise.ignore` adds to its
 * ignore, `initwise.severity` entries win per code, a band or simulation mode other than
 * the default wins. The server reloads when a configuration file changes
 * (workspace/didChangeWatchedFiles). A broken file is reported once in the log and in a
 * warning message, and the document is linted as if the file were absent.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InitWiseConfig } from '../core/config/model';
import { resolveSettings } from '../core/config/resolve';
import { DEFAULT_SETTINGS, type Settings } from '../core/settings';
import { ConfigError, ConfigFinder, type LoadedConfig } from '../cli/config/load';

export const CONFIG_FILE_GLOBS = ['**/pyproject.toml', '**/initwise.toml'] as const;

export function isConfigFileUri(uri: string): boolean {
  return /(?:^|\/)(?:pyproject|initwise)\.toml$/.test(uri);
}

/** The file's settings under the editor's: editor values that differ from the defaults win. */
export function mergeEditorOverFile(editor: Settings, loaded: { readonly root: string; readonly config: InitWiseConfig } | undefined, file: string): Settings {
  if (!loaded) return editor;
  const relative = path.relative(loaded.root, file).split(path.sep).join('/');
  const fromFile = resolveSettings(loaded.config, relative.startsWith('..') ? undefined : relative, {
    select: editor.select,
    ignore: editor.ignore,
    ...(editor.simulation !== DEFAULT_SETTINGS.simulation ? { simulation: editor.simulation } : {}),
  });
  return {
    ...fromFile,
    severity: { ...fromFile.severity, ...editor.severity },
    band: editor.band !== DEFAULT_SETTINGS.band ? editor.band : fromFile.band,
  };
}

export class ConfigFiles {
  private finder = new ConfigFinder((absolutePath) => absolutePath);
  private readonly merged = new Map<string, { readonly base: Settings; readonly settings: Settings }>();
  private readonly reported = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  /** The engine settings for `uri`: the editor's, merged over the nearest configuration file. Same object while nothing changed. */
  apply(uri: string, editor: Settings): Settings {
    const cached = this.merged.get(uri);
    if (cached && cached.base === editor) return cached.settings;
    const file = filePath(uri);
    const settings = file === undefined ? editor : mergeEditorOverFile(editor, this.load(path.dirname(file)), file);
    this.merged.set(uri, { base: editor, settings });
    return settings;
  }

  private load(folder: string): LoadedConfig | undefined {
    try {
      return this.finder.forFolder(folder);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      if (!this.reported.has(error.message)) {
        this.reported.add(error.message);
        this.warn(`InitWise: ${error.message} (this configuration file is ignored until it is fixed)`);
      }
      return undefined;
    }
  }

  /** A configuration file changed: read everything again on the next lint. */
  reload(): void {
    this.finder = new ConfigFinder((absolutePath) => absolutePath);
    this.merged.clear();
    this.reported.clear();
  }

  forget(uri: string): void {
    this.merged.delete(uri);
  }
}

function filePath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
