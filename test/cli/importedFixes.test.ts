/**
 * fixImportedModules (cli/importedFixes.ts) on outcomes as the file jobs return them: a
 * module's file is written only if it still holds the text its importers read, and a
 * module the run already rewrote with its own fixes is left alone.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Finding } from '../../server/src/core/findings';
import type { FileOutcome } from '../../server/src/cli/fileJob';
import { fixImportedModules } from '../../server/src/cli/importedFixes';

const MODULE = 'w = init_a(x)\n';

/** A finding on `init_a` whose fix writes `init_b`. */
const finding: Finding = {
  code: 'IW101', severity: 'info', span: { start: 4, end: 10 }, message: 'm', related: [],
  fixes: [{ title: 'Use init_b', applicability: 'safe', edits: [{ span: { start: 4, end: 10 }, newText: 'init_b' }] }],
};

function importer(dir: string, name: string, moduleText = MODULE): FileOutcome {
  return {
    displayPath: name, absolutePath: path.join(dir, name), text: '', original: undefined, findings: [], networks: undefined, fixesApplied: 0, error: undefined,
    imported: [{ absolutePath: path.join(dir, 'module.py'), text: moduleText, findings: [finding] }],
  };
}

describe('CLI: fixes of findings reached in imported modules', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'initwise-imported-fixes-'));
    fs.writeFileSync(path.join(dir, 'module.py'), MODULE);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the module once, with the fix two importers agree on, and counts it on one report', () => {
    const { outcomes, errors } = fixImportedModules([importer(dir, 'a.py'), importer(dir, 'b.py')], 'safe', true, dir);
    assert.deepEqual(errors, []);
    assert.equal(fs.readFileSync(path.join(dir, 'module.py'), 'utf8'), 'w = init_b(x)\n');
    const reports = outcomes.flatMap((o) => o.imported);
    assert.deepEqual(reports.map((m) => [m.text, m.findings.length]), [['w = init_b(x)\n', 0], ['w = init_b(x)\n', 0]]);
    assert.deepEqual(reports.map((m) => m.fixesApplied), [1, undefined]);
  });

  it('does not write a module whose file changed since the importers read it', () => {
    fs.writeFileSync(path.join(dir, 'module.py'), 'w = init_a(y)\n');
    const { errors } = fixImportedModules([importer(dir, 'a.py')], 'safe', true, dir);
    assert.deepEqual(errors, ['module.py: changed while it was being fixed; not written (run again)']);
    assert.equal(fs.readFileSync(path.join(dir, 'module.py'), 'utf8'), 'w = init_a(y)\n');
  });

  it('leaves a module alone when importers read different texts of it, or the run rewrote it with its own fixes', () => {
    const differ = fixImportedModules([importer(dir, 'a.py'), importer(dir, 'b.py', 'w  = init_a(x)\n')], 'safe', true, dir);
    assert.deepEqual(differ.errors, []);
    assert.equal(fs.readFileSync(path.join(dir, 'module.py'), 'utf8'), MODULE);
    const own: FileOutcome = { ...importer(dir, 'module.py'), imported: [], text: 'v = 1\n', original: MODULE, fixesApplied: 1 };
    const rewritten = fixImportedModules([own, importer(dir, 'a.py')], 'safe', true, dir);
    assert.equal(rewritten.outcomes[1]!.imported[0]!.text, MODULE);
    assert.equal(fs.readFileSync(path.join(dir, 'module.py'), 'utf8'), MODULE);
  });

  it('with --diff, computes the change and writes nothing', () => {
    const { outcomes } = fixImportedModules([importer(dir, 'a.py')], 'safe', false, dir);
    assert.equal(outcomes[0]!.imported[0]!.original, MODULE);
    assert.equal(fs.readFileSync(path.join(dir, 'module.py'), 'utf8'), MODULE);
  });
});
