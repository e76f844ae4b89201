/**
 * A constant factor on the signal (`relu(fc(x)) * 10`, `emb(idx) * math.sqrt(d)`, `x *= 0.5`,
 * `h / 2`) folded to a number is an op the simulation runs (ir.ts ScaleOp, issue 15): the second
 * moment after it times c², the gradient before it times c². Anything else that changes the
 * signal's scale — a divisor that is the signal, an added parameter or constant, a factor that does
 * not fold to a number — has no op: the network is not simulated and says which expression stopped
 * it, while each layer is still judged. (A position table of known init added to a stream of
 * tokens, ViT's `x + self.pos_embed`, is read: python.vitPosition.test.ts.) Such steps were once
 * passed over, so the report showed the numbers of the network without them (×100 off for `* 10`
 * under ReLU). Identities (×1, +0) and a step before the first layer (the input's scale is the
 * simulation's assumption) change nothing.
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
    ['the signal as a divisor', '        x = 1 / F.relu(self.fc1(x))', /`1 \/ F\.relu\(self\.fc1\(x\)\)` divides by the signal/],
    ['an added parameter', '        x = F.relu(self.fc1(x)) + self.offset', /`F\.relu\(self\.fc1\(x\)\) \+ self\.offset` adds a term to the signal/],
    ['an added constant', '        x = F.relu(self.fc1(x)) - 1', /adds a term to the signal/],
    ['a factor of zero', '        x = F.relu(self.fc1(x)) * 0', /`F\.relu\(self\.fc1\(x\)\) \* 0` scales the signal by a constant, which the simulation does not model/],
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

  it('does not simulate a factor that does not fold to a number (a forward argument)', () => {
    const text = mlp('        x = F.relu(self.fc1(x)) * scale').replace('def forward(self, x):', 'def forward(self, x, scale):');
    const { network, simulation } = only(text);
    assert.ok(network.unsimulable);
    assert.equal(simulation, undefined);
    assert.ok(!network.ops.some((op) => op.op === 'scale'));
  });

  // Each known factor c: fc2 reads c²·E[h²] where the plain network's fc2 reads E[h²] (a ReLU is
  // positively homogeneous, so a factor before it is one after it too), and its gradient comes back ×c².
  const scaled: [string, string, number, string][] = [
    ['a constant factor', '        x = F.relu(self.fc1(x)) * 10', 10, '× 10'],
    ['a factor read from a module constant', '        x = F.relu(self.fc1(x)) * math.sqrt(256)', 16, '× math.sqrt(256)'],
    ['an in-place factor', '        x = F.relu(self.fc1(x))\n        x *= 0.5', 0.5, '× 0.5'],
    ['a divisor', '        x = F.relu(self.fc1(x)) / 4', 0.25, '÷ 4'],
    ['a factor on the left', '        x = 3 * F.relu(self.fc1(x))', 3, '× 3'],
    ['a factor right after a Linear (not an attention projection in the end)', '        x = F.relu(self.fc1(x) * 3)', 3, '× 3'],
    ['a negative factor', '        x = F.relu(self.fc1(x)) * -2', -2, '× -2'],
  ];
  for (const [what, forward, factor, label] of scaled) {
    it(`simulates ${what}: fc2's input ×${factor * factor}, the gradient before the factor ×${factor * factor}`, () => {
      const { network, simulation } = only(mlp(forward));
      assert.equal(network.unsimulable, undefined);
      const op = network.ops.find((o) => o.op === 'scale');
      assert.ok(op && op.op === 'scale');
      assert.ok(Math.abs(op.factor - factor) < 1e-12, `${op.factor}`);
      assert.equal(op.label, label);
      assert.deepEqual(network.layers.map(consumerOf), ['relu', 'relu', 'linear']);
      const bias = network.layers[1]!.biasVariance;
      const ours = simulation!.layers[1]!.forwardVariance - bias;
      const theirs = plain.simulation!.layers[1]!.forwardVariance - bias;
      assert.ok(Math.abs(ours / theirs / (factor * factor) - 1) < 1e-9, `fc2 ${ours} vs ${theirs}·${factor * factor}`);
      // fc1's gradient: what reaches fc2's input comes back through the factor (and the ReLU).
      const g = simulation!.layers[0]!.gradientVariance / plain.simulation!.layers[0]!.gradientVariance;
      assert.ok(Math.abs(g / (factor * factor) - 1) < 1e-9, `fc1 gradient ×${g}`);
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

  it('simulates a token embedding scaled by √d (the PyTorch transformer tutorial): ×512 on the embedding\'s second moment', () => {
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
    const { network, simulation } = only(text);
    assert.equal(network.unsimulable, undefined);
    const op = network.ops[1]!;
    assert.ok(op.op === 'scale' && Math.abs(op.factor - Math.sqrt(512)) < 1e-12 && op.label === '× math.sqrt(self.d)');
    // nn.Embedding's N(0, 1) rows: E[x²] = 512 after the factor, so fc reads 512·fan_in·Var(W) + b².
    const fc = network.layers[1]!;
    const expected = 512 * (1 / 3) + fc.biasVariance;
    assert.ok(Math.abs(simulation!.layers[1]!.forwardVariance / expected - 1) < 1e-9, `${simulation!.layers[1]!.forwardVariance} vs ${expected}`);
  });
});
