/** Command-line parsing: what each command line means, and the one-line reason when it means nothing. */
import * as assert from 'node:assert/strict';
import { parseCommandLine, UsageError } from '../../server/src/cli/args';

const usageError = (argv: string[], pattern: RegExp) =>
  assert.throws(() => parseCommandLine(argv), (error: unknown) => error instanceof UsageError && pattern.test(error.message));

describe('command line', () => {
  it('defaults check to the current folder and text output', () => {
    assert.deepEqual(parseCommandLine(['check']), { kind: 'check', paths: ['.'], format: 'text', select: [], extendSelect: [], ignore: [], exitZero: false, config: undefined, simulate: undefined, fix: false, unsafeFixes: false, diff: false, showFixes: false, statistics: false, jobs: undefined, cache: true });
  });

  it('reads paths, format, comma lists and repeated flags', () => {
    assert.deepEqual(parseCommandLine(['check', 'a', '--format', 'json', 'b', '--select', 'iw101, IW3', '--select=IW002', '--ignore', 'IW301', '--exit-zero']), {
      kind: 'check',
      paths: ['a', 'b'],
      format: 'json',
      select: ['IW101', 'IW3', 'IW002'],
      extendSelect: [],
      ignore: ['IW301'],
      exitZero: true,
      config: undefined,
      simulate: undefined,
      fix: false,
      unsafeFixes: false,
      diff: false,
      showFixes: false,
      statistics: false,
      jobs: undefined,
      cache: true,
    });
  });

  it('--no-cache turns the result cache off', () => {
    const command = parseCommandLine(['check', '--no-cache']);
    assert.equal(command.kind === 'check' && command.cache, false);
  });

  it('knows help, version and rule', () => {
    assert.deepEqual(parseCommandLine(['--help']), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['check', '-h']), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' });
    assert.deepEqual(parseCommandLine(['rule', 'IW101']), { kind: 'rule', code: 'IW101' });
    assert.deepEqual(parseCommandLine(['rule']), { kind: 'rule', code: undefined });
  });

  it('rejects what it does not understand with a short reason', () => {
    usageError([], /missing command/);
    usageError(['lint'], /unknown command 'lint'/);
    usageError(['check', '--frobnicate'], /^unknown option '--frobnicate'/);
    usageError(['check', '--format'], /needs a value/);
    usageError(['check', '--format', 'xml'], /unknown format 'xml'/);
    usageError(['check', '--select', 'E501'], /'E501' is not a rule code/);
    usageError(['rule', 'IW101', 'IW102'], /one rule code/);
    usageError(['rule', 'IW101', '--format', 'json'], /only applies to `initwise check`/);
  });

  it('reads the fixing, output and configuration flags', () => {
    const command = parseCommandLine(['check', 'm', '--fix', '--unsafe-fixes', '--format', 'json', '--config', 'ci.toml', '--simulate', 'montecarlo', '--extend-select', 'IW9', '--jobs', '2', '--statistics', '--show-fixes']);
    assert.equal(command.kind, 'check');
    if (command.kind !== 'check') return;
    assert.deepEqual(
      { fix: command.fix, unsafe: command.unsafeFixes, format: command.format, config: command.config, simulate: command.simulate, extend: command.extendSelect, jobs: command.jobs, statistics: command.statistics, showFixes: command.showFixes },
      { fix: true, unsafe: true, format: 'json', config: 'ci.toml', simulate: 'montecarlo', extend: ['IW9'], jobs: 2, statistics: true, showFixes: true },
    );
    const diff = parseCommandLine(['check', '--diff', '--fix']);
    assert.ok(diff.kind === 'check' && diff.diff && !diff.fix, '--diff wins over --fix: nothing is written');
    assert.equal((parseCommandLine(['check', '--format', 'github']) as { format: string }).format, 'github');
  });

  it('rejects flag combinations that mean nothing', () => {
    usageError(['check', '--unsafe-fixes'], /--unsafe-fixes needs --fix or --diff/);
    usageError(['check', '--diff', '--format', 'json'], /cannot be combined with --format/);
    usageError(['check', '--simulate', 'exact'], /unknown simulation 'exact'/);
    usageError(['check', '--statistics', '--format', 'sarif'], /--statistics prints text or JSON/);
    usageError(['check', '--jobs', '0'], /--jobs: '0'/);
    usageError(['rule', 'IW101', '--fix'], /--fix only applies to `initwise check`/);
  });
});
