/**
 * The CLI's launcher (dist/cli.js, server/src/cli/launcher.ts) compiles the CLI's bundle
 * with a V8 code cache kept beside it. Whatever the cache file holds — nothing, another
 * build's, a torn or corrupted file, bytes V8 rejects — a run prints exactly what it prints
 * without one, and a bad file is replaced by a good one; concurrent runs and an unwritable
 * cache directory change nothing either. Run on a copy of dist/ (the cache
 * lives beside the bundles).
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const EXAMPLES = path.join(ROOT, 'examples');

describe('initwise launcher: the V8 code cache', function () {
  this.timeout(120_000);
  let dist: string;
  let cacheDir: string;
  let plain: string;

  const run = (args: readonly string[], entry = 'cli.js') => {
    const result = spawnSync(process.execPath, [path.join(dist, entry), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(result.stderr, '', result.stderr);
    return result.stdout;
  };
  const check = () => run(['check', EXAMPLES, '--no-cache', '--exit-zero', '--jobs', '1']);
  const cacheFiles = () => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []);
  const theCache = () => {
    const files = cacheFiles();
    assert.equal(files.length, 1, `cache files: ${files.join(', ')}`);
    return path.join(cacheDir, files[0]!);
  };
  const checksumHolds = (file: string) => {
    const data = fs.readFileSync(file);
    return crypto.createHash('sha256').update(data.subarray(32)).digest().equals(data.subarray(0, 32));
  };

  before(() => {
    if (!fs.existsSync(path.join(DIST, 'cliMain.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it) before these tests');
    dist = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-launcher-'));
    for (const file of fs.readdirSync(DIST)) {
      if (/\.(js|wasm)$/.test(file)) fs.copyFileSync(path.join(DIST, file), path.join(dist, file));
    }
    cacheDir = path.join(dist, '.cache');
    // The bundle run directly: no launcher, no cache.
    plain = run(['check', EXAMPLES, '--no-cache', '--exit-zero', '--jobs', '1'], 'cliMain.js');
    assert.equal(cacheFiles().length, 0);
  });
  after(() => {
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('writes no cache for a run that is not a check', () => {
    assert.match(run(['--version']), /^initwise /);
    assert.equal(cacheFiles().length, 0);
  });

  it('a check writes one, named by the bundle\'s hash, checksummed; the next run uses it as it is', () => {
    assert.equal(check(), plain);
    const file = theCache();
    const hash = crypto.createHash('sha256').update(fs.readFileSync(path.join(dist, 'cliMain.js'))).digest('hex').slice(0, 16);
    assert.ok(path.basename(file).startsWith(`cliMain-${hash}-${process.version}-`), path.basename(file));
    assert.ok(checksumHolds(file));
    const written = fs.statSync(file).ino;
    assert.equal(check(), plain);
    // Accepted by V8, so not written again (a rewrite renames a new file into place).
    assert.equal(fs.statSync(theCache()).ino, written);
  });

  for (const [damage, spoil] of [
    ['a flipped byte', (data: Buffer) => {
      const copy = Buffer.from(data);
      copy[copy.length >> 1] = 255 - copy[copy.length >> 1]!;
      return copy;
    }],
    ['a torn write', (data: Buffer) => data.subarray(0, data.length >> 2)],
    ['an empty file', () => Buffer.alloc(0)],
    ['bytes V8 rejects under a valid checksum', (data: Buffer) => {
      const payload = crypto.randomBytes(data.length - 32);
      return Buffer.concat([crypto.createHash('sha256').update(payload).digest(), payload]);
    }],
  ] as const) {
    it(`a cache file with ${damage} changes nothing and is replaced`, () => {
      const file = theCache();
      fs.writeFileSync(file, spoil(fs.readFileSync(file)));
      const spoilt = fs.statSync(file).ino;
      assert.equal(check(), plain);
      const replaced = theCache();
      assert.notEqual(fs.statSync(replaced).ino, spoilt);
      assert.ok(checksumHolds(replaced));
      assert.equal(check(), plain);
    });
  }

  it('concurrent first runs all print the same; one good cache file is left, no temporary files', async () => {
    fs.rmSync(cacheDir, { recursive: true, force: true });
    const runs = Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(dist, 'cli.js'), 'check', EXAMPLES, '--no-cache', '--exit-zero', '--jobs', '1'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', () => (err === '' ? resolve(out) : reject(new Error(err))));
    }));
    for (const out of await Promise.all(runs)) assert.equal(out, plain);
    assert.ok(checksumHolds(theCache()));
    assert.equal(check(), plain);
  });

  it('where the cache cannot be written, a run prints the same and leaves nothing', () => {
    // The tests may run as root, to whom a read-only mode means nothing: a file where the
    // cache directory should be makes every write fail as a read-only install does.
    fs.rmSync(cacheDir, { recursive: true, force: true });
    fs.writeFileSync(cacheDir, '');
    try {
      assert.equal(check(), plain);
      assert.equal(check(), plain);
      assert.deepEqual(fs.readdirSync(dist).filter((f) => f.includes('.tmp') || f.endsWith('.v8')), []);
      assert.equal(fs.readFileSync(cacheDir, 'utf8'), '');
    } finally {
      fs.rmSync(cacheDir, { force: true });
    }
    assert.equal(check(), plain);
    assert.ok(checksumHolds(theCache()));
  });

  it('a cache of another build is never read, and is removed once this build\'s is written; another Node\'s is kept', () => {
    // The same length (V8 compares only that): a changed digit in a comment-free spot.
    const bundle = path.join(dist, 'cliMain.js');
    const original = fs.readFileSync(bundle, 'utf8');
    const before = theCache();
    const otherNode = path.join(cacheDir, path.basename(before).replace(process.version, 'v99.0.0'));
    fs.copyFileSync(before, otherNode);
    fs.writeFileSync(bundle, original.replace('initwise: internal error (please report this)', 'initwise: internal error (please REPORT this)'));
    try {
      assert.equal(check(), plain);
      const files = cacheFiles().filter((name) => !name.includes('v99.0.0'));
      assert.equal(files.length, 1, `one file, the changed bundle's: ${files.join(', ')}`);
      assert.notEqual(path.join(cacheDir, files[0]!), before);
      assert.ok(!fs.existsSync(before), 'the previous build\'s file is removed');
      assert.ok(fs.existsSync(otherNode), 'another Node version\'s file is kept');
      assert.ok(checksumHolds(path.join(cacheDir, files[0]!)));
    } finally {
      fs.writeFileSync(bundle, original);
    }
  });
});
