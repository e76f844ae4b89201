/**
 * Calls nested past the interpreter's call depth (MAX_CALL_DEPTH: recursion, or a chain of more
 * super().__init__() calls than that) leave their value unknown. Before, the models depending on
 * them vanished without a word and the file looked clean ("All checks passed."); now the unit
 * says where it stopped (IW003), as the step budget and expression nesting already did.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../server/src/core/analyze';
import type { PythonSupport } from '../../server/src/core/frontends/types';
import { MAX_CALL_DEPTH } from '../../server/src/core/frontends/python/interpreter/interpreter';
import { pythonSupport } from '../support/python';

/** Classes A0 … A{n-1}, each subclassing the one before and adding a Linear under ReLU. */
function inheritanceChain(n: number): string {
  const lines = ['import torch.nn as nn', '', '', 'class A0(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.l0 = nn.Linear(10, 10)', '',
    '    def forward(self, x):', '        return self.l0(x).relu()'];
  for (let i = 1; i < n; i++) {
    lines.push('', '', `class A${i}(A${i - 1}):`, '    def __init__(self):', '        super().__init__()', `        self.l${i} = nn.Linear(10, 10)`, '',
      '    def forward(self, x):', `        return self.l${i}(super().forward(x)).relu()`);
  }
  return `${lines.join('\n')}\n`;
}

describe('Python: calls nested past the call depth', () => {
  let python: PythonSupport;
  before(async () => {
    python = await pythonSupport();
  });

  it(`a chain of ${MAX_CALL_DEPTH} classes is read whole: one network, a layer per class, no IW003`, () => {
    const result = analyze({ text: inheritanceChain(MAX_CALL_DEPTH), languageId: 'python', python });
    assert.deepEqual(result.networks.map((n) => [n.name, n.layers.length]), [[`A${MAX_CALL_DEPTH - 1}`, MAX_CALL_DEPTH]]);
    assert.equal(result.findings.filter((f) => f.code === 'IW003').length, 0);
  });

  it(`one class more: IW003 at the super().__init__() past the depth, not silence`, () => {
    const text = inheritanceChain(MAX_CALL_DEPTH + 1);
    const limits = analyze({ text, languageId: 'python', python }).findings.filter((f) => f.code === 'IW003');
    assert.equal(limits.length, 1);
    assert.equal(text.slice(limits[0]!.span.start, limits[0]!.span.end), 'super().__init__()');
    assert.match(limits[0]!.message, new RegExp(`^Calls nested too deeply to analyse \\(more than ${MAX_CALL_DEPTH} deep`));
  });

  it('a layer builder that recurses without end: IW003 at the recursive call, not silence', () => {
    const text = [
      'import torch.nn as nn', '', '', 'def blocks(n):', '    return [nn.Linear(10, 10), nn.ReLU()] + blocks(n - 1)', '', '',
      'class M(nn.Module):', '    def __init__(self):', '        super().__init__()', '        self.body = nn.Sequential(*blocks(3))', '',
      '    def forward(self, x):', '        return self.body(x)', '',
    ].join('\n');
    const limits = analyze({ text, languageId: 'python', python }).findings.filter((f) => f.code === 'IW003');
    assert.equal(limits.length, 1);
    assert.equal(text.slice(limits[0]!.span.start, limits[0]!.span.end), 'blocks(n - 1)');
  });
});
