#!/usr/bin/python3
"""PyTorch ground truth for a CIFAR ResNet18 built as pytorch-cifar builds it (kuangliu/pytorch-cifar,
models/resnet.py): `_make_layer` reads and reassigns `self.in_planes`, a BasicBlock's shortcut is
`nn.Sequential()` unless it changes width or resolution, and the head is `F.avg_pool2d(out, 4)`,
a flatten and `nn.Linear(512, 10)`.

Usage: /usr/bin/python3 resnet18_oracle.py [--out resnet18_ground_truth.json] [--check-against DIR]
Needs Debian's PyTorch (run with /usr/bin/python3). In the style of ../resnet/projection_oracle.py.

The network is the JSON's `python` (model code written here in pytorch-cifar's structure, not a copy
of its file), executed as is; with --check-against pointing at a pytorch-cifar checkout, the script
also builds that file's ResNet18() and records whether its parameter shapes and module order are the
same (`meta.same_as_pytorch_cifar`).

Method (per seed s): torch.manual_seed(1000 + s); build the model (PyTorch's default init: the file
sets none); x0 ~ N(0,1) of shape [batch, 3, 32, 32] (float32); forward in training mode (BatchNorm
uses batch statistics); backward from loss = sum(y * v), v ~ N(0,1) of the logits' shape. Per weight
layer, in forward order (the stem, block by block conv1, conv2, then the shortcut conv; the linear
head last), over all elements: pre_m2 (second moment of the layer's output) and grad_in_m2 (second
moment of dL/d the layer's input through that layer alone: each layer reads its input through its
own view, whose gradient only this layer feeds). Aggregated over seeds (mean, geomean, min, max) and
kept per seed (`per_seed`).
"""
import argparse, importlib.util, json, math, os, platform, sys, time
import torch
import torch.nn as nn

BATCH = 32
N_SEEDS = 8

PYTHON = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super().__init__()
        self.in_planes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.layer1 = self._make_layer(block, 64, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 128, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 256, num_blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 512, num_blocks[3], stride=2)
        self.linear = nn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.layer4(out)
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def ResNet18():
    return ResNet(BasicBlock, [2, 2, 2, 2])


net = ResNet18()
net(torch.randn(%d, 3, 32, 32))
''' % BATCH

WEIGHTED = (nn.Conv2d, nn.Linear)


def build_namespace():
    """Runs PYTHON up to (not including) its last two lines: the classes and the builder."""
    ns = {}
    body = PYTHON.rstrip().split("\n")[:-2]
    exec(compile("\n".join(body), "<resnet18>", "exec"), ns)
    return ns


def forward_order(model):
    """The weight layers in the order their forward pass runs them (hooks record it once)."""
    order = []
    hooks = [m.register_forward_pre_hook(lambda m, inp: order.append(m)) for m in model.modules() if isinstance(m, WEIGHTED)]
    with torch.no_grad():
        model(torch.randn(2, 3, 32, 32))
    for h in hooks: h.remove()
    return order


def run_once(ns, seed):
    torch.manual_seed(1000 + seed)
    model = ns["ResNet18"]()
    model.train()
    for p in model.parameters(): p.requires_grad_(False)
    layers = forward_order(model)
    index = {id(m): i for i, m in enumerate(layers)}
    pres, ins = [None] * len(layers), [None] * len(layers)
    originals = {}
    for m in layers:
        # Each weight layer reads its input through its own view: that view's gradient is this layer's alone.
        def fwd(x, m=m, orig=m.forward):
            view = x.view_as(x)
            view.retain_grad()
            ins[index[id(m)]] = view
            h = orig(view)
            pres[index[id(m)]] = h
            return h
        originals[m] = m.forward
        m.forward = fwd
    x0 = torch.randn(BATCH, 3, 32, 32, requires_grad=True)
    y = model(x0)
    v = torch.randn_like(y)
    (y * v).sum().backward()
    return {"pre_m2": [p.detach().double().pow(2).mean().item() for p in pres],
            "grad_in_m2": [i.grad.double().pow(2).mean().item() for i in ins],
            "layers": [f"{type(m).__name__}{tuple(m.weight.shape)}" for m in layers]}


def agg(vals):
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(len(vals[0])):
        col = [s[l] for s in vals]
        out["mean"].append(sum(col) / len(col)); out["geomean"].append(math.exp(sum(math.log(c) for c in col) / len(col)))
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


def same_as_pytorch_cifar(ns, directory):
    """Whether pytorch-cifar's models/resnet.py ResNet18() has the same parameters in the same order (shapes) and the same forward order."""
    path = os.path.join(directory, "models", "resnet.py")
    spec = importlib.util.spec_from_file_location("pytorch_cifar_resnet", path)
    theirs = importlib.util.module_from_spec(spec); spec.loader.exec_module(theirs)
    a, b = ns["ResNet18"](), theirs.ResNet18()
    shapes = lambda m: [(n, tuple(p.shape)) for n, p in m.named_parameters()]
    order = lambda m: [tuple(l.weight.shape) for l in forward_order(m)]
    return {"path": path, "same_parameters": shapes(a) == shapes(b), "same_forward_order": order(a) == order(b)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="resnet18_ground_truth.json")
    ap.add_argument("--check-against", default=None, help="a pytorch-cifar checkout: compare its ResNet18() with this one")
    args = ap.parse_args()
    ns = build_namespace()
    meta = {"torch_version": torch.__version__, "python": sys.version.split()[0], "machine": platform.machine(),
            "torch_threads": torch.get_num_threads(), "dtype_forward": "float32", "dtype_stats": "float64",
            "seeding": "torch.manual_seed(1000+seed) before building the model; then x0 = randn, then v = randn_like(output)",
            "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    if args.check_against: meta["same_as_pytorch_cifar"] = same_as_pytorch_cifar(ns, args.check_against)
    t0 = time.time()
    runs = [run_once(ns, s) for s in range(N_SEEDS)]
    res = {"wall_s": round(time.time() - t0, 2), "layers": runs[0]["layers"],
           "pre_m2": agg([r["pre_m2"] for r in runs]), "grad_in_m2": agg([r["grad_in_m2"] for r in runs]),
           "per_seed": {"pre_m2": [r["pre_m2"] for r in runs], "grad_in_m2": [r["grad_in_m2"] for r in runs]}}
    out = {"meta": meta, "configs": [{"id": "resnet18_cifar_default", "batch": BATCH, "n_seeds": N_SEEDS, "python": PYTHON, "results": res}]}
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print(f"{res['wall_s']:5.1f}s pre {['%.3g' % v for v in res['pre_m2']['mean']]}\ngrad {['%.3g' % v for v in res['grad_in_m2']['mean']]}")
    print("meta", json.dumps(meta))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
