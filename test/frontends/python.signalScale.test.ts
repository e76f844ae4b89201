/**
 * A constant factor or an added term on the signal (`relu(fc(x)) * 10`, `x + self.offset`,
 * `emb(idx) * math.sqrt(d)`) changes every number after it, and the simulation has no op for
 * it: the network is not simulated and says which expression stopped it, while each layer is
 * still judged. (A position table of known init added to a stream of tokens, ViT's
 * `x + self.pos_embed`, is read: python.vitPosition.test.ts.) They were once passed over, so the report showed the numbers of the network
 * without them (×100 off for `* 10` under ReLU). Identities (×1, +0) and a step before the
 * first layer (the input's scale is the simulation's assumption) change nothing.
 */
import { strict as assert } from 'node:assert';
import { analyzePython, consumerOf, loadPython } from './pythonSupport';

function mlp(forward: string, init = ''): string {
  return `import math
import torch
import torch.nn as nn
import torch.nn.functional as F

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 10)
        self.offset = nn.Parameter(torch.randn(256))
${init}
    def forward(self, x):
${forward}
        x = F.relu(self.fc2(x))
        return self.fc3(x)
`;
}

function only(text: string) {
  const result = analyzePython(text);
  assert.equal(result.networks.length, 1);
  return { network: result.networks[0]!, simulation: result.simulations[0] };
}

describe('python: constant factors and added terms on the signal', () => {
  before(loadPython);

  const plainText = mlp('        x = F.relu(self.fc1(x))');
  let plain: ReturnType<typeof only>;
  before(() => {
    plain = only(plainText);
  });

  it('simulates the plain network (the baseline the others are compared with)', () => {
    assert.equal(plain.network.unsimulable, undefined);
    assert.ok(plain.simulation);
  });

  const stopped: [string, string, RegExp][] = [
    ['a constant factor', '        x = F.relu(self.fc1(x)) * 10', /^`F\.relu\(self\.fc1\(x\)\) \* 10` scales the signal by a constant, which the simulation does not model$/],
    ['the signal as a divisor', '        x = 1 / F.relu(self.fc1(x))', /`1 \/ F\.relu\(self\.fc1\(x\)\)` divides by the signal/],
    ['a factor read from a module constant', '        x = F.relu(self.fc1(x)) * math.sqrt(256)', /scales the signal by a constant/],
    ['an in-place factor', '        x = F.relu(self.fc1(x))\n        x *= 0.5', /`x \*= 0\.5` scales the signal by a constant/],
    ['an added parameter', '        x = F.relu(self.fc1(x)) + self.offset', /`F\.relu\(self\.fc1\(x\)\) \+ self\.offset` adds a term to the signal/],
    ['an added constant', '        x = F.relu(self.fc1(x)) - 1', /adds a term to the signal/],
    ['a factor right after a Linear (not an attention projection in the end)', '        x = F.relu(self.fc1(x) * 3)', /`self\.fc1\(x\) \* 3` scales the signal by a constant/],
  ];
  for (const [what, forward, reason] of stopped) {
    it(`does not simulate ${what}, and says which expression`, () => {
      const { network, simulation } = only(mlp(forward));
      assert.match(network.unsimulable ?? '', reason);
      assert.equal(simulation, undefined);
      // What feeds what is kept: fc1 and fc2 still feed their ReLUs and are judged.
      assert.deepEqual(network.layers.map(consumerOf), ['relu', 'relu', 'linear']);
    });
  }

  const unchanged: [string, string][] = [
    ['×1', '        x = F.relu(self.fc1(x)) * 1.0'],
    ['÷1', '        x = F.relu(self.fc1(x)) / 1'],
    ['+0', '        x = F.relu(self.fc1(x)) + 0'],
    ['an input scaled before any layer', '        x = x / 255.0\n        x = F.relu(self.fc1(x))'],
    ['an input shifted before any layer', '        x = x - 0.5\n        x = F.relu(self.fc1(x))'],
  ];
  for (const [what, forward] of unchanged) {
    it(`simulates ${what} with the plain network's numbers`, () => {
      const { network, simulation } = only(mlp(forward));
      assert.equal(network.unsimulable, undefined);
      assert.deepEqual(simulation?.layers.map((l) => l.forwardVariance), plain.simulation?.layers.map((l) => l.forwardVariance));
    });
  }

  it('does not simulate a token embedding scaled by √d (the PyTorch transformer tutorial)', () => {
    const text = `import math
import torch.nn as nn

class LM(nn.Module):
    def __init__(self, ntoken=1000, d=512):
        super().__init__()
        self.d = d
        self.embed = nn.Embedding(ntoken, d)
        self.fc = nn.Linear(d, d)
        self.head = nn.Linear(d, ntoken)

    def forward(self, idx):
        x = self.embed(idx) * math.sqrt(self.d)
        return self.head(self.fc(x).relu())
`;
    const { network } = only(text);
    assert.match(network.unsimulable ?? '', /`self\.embed\(idx\) \* math\.sqrt\(self\.d\)` scales the signal by a constant/);
  });
});
