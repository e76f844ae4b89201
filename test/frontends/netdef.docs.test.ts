/**
 * docs/netdef.md is the language reference: it must name every statement, option,
 * activation spelling and initializer the frontend accepts, and state its limits.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_EXPANDED_STATEMENTS, MAX_WEIGHT_LAYERS } from '../../server/src/core/frontends/netdef/lower';
import { MAX_EXPRESSION_DEPTH } from '../../server/src/core/frontends/netdef/expressions';
import { MAX_BLOCK_DEPTH } from '../../server/src/core/frontends/netdef/parser';
import { INITIALIZER_SPELLINGS } from '../../server/src/core/frontends/netdef/readInitializer';
import { STATEMENTS } from '../../server/src/core/frontends/netdef/statements';
import { ACTIVATION_SPELLINGS } from '../../server/src/core/knowledge/activations';

const DOC = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'netdef.md'), 'utf8');

function mentioned(name: string): boolean {
  return new RegExp(`\`${name}[\`(=\\s]`).test(DOC);
}

describe('netdef reference (docs/netdef.md)', () => {
  it('describes every statement and option', () => {
    for (const spec of STATEMENTS.values()) {
      assert.ok(mentioned(spec.keyword), `statement ${spec.keyword}`);
      for (const option of spec.options) assert.ok(mentioned(option), `option ${option}`);
    }
  });

  it('lists every activation spelling and initializer', () => {
    for (const name of ACTIVATION_SPELLINGS) assert.ok(mentioned(name), `activation ${name}`);
    for (const name of INITIALIZER_SPELLINGS) assert.ok(mentioned(name), `initializer ${name}`);
  });

  it('states the limits the code enforces', () => {
    assert.ok(DOC.includes(MAX_WEIGHT_LAYERS.toLocaleString('en-US').replace(',', ' ')));
    assert.ok(DOC.includes(MAX_EXPANDED_STATEMENTS.toLocaleString('en-US').replace(',', ' ')));
    assert.match(DOC, new RegExp(`block nesting inside a network.*\\| ${MAX_BLOCK_DEPTH} \\|`));
    assert.match(DOC, new RegExp(`expression nesting.*\\| ${MAX_EXPRESSION_DEPTH} \\|`));
  });
});
