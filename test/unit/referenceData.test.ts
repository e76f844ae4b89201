/**
 * The committed reference data (test/reference/, README there) is ground truth copied from real
 * PyTorch measurements and independent quadrature: no file may drift from its recorded hash, so a
 * test can never be made to pass by editing the numbers it checks against.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REFERENCE_DIR } from '../support/reference';

describe('reference data (test/reference/SHA256SUMS)', () => {
  const lines = fs.readFileSync(path.join(REFERENCE_DIR, 'SHA256SUMS'), 'utf8').trim().split('\n');

  it('lists every data file', () => {
    assert.equal(lines.length, 76);
  });

  for (const line of lines) {
    const [hash = '', file = ''] = line.split(/\s+/);
    it(`${file} is unchanged`, () => {
      const actual = createHash('sha256').update(fs.readFileSync(path.join(REFERENCE_DIR, file))).digest('hex');
      assert.equal(actual, hash);
    });
  }
});
