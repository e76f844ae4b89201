/**
 * ResNet's `_make_layer` idiom: `self.in_planes` (torchvision: `self.inplanes`, `self.dilation`)
 * assigned in `__init__` and again by the method that builds each stage, a parameter the body
 * assigns again (`for stride in strides`, `stride = 1` under `if dilate:`), a local assigned
 * twice (`downsample = None`, then a Sequential under an `if`). The value a read sees is the
 * one Python has at that point of execution (followedNames.ts, values.ts Scope.followInOrder),
 * or unknown where the interpreter cannot follow the order for certain.
 */
import * as assert from 'node:assert/strict';
import type { Network } from '../../server/src/core/ir';
import { analyzePython, loadPython } from './pythonSupport';

/** Each weight layer as `fan_in→fan_out` (`?` where unknown), in the network's order. */
function widths(network: Network): string[] {
  return network.layers.map((l) => `${l.fans?.fanIn ?? '?'}→${l.fans?.fanOut ?? '?'}`);
}

function networkOf(text: string, name: string): Network {
  const found = analyzePython(text).networks.find((n) => n.name === name);
  assert.ok(found, `a network named ${name}`);
  return found;
}

/**
 * The in_planes idiom as pytorch-cifar's models/resnet.py uses it, written for this test (the
 * same constructs, our names and layout): a class attribute `grow`, a stage builder that
 * reassigns `self.width_in` after each unit, the loop variable shadowing the `step` parameter,
 * a shortcut assigned twice, a functional average pool before the head.
 */
const CIFAR = `import torch
from torch import nn
import torch.nn.functional as F


class Unit(nn.Module):
    grow = 1

    def __init__(self, width_in, width, step=1):
        super().__init__()
        out_width = self.grow * width
        self.a = nn.Conv2d(width_in, width, kernel_size=3, stride=step, padding=1, bias=False)
        self.a_norm = nn.BatchNorm2d(width)
        self.b = nn.Conv2d(width, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.b_norm = nn.BatchNorm2d(width)
        self.skip = nn.Sequential()
        if step != 1 or width_in != out_width:
            self.skip = nn.Sequential(
                nn.Conv2d(width_in, out_width, kernel_size=1, stride=step, bias=False),
                nn.BatchNorm2d(out_width),
            )

    def forward(self, x):
        h = F.relu(self.a_norm(self.a(x)))
        h = self.b_norm(self.b(h))
        h += self.skip(x)
        return F.relu(h)


class ResNet(nn.Module):
    def __init__(self, unit, counts, classes=10):
        super().__init__()
        self.width_in = 16
        self.stem = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.stem_norm = nn.BatchNorm2d(16)
        self.stage1 = self.stage(unit, 16, counts[0], step=1)
        self.stage2 = self.stage(unit, 32, counts[1], step=2)
        self.head = nn.Linear(32 * unit.grow, classes)

    def stage(self, unit, width, count, step):
        steps = [step] + [1] * (count - 1)
        units = []
        for step in steps:
            units.append(unit(self.width_in, width, step))
            self.width_in = width * unit.grow
        return nn.Sequential(*units)

    def forward(self, x):
        h = F.relu(self.stem_norm(self.stem(x)))
        h = self.stage2(self.stage1(h))
        h = F.avg_pool2d(h, 4)
        h = h.view(h.size(0), -1)
        return self.head(h)


def ResNet10():
    return ResNet(Unit, [2, 2])
`;

/**
 * The inplanes idiom as torchvision's models/resnet.py uses it, written for this test and cut to
 * two stages: conv helpers, a norm_layer defaulting to BatchNorm2d, a basic and a bottleneck
 * block (expansion 4, width from groups and base width), `self.inplanes` and `self.dilation`
 * reassigned by the stage builder, `previous_dilation`, a downsample local assigned under an `if`,
 * the first block given the stride and downsample, the rest keyword arguments; builders calling
 * ResNet directly.
 */
