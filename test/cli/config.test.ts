/**
 * Configuration through the built CLI: discovery (nearest pyproject.toml / initwise.toml,
 * `--config`), every key's effect on what is reported, excludes and .gitignore, and the
 * one-line exit-2 message naming file, line and key for each kind of mistake.
 */
import * as assert from 'node:assert/strict';
import { initwise, MIXED, project } from './support';

const codes = (stdout: string) => [...stdout.matchAll(/^(\S+):\d+:\d+: (IW\d{3})/gm)].map((m) => `${m[1]} ${m[2]}`);

describe('initwise check: configuration', () => {
  it('reads [tool.initwise] from the nearest pyproject.toml, and initwise.toml over it', () => {
    const dir = project({
      'pyproject.toml': '[project]\nname = "x"\n\n[tool.initwise]\nignore = ["IW301"]\n',
      'a.netdef': MIXED,
      'sub/initwise.toml': 'select = ["IW3"]\n',
      'sub/b.netdef': MIXED,
      'other/pyproject.toml': '[project]\nname = "no initwise table here"\n',
      'other/c.netdef': MIXED,
    });
    const run = initwise(['check', '.'], dir);
    assert.equal(run.stderr, '');
    // a: IW301 ignored; sub/b: only IW3xx; other/c: its pyproject has no table, so the root one applies.
    assert.deepEqual(codes(run.stdout), ['a.netdef IW101', 'other/c.netdef IW101', 'sub/b.netdef IW301']);
  });

  it('applies severity, extend-select, per-file-ignores and simulation settings', () => {
    const dir = project({
      'initwise.toml': [
        'select = ["IW1"]',
        'extend-select = ["IW301"]',
        '',
        '[per-file-ignores]',
        '"legacy/**" = ["IW101"]',
        '"*_test.netdef" = ["IW1"]',
        '',
        '[severity]',
        'IW301 = "error"',
        '',
        '[simulation]',
        'band = 50',
        'mode = "analytic"',
        '',
      ].join('\n'),
      'a.netdef': MIXED,
      'legacy/old.netdef': MIXED,
      'deep/x_test.netdef': MIXED,
    });
    const run = initwise(['check', '.'], dir);
    assert.deepEqual(codes(run.stdout), ['a.netdef IW101', 'a.netdef IW301', 'deep/x_test.netdef IW301', 'legacy/old.netdef IW301']);
    assert.match(run.stdout, /a\.netdef:4:3: IW301 \[error\]/);
    assert.equal(run.status, 1);
  });

  it('flags win: --select replaces the configured selection, --ignore adds to it', () => {
    const dir = project({ 'initwise.toml': 'select = ["IW3"]\n', 'a.netdef': MIXED });
    assert.deepEqual(codes(initwise(['check', '.', '--select', 'IW101'], dir).stdout), ['a.netdef IW101']);
    assert.deepEqual(codes(initwise(['check', '.', '--ignore', 'IW301'], dir).stdout), []);
  });

  it('--config uses one file for every path', () => {
    const dir = project({ 'ci/strict.toml': '[severity]\nIW301 = "warning"\n', 'initwise.toml': 'ignore = ["IW3"]\n', 'a.netdef': MIXED });
    const run = initwise(['check', 'a.netdef', '--config', 'ci/strict.toml'], dir);
    assert.match(run.stdout, /IW301 \[warning\]/);
    const missing = initwise(['check', 'a.netdef', '--config', 'nope.toml'], dir);
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'initwise: nope.toml: no such file or directory\n');
  });

  it('skips excluded and git-ignored files when walking, but checks a file named explicitly', () => {
    const dir = project({
      'initwise.toml': 'exclude = ["generated", "*.draft.netdef"]\n',
      '.gitignore': 'checkpoints/\n',
      'a.netdef': MIXED,
      'generated/g.netdef': MIXED,
      'wip.draft.netdef': MIXED,
      'checkpoints/c.netdef': MIXED,
      'sub/.gitignore': 'local.netdef\n',
      'sub/local.netdef': MIXED,
      'sub/kept.netdef': MIXED,
    });
    const files = (args: string[]) => [...new Set(codes(initwise(args, dir).stdout).map((line) => line.split(' ')[0]))];
    assert.deepEqual(files(['check', '.']), ['a.netdef', 'sub/kept.netdef']);
    assert.deepEqual(files(['check', 'wip.draft.netdef']), ['wip.draft.netdef']);
  });

  describe('mistakes: exit 2 and one line naming file, line and key', () => {
    const cases: [string, string, string, string][] = [
      ['unknown key', 'pyproject.toml', '[tool.initwise]\nselect = ["IW1"]\nselct = ["IW1"]\n', "pyproject.toml:3: [tool.initwise] selct: unknown key 'selct' (known keys: select, extend-select, ignore, per-file-ignores, severity, simulation, exclude, keras-version)"],
      ['bad code in a list', 'initwise.toml', 'ignore = [\n  "IW301",\n  "E501",\n]\n', "initwise.toml:3: ignore[1]: 'E501' is not a rule code or prefix (like IW101 or IW1)"],
      ['bad severity', 'pyproject.toml', '[tool.initwise.severity]\nIW101 = "loud"\n', 'pyproject.toml:2: [tool.initwise] severity.IW101: expected one of error, warning, info, hint, off, found "loud"'],
      ['inline table', 'initwise.toml', 'simulation = { band = 0.5 }\n', 'initwise.toml:1: simulation.band: expected a number greater than 1, found 0.5'],
      ['unknown nested key', 'initwise.toml', '\n[simulation]\nband = 10\nsteps = 3\n', "initwise.toml:4: simulation.steps: unknown key 'steps' (known keys: band, mode)"],
      ['wrong type', 'initwise.toml', 'exclude = "build"\n', 'initwise.toml:1: exclude: expected an array of strings, found "build"'],
      ['not TOML', 'initwise.toml', 'select = ["IW1"\nignore = []\n', 'initwise.toml:2: invalid TOML: '],
    ];
    for (const [what, name, content, expected] of cases) {
      it(what, () => {
        const dir = project({ [name]: content, 'a.netdef': MIXED });
        const run = initwise(['check', '.'], dir);
        assert.equal(run.status, 2);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, /^initwise: [^\n]+\n$/);
        assert.ok(run.stderr.startsWith(`initwise: ${expected}`), run.stderr);
      });
    }
  });
});
