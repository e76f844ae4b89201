/**
 * The result cache of `initwise check` (issue 16), modelled on Ruff's `.ruff_cache/`:
 * `.initwise_cache/<version>/` beside the configuration that applies to a file (or in the
 * working folder when none does), one entry per file and settings. An entry stores what
 * the report needs (findings, the findings its models reached in imported modules, the
 * JSON format's per-layer numbers) and the list of every file its result read, each with
 * the SHA-256 of its content as read: the file itself, its configuration, and every module
 * of the workspace the analysis read or looked for (`AnalysisResult.dependencies`; a file
 * looked for and not found is listed without a hash and holds only while still absent). A
 * lookup re-hashes each of them and uses the entry only when all still match, so an edit,
 * a new file or a deletion anywhere the result came from is never answered from the cache.
 * The key of an entry is everything else its result depends on: the InitWise version and
 * build, the file's resolved settings, its language, the project root imports resolve from
 * and whether per-layer numbers were asked for.
 *
 * Safe under concurrent runs: an entry is written to a temporary file and renamed into
 * place (rename is atomic on one file system), so a reader sees a whole entry or none;
 * an entry that cannot be read or decoded is a miss. The folder carries its own
 * `.gitignore` (`*`) and a CACHEDIR.TAG, as Ruff does, so it is never committed or
 * backed up. A cache that cannot be written (read-only checkout) is skipped silently:
 * checking works without it.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type { Finding } from '../core/findings';
import type { SilencedCode } from '../core/suppressions';
import type { LanguageId } from '../core/frontends/types';
import type { Settings } from '../core/settings';
import { contentVersion } from '../host/workspaceFiles';
import type { JsonNetwork } from './formatters/json';

export const CACHE_DIR_NAME = '.initwise_cache';

/**
 * One file a cached result depends on, and the hash of its content when it was read; null
 * for a file the analysis looked for and did not find (an import it could not resolve):
 * the entry holds only while that file is still absent.
 */
export interface CacheRead {
  readonly path: string;
  readonly hash: string | null;
}

/** Findings a cached result's models reached in an imported module (the module's text is read again on lookup: it is one of the entry's reads). */
export interface CachedImport {
  readonly absolutePath: string;
  readonly findings: readonly Finding[];
  /** The module's suppression comments its models' findings were silenced by (IW901 across files: cli/unusedSuppressions.ts). */
  readonly silenced?: readonly SilencedCode[];
}

/** What a cached result gives back: the outcome of a file job with no fixes. */
export interface CachedResult {
  readonly findings: readonly Finding[];
  readonly imported: readonly CachedImport[];
  readonly networks: readonly JsonNetwork[] | undefined;
}

/** A hit: the result, and the text of each file it read as just read and hashed (the texts its findings refer to). */
export interface CacheHit {
  readonly result: CachedResult;
  readonly texts: ReadonlyMap<string, string>;
}

interface Entry {
  readonly key: string;
  readonly reads: readonly CacheRead[];
  readonly result: CachedResult;
}

/** SHA-256 of a text as InitWise read it (UTF-8, without a byte-order mark): a file's version in the CLI's workspace reading too. */
export const hashText: (text: string) => string = contentVersion;

/**
 * The part of the key that is not a file's content. `build` identifies the engine beyond
 * its version number (the CLI passes a hash of its own bundle), so a rebuilt InitWise of
 * the same version never reuses results of the old code.
 */
export function cacheKey(parts: { version: string; build: string; settings: Settings; languageId: LanguageId; wantNetworks: boolean; projectRoot: string | undefined }): string {
  return createHash('sha256').update(JSON.stringify([parts.version, parts.build, parts.languageId, parts.wantNetworks, parts.projectRoot ?? null, parts.settings])).digest('hex');
}

/** A file's content now, without a byte-order mark (as InitWise reads sources); undefined when it cannot be read. */
function readNow(file: string): string | undefined {
  try {
    const raw = fs.readFileSync(file, 'utf8');
    return raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  } catch {
    return undefined;
  }
}

export class ResultCache {
  /** Folders whose `.gitignore` and tag this run already wrote (or found). */
  private readonly prepared = new Set<string>();
  /**
   * Each file read by this run's lookups, with its hash (undefined: absent or unreadable). A
   * run sees each file as it was when first read, as its analyses do (host/workspaceFiles.ts):
   * a module many files import is read and hashed once.
   */
  private readonly seen = new Map<string, { text: string; hash: string } | undefined>();

