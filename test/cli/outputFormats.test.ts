/**
 * The machine formats and the per-rule statistics through the built CLI: SARIF validated
 * against the official 2.1.0 schema (vendored, see schemas/PROVENANCE.md) with ajv,
 * GitHub workflow annotations, `--statistics` and `--show-fixes`.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { RULES } from '../../server/src/core/rules/registry';
import { ruleDocsUrl } from '../../server/src/protocol';
import { initwise, MIXED, netdef, project } from './support';

interface SarifLog {
  version: string;
  runs: {
    tool: { driver: { name: string; rules: { id: string; helpUri: string }[] } };
    results: {
      ruleId: string;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number; endColumn: number } } }[];
      fixes?: { description: { text: string }; artifactChanges: { replacements: { insertedContent: { text: string } }[] }[] }[];
    }[];
  }[];
}

function sarifValidator() {
  // The schema is draft-04 and one of its patterns is not valid as a Unicode regular expression.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'schemas', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
  return ajv.compile(schema);
}

describe('initwise check: output formats', () => {
  const dir = project({
    'models/mixed.netdef': MIXED,
    'models/space name.netdef': netdef('network s framework=keras {', '  input 8', '  dense 8 activation=relu init=zeros', '  dense 2 init=glorot_uniform', '}'),
    'clean.netdef': netdef('network c framework=keras {', '  input 8', '  dense 8 activation=relu init=he_normal', '}'),
  });

  it('sarif: valid SARIF 2.1.0 with every rule, docs links, regions and fixes', () => {
    const run = initwise(['check', '.', '--format', 'sarif'], dir);
    assert.equal(run.status, 1);
    const log = JSON.parse(run.stdout) as SarifLog;
    const validate = sarifValidator();
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    // The validator is real: a broken log is refused.
    assert.ok(!validate({ ...log, version: '2.0.0' }));

    const driver = log.runs[0]!.tool.driver;
    assert.equal(driver.name, 'initwise');
    assert.deepEqual(driver.rules.map((rule) => rule.id), RULES.map((rule) => rule.meta.code));
    assert.ok(driver.rules.every((rule) => rule.helpUri === ruleDocsUrl(rule.id)));

    const results = log.runs[0]!.results;
    assert.deepEqual(results.map((r) => `${r.locations[0]!.physicalLocation.artifactLocation.uri} ${r.ruleId} ${r.level}`), [
      // The three-layer network ends inside the band: its init findings are notes (issue 13, severity follows impact).
      'models/mixed.netdef IW101 note',
      'models/mixed.netdef IW301 note',
      'models/space%20name.netdef IW104 error',
    ]);
    const iw101 = results[0]!;
    // Impact and fix first, details after (issue 13): what a truncated result list still shows.
    assert.match(iw101.message.text, /^Signal shrinks ×0\.5 per layer: `glorot_uniform` under relu; use he_normal\. fan_in·Var\(W\) = 1 on this 64→64 relu layer/);
    assert.deepEqual(iw101.locations[0]!.physicalLocation.region, { startLine: 3, startColumn: 33, endLine: 3, endColumn: 47 });
    assert.ok(iw101.fixes && iw101.fixes.length > 0);
    assert.equal(iw101.fixes[0]!.artifactChanges[0]!.replacements[0]!.insertedContent.text, 'he_normal');
    assert.ok(!JSON.stringify(results).includes('Suppress'), 'suppressions are not SARIF fixes');
  });

  it('github: one workflow annotation per finding', () => {
    const run = initwise(['check', 'models', '--format', 'github'], dir);
    assert.equal(run.status, 1);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^::notice file=models\/mixed\.netdef,line=3,col=33,endLine=3,endColumn=47,title=IW101::IW101 Signal shrinks ×0\.5 per layer: `glorot_uniform` under relu; use he_normal\. /);
    assert.match(lines[1]!, /^::notice file=models\/mixed\.netdef,line=4,col=3,endLine=4,endColumn=8,title=IW301::IW301 /);
    assert.match(lines[2]!, /^::error file=models\/space name\.netdef,line=3,/);
  });

  it('--statistics counts findings per rule, marking rules with safe fixes', () => {
    const run = initwise(['check', '.', '--statistics'], dir);
    assert.equal(run.stdout, ['1  IW101      init-activation-mismatch', '1  IW104      symmetric-weight-init', '1  IW301  [*] implicit-default-init', ''].join('\n'));
    assert.equal(run.status, 1);
    const json = JSON.parse(initwise(['check', '.', '--statistics', '--format', 'json'], dir).stdout) as { code: string; count: number; fixable: number }[];
    assert.deepEqual(json.find((row) => row.code === 'IW301'), { code: 'IW301', name: 'implicit-default-init', count: 1, fixable: 1 });
  });

  it('--show-fixes prints each fix as a diff under its finding', () => {
    const run = initwise(['check', 'models/mixed.netdef', '--show-fixes'], dir);
    assert.match(run.stdout, /= fix \(safe\): Keep the framework default, written explicitly[^\n]*\n\s+--- a\/models\/mixed\.netdef\n\s+\+\+\+ b\/models\/mixed\.netdef\n/);
    assert.match(run.stdout, /\n\s+-  dense 64 activation=relu\n\s+\+  dense 64 activation=relu init=default\n/);
    assert.doesNotMatch(initwise(['check', 'models/mixed.netdef'], dir).stdout, /--- a\//);
  });
});
