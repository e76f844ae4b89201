/**
 * Layer factories (issue 15: real projects build layers from factories and library helpers):
 * `functools.partial(F, ...)` called later (interpreter/partials.ts: Python's merge, bound
 * arguments read where the partial was written, exact or unknown), and timm's create_conv2d,
 * create_act_layer, get_act_layer and get_norm_layer (frameworks/timmLayers.ts).
 */
import { strict as assert } from 'node:assert';
import { NEVER_CANCELLED } from '../../server/src/core/cancellation';
import { type Network, type NormOp, walkOps } from '../../server/src/core/ir';
import { simulateAnalytic } from '../../server/src/core/simulation/analytic';
import { analyzePython, consumerOf, loadPython } from './pythonSupport';

function network(text: string, name: string): Network {
  const found = analyzePython(text).networks.find((n) => n.name === name);
  assert.ok(found, `no network ${name}`);
  return found;
}


const MLP = (norm: string, act: string, head = '') => `from functools import partial
import torch
import torch.nn as nn
from timm.layers import get_act_layer


class Block(nn.Module):
    def __init__(self, dim, norm_layer=nn.LayerNorm, act_layer=nn.GELU):
        super().__init__()
        self.norm = norm_layer(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.act = act_layer()
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(self.norm(x))))


class Net(nn.Module):
    def __init__(self, dim=64, depth=2):
        super().__init__()
${head}        norm_layer = ${norm}
        act = ${act}
        self.stem = nn.Linear(32, dim)
        self.blocks = nn.Sequential(*[Block(dim, norm_layer=norm_layer, act_layer=act) for _ in range(depth)])
        self.norm = norm_layer(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        return self.head(self.norm(self.blocks(self.stem(x))))
`;