  constructor(private readonly version: string) {}

  /** The folder holding entries for files under `root` (the configuration's folder or the working folder). */
  folder(root: string): string {
    return path.join(root, CACHE_DIR_NAME, this.version.replace(/[^A-Za-z0-9._-]/g, '_'));
  }

  private entryPath(folder: string, absolutePath: string, key: string): string {
    return path.join(folder, createHash('sha256').update(`${absolutePath}\0${key}`).digest('hex').slice(0, 40));
  }

  /** A file as this run first read it, with its hash; undefined when it is absent or cannot be read. */
  private now(file: string): { text: string; hash: string } | undefined {
    if (this.seen.has(file)) return this.seen.get(file);
    const text = readNow(file);
    const now = text === undefined ? undefined : { text, hash: hashText(text) };
    this.seen.set(file, now);
    return now;
  }

  /**
   * The cached result for this file and key, if every file it read still has the content it
   * had and every file it looked for is still absent; with the texts of those files as just
   * read and hashed (the checked file's and its imported modules': what the findings refer to).
   */
  lookup(folder: string, absolutePath: string, key: string): CacheHit | undefined {
    let entry: unknown;
    try {
      entry = v8.deserialize(fs.readFileSync(this.entryPath(folder, absolutePath, key)));
    } catch {
      return undefined; // no entry, or one this build cannot read
    }
    if (!isEntry(entry) || entry.key !== key || entry.reads[0]?.path !== absolutePath || entry.reads[0].hash === null) return undefined;
    const texts = new Map<string, string>();
    for (const read of entry.reads) {
      const now = this.now(read.path);
      if ((now?.hash ?? null) !== read.hash) return undefined;
      if (now) texts.set(read.path, now.text);
    }
    // Every module the findings lie in was read (it is in the list): its text is here.
    if (!entry.result.imported.every((m) => texts.has(m.absolutePath))) return undefined;
    return { result: entry.result, texts };
  }

  /**
   * Stores a result; `reads` must name every file it was computed from, with the hashes of
   * what was read, the checked file itself first.
   */
  store(folder: string, absolutePath: string, key: string, reads: readonly CacheRead[], result: CachedResult): void {
    try {
      this.prepare(folder);
      const target = this.entryPath(folder, absolutePath, key);
      const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      const entry: Entry = { key, reads, result };
      fs.writeFileSync(temporary, v8.serialize(entry));
      try {
        fs.renameSync(temporary, target);
      } catch (error) {
        fs.rmSync(temporary, { force: true });
        throw error;
      }
    } catch {
      // A cache that cannot be written only costs the next run its time.
    }
  }

  /** Creates the folder, and beside the versions a `.gitignore` ignoring everything and a CACHEDIR.TAG. */
  private prepare(folder: string): void {
    if (this.prepared.has(folder)) return;
    fs.mkdirSync(folder, { recursive: true });
    const top = path.dirname(folder);
    writeOnce(path.join(top, '.gitignore'), '# Automatically created by initwise.\n*\n');
    writeOnce(path.join(top, 'CACHEDIR.TAG'), 'Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by initwise.\n');
    this.prepared.add(folder);
  }
}

/** The shape of an entry (a damaged file may decode to anything). */
function isEntry(value: unknown): value is Entry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<Entry>;
  return typeof entry.key === 'string' && typeof entry.result === 'object' && entry.result !== null && Array.isArray(entry.result.findings)
    && Array.isArray(entry.result.imported) && (entry.result.imported as unknown[]).every((m) => typeof m === 'object' && m !== null && typeof (m as CachedImport).absolutePath === 'string' && Array.isArray((m as CachedImport).findings))
    && Array.isArray(entry.reads) && (entry.reads as unknown[]).every((r) => typeof r === 'object' && r !== null && typeof (r as CacheRead).path === 'string' && (typeof (r as CacheRead).hash === 'string' || (r as CacheRead).hash === null));
}

/** Writes a small file unless it exists; a concurrent run writing the same bytes is fine. */
function writeOnce(file: string, text: string): void {
  if (fs.existsSync(file)) return;
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}
