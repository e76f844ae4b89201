/**
 * Python's integers are exact at any size; a JavaScript number is exact only up to 2^53. A width
 * past that (`nn.Linear(2**60, 10)`, or the literal 1152921504606846976) used to be shown rounded
 * ("1152921504606847000→10"): every number a user reads must be exact, so such a value is unknown.
 * `1j` is a complex literal, not the integer 1.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { pythonSupport } from '../support/python';

const sequential = (width: string) => `import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(${width}, 10), nn.ReLU(), nn.Linear(10, 10))\n`;

describe('Python: integers past 2^53 are unknown, not rounded', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });
  const firstFanIn = (width: string): number | undefined => {
    const result = analyze({ text: sequential(width), languageId: 'python', python });
    assert.equal(result.networks.length, 1);
    for (const finding of result.findings) assert.doesNotMatch(finding.message, /1152921504606847000|9007199254740993/, finding.message);
    return result.networks[0]!.layers[0]!.fans?.fanIn;
  };

  it('up to 2^53 - 1 folds exactly (2**52 - 1 + 2**52, 9007199254740991)', () => {
    assert.equal(firstFanIn('2**52 - 1 + 2**52'), Number.MAX_SAFE_INTEGER);
    assert.equal(firstFanIn('9007199254740991'), Number.MAX_SAFE_INTEGER);
  });

  // 2^53 itself is where a double stops telling n from n + 1: a product landing there may be either.
  it('2**53 - 1 is unknown: its 2**53 step is already past what a double holds exactly', () => assert.equal(firstFanIn('2**53 - 1'), undefined));

  for (const width of ['2**60', '2**53 + 2', '1152921504606846976', '9007199254740993', '0x20000000000001', '3 * 2**52 * 4']) {
    it(`${width}: unknown`, () => assert.equal(firstFanIn(width), undefined));
  }

  it('int() of a float product still folds: int(1e3 * 64) is 64000', () => assert.equal(firstFanIn('int(1e3 * 64)'), 64000));

  it('1j is complex, not 1', () => assert.equal(firstFanIn('1j'), undefined));
});
