#!/usr/bin/python3
"""PyTorch ground truth for residual blocks with projection shortcuts (ResNet's downsample).

Usage: /usr/bin/python3 projection_oracle.py [--out projection_ground_truth.json]
Needs Debian's PyTorch (run with /usr/bin/python3). In the style of ../convkinds/convkinds_oracle.py.

Network (per config): a 3×3 stem conv 16→32 + ReLU, then three basic blocks
  y = ReLU(body(x) + shortcut(x)),  body = conv3×3(stride) [BN] ReLU conv3×3 [BN],
  shortcut = conv1×1(stride) [BN] where the block changes width or resolution, else the identity:
  32→64 stride 2 (projection), 64→64 (identity), 64→128 stride 2 (projection). No bias on the
  convs (as ResNet). BatchNorm in training mode (batch statistics), PyTorch's default init.

Method (per config, per seed s): torch.manual_seed(1000 + s); build the modules in forward order
(the stem, then per block: conv1, [bn1], conv2, [bn2], [shortcut conv, [its bn]]); apply the configured
torch.nn.init to every conv weight; x0 ~ N(0,1) of shape [batch, 16, 16, 16] (float32); forward;
backward from loss = sum(y * v), v ~ N(0,1). Per weight layer, in the order InitWise numbers them
(forward order: stem, block by block conv1, conv2, then the shortcut conv), over all elements:
pre_m2 (second moment of the conv's output) and grad_in_m2 (second moment of dL/d the layer's input
through that layer alone: each conv reads its input through its own view, whose gradient only this
conv feeds; a block's input also receives the other side's gradient, which is not counted here).
Aggregated over seeds (mean, geomean, min, max) and per seed (`per_seed`). `python` holds the same
network as PyTorch model code ending with the call on a sample of the measured shape, which the tests
read through InitWise's Python frontend.
"""
import argparse, json, math, platform, sys, time
import torch
import torch.nn.functional as F

I = torch.nn.init
STAGES = [(32, 64, 2), (64, 64, 1), (64, 128, 2)]


def apply_init(w, init):
    n = init["name"]
    if n == "torch_default": return
    if n == "kaiming_normal": I.kaiming_normal_(w, mode=init["mode"], nonlinearity="relu"); return
    raise ValueError(n)


def conv(cin, cout, k, stride, init):
    m = torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
    with torch.no_grad(): apply_init(m.weight, init)
    for p in m.parameters(): p.requires_grad_(False)
    return m


def run_once(cfg, seed):
    torch.manual_seed(1000 + seed)
    init, bn = cfg["init"], cfg["batchnorm"]
    stem = conv(16, 32, 3, 1, init)
    blocks = []
    for cin, cout, stride in STAGES:
        b = {"conv1": conv(cin, cout, 3, stride, init), "bn1": torch.nn.BatchNorm2d(cout) if bn else None,
             "conv2": conv(cout, cout, 3, 1, init), "bn2": torch.nn.BatchNorm2d(cout) if bn else None}
        if stride != 1 or cin != cout:
            b["down"] = conv(cin, cout, 1, stride, init)
            b["down_bn"] = torch.nn.BatchNorm2d(cout) if bn else None
        blocks.append(b)
    pres, ins = [], []

    def layer(m, x):
        view = x.view_as(x)  # its gradient comes from this conv only
        view.retain_grad(); ins.append(view)
        h = m(view); pres.append(h)
        return h

    norm = lambda b, key, h: b[key](h) if b.get(key) is not None else h
    x0 = torch.randn(cfg["batch"], 16, 16, 16, requires_grad=True)
    x = F.relu(layer(stem, x0))
    for b in blocks:
        out = F.relu(norm(b, "bn1", layer(b["conv1"], x)))
        out = norm(b, "bn2", layer(b["conv2"], out))
        short = norm(b, "down_bn", layer(b["down"], x)) if "down" in b else x
        x = F.relu(out + short)
    v = torch.randn_like(x)
    (x * v).sum().backward()
    return {"pre_m2": [p.detach().double().pow(2).mean().item() for p in pres],
            "grad_in_m2": [i.grad.double().pow(2).mean().item() for i in ins]}


