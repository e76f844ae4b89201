/** The configuration model: validation, resolution into Settings for a file, globs, and finding a key's line. */
import * as assert from 'node:assert/strict';
import { isExcluded, matchesGlob, mergeConfigs, resolveSettings } from '../../server/src/core/config/resolve';
import { validateConfig } from '../../server/src/core/config/validate';
import { locateKey } from '../../server/src/cli/config/locate';
import { progressBar } from '../../server/src/cli/progress';
import { DEFAULT_SETTINGS } from '../../server/src/core/settings';

describe('configuration', () => {
  it('validates every key and reports the first problem with its key path', () => {
    const ok = validateConfig({ select: ['iw1'], 'extend-select': ['IW301'], ignore: ['IW105'], 'per-file-ignores': { 'tests/**': ['IW1'] }, severity: { IW101: 'error' }, simulation: { band: 20, mode: 'montecarlo' }, exclude: ['build/'] });
    assert.deepEqual(ok, {
      ok: true,
      config: { select: ['IW1'], extendSelect: ['IW301'], ignore: ['IW105'], perFileIgnores: [{ pattern: 'tests/**', codes: ['IW1'] }], severity: { IW101: 'error' }, simulation: { band: 20, mode: 'montecarlo' }, exclude: ['build/'] },
    });
    const problem = (raw: unknown) => {
      const result = validateConfig(raw);
      return result.ok ? undefined : `${result.problem.path.join('/')}: ${result.problem.message}`;
    };
    assert.equal(problem({ select: ['IW7'] }), "select/0: 'IW7' matches no rule (see `initwise rule`)");
    assert.equal(problem({ severity: { IW999: 'off' } }), "severity/IW999: 'IW999' is not a rule code");
    assert.equal(problem({ simulation: { band: 1 } }), 'simulation/band: expected a number greater than 1, found 1');
    assert.equal(problem({ simulation: { mode: 'exact' } }), 'simulation/mode: expected one of analytic, montecarlo, found "exact"');
    assert.equal(problem({ 'per-file-ignores': { 'a/*': 'IW101' } }), 'per-file-ignores/a/*: expected an array of strings, found "IW101"');
    assert.equal(problem({ exclude: [''] }), 'exclude/0: expected a glob, found ""');
    assert.equal(problem({ 'per-file-ignores': { ' ': ['IW1'] } }), 'per-file-ignores/ : expected a glob, found an empty key');
    assert.equal(problem([]), ': expected a table, found an array');
    // Editor settings spell the two-word keys in camelCase.
    assert.deepEqual(validateConfig({ extendSelect: ['IW9'] }, { camelCase: true }), { ok: true, config: { extendSelect: ['IW9'] } });
  });

  it('resolves settings: select replaced by flags, extend-select and ignores add up, per-file-ignores by glob', () => {
    const config = { select: ['IW1'], extendSelect: ['IW301'], ignore: ['IW105'], perFileIgnores: [{ pattern: 'legacy/**', codes: ['IW101'] }], severity: { IW101: 'error' as const }, simulation: { band: 30 } };
    assert.deepEqual(resolveSettings(config, 'a.netdef'), { ...DEFAULT_SETTINGS, select: ['IW1', 'IW301'], ignore: ['IW105'], severity: { IW101: 'error' }, band: 30 });
    assert.deepEqual(resolveSettings(config, 'legacy/x/a.netdef', { ignore: ['IW104'], select: ['IW104'], simulation: 'montecarlo' }), {
      ...DEFAULT_SETTINGS,
      select: ['IW104', 'IW301'],
      ignore: ['IW105', 'IW101', 'IW104'],
      severity: { IW101: 'error' },
      band: 30,
      simulation: 'montecarlo',
    });
    assert.deepEqual(resolveSettings({ extendSelect: ['IW9'] }, undefined).select, [], 'extending "every rule" is every rule');
    assert.deepEqual(mergeConfigs({ select: ['IW1'], ignore: ['IW105'] }, { ignore: ['IW301'], severity: { IW104: 'off' } }), {
      select: ['IW1'],
      extendSelect: [],
      ignore: ['IW105', 'IW301'],
      perFileIgnores: [],
      severity: { IW104: 'off' },
      simulation: {},
      exclude: [],
    });
  });

  it('matches globs relative to the configuration, names without a slash anywhere', () => {
    assert.ok(matchesGlob('*_test.py', 'a/b/model_test.py'));
    assert.ok(!matchesGlob('src/*.py', 'lib/src/x.py'));
    assert.ok(matchesGlob('src/**', 'src/a/b.netdef'));
    assert.ok(isExcluded({ exclude: ['build'] }, 'build'));
    assert.ok(isExcluded({ exclude: ['build'] }, 'build/x.netdef'));
    assert.ok(isExcluded({ exclude: ['generated/'] }, 'generated/deep/x.py'));
    assert.ok(!isExcluded({ exclude: ['build'] }, 'rebuild.netdef'));
  });

  it('finds the line of a key in tables, sub-tables, dotted keys, inline tables and multi-line arrays', () => {
    const text = [
      '[project]', // 1
      'select = "not ours"', // 2
      '[tool.initwise]', // 3
      'select = ["IW1"]', // 4
      'simulation.band = 0', // 5
      'severity = { IW101 = "x", IW102 = "y" }', // 6
      'ignore = [', // 7
      '  "IW301",', // 8
      '  "bad",', // 9
      ']', // 10
      '[tool.initwise.per-file-ignores]', // 11
      '"tests/**" = ["IW1"]', // 12
    ].join('\n');
    const table = ['tool', 'initwise'];
    assert.equal(locateKey(text, table, ['select']), 4);
    assert.equal(locateKey(text, table, ['simulation', 'band']), 5);
    assert.equal(locateKey(text, table, ['severity', 'IW102']), 6);
    assert.equal(locateKey(text, table, ['ignore', 1]), 9);
    assert.equal(locateKey(text, table, ['per-file-ignores', 'tests/**']), 12);
    assert.equal(locateKey(text, table, ['nowhere']), 3, 'falls back to the table header');
  });

  it('draws a progress bar at most every 100 ms and erases it', () => {
    let out = '';
    let now = 0;
    const bar = progressBar((text) => (out += text), () => now);
    bar.update(1, 4);
    now = 50;
    bar.update(2, 4);
    now = 200;
    bar.update(4, 4);
    bar.clear();
    assert.equal(out, `\r[${'#'.repeat(8)}${'·'.repeat(22)}] 1/4 files\r[${'#'.repeat(30)}] 4/4 files\r\u001b[2K`);
  });
});
