/**
 * Configuration files for the CLI: `initwise.toml`, or `[tool.initwise]` in a
 * `pyproject.toml`, the nearest one found by walking up from each checked file (an
 * initwise.toml wins over a pyproject.toml in the same folder; a pyproject.toml without
 * the table is passed over, as Ruff does). `--config FILE` uses one file for everything.
 * A file that cannot be read, is not TOML, or holds an unknown key or a bad value is a
 * ConfigError: one line naming the file, the line and the key, and exit status 2.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml as parse, TomlError } from './toml';
import type { InitWiseConfig } from '../../core/config/model';
import { validateConfig } from '../../core/config/validate';
import { describeFsError } from '../discover';
import { locateKey } from './locate';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  /** Absolute path of the file. */
  readonly file: string;
  /** The folder globs (exclude, per-file-ignores) are relative to. */
  readonly root: string;
  readonly config: InitWiseConfig;
}

const CONFIG_NAMES = ['initwise.toml', 'pyproject.toml'] as const;

/** `key[1].sub` for messages. */
function keyName(keyPath: readonly (string | number)[]): string {
  return keyPath.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

/** Parses one configuration file; undefined for a pyproject.toml without `[tool.initwise]`. */
export function loadConfigFile(file: string, shownAs: string, required = false): LoadedConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${shownAs}: ${describeFsError(error)}`);
  }
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ConfigError(`${shownAs}:${error.line}: invalid TOML: ${reason}`);
    }
    throw error;
  }
  const isPyproject = path.basename(file) === 'pyproject.toml';
  const table = isPyproject ? ['tool', 'initwise'] : [];
  let section: unknown = document;
  if (isPyproject) {
    const tool = document.tool;
    section = typeof tool === 'object' && tool !== null ? (tool as Record<string, unknown>).initwise : undefined;
    if (section === undefined) {
      if (required) throw new ConfigError(`${shownAs}: no [tool.initwise] table`);
      return undefined;
    }
  }
  const validation = validateConfig(section);
  if (!validation.ok) {
    const line = locateKey(text, table, validation.problem.path);
    const where = isPyproject ? '[tool.initwise] ' : '';
    const key = validation.problem.path.length > 0 ? `${where}${keyName(validation.problem.path)}: ` : where;
    throw new ConfigError(`${shownAs}:${line}: ${key}${validation.problem.message}`);
  }
  return { file, root: path.dirname(file), config: validation.config };
}

/**
 * Finds and loads the nearest configuration for files in `folder`, caching per folder
 * (thousands of files share a handful of configurations).
 */
export class ConfigFinder {
  private readonly byFolder = new Map<string, LoadedConfig | undefined>();

  constructor(private readonly show: (absolutePath: string) => string) {}

  forFolder(folder: string): LoadedConfig | undefined {
    const cached = this.byFolder.get(folder);
    if (cached !== undefined || this.byFolder.has(folder)) return cached;
    let found: LoadedConfig | undefined;
    for (const name of CONFIG_NAMES) {
      const candidate = path.join(folder, name);
      if (isFile(candidate)) {
        found = loadConfigFile(candidate, this.show(candidate));
        if (found) break;
      }
    }
    if (!found) {
      const parent = path.dirname(folder);
      found = parent === folder ? undefined : this.forFolder(parent);
    }
    this.byFolder.set(folder, found);
    return found;
  }
}

function isFile(candidate: string): boolean {
  try {
    return fs.statSync(candidate).isFile();
  } catch {
    return false;
  }
}