def agg(vals):
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(len(vals[0])):
        col = [s[l] for s in vals]
        out["mean"].append(sum(col) / len(col)); out["geomean"].append(math.exp(sum(math.log(c) for c in col) / len(col)))
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


def python_source(cfg):
    bn = cfg["batchnorm"]
    init = cfg["init"]
    norm = lambda c: f"nn.BatchNorm2d({c})" if bn else "nn.Identity()"
    lines = ["import torch", "import torch.nn as nn", "import torch.nn.functional as F", "", "",
             "class BasicBlock(nn.Module):", "    def __init__(self, cin, cout, stride=1):", "        super().__init__()",
             "        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)",
             f"        self.bn1 = {norm('cout')}",
             "        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)",
             f"        self.bn2 = {norm('cout')}",
             "        self.shortcut = nn.Sequential()",
             "        if stride != 1 or cin != cout:",
             f"            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), {norm('cout')})",
             "",
             "    def forward(self, x):",
             "        out = F.relu(self.bn1(self.conv1(x)))",
             "        out = self.bn2(self.conv2(out))",
             "        out += self.shortcut(x)",
             "        return F.relu(out)",
             "", "",
             "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()",
             "        self.stem = nn.Conv2d(16, 32, 3, padding=1, bias=False)",
             "        self.blocks = nn.Sequential(" + ", ".join(f"BasicBlock({a}, {b}, {s})" for a, b, s in STAGES) + ")"]
    if init["name"] == "kaiming_normal":
        lines += ["        for m in self.modules():", "            if isinstance(m, nn.Conv2d):",
                  f"                nn.init.kaiming_normal_(m.weight, mode=\"{init['mode']}\", nonlinearity=\"relu\")"]
    lines += ["", "    def forward(self, x):", "        return self.blocks(F.relu(self.stem(x)))", "", "",
              "model = Net()", f"model(torch.randn({cfg['batch']}, 16, 16, 16))", ""]
    return "\n".join(lines)


def configs():
    out = []
    for id_, init, bn in [("batchnorm_default", {"name": "torch_default"}, True),
                          ("plain_default", {"name": "torch_default"}, False),
                          ("plain_kaiming_fan_out", {"name": "kaiming_normal", "mode": "fan_out"}, False),
                          ("plain_kaiming_fan_in", {"name": "kaiming_normal", "mode": "fan_in"}, False)]:
        c = {"id": id_, "batch": 32, "n_seeds": 6, "init": init, "batchnorm": bn}
        c["python"] = python_source(c)
        out.append(c)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="projection_ground_truth.json")
    args = ap.parse_args()
    out = {"meta": {"torch_version": torch.__version__, "python": sys.version.split()[0], "machine": platform.machine(),
                    "torch_threads": torch.get_num_threads(), "dtype_forward": "float32", "dtype_stats": "float64",
                    "seeding": "torch.manual_seed(1000+seed) before building the modules; then x0 = randn, then v = randn_like(output)",
                    "created": time.strftime("%Y-%m-%d %H:%M:%S")}, "configs": []}
    for cfg in configs():
        t0 = time.time()
        runs = [run_once(cfg, s) for s in range(cfg["n_seeds"])]
        res = {"wall_s": round(time.time() - t0, 2), "pre_m2": agg([r["pre_m2"] for r in runs]), "grad_in_m2": agg([r["grad_in_m2"] for r in runs]),
               "per_seed": {"pre_m2": [r["pre_m2"] for r in runs], "grad_in_m2": [r["grad_in_m2"] for r in runs]}}
        c = dict(cfg); c["results"] = res; out["configs"].append(c)
        print(f"{cfg['id']:24s} {res['wall_s']:5.1f}s pre {['%.3g' % v for v in res['pre_m2']['mean']]} grad {['%.3g' % v for v in res['grad_in_m2']['mean']]}", flush=True)
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
