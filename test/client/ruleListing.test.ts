/** The *Open Rule Docs* picker lists every registered rule, read back from package.json alone. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rulesFromManifest } from '../../client/src/manifest';
import { RULES } from '../../server/src/core/rules/registry';

describe('client: rules listed from the manifest', () => {
  it('gives every registered rule with its name and summary', () => {
    const manifest: unknown = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const expected = RULES.map((rule) => ({ code: rule.meta.code, name: rule.meta.name, summary: rule.meta.summary })).sort((a, b) =>
      a.code.localeCompare(b.code),
    );
    assert.deepEqual(rulesFromManifest(manifest), expected);
  });

  it('is empty, not a crash, for a manifest without the settings', () => {
    assert.deepEqual(rulesFromManifest({}), []);
    assert.deepEqual(rulesFromManifest(null), []);
  });
});