const TORCHVISION = `import torch
from torch import nn


def conv3x3(cin, cout, stride=1, groups=1, dilation=1):
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=dilation, groups=groups, bias=False, dilation=dilation)


def conv1x1(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64 or dilation > 1:
            raise ValueError("this block has no groups, width factor or dilation")
        self.first = conv3x3(inplanes, planes, stride)
        self.first_norm = norm_layer(planes)
        self.second = conv3x3(planes, planes)
        self.second_norm = norm_layer(planes)
        self.act = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        skip = x
        y = self.act(self.first_norm(self.first(x)))
        y = self.second_norm(self.second(y))
        if self.downsample is not None:
            skip = self.downsample(x)
        y += skip
        return self.act(y)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        inner = int(planes * (base_width / 64.0)) * groups
        self.reduce = conv1x1(inplanes, inner)
        self.reduce_norm = norm_layer(inner)
        self.spatial = conv3x3(inner, inner, stride, groups, dilation)
        self.spatial_norm = norm_layer(inner)
        self.expand = conv1x1(inner, planes * self.expansion)
        self.expand_norm = norm_layer(planes * self.expansion)
        self.act = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        skip = x
        y = self.act(self.reduce_norm(self.reduce(x)))
        y = self.act(self.spatial_norm(self.spatial(y)))
        y = self.expand_norm(self.expand(y))
        if self.downsample is not None:
            skip = self.downsample(x)
        y += skip
        return self.act(y)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=10, groups=1, width_per_group=64, replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False]
        self.groups = groups
        self.base_width = width_per_group
        self.stem = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.stem_norm = norm_layer(self.inplanes)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.stage1 = self._make_layer(block, 64, layers[0])
        self.stage2 = self._make_layer(block, 128, layers[1], stride=2, dilate=replace_stride_with_dilation[0])
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(128 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride), norm_layer(planes * block.expansion))
        stage = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            stage.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width, dilation=self.dilation, norm_layer=norm_layer))
        return nn.Sequential(*stage)

    def forward(self, x):
        x = self.pool(self.act(self.stem_norm(self.stem(x))))
        x = self.stage2(self.stage1(x))
        x = torch.flatten(self.gap(x), 1)
        return self.fc(x)


def basic():
    return ResNet(BasicBlock, [2, 2])


def bottleneck():
    return ResNet(Bottleneck, [2, 2])


def grouped():
    return ResNet(Bottleneck, [1, 1], groups=32, width_per_group=4)


def dilated():
    return ResNet(Bottleneck, [1, 2], replace_stride_with_dilation=[True, False])
`;

