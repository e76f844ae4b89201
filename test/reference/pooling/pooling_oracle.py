#!/usr/bin/python3
"""PyTorch ground truth for pooling between convolutions: max, average and global average pooling
under ReLU and tanh (what the analytic pass's pooling moments are checked against).

Usage: /usr/bin/python3 pooling_oracle.py [--out pooling_ground_truth.json]
Needs Debian's PyTorch (run with /usr/bin/python3). In the style of ../convkinds/convkinds_oracle.py
and shared/oracle/oracle.py.

Each config is a list of PyTorch module expressions (`nn.Conv2d(64, 64, 3, padding=1)`, `nn.ReLU()`,
`nn.MaxPool2d(3, 2, 1)`, ...) run in order as an nn.Sequential; `python` holds the same network as
model code ending with the call on a sample of the measured shape, which the tests read through
InitWise's Python frontend.

Method (per config, per seed s): torch.manual_seed(1000 + s); build the modules (constructors run
PyTorch's default init), then apply the configured torch.nn.init function to every Conv2d and
Linear weight and zero their biases (unless the init is torch_default). x0 ~ N(0,1) of shape
[batch, C, H, W] (float32); forward in training mode (BatchNorm uses batch statistics); backward
from loss = sum(y * v), v ~ N(0,1). Per weight layer l, over all elements: pre_m2 (second moment
of its output) and grad_in_m2 (second moment of dL/d its input). Per pooling module p: in_m2 and
out_m2 (second moments of its input and output) and grad_in_m2 / grad_out_m2 (of dL/d its input
and output). Aggregated over seeds (mean, geomean, min, max) and kept per seed (`per_seed`).
"""
import argparse, json, math, platform, sys, time
import torch
import torch.nn as nn

I = torch.nn.init
WEIGHTED = (nn.Conv2d, nn.Linear)
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def init_line(init, ref):
    """The init as a Python statement on `ref` (a weight layer), or None for PyTorch's default."""
    n = init["name"]
    if n == "torch_default": return None
    if n == "kaiming_normal": return f"nn.init.kaiming_normal_({ref}.weight, mode=\"fan_in\", nonlinearity=\"relu\")"
    if n == "xavier_normal_tanh": return f"nn.init.xavier_normal_({ref}.weight, gain=nn.init.calculate_gain(\"tanh\"))"
    raise ValueError(n)


def apply_init(m, init):
    n = init["name"]
    if n == "torch_default": return
    if n == "kaiming_normal": I.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
    elif n == "xavier_normal_tanh": I.xavier_normal_(m.weight, gain=I.calculate_gain("tanh"))
    else: raise ValueError(n)
    I.zeros_(m.bias)


def m2(t):
    return t.detach().double().pow(2).mean().item()


def run_once(cfg, seed):
    torch.manual_seed(1000 + seed)
    mods = [eval(expr, {"nn": nn}) for expr in cfg["modules"]]
    with torch.no_grad():
        for m in mods:
            if isinstance(m, WEIGHTED): apply_init(m, cfg["init"])
    for m in mods:
        for p in m.parameters(): p.requires_grad_(False)
        m.train()
    x0 = torch.randn(cfg["batch"], *cfg["input"])
    x0.requires_grad_(True)
    x = x0
    layers, pools = [], []
    for m in mods:
        if x is not x0: x.retain_grad()
        y = m(x)
        if isinstance(m, WEIGHTED): layers.append((x, y))
        if isinstance(m, POOLS):
            y.retain_grad()
            pools.append((x, y))
        x = y
    v = torch.randn_like(x)
    (x * v).sum().backward()
    return {"pre_m2": [m2(y) for _, y in layers], "grad_in_m2": [m2(i.grad) for i, _ in layers],
            "pool_in_m2": [m2(i) for i, _ in pools], "pool_out_m2": [m2(o) for _, o in pools],
            "pool_grad_in_m2": [m2(i.grad) for i, _ in pools], "pool_grad_out_m2": [m2(o.grad) for _, o in pools]}


def agg(vals):
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(len(vals[0])):
        col = [s[l] for s in vals]
        out["mean"].append(sum(col) / len(col)); out["geomean"].append(math.exp(sum(math.log(c) for c in col) / len(col)))
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


