/**
 * `act_layer = act_layer or nn.GELU` / `norm_layer = norm_layer or nn.BatchNorm2d` (timm's
 * idiom for a default layer class): read as Python reads `or` (orOperand.ts), where certain —
 * None or another falsy value gives the default, a framework class given by the caller is kept —
 * and unknown where the argument is not known (never a finding then).
 */
import * as assert from 'node:assert/strict';
import type { Network } from '../../server/src/core/ir';
import { analyzePython, consumerOf, loadPython } from './pythonSupport';

const BLOCK = `import torch
from torch import nn


class Mlp(nn.Module):
    def __init__(self, width, act_layer=None):
        super().__init__()
        act_layer = act_layer or nn.Tanh
        self.fc1 = nn.Linear(width, 4 * width)
        self.act = act_layer()
        self.fc2 = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))
`;

/** The same block written with `if act_layer is None:`, which InitWise has always read. */
const IF_FORM = BLOCK.replace('        act_layer = act_layer or nn.Tanh\n', '        if act_layer is None:\n            act_layer = nn.Tanh\n');

function network(text: string, name: string): Network {
  const found = analyzePython(text).networks.find((n) => n.name === name);
  assert.ok(found, `a network named ${name}`);
  return found;
}

describe('Python: `x = x or Default` (timm\'s default layer classes)', () => {
  before(loadPython);

  it('gives the default when the parameter is left at None: the same network and findings as the `if x is None:` form', () => {
    const script = '\nmlp = Mlp(64)\n';
    const written = analyzePython(BLOCK + script);
    const reference = analyzePython(IF_FORM + script);
    const mlp = written.networks.find((n) => n.name === 'Mlp')!;
    assert.equal(consumerOf(mlp.layers[0]!), 'tanh');
    assert.equal(mlp.unsimulable, undefined);
    assert.deepEqual(written.findings.map((f) => `${f.code} ${f.message}`), reference.findings.map((f) => `${f.code} ${f.message}`));
    assert.ok(written.findings.some((f) => f.code === 'IW301'), 'PyTorch\'s default init under tanh is reported, as for the if form');
  });

  it('keeps a framework class the caller passes, and takes the default for any falsy value', () => {
    const text = `${BLOCK}\nrelu_mlp = Mlp(64, act_layer=nn.ReLU)\nzero_mlp = Mlp(64, act_layer=0)\nnone_mlp = Mlp(64, None)\n`;
    assert.equal(consumerOf(network(text, 'relu_mlp').layers[0]!), 'relu');
    assert.equal(consumerOf(network(text, 'zero_mlp').layers[0]!), 'tanh');
    assert.equal(consumerOf(network(text, 'none_mlp').layers[0]!), 'tanh');
  });

  it('follows the default through a builder that passes its own parameter along', () => {
    const text = `${BLOCK}\n\ndef build(act=None):\n    return Mlp(64, act_layer=act)\n\n\ndef build_gelu(act=nn.GELU):\n    return Mlp(64, act_layer=act)\n`;
    assert.equal(consumerOf(network(text, 'build').layers[0]!), 'tanh');
    assert.equal(consumerOf(network(text, 'build_gelu').layers[0]!), 'gelu');
  });

  it('stays unknown where the argument is not known or the default is not a class it reads, and says nothing', () => {
    const unknownArgument = analyzePython(`${BLOCK}\n\ndef build(act):\n    return Mlp(64, act_layer=act)\n`);
    const built = unknownArgument.networks.find((n) => n.name === 'build')!;
    assert.equal(consumerOf(built.layers[0]!), 'unknown');
    assert.notEqual(built.unsimulable, undefined);
    assert.deepEqual(unknownArgument.findings.map((f) => f.code), []);
    const partial = analyzePython(`${BLOCK.replace('act_layer or nn.Tanh', 'act_layer or make_act()')}\nmlp = Mlp(64)\n`);
    assert.equal(consumerOf(partial.networks.find((n) => n.name === 'Mlp')!.layers[0]!), 'unknown');
    assert.deepEqual(partial.findings.map((f) => f.code), []);
    // A truthy constant is the result of `or`: not a class, so the layer it builds is unknown.
    const constant = analyzePython(`${BLOCK}\nmlp = Mlp(64, act_layer='gelu')\n`);
    assert.equal(consumerOf(constant.networks.find((n) => n.name === 'Mlp')!.layers[0]!), 'unknown');
  });

  it('reads `norm_layer or nn.LayerNorm` for a norm the same way', () => {
    const text = `import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, dim, norm_layer=None, act_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.LayerNorm
        act_layer = act_layer or nn.GELU
        self.norm = norm_layer(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = act_layer()
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


block = Block(64)
`;
    const net = network(text, 'Block');
    assert.equal(consumerOf(net.layers[0]!), 'gelu');
    assert.equal(net.unsimulable, undefined);
  });

  it('reads `se_layer = se_layer or SqueezeExcite` with a class of the file (timm\'s efficientnet and mobilenetv5 blocks)', () => {
    const text = `import torch
from torch import nn


class SqueezeExcite(nn.Module):
    def __init__(self, chs, rd_ratio=0.25):
        super().__init__()
        rd = int(chs * rd_ratio)
        self.conv_reduce = nn.Conv2d(chs, rd, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(rd, chs, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x):
        x_se = x.mean((2, 3), keepdim=True)
        x_se = self.conv_reduce(x_se)
        x_se = self.act(x_se)
        x_se = self.conv_expand(x_se)
        return x * self.gate(x_se)


class Block(nn.Module):
    def __init__(self, chs, se_layer=None):
        super().__init__()
        se_layer = se_layer or SqueezeExcite
        self.conv = nn.Conv2d(chs, chs, 3, padding=1)
        self.act = nn.ReLU()
        self.se = se_layer(chs) if se_layer else nn.Identity()

    def forward(self, x):
        return self.se(self.act(self.conv(x)))
`;
    const withDefault = network(`${text}
block = Block(64)
`, 'Block');
    assert.deepEqual(withDefault.layers.map((l) => consumerOf(l)), ['relu', 'relu', 'sigmoid'], 'the SE block\'s two convolutions are read');
    // A class the caller passes is kept, as for a framework class.
    const given = `${text}

class OtherSE(SqueezeExcite):
    pass


block = Block(64, se_layer=OtherSE)
`;
    assert.equal(network(given, 'Block').layers.length, 3);
    // An unknown argument leaves the block's SE unknown: the network says it is not simulated.
    const unknown = analyzePython(`${text}

def build(se):
    return Block(64, se_layer=se)
`).networks.find((n) => n.name === 'build')!;
    assert.equal(unknown.layers.length, 1);
    assert.notEqual(unknown.unsimulable, undefined);
  });
});
