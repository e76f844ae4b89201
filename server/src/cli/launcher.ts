/**
 * The `initwise` command's entry (bundled to dist/cli.js): sets the CLI's V8 flags, then
 * compiles and runs the CLI's bundle (dist/cliMain.js) with a V8 code cache, so a run does
 * not parse and compile the 1.2 MB bundle afresh: compiling it was ~40 ms of an empty
 * file's ~130 ms of CPU (issue 16). Node 20 has no `module.enableCompileCache`, so this
 * does what it would: `vm.Script` with `cachedData`, and after a `check` that compiled it
 * afresh, `createCachedData()` (which then holds the functions the run compiled too).
 *
 * The cache is a file beside the bundles (dist/.cache/), named by the SHA-256 of the bundle
 * as read (~2 ms; V8 itself compares only the source's length), Node's version and the
 * architecture; it begins
 * with the SHA-256 of what follows, checked before V8 sees it. So a cache of another build
 * is never read, a torn or corrupted file is ignored (and rewritten), and what V8 itself
 * rejects (other flags, another V8) is rewritten; written to a temporary file and renamed,
 * so concurrent runs never read half a file. Where dist/ is read-only, nothing is written and
 * every run compiles as before; when this build's file is written, other builds' files are
 * removed (pruneOtherBuilds). The flags are set before compiling because V8 keys a code
 * cache by them: a cache made after `setFlagsFromString` is rejected by a process that
 * compiles before.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as Module from 'node:module';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { CLI_V8_FLAGS } from './v8Flags';

const HASH_BYTES = 32;

function readCache(file: string): Buffer | undefined {
  try {
    const data = fs.readFileSync(file);
    if (data.length <= HASH_BYTES) return undefined;
    const payload = data.subarray(HASH_BYTES);
    const digest = crypto.createHash('sha256').update(payload).digest();
    return digest.equals(data.subarray(0, HASH_BYTES)) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/** `payload` is made only once the temporary file is open: where nothing can be written, a run does not pay for it. */
function writeCache(file: string, payload: () => Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  let descriptor: number | undefined;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    descriptor = fs.openSync(temporary, 'w');
    const data = payload();
    fs.writeSync(descriptor, Buffer.concat([crypto.createHash('sha256').update(data).digest(), data]));
    fs.closeSync(descriptor);
    descriptor = undefined;
    fs.renameSync(temporary, file);
    pruneOtherBuilds(file);
  } catch {
    // A read-only install: every run compiles afresh, as without a cache.
    try {
      if (descriptor !== undefined) fs.closeSync(descriptor);
      fs.rmSync(temporary, { force: true });
    } catch {
      // Nothing was written.
    }
  }
}

/**
 * Each build's bundle has its own cache file, and a development checkout rebuilds often
 * (~300 KB per build). Once this build's file is written, the files of other builds for the
 * same Node version and architecture can never be read again: they are removed. Files of
 * another Node version (one dist/ run by two Nodes) are kept.
 */
function pruneOtherBuilds(file: string): void {
  const directory = path.dirname(file);
  const suffix = `-${process.version}-${process.arch}.v8`;
  for (const name of fs.readdirSync(directory)) {
    if (name === path.basename(file) || !/^cliMain-[0-9a-f]{16}-/.test(name) || !name.endsWith(suffix)) continue;
    try {
      fs.rmSync(path.join(directory, name), { force: true });
    } catch {
      // Another run may be removing it too, or the file is in use: it goes next time.
    }
  }
}

function launch(): void {
  for (const flag of CLI_V8_FLAGS) v8.setFlagsFromString(flag);
  const bundle = path.join(__dirname, 'cliMain.js');
  const bytes = fs.readFileSync(bundle);
  const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const source = bytes.toString('utf8');
  const cacheFile = path.join(__dirname, '.cache', `cliMain-${hash}-${process.version}-${process.arch}.v8`);
  const cached = readCache(cacheFile);
  const script = new vm.Script(Module.wrap(source), { filename: bundle, ...(cached ? { cachedData: cached } : {}) });
  if ((!cached || script.cachedDataRejected === true) && process.argv[2] === 'check') {
    process.once('exit', () => writeCache(cacheFile, () => script.createCachedData()));
  }
  const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const module = { exports: {}, filename: bundle, id: bundle, loaded: false };
  run.call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, __dirname);
}

launch();
