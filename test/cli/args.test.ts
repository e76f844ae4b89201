/** Command-line parsing: what each command line means, and the one-line reason when it means nothing. */
import * as assert from 'node:assert/strict';
import { parseCommandLine, UsageError } from '../../server/src/cli/args';

const usageError = (argv: string[], pattern: RegExp) =>
  assert.throws(() => parseCommandLine(argv), (error: unknown) => error instanceof UsageError && pattern.test(error.message));

describe('command line', () => {
  it('defaults check to the current folder and text output', () => {
    assert.deepEqual(parseCommandLine(['check']), { kind: 'check', paths: ['.'], format: 'text', select: [], ignore: [], exitZero: false });
  });

  it('reads paths, format, comma lists and repeated flags', () => {
    assert.deepEqual(parseCommandLine(['check', 'a', '--format', 'json', 'b', '--select', 'iw101, IW3', '--select=IW002', '--ignore', 'IW301', '--exit-zero']), {
      kind: 'check',
      paths: ['a', 'b'],
      format: 'json',
      select: ['IW101', 'IW3', 'IW002'],
      ignore: ['IW301'],
      exitZero: true,
    });
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

  it('says plainly which parts of the contract are not implemented yet', () => {
    usageError(['check', '--fix'], /--fix is not available/);
    usageError(['check', '--unsafe-fixes'], /--unsafe-fixes is not available/);
    usageError(['check', '--config', 'x.toml'], /--config is not available/);
    usageError(['check', '--simulate', 'montecarlo'], /--simulate is not available/);
    usageError(['check', '--format', 'sarif'], /--format sarif is not available/);
    usageError(['check', '--format', 'github'], /--format github is not available/);
  });
});
