/**
 * The Python frontend's pre-pass (parse.ts modelFunctions) skips top-level functions that
 * name no framework, no model class of the file and no function that does: they cannot
 * build a model, and reading them is most of the cost of real files (issue 16). It must be
 * invisible: every Python fixture, every example and the benchmark's generated file give
 * exactly the same findings (with fixes), networks and simulations with and without it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyze, type AnalysisResult } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { generatePython } from '../../bench/generatePython';
import { pythonFiles, pythonSupport } from '../support/python';

const root = path.resolve(__dirname, '..', '..');

/** Everything analyze() returns, as plain data (fix builders are functions: their output is in the findings). */
function everything(result: AnalysisResult): string {
  return JSON.stringify(result, (key, value: unknown) => (typeof value === 'function' ? undefined : key === 'fixes' && !Array.isArray(value) ? undefined : value));
}

/** Builder functions and helpers a pre-pass must tell apart: a chain of calls, a width helper, a training loop. */
const MIXED = [
  'import torch.nn as nn',
  '',
  'def width(n):',
  '    return n * 2',
  '',
  'def block(n):',
  '    return nn.Sequential(nn.Linear(width(n), n), nn.ReLU())',
  '',
  'def build():',
  '    return nn.Sequential(block(64), nn.Linear(64, 10))',
  '',
  '# Names no framework, only a builder: the pre-pass must follow it.',
  'def make():',
  '    return build()',
  '',
  'def train(model, data):',
  '    for x in data:',
  '        model(x)',
  '',
  'def helper_named_like_nn_model():',
  '    return "nn"',
  '',
].join('\n');

describe('Python: the pre-pass that skips functions changes nothing', function () {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  const files = [...pythonFiles(path.join(root, 'test', 'fixtures')), ...pythonFiles(path.join(root, 'examples'))];

  it('covers the fixtures and the examples', () => {
    assert.ok(files.length >= 40, `only ${files.length} Python files found`);
  });

  for (const file of files) {
    it(path.relative(root, file), () => {
      const text = fs.readFileSync(file, 'utf8');
      const withPrePass = analyze({ text, languageId: 'python', python });
      const without = analyze({ text, languageId: 'python', python: { ...python, withoutPrePass: true } });
      assert.equal(everything(withPrePass), everything(without));
    });
  }

  it('the benchmark file and a file of builders, helpers and a training loop', () => {
    for (const text of [generatePython(3500), MIXED]) {
      const withPrePass = analyze({ text, languageId: 'python', python });
      const without = analyze({ text, languageId: 'python', python: { ...python, withoutPrePass: true } });
      assert.ok(withPrePass.networks.length > 0);
      assert.equal(everything(withPrePass), everything(without));
    }
  });
});