def python_source(cfg):
    lines = ["import torch", "import torch.nn as nn", "", "", "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()",
             "        self.layers = nn.Sequential("]
    lines += [f"            {expr}," for expr in cfg["modules"]]
    lines.append("        )")
    for i, expr in enumerate(cfg["modules"]):
        if expr.startswith(("nn.Conv2d", "nn.Linear")):
            line = init_line(cfg["init"], f"self.layers[{i}]")
            if line:
                lines.append(f"        {line}")
                lines.append(f"        nn.init.zeros_(self.layers[{i}].bias)")
    lines += ["", "    def forward(self, x):", "        return self.layers(x)", "", ""]
    lines += ["model = Net()", f"model(torch.randn({cfg['batch']}, {', '.join(str(d) for d in cfg['input'])}))", ""]
    return "\n".join(lines)


def configs():
    C, B, S = 64, 16, 6
    conv = f"nn.Conv2d({C}, {C}, 3, padding=1)"
    bn = f"nn.BatchNorm2d({C})"
    head = [f"nn.AdaptiveAvgPool2d(1)", "nn.Flatten()", f"nn.Linear({C}, 10)"]
    kin = {"name": "kaiming_normal"}
    xt = {"name": "xavier_normal_tanh"}
    d = {"name": "torch_default"}
    out = []

    def stack(id_, modules, init, size=32):
        c = {"id": id_, "batch": B, "n_seeds": S, "input": [C, size, size], "init": init, "modules": modules}
        c["python"] = python_source(c)
        out.append(c)

    for act, act_init, name in (("nn.ReLU()", kin, "relu"), ("nn.Tanh()", xt, "tanh")):
        # 2x2 pools between plain convs (VGG's pattern), the global average pool before the head.
        for pool, pname in (("nn.MaxPool2d(2)", "max2"), ("nn.AvgPool2d(2)", "avg2")):
            stack(f"{name}_{pname}", [conv, act, pool, conv, act, pool, conv, act] + head, act_init)
        # ResNet's stem pool (3x3, stride 2, padding 1) after BatchNorm, then conv-BN blocks and the global pool.
        for pool, pname in (("nn.MaxPool2d(3, 2, 1)", "max3s2"), ("nn.AvgPool2d(3, 2, 1)", "avg3s2")):
            stack(f"{name}_bn_{pname}", [conv, bn, act, pool, conv, bn, act, conv, bn, act] + head, act_init)
    # Deeper plain stacks: the correlation between positions grows before the pool.
    stack("relu_deep_max2", [conv, "nn.ReLU()"] * 4 + ["nn.MaxPool2d(2)", conv, "nn.ReLU()"] + head, kin)
    stack("relu_deep_avg2", [conv, "nn.ReLU()"] * 4 + ["nn.AvgPool2d(2)", conv, "nn.ReLU()"] + head, kin)
    # The pool before the activation (max commutes with ReLU), and PyTorch's default init (biases drawn).
    stack("relu_max2_before_activation", [conv, "nn.MaxPool2d(2)", "nn.ReLU()", conv, "nn.ReLU()"] + head, kin)
    stack("relu_max2_default", [conv, "nn.ReLU()", "nn.MaxPool2d(2)", conv, "nn.ReLU()", "nn.MaxPool2d(2)", conv, "nn.ReLU()"] + head, d)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="pooling_ground_truth.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"meta": {"torch_version": torch.__version__, "python": sys.version.split()[0], "machine": platform.machine(),
                    "torch_threads": torch.get_num_threads(), "dtype_forward": "float32", "dtype_stats": "float64",
                    "seeding": "torch.manual_seed(1000+seed) before building the modules; then x0 = randn, then v = randn_like(output)",
                    "created": time.strftime("%Y-%m-%d %H:%M:%S")}, "configs": []}
    for cfg in configs():
        t0 = time.time()
        runs = [run_once(cfg, s) for s in range(cfg["n_seeds"])]
        keys = ["pre_m2", "grad_in_m2", "pool_in_m2", "pool_out_m2", "pool_grad_in_m2", "pool_grad_out_m2"]
        res = {"wall_s": round(time.time() - t0, 2), **{k: agg([r[k] for r in runs]) for k in keys},
               "per_seed": {k: [r[k] for r in runs] for k in keys}}
        c = dict(cfg); c["results"] = res; out["configs"].append(c)
        print(f"{cfg['id']:28s} {res['wall_s']:5.1f}s pre {['%.3g' % v for v in res['pre_m2']['mean']]} grad {['%.3g' % v for v in res['grad_in_m2']['mean']]}"
              f" pool out/in {['%.3g' % (o / i) for o, i in zip(res['pool_out_m2']['mean'], res['pool_in_m2']['mean'])]}", flush=True)
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
