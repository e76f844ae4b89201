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
import { isExcluded, matchesGlob, resolveSettings } from '../core/config/resolve';
import { DEFAULT_SETTINGS, type Settings } from '../core/settings';
import { ConfigError, ConfigFinder, type LoadedConfig } from '../cli/config/load';
import { NO_EDITOR_FILE_SETTINGS, type EditorFileSettings } from './settings';

export const CONFIG_FILE_GLOBS = ['**/pyproject.toml', '**/initwise.toml'] as const;

export function isConfigFileUri(uri: string): boolean {
  return /(?:^|\/)(?:pyproject|initwise)\.toml$/.test(uri);
}

/** A path inside `root`, `/`-separated; undefined when the file lies outside it. */
function relativeInside(root: string | undefined, file: string): string | undefined {
  if (root === undefined) return undefined;
  const relative = path.relative(root, file).split(path.sep).join('/');
  return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative;
}

/**
 * The file's settings under the editor's: editor values that differ from the defaults win.
 * The editor's path-dependent keys (`initwise.extendSelect`, `initwise.perFileIgnores`,
 * relative to the workspace folder) merge like the file's own: extend-select and ignores add up.
 */
export function mergeEditorOverFile(
  editor: Settings,
  loaded: { readonly root: string; readonly config: InitWiseConfig } | undefined,
  file: string,
  files: EditorFileSettings = NO_EDITOR_FILE_SETTINGS,
  workspaceRoot?: string,
): Settings {
  const inWorkspace = relativeInside(workspaceRoot, file);
  const editorIgnores = inWorkspace === undefined
    ? []
    : files.perFileIgnores.filter((entry) => matchesGlob(entry.pattern, inWorkspace)).flatMap((entry) => entry.codes);
  if (!loaded && files.extendSelect.length === 0 && editorIgnores.length === 0) return editor;
  const fromFile = resolveSettings(loaded?.config ?? {}, loaded ? relativeInside(loaded.root, file) : undefined, {
    select: editor.select,
    extendSelect: files.extendSelect,
    ignore: [...editor.ignore, ...editorIgnores],
    ...(editor.simulation !== DEFAULT_SETTINGS.simulation ? { simulation: editor.simulation } : {}),
  });
  return {
    ...fromFile,
    severity: { ...fromFile.severity, ...editor.severity },
    band: editor.band !== DEFAULT_SETTINGS.band ? editor.band : fromFile.band,
    ...((editor.kerasVersion ?? fromFile.kerasVersion) !== undefined ? { kerasVersion: editor.kerasVersion ?? fromFile.kerasVersion } : {}),
  };
}

/**
 * Is the document excluded from linting, by the configuration file's `exclude` (relative to
 * its folder) or the editor's `initwise.exclude` (relative to the workspace folder)? As in
 * Ruff's editor integration, an excluded file gets no diagnostics even when opened.
 */
export function isExcludedDocument(
  loaded: { readonly root: string; readonly config: InitWiseConfig } | undefined,
  file: string,
  files: EditorFileSettings,
  workspaceRoot?: string,
): boolean {
  const inConfig = loaded ? relativeInside(loaded.root, file) : undefined;
  if (loaded && inConfig !== undefined && isExcluded(loaded.config, inConfig)) return true;
  const inWorkspace = relativeInside(workspaceRoot, file);
  return inWorkspace !== undefined && isExcluded({ exclude: files.exclude }, inWorkspace);
}

export class ConfigFiles {
  private finder = new ConfigFinder((absolutePath) => absolutePath);
  private readonly merged = new Map<string, { readonly base: Settings; readonly files: EditorFileSettings; readonly settings: Settings | undefined }>();
  private readonly reported = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  /**
   * The engine settings for `uri`: the editor's, merged over the nearest configuration file;
   * undefined when the document is excluded from linting. Same object while nothing changed.
   */
  apply(uri: string, editor: Settings, files: EditorFileSettings = NO_EDITOR_FILE_SETTINGS, workspaceRoot?: string): Settings | undefined {
    const cached = this.merged.get(uri);
    if (cached && cached.base === editor && cached.files === files) return cached.settings;
    const file = filePath(uri);
    let settings: Settings | undefined = editor;
    if (file !== undefined) {
      const loaded = this.load(path.dirname(file));
      settings = isExcludedDocument(loaded, file, files, workspaceRoot)
        ? undefined
        : mergeEditorOverFile(editor, loaded, file, files, workspaceRoot);
    }
    this.merged.set(uri, { base: editor, files, settings });
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
