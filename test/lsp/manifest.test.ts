/**
 * package.json's settings schema and commands must match the rule registry and the
 * client's command ids. `UPDATE_GOLDEN=1 npx mocha test/lsp/manifest.test.ts` rewrites
 * the two keys (and nothing else) from the registry.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandContributions, configurationContribution } from '../../client/src/manifest';
import { RULES } from '../../server/src/core/rules/registry';
import { CLIENT_COMMANDS } from '../../server/src/protocol';

const MANIFEST = join(__dirname, '..', '..', 'package.json');

interface Manifest {
  contributes: { configuration: unknown; commands: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

function readManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

describe('lsp: package.json contributions', () => {
  const expectedConfiguration = configurationContribution(RULES.map((rule) => rule.meta));
  const expectedCommands = commandContributions();

  before(() => {
    if (process.env.UPDATE_GOLDEN !== '1') return;
    // Read just before writing: other people edit this file too. JSON.stringify with two
    // spaces and a final newline is npm's own format, so untouched keys stay byte-identical.
    const manifest = readManifest();
    manifest.contributes.configuration = expectedConfiguration;
    manifest.contributes.commands = expectedCommands;
    writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
  });

  it('has one severity setting per registered rule, with its default, and no other', () => {
    const manifest = readManifest();
    const properties = (manifest.contributes.configuration as { properties: Record<string, { properties?: Record<string, { default?: unknown }> }> })
      .properties;
    const severity = properties['initwise.severity']?.properties ?? {};
    assert.deepEqual(Object.keys(severity).sort(), RULES.map((r) => r.meta.code).sort(), 'run UPDATE_GOLDEN=1 npx mocha test/lsp/manifest.test.ts');
    for (const rule of RULES) assert.equal(severity[rule.meta.code]?.default, rule.meta.defaultSeverity, rule.meta.code);
  });

  it('matches the generated configuration schema exactly', () => {
    assert.deepEqual(readManifest().contributes.configuration, expectedConfiguration, 'run UPDATE_GOLDEN=1 npx mocha test/lsp/manifest.test.ts');
  });

  it('declares exactly the commands the client registers', () => {
    const commands = readManifest().contributes.commands as { command: string }[];
    assert.deepEqual(commands, expectedCommands);
    assert.deepEqual(commands.map((c) => c.command).sort(), Object.values(CLIENT_COMMANDS).sort());
  });

  it('contains the settings the server reads', () => {
    const properties = Object.keys((readManifest().contributes.configuration as { properties: object }).properties);
    for (const key of ['initwise.enable', 'initwise.severity', 'initwise.simulation.band', 'initwise.debounceMs', 'initwise.trace.server']) {
      assert.ok(properties.includes(key), key);
    }
  });
});
