/**
 * Turns the paths a user gave into the list of files to check. Folders are walked
 * recursively for `.netdef`, `.py` and `.ipynb` (Jupyter notebook) files; build output, dependencies and hidden
 * folders are skipped because they hold copies or tools, not the user's designs.
 * The order is deterministic (arguments in the order given, folder entries sorted by
 * code unit), so output and golden files do not depend on the file system.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LanguageId } from '../core/frontends/types';

export interface SourceFile {
  readonly absolutePath: string;
  /** Relative to the working directory with `/` separators, as shown in output. */
  readonly displayPath: string;
  readonly languageId: LanguageId;
  /** A Jupyter notebook: its code cells are Python (cli/notebookJob.ts). */
  readonly notebook?: true;
}

export interface Discovery {
  readonly files: readonly SourceFile[];
  /** One line per path that could not be read; the CLI prints them and exits 2. */
  readonly errors: readonly string[];
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '__pycache__']);

export function languageOf(fileName: string): LanguageId | undefined {
  const extension = path.extname(fileName).toLowerCase();
  if (extension === '.netdef') return 'netdef';
  if (extension === '.py' || extension === '.ipynb') return 'python';
  return undefined;
}

export function isNotebookPath(fileName: string): boolean {
  return path.extname(fileName).toLowerCase() === '.ipynb';
}

export function displayPath(absolutePath: string, cwd: string): string {
  const relative = path.relative(cwd, absolutePath);
  const shown = relative === '' ? path.basename(absolutePath) : path.isAbsolute(relative) ? absolutePath : relative;
  return shown.split(path.sep).join('/');
}

export interface DiscoveryOptions {
  /**
   * Files and folders met while walking that must not be checked (the configuration's
   * `exclude`, `.gitignore`). Paths named on the command line are always checked, as in Ruff.
   */
  readonly isExcluded?: (absolutePath: string, isDirectory: boolean) => boolean;
}

export function discoverFiles(paths: readonly string[], cwd: string, options: DiscoveryOptions = {}): Discovery {
  const excluded = options.isExcluded ?? (() => false);
  const files: SourceFile[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();

  const add = (absolutePath: string, languageId: LanguageId) => {
    if (seen.has(absolutePath)) return;
    seen.add(absolutePath);
    files.push({ absolutePath, displayPath: displayPath(absolutePath, cwd), languageId, ...(isNotebookPath(absolutePath) ? { notebook: true as const } : {}) });
  };

  const walk = (folder: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(folder, { withFileTypes: true });
    } catch (error) {
      errors.push(`${displayPath(folder, cwd)}: ${describeFsError(error)}`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      // Symbolic links to folders are not followed: they can form cycles and usually
      // point at something checked elsewhere. Links to files are checked like files.
      const isFile = entry.isFile() || (entry.isSymbolicLink() && isFileTarget(full));
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name) && !excluded(full, true)) walk(full);
      } else if (isFile) {
        const languageId = languageOf(entry.name);
        if (languageId && !excluded(full, false)) add(full, languageId);
      }
    }
  };

  for (const given of paths) {
    const absolutePath = path.resolve(cwd, given);
    let stats: fs.Stats;
    try {
      stats = fs.statSync(absolutePath);
    } catch (error) {
      errors.push(`${given}: ${describeFsError(error)}`);
      continue;
    }
    if (stats.isDirectory()) {
      walk(absolutePath);
    } else if (!stats.isFile()) {
      // Reading a FIFO blocks until a writer comes, a device may never end: the folder walk
      // skips them, and one named on the command line is refused (issue 12).
      errors.push(`${given}: not a regular file (${specialKind(stats)}); only files and folders can be checked`);
    } else {
      // A file named explicitly is checked even inside a skipped folder, but only when
      // InitWise knows its language: guessing would report nonsense as syntax errors.
      const languageId = languageOf(absolutePath);
      if (languageId) add(absolutePath, languageId);
      else errors.push(`${given}: not a .netdef, .py or .ipynb file`);
    }
  }
  return { files, errors };
}

function specialKind(stats: fs.Stats): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * The bytes of a regular file as UTF-8. The file is opened without blocking and checked
 * before it is read, so a path that became a FIFO after discovery cannot hang the run.
 */
export function readRegularFile(absolutePath: string): string {
  return readRegularFileBytes(absolutePath).toString('utf8');
}

/** The bytes of a regular file (a notebook's, checked for valid UTF-8 before it is written back), read as safely as readRegularFile. */
export function readRegularFileBytes(absolutePath: string): Buffer {
  const fd = fs.openSync(absolutePath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) throw new Error(`not a regular file (${specialKind(stats)})`);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function isFileTarget(full: string): boolean {
  try {
    return fs.statSync(full).isFile();
  } catch {
    return false;
  }
}

/** `ENOENT: no such file or directory, stat '/x'` → `no such file or directory`. */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    }
  }
}