describe('python: layer factories (functools.partial, timm create_conv2d / create_act_layer / get_act_layer / get_norm_layer)', () => {
  before(loadPython);

  it('partial(nn.LayerNorm, eps=1e-6) and get_act_layer("gelu") build what nn.LayerNorm(dim, eps=1e-6) and nn.GELU build: the same ops and numbers', () => {
    const viaFactories = network(MLP('partial(nn.LayerNorm, eps=1e-6)', 'get_act_layer("gelu")'), 'Net');
    const spelt = network(MLP('nn.LayerNorm', 'nn.GELU').replace('self.norm = norm_layer(dim)\n        self.fc1', 'self.norm = norm_layer(dim, eps=1e-6)\n        self.fc1')
      .replace('self.norm = norm_layer(dim)\n        self.head', 'self.norm = norm_layer(dim, eps=1e-6)\n        self.head'), 'Net');
    assert.equal(viaFactories.unsimulable, undefined);
    const norms = walkOps(viaFactories.ops).filter((op): op is NormOp => op.op === 'norm');
    assert.equal(norms.length, 3);
    assert.ok(norms.every((n) => n.kind === 'layernorm' && n.epsilon === 1e-6), JSON.stringify(norms.map((n) => n.epsilon)));
    assert.deepEqual(viaFactories.layers.map(consumerOf), spelt.layers.map(consumerOf));
    const a = simulateAnalytic(viaFactories, NEVER_CANCELLED)!;
    const b = simulateAnalytic(spelt, NEVER_CANCELLED)!;
    assert.ok(a && b);
    assert.deepEqual(a.layers.map((l) => l.forwardVariance), b.layers.map((l) => l.forwardVariance));
    assert.deepEqual(viaFactories.layers.map(consumerOf), ['linear', 'gelu', 'linear', 'gelu', 'linear', 'linear']);
  });

  it('a later keyword overrides the bound one (Python\'s {**bound, **call}); positions follow the bound ones', () => {
    const text = (call: string) => `from functools import partial
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        act = partial(nn.LeakyReLU, negative_slope=0.2)
        lin = partial(nn.Linear, 16)
        self.fc = lin(32)
        self.act = ${call}

    def forward(self, x):
        return self.act(self.fc(x))
`;
    const bound = network(text('act()'), 'Net');
    assert.equal(consumerOf(bound.layers[0]!), 'leaky_relu');
    assert.equal((bound.layers[0]!.consumer as { param?: number }).param, 0.2);
    assert.deepEqual([bound.layers[0]!.fans?.fanIn, bound.layers[0]!.fans?.fanOut], [16, 32]);
    const overridden = network(text('act(negative_slope=0.1)'), 'Net');
    assert.equal((overridden.layers[0]!.consumer as { param?: number }).param, 0.1);
  });

  it('a partial passes through get_act_layer (not a string: returned as it is); get_norm_layer drops a partial\'s positions: unknown', () => {
    const text = (factory: string) => `from functools import partial
import torch.nn as nn
from timm.layers import get_act_layer, get_norm_layer


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16)
        self.act = ${factory}
        self.out = nn.Linear(16, 4)

    def forward(self, x):
        return self.out(self.act(self.fc(x)))
`;
    const act = network(text('get_act_layer(partial(nn.LeakyReLU, negative_slope=0.3))()'), 'Net');
    assert.equal((act.layers[0]!.consumer as { param?: number }).param, 0.3);
    const norm = network(text('get_norm_layer(partial(nn.BatchNorm1d, 16))()'), 'Net');
    assert.equal(consumerOf(norm.layers[0]!), 'unknown');
    const kept = network(text('get_norm_layer(partial(nn.BatchNorm1d, eps=1e-3))(16)'), 'Net');
    assert.equal(consumerOf(kept.layers[0]!), 'linear');
  });

  it('bound arguments are read where the partial was written, not at the call; a name both mean differently is unknown', () => {
    const text = (call: string) => `from functools import partial
import torch.nn as nn


class Proj(nn.Module):
    def __init__(self, dim, layer):
        super().__init__()
        width = 16
        self.fc = ${call}
        self.out = nn.Linear(4, 4)

    def forward(self, x):
        return self.out(self.fc(x))


class Net(nn.Module):
    def __init__(self, width=48):
        super().__init__()
        self.proj = Proj(8, partial(nn.Linear, out_features=width))

    def forward(self, x):
        return self.proj(x)
`;
    const read = network(text('layer(dim)'), 'Net');
    assert.deepEqual(read.layers.map((l) => [l.fans?.fanIn, l.fans?.fanOut]), [[8, 48], [4, 4]]);
    // The call's own argument mentions `width` too, which means 16 there and 48 in the partial.
    const clash = network(text('layer(width)'), 'Net');
    assert.deepEqual(clash.layers.map((l) => [l.fans?.fanIn, l.fans?.fanOut]), [[4, 4]]);
  });

  it('a partial of the file\'s class builds it with the merged arguments; a partial spreading **kw is unknown', () => {
    const text = (partial: string) => `from functools import partial
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim, ratio=4):
        super().__init__()
        self.fc1 = nn.Linear(dim, ratio * dim)
        self.fc2 = nn.Linear(ratio * dim, dim)

    def forward(self, x):
        return self.fc2(self.fc1(x))


class Net(nn.Module):
    def __init__(self, dim=32, **kwargs):
        super().__init__()
        block = ${partial}
        self.blocks = nn.Sequential(block(dim), block(dim))

    def forward(self, x):
        return self.blocks(x)
`;
    const net = network(text('partial(Block, ratio=2)'), 'Net');
    assert.deepEqual(net.layers.map((l) => l.fans?.fanOut), [64, 32, 64, 32]);
    // `**kwargs` may bind anything (dim, ratio): nothing of the blocks is read.
    assert.equal(analyzePython(text('partial(Block, **kwargs)')).networks.find((n) => n.name === 'Net'), undefined);
  });

  it('timm create_conv2d: bias=False, timm\'s symmetric padding, depthwise groups; "same" at stride 2 keeps fans and leaves the size unknown; a list kernel is unknown', () => {
    const text = `import torch
import torch.nn as nn
from timm.layers import create_conv2d, create_act_layer, get_norm_layer


class Net(nn.Module):
    def __init__(self, chs=16):
        super().__init__()
        self.conv1 = create_conv2d(3, chs, 3, stride=2)
        self.bn1 = get_norm_layer('batchnorm')(chs)
        self.act1 = create_act_layer('relu', inplace=True)
        self.conv_dw = create_conv2d(chs, chs, 5, depthwise=True)
        self.act2 = create_act_layer('leaky_relu', negative_slope=0.2)
        self.conv_same = create_conv2d(chs, chs, 3, stride=2, padding='same', bias=True)
        self.mixed = create_conv2d(chs, chs, [3, 5])
        self.norm = get_norm_layer('layernorm')(chs)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(x)))
        x = self.act2(self.conv_dw(x))
        return self.norm(self.mixed(self.conv_same(x)))


model = Net()
y = model(torch.randn(1, 3, 32, 32))
`;
    const net = network(text, 'Net');
    const [conv1, dw, same] = net.layers;
    assert.equal(net.layers.length, 3, 'the MixedConv2d (list kernel) is not a layer InitWise reads');
    assert.deepEqual([conv1!.kind, conv1!.fans?.fanIn, conv1!.fans?.fanOut, conv1!.biasVariance], ['conv2d', 27, 144, 0]);
    assert.equal(consumerOf(conv1!), 'relu');
    // padding ((2 − 1) + 1·2) // 2 = 1: 32 → 16.
    assert.deepEqual(conv1!.conv?.outputSpatial, [16, 16]);
    // depthwise: groups = 16, fan_in 25; padding ((1 − 1) + 1·4) // 2 = 2 keeps 16.
    assert.deepEqual([dw!.fans?.fanIn, dw!.conv?.outputSpatial], [25, [16, 16]]);
    assert.equal((dw!.consumer as { param?: number }).param, 0.2);
    // 'same' at stride 2 is Conv2dSame: padded at run time, its output size not known here.
    assert.deepEqual([same!.fans?.fanIn, same!.conv, same!.biasVariance > 0], [144, undefined, true]);
    // get_norm_layer('batchnorm') is nn.BatchNorm2d between conv1 and its ReLU; timm's LayerNorm (eps 1e-6) is not a torch class: unknown.
    assert.equal(conv1!.normalizedBeforeActivation, true);
    assert.equal(consumerOf(same!), 'unknown');
  });
});