describe('Python: the ResNet _make_layer idiom (attributes and locals read in execution order)', () => {
  before(loadPython);

  it('reads the in_planes idiom (pytorch-cifar\'s ResNet): the attribute after each block, the loop variable shadowing the stride parameter', () => {
    // With the input's size stated (pytorch-cifar's test() passes one): the avg_pool2d head is read and the network simulated.
    const net = networkOf(`${CIFAR}\nnet = ResNet10()\nnet(torch.randn(2, 3, 32, 32))\n`, 'ResNet');
    // Stem; layer1: two 16→16 blocks; layer2: a strided 16→32 block with its 1x1 projection, then 32→32; the classifier.
    assert.deepEqual(widths(net), [
      '27→144',
      '144→144', '144→144', '144→144', '144→144',
      '144→288', '288→288', '16→32', '288→288', '288→288',
      '32→10',
    ]);
    assert.equal(net.unsimulable, undefined, 'the network is simulated');
    assert.ok(net.ops.length > 0);
    // The builder alone gives no size: the same widths, and the pool over a map of unknown size is named as why it is not simulated.
    const builder = networkOf(CIFAR, 'ResNet10');
    assert.deepEqual(widths(builder), widths(net));
    assert.match(builder.unsimulable ?? '', /`F\.avg_pool2d\(h, 4\)` pools a map whose size InitWise does not know/);
  });

  it('reads the inplanes idiom (torchvision\'s BasicBlock ResNet): self.inplanes, previous_dilation, the downsample built in _make_layer, norm_layer\'s default', () => {
    const net = networkOf(`${TORCHVISION}\nmodel = basic()\nmodel(torch.randn(2, 3, 64, 64))\n`, 'ResNet');
    assert.deepEqual(widths(net), [
      '147→3136',
      '576→576', '576→576', '576→576', '576→576',
      '576→1152', '1152→1152', '64→128', '1152→1152', '1152→1152',
      '128→10',
    ]);
    assert.equal(net.unsimulable, undefined, 'the network is simulated');
  });

  it('reads the inplanes idiom with bottlenecks (torchvision\'s Bottleneck ResNet): self.inplanes = planes * block.expansion between stages', () => {
    assert.deepEqual(widths(networkOf(TORCHVISION, 'bottleneck')), [
      '147→3136',
      // layer1 block 1: 64→64, 3x3, 64→256, and its projection 64→256; block 2 reads in_planes 256.
      '64→64', '576→576', '64→256', '64→256',
      '256→64', '576→576', '64→256',
      // layer2 block 1 reads 256 (not 64, not 512) and projects 256→512 with stride 2.
      '256→128', '1152→1152', '128→512', '256→512',
      '512→128', '1152→1152', '128→512',
      '512→10',
    ]);
  });

  it('reads `norm_layer = norm_layer or nn.BatchNorm2d` as the `if norm_layer is None:` form: the same widths, every projection kept, simulated', () => {
    const orForm = TORCHVISION.replaceAll('        if norm_layer is None:\n            norm_layer = nn.BatchNorm2d\n', '        norm_layer = norm_layer or nn.BatchNorm2d\n');
    assert.notEqual(orForm, TORCHVISION);
    for (const builder of ['basic', 'bottleneck']) {
      const sample = `\nmodel = ${builder}()\nmodel(torch.randn(2, 3, 64, 64))\n`;
      const written = networkOf(`${orForm}${sample}`, 'ResNet');
      assert.deepEqual(widths(written), widths(networkOf(`${TORCHVISION}${sample}`, 'ResNet')), builder);
      assert.equal(written.unsimulable, undefined, `${builder}: the network is simulated`);
    }
  });

  it('keeps every layer of a Sequential holding a module it cannot read (a norm_layer of unknown class): the downsample projection stays in the widths', () => {
    const unread = TORCHVISION.replaceAll('        if norm_layer is None:\n            norm_layer = nn.BatchNorm2d\n', '        norm_layer = norm_layer or make_norm()\n');
    const net = networkOf(`${unread}\nmodel = basic()\nmodel(torch.randn(2, 3, 64, 64))\n`, 'ResNet');
    assert.deepEqual(widths(net), [
      '147→3136',
      '576→576', '576→576', '576→576', '576→576',
      '576→1152', '1152→1152', '64→128', '1152→1152', '1152→1152',
      '128→10',
    ]);
    assert.notEqual(net.unsimulable, undefined, 'a norm InitWise cannot read: not simulated');
  });

  it('reads groups and width_per_group (ResNeXt) through self.groups and self.base_width', () => {
    assert.deepEqual(widths(networkOf(TORCHVISION, 'grouped')).slice(0, 5), ['147→3136', '64→128', '36→36', '128→256', '64→256']);
  });

  it('follows self.dilation *= stride under a decided `if dilate:` and stride = 1', () => {
    const net = networkOf(`${TORCHVISION}\nmodel = dilated()\nmodel(torch.randn(2, 3, 64, 64))\n`, 'ResNet');
    // layer1 dilated: stride becomes 1, self.dilation 1 → 1 (×1). layer2: widths as usual.
    assert.deepEqual(widths(net).slice(0, 9), ['147→3136', '64→64', '576→576', '64→256', '64→256', '256→128', '1152→1152', '128→512', '256→512']);
    assert.equal(net.unsimulable, undefined, 'the network is simulated');
  });

  it('reads a local the same statement reassigns on every pass (PyTorch-GAN stargan\'s `curr_dim = curr_dim // 2`)', () => {
    const net = networkOf(`import torch.nn as nn


class G(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        model = [nn.Conv2d(channels, 64, 7, padding=3), nn.ReLU()]
        curr_dim = 64
        for _ in range(2):
            model += [nn.Conv2d(curr_dim, curr_dim * 2, 4, stride=2, padding=1), nn.ReLU()]
            curr_dim *= 2
        for _ in range(2):
            model += [nn.ConvTranspose2d(curr_dim, curr_dim // 2, 4, stride=2, padding=1), nn.ReLU()]
            curr_dim = curr_dim // 2
        model += [nn.Conv2d(curr_dim, channels, 7, padding=3), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)
`, 'G');
    // 64 → 128 → 256, back to 128 and 64: the last conv reads 64 (the second pass's value of the first's).
    assert.deepEqual(widths(net), ['147→3136', '1024→2048', '2048→4096', '4096→2048', '2048→1024', '3136→147']);
  });

  it('reads a parameter whose first statement reassigns it from itself and a later one again (LLaMA\'s FeedForward, UNIT\'s Generator)', () => {
    const text = `import torch.nn as nn
import torch.nn.functional as F


class FeedForward(nn.Module):
    def __init__(self, dim, hidden_dim, multiple_of, ffn_dim_multiplier):
        super().__init__()
        hidden_dim = int(2 * hidden_dim / 3)
        if ffn_dim_multiplier is not None:
            hidden_dim = int(ffn_dim_multiplier * hidden_dim)
        hidden_dim = multiple_of * ((hidden_dim + multiple_of - 1) // multiple_of)
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)))


class Generator(nn.Module):
    def __init__(self, out_channels=3, dim=64, n_upsample=2):
        super().__init__()
        layers = []
        dim = dim * 2 ** n_upsample
        for _ in range(2):
            layers += [nn.Conv2d(dim, dim, 3, padding=1), nn.ReLU()]
        for _ in range(n_upsample):
            layers += [nn.ConvTranspose2d(dim, dim // 2, 4, stride=2, padding=1), nn.ReLU()]
            dim = dim // 2
        layers += [nn.Conv2d(dim, out_channels, 7, padding=3), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


ffn = FeedForward(4096, 4 * 4096, 256, None)
`;
    // 4·4096 → int(2·16384/3) = 10922 → the next multiple of 256: 11008 (LLaMA-7B's width), each step once.
    assert.deepEqual(widths(networkOf(text, 'FeedForward')), ['4096→11008', '11008→4096']);
    // dim = 64·2² = 256 (not 1024: the first statement applied once), then 128 and 64.
    assert.deepEqual(widths(networkOf(text, 'Generator')), ['2304→2304', '2304→2304', '4096→2048', '2048→1024', '3136→147']);
  });

  describe('stays unknown where the order cannot be followed for certain', () => {
    const base = (body: string, after = '') => `import torch.nn as nn


class Net(nn.Module):
    def __init__(self, flag):
        super().__init__()
        self.width = 64
${body}
        self.fc = nn.Linear(self.width, 10)
${after}
    def forward(self, x):
        return self.fc(x)


net = Net(flag=input())
`;

    it('an attribute assigned in an undecided if', () => {
      const net = analyzePython(base('        if flag:\n            self.width = 128')).networks[0]!;
      assert.deepEqual(widths(net), ['?→?']);
    });

    it('an attribute assigned in a while loop', () => {
      const net = analyzePython(base('        while flag:\n            self.width = 128')).networks[0]!;
      assert.deepEqual(widths(net), ['?→?']);
    });

    it('an attribute changed after its read is not seen by the read (the value before it)', () => {
      const net = analyzePython(base('', '        self.width = 128\n')).networks[0]!;
      assert.deepEqual(widths(net), ['64→10']);
    });

    it('an attribute a method called from __init__ assigns: the value after the call', () => {
      const text = `import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.width = 64
        self.grow(128)
        self.fc = nn.Linear(self.width, 10)

    def grow(self, w):
        self.width = w

    def forward(self, x):
        return self.fc(x)


net = Net()
`;
      const net = analyzePython(text).networks[0]!;
      assert.deepEqual(widths(net), ['128→10']);
    });

    it('a local bound to an attribute keeps the value it had then, not the attribute\'s later one', () => {
      const text = `import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.width = 64
        before = self.width
        self.width = 128
        self.fc1 = nn.Linear(before, self.width)
        self.fc2 = nn.Linear(self.width, 10)

    def forward(self, x):
        return self.fc2(self.fc1(x))


net = Net()
`;
      assert.deepEqual(widths(analyzePython(text).networks[0]!), ['64→128', '128→10']);
    });

    it('a loop not unrolled leaves the attribute unknown after it', () => {
      const text = `import torch.nn as nn


class Net(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.width = 64
        for s in sizes:
            self.width = s
        self.fc = nn.Linear(self.width, 10)

    def forward(self, x):
        return self.fc(x)


net = Net(sizes=input())
`;
      assert.deepEqual(widths(analyzePython(text).networks[0]!), ['?→?']);
    });

    it('a parameter reassigned under an undecided if is unknown after it', () => {
      const text = `import torch.nn as nn


class Net(nn.Module):
    def __init__(self, flag, width=64):
        super().__init__()
        if flag:
            width = 128
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        return self.fc(x)


net = Net(flag=input())
`;
      assert.deepEqual(widths(analyzePython(text).networks[0]!), ['?→?']);
    });
  });
});
