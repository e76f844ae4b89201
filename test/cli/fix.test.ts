/**
 * Fixing from the CLI: `--fix` writes safe fixes, `--unsafe-fixes` also unsafe ones,
 * `--diff` shows the same change without writing, suppressions are never applied in bulk,
 * and a file that changed since it was read is never overwritten. Also: many files on
 * worker threads give the same report as one thread, and an unreadable file gives exit 2
 * after the others were checked.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze } from '../../server/src/core/analyze';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';
import { runFileJob, writeIfUnchanged, type FileJob } from '../../server/src/cli/fileJob';
import { initwise, MIXED, netdef, project } from './support';

describe('initwise check: fixing', () => {
  it('--fix applies safe fixes only and reports what remains', () => {
    const dir = project({ 'a.netdef': MIXED });
    const run = initwise(['check', 'a.netdef', '--fix'], dir);
    const after = fs.readFileSync(path.join(dir, 'a.netdef'), 'utf8');
    assert.equal(after, MIXED.replace('  dense 64 activation=relu\n', '  dense 64 activation=relu init=default\n'));
    assert.match(run.stdout, /Fixed 1 finding in 1 file\.\n/);
    // Info: the three-layer network ends inside the band (issue 13: severity follows impact).
    assert.match(run.stdout, /IW101 \[info\]/, 'the unsafe IW101 fix is not applied');
    assert.doesNotMatch(after, /initwise: ignore/);
    assert.equal(run.status, 0);
  });

  it('--fix --unsafe-fixes also applies unsafe fixes, never suppressions, until clean', () => {
    const dir = project({ 'a.netdef': MIXED });
    const run = initwise(['check', 'a.netdef', '--fix', '--unsafe-fixes'], dir);
    const after = fs.readFileSync(path.join(dir, 'a.netdef'), 'utf8');
    assert.equal(after, MIXED.replace('init=glorot_uniform', 'init=he_normal').replace('  dense 64 activation=relu\n', '  dense 64 activation=relu init=he_normal\n'));
    assert.match(run.stdout, /Fixed 2 findings in 1 file\.\nAll checks passed\.\n$/);
    assert.equal(run.status, 0);
  });

  it('--diff shows what --fix would do and writes nothing', () => {
    const dir = project({ 'a.netdef': MIXED, 'clean.netdef': netdef('network c framework=keras {', '  input 8', '  dense 8 activation=relu init=he_normal', '}') });
    const run = initwise(['check', '.', '--diff'], dir);
    assert.equal(fs.readFileSync(path.join(dir, 'a.netdef'), 'utf8'), MIXED);
    assert.equal(
      run.stdout,
      [
        '--- a/a.netdef',
        '+++ b/a.netdef',
        '@@ -1,6 +1,6 @@',
        ' network mixed framework=pytorch {',
        '   input 64',
        '   dense 64 activation=relu init=glorot_uniform',
        '-  dense 64 activation=relu',
        '+  dense 64 activation=relu init=default',
        '   dense 10 init=xavier_uniform',
        ' }',
        '',
        'Would fix 1 finding in 1 file.',
        '',
      ].join('\n'),
    );
    assert.equal(run.status, 1);
    assert.equal(initwise(['check', 'clean.netdef', '--diff'], dir).status, 0);
  });

  it('keeps a byte-order mark and CRLF line ends through a fix', () => {
    const crlf = '\ufeff' + MIXED.replace(/\n/g, '\r\n');
    const dir = project({ 'a.netdef': crlf });
    initwise(['check', 'a.netdef', '--fix'], dir);
    assert.equal(fs.readFileSync(path.join(dir, 'a.netdef'), 'utf8'), crlf.replace('  dense 64 activation=relu\r\n', '  dense 64 activation=relu init=default\r\n'));
  });

  it('never writes over a file that changed since it was read', () => {
    const dir = project({ 'a.netdef': MIXED });
    const file = path.join(dir, 'a.netdef');
    const job: FileJob = { absolutePath: file, displayPath: 'a.netdef', languageId: 'netdef', settings: DEFAULT_SETTINGS, fix: 'safe', write: true, wantNetworks: false };
    fs.writeFileSync(file, MIXED + '# saved by the editor meanwhile\n');
    assert.equal(writeIfUnchanged(job, MIXED, 'fixed'), 'a.netdef: changed while it was being fixed; not written (run again)');
    assert.equal(fs.readFileSync(file, 'utf8'), MIXED + '# saved by the editor meanwhile\n');
    // And the normal path writes what analyze() agrees is fixed.
    const outcome = runFileJob(job);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.fixesApplied, 1);
    assert.deepEqual(analyze({ text: fs.readFileSync(file, 'utf8'), languageId: 'netdef' }).findings.map((f) => f.code), ['IW101']);
  });
});

describe('initwise check: many files', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 60; i++) {
    const init = ['glorot_uniform', 'he_normal', 'zeros', 'normal(std=0.01)'][i % 4]!;
    files[`m/${String(i).padStart(2, '0')}.netdef`] = netdef(`network n${i} framework=pytorch {`, '  input 32', `  dense 32 activation=relu init=${init}`, '  dense 32 activation=relu', '  dense 4 init=xavier_uniform', '}');
  }

  it('gives the same report on worker threads as on one thread', () => {
    const dir = project(files);
    for (const format of ['text', 'json', 'sarif']) {
      const one = initwise(['check', '.', '--format', format, '--jobs', '1'], dir);
      const many = initwise(['check', '.', '--format', format, '--jobs', '3'], dir);
      assert.equal(many.stdout, one.stdout, format);
      assert.equal(many.status, one.status);
      assert.equal(many.stderr, '');
    }
  });

  it('--fix on worker threads fixes every file', () => {
    const dir = project(files);
    initwise(['check', '.', '--fix', '--jobs', '3'], dir);
    const rerun = initwise(['check', '.', '--statistics'], dir);
    assert.doesNotMatch(rerun.stdout, /IW301/, 'every safe IW301 fix was written');
  });

  it('an unreadable file gives exit 2 after the others were checked', () => {
    // A dangling link: unreadable even for root (CI runs as root, which reads any chmod 000 file).
    const dir = project(files);
    fs.symlinkSync(path.join(dir, 'missing-target.netdef'), path.join(dir, 'm', 'zz-broken.netdef'));
    const run = initwise(['check', 'm', 'm/zz-broken.netdef', '--jobs', '3'], dir);
    assert.equal(run.status, 2);
    assert.match(run.stdout, /Found \d+ findings in 60 files/);
    assert.equal(run.stderr, 'initwise: m/zz-broken.netdef: no such file or directory\n');
  });
});
