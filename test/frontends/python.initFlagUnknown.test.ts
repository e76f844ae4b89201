/**
 * A constructor ending in init code of unknown reach under one of its flags, called with
 * that flag left unknown by `**kwargs` (torchvision's `if zero_init_residual:` after
 * `ResNet(block, layers, **kwargs)`): every layer would get an unknown initializer, so its
 * layers are not built (initUnderUnknownFlag.ts, issue 16). Where the call decides the flag
 * (by name, by position, by a spelled-out dict, or no spread at all) the model is read in full.
 */
import * as assert from 'node:assert/strict';
import { analyzePython, loadPython } from './pythonSupport';

const MODEL = `import torch
from torch import nn


class Unit(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(width)

    def forward(self, x):
        return torch.relu(self.norm(self.conv(x)) + x)


class Net(nn.Module):
    def __init__(self, depth, classes=10, zero_last_norm=False):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.units = nn.Sequential(*[Unit(16) for _ in range(depth)])
        self.head = nn.Linear(16, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # a comment after the flag's code changes nothing
        if zero_last_norm:
            for m in self.modules():
                if isinstance(m, Unit):
                    nn.init.constant_(m.norm.weight, 0)

    def forward(self, x):
        x = self.units(torch.relu(self.stem(x)))
        return self.head(x.mean((2, 3)))


def unread(**kwargs):
    return Net(4, **kwargs)


def by_name(**kwargs):
    return Net(4, zero_last_norm=False, **kwargs)


def by_position(**kwargs):
    return Net(4, 10, True, **kwargs)


def spelled_out():
    return Net(4, **dict(zero_last_norm=True))


def defaults():
    return Net(4)
`;

describe('Python: a model whose init code runs under a flag **kwargs leaves unknown', () => {
  before(loadPython);

  it('is not built: every layer would have an unknown initializer and nothing could be judged or simulated', () => {
    const result = analyzePython(MODEL);
    assert.equal(result.networks.find((n) => n.name === 'unread'), undefined);
    assert.deepEqual(result.findings.map((f) => f.code), []);
  });

  it('is read in full where the call decides the flag: by name, by position, a spelled-out dict, the defaults', () => {
    const result = analyzePython(MODEL);
    for (const name of ['by_name', 'by_position', 'spelled_out', 'defaults']) {
      const network = result.networks.find((n) => n.name === name);
      assert.ok(network, `a network named ${name}`);
      // The stem, four units and the head.
      assert.equal(network.layers.length, 6, name);
      const decided = name === 'by_name' || name === 'defaults';
      assert.equal(network.layers.every((l) => !/cannot follow/.test(l.init.label)), true, `${name}: the flag is decided, no layer's init is unknown`);
      if (decided) assert.match(network.layers[1]!.init.label, /kaiming_normal_/);
    }
  });

  it('is built when the flag is reassigned in the constructor or code follows its block', () => {
    const reassigned = MODEL.replace('        self.stem = nn.Conv2d', '        zero_last_norm = bool(zero_last_norm)\n        self.stem = nn.Conv2d');
    assert.equal(analyzePython(reassigned).networks.find((n) => n.name === 'unread')?.layers.length, 6);
    const after = MODEL.replace('                    nn.init.constant_(m.norm.weight, 0)\n', '                    nn.init.constant_(m.norm.weight, 0)\n        self.extra = nn.Linear(10, 10)\n');
    assert.ok(analyzePython(after).networks.find((n) => n.name === 'unread'));
  });
});
