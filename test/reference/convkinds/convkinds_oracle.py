#!/usr/bin/python3
"""PyTorch ground truth for depthwise, separable and transposed convolution stacks (issue 15).

Usage: /usr/bin/python3 convkinds_oracle.py [--out convkinds_ground_truth.json]
Needs Debian's PyTorch (run with /usr/bin/python3). In the style of shared/oracle/oracle.py.

Method (per config, per seed s): torch.manual_seed(1000 + s); build each layer with nn.Conv2d(...,
groups=...) / nn.ConvTranspose2d (its constructor runs PyTorch's default init), then apply the
configured torch.nn.init function to the weight (bias zeroed unless torch_default). x0 ~ N(0,1) of
shape [batch, C, H, W] (float32); forward; backward from loss = sum(y_L * v), v ~ N(0,1).
Per weight layer l, over all elements: pre_m2 (second moment of the conv's output, the input of
its activation) and grad_in_m2 (dL/d input of the layer); aggregated over seeds (mean, geomean,
min, max) and per seed (`per_seed`, for the Monte-Carlo comparison of two samples). `python` holds
the same network written as PyTorch model code ending with the call on a sample of the measured
shape (`model(torch.randn(32, 64, 32, 32))`, from which InitWise reads the spatial size), which
the tests read through InitWise's Python frontend.
"""
import argparse, json, math, platform, sys, time
import torch
import torch.nn.functional as F

I = torch.nn.init


def apply_init(w, init):
    n = init["name"]
    if n == "torch_default": return
    if n == "kaiming_normal": I.kaiming_normal_(w, mode=init.get("mode", "fan_in"), nonlinearity=init.get("nonlinearity", "relu")); return
    if n == "xavier_uniform": I.xavier_uniform_(w); return
    raise ValueError(n)


def build(layer):
    if layer["type"] == "linear":
        m = torch.nn.Linear(layer["in"], layer["out"])
    elif layer["type"] == "conv":
        m = torch.nn.Conv2d(layer["in"], layer["out"], layer["kernel"], padding=layer["padding"], groups=layer.get("groups", 1))
    else:
        m = torch.nn.ConvTranspose2d(layer["in"], layer["out"], layer["kernel"], stride=layer["stride"], padding=layer["padding"])
    with torch.no_grad():
        apply_init(m.weight, layer["init"])
        if layer["init"]["name"] != "torch_default": I.zeros_(m.bias)
    for p in m.parameters(): p.requires_grad_(False)
    return m


def pool(x, spec):
    """The pooling after a layer's activation (not measured: it has no weights)."""
    if spec is None: return x
    if spec == "max2": return F.max_pool2d(x, 2)
    if spec == "avg2": return F.avg_pool2d(x, 2)
    if spec == "global_avg": return F.adaptive_avg_pool2d(x, 1).flatten(1)
    raise ValueError(spec)


POOL_MODULES = {"max2": ["nn.MaxPool2d(2)"], "avg2": ["nn.AvgPool2d(2)"], "global_avg": ["nn.AdaptiveAvgPool2d(1)", "nn.Flatten()"]}


def run_once(cfg, seed):
    torch.manual_seed(1000 + seed)
    mods = [build(l) for l in cfg["layers"]]
    x0 = torch.randn(cfg["batch"], *cfg["input"])
    x0.requires_grad_(True)
    x, ins, pres = x0, [], []
    for m, l in zip(mods, cfg["layers"]):
        ins.append(x)
        if x is not x0: x.retain_grad()
        h = m(x); pres.append(h)
        x = F.relu(h) if l["activation"] == "relu" else h
        x = pool(x, l.get("pool"))
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
    lines = ["import torch", "import torch.nn as nn", "", "", "class Net(nn.Module):", "    def __init__(self):", "        super().__init__()", "        self.layers = nn.Sequential("]
    inits = []
    for i, l in enumerate(cfg["layers"]):
        if l["type"] == "linear":
            lines.append(f"            nn.Linear({l['in']}, {l['out']}),")
        elif l["type"] == "conv":
            groups = f", groups={l['groups']}" if l.get("groups", 1) != 1 else ""
            lines.append(f"            nn.Conv2d({l['in']}, {l['out']}, {l['kernel']}, padding={l['padding']}{groups}),")
        else:
            lines.append(f"            nn.ConvTranspose2d({l['in']}, {l['out']}, {l['kernel']}, stride={l['stride']}, padding={l['padding']}),")
        if l["activation"] == "relu": lines.append("            nn.ReLU(),")
        lines += [f"            {m}," for m in POOL_MODULES.get(l.get("pool"), [])]
        init = l["init"]
        index = sum((2 if p["activation"] == "relu" else 1) + len(POOL_MODULES.get(p.get("pool"), [])) for p in cfg["layers"][:i])
        if init["name"] == "kaiming_normal":
            inits.append(f"        nn.init.kaiming_normal_(self.layers[{index}].weight, mode=\"{init.get('mode', 'fan_in')}\", nonlinearity=\"relu\")")
            inits.append(f"        nn.init.zeros_(self.layers[{index}].bias)")
    lines.append("        )")
    lines += inits
    lines += ["", "    def forward(self, x):", "        return self.layers(x)", "", ""]
    lines += ["model = Net()", f"model(torch.randn({cfg['batch']}, {', '.join(str(d) for d in cfg['input'])}))", ""]
    return "\n".join(lines)


def configs():
    C, B, S = 64, 32, 6
    out = []
    def stack(id_, layers, input_shape):
        c = {"id": id_, "batch": B, "n_seeds": S, "input": input_shape, "layers": layers}
        c["python"] = python_source(c)
        out.append(c)
    dw = lambda init: {"type": "conv", "in": C, "out": C, "kernel": 3, "padding": 1, "groups": C, "activation": "relu", "init": init}
    pw = lambda init: {"type": "conv", "in": C, "out": C, "kernel": 1, "padding": 0, "activation": "relu", "init": init}
    dw_lin = lambda init: {**dw(init), "activation": "linear"}
    tr = lambda init: {"type": "transposed", "in": C, "out": C, "kernel": 4, "stride": 2, "padding": 1, "activation": "relu", "init": init}
    d = {"name": "torch_default"}
    kin = {"name": "kaiming_normal", "mode": "fan_in"}
    kout = {"name": "kaiming_normal", "mode": "fan_out"}
    stack("depthwise_default", [dw(d) for _ in range(4)], [C, 32, 32])
    stack("depthwise_kaiming_fan_in", [dw(kin) for _ in range(4)], [C, 32, 32])
    stack("depthwise_kaiming_fan_out", [dw(kout) for _ in range(4)], [C, 32, 32])
    stack("separable_kaiming_fan_in", [x for _ in range(3) for x in (dw_lin(kin), pw(kin))], [C, 32, 32])
    stack("transposed_default", [tr(d) for _ in range(3)], [C, 8, 8])
    stack("transposed_kaiming_fan_in", [tr(kin) for _ in range(3)], [C, 8, 8])
    stack("transposed_kaiming_fan_out", [tr(kout) for _ in range(3)], [C, 8, 8])
    # Pooling between convs (the Monte-Carlo pass pools as PyTorch does; the analytic pass keeps the mean).
    conv = lambda init, pool: {"type": "conv", "in": C, "out": C, "kernel": 3, "padding": 1, "activation": "relu", "init": init, "pool": pool}
    head = lambda init: {"type": "linear", "in": C, "out": 10, "activation": "linear", "init": init}
    stack("pooled_default", [conv(d, "max2"), conv(d, "avg2"), conv(d, "global_avg"), head(d)], [C, 16, 16])
    stack("pooled_kaiming_fan_in", [conv(kin, "max2"), conv(kin, "avg2"), conv(kin, "global_avg"), head(kin)], [C, 16, 16])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="convkinds_ground_truth.json")
    args = ap.parse_args()
    out = {"meta": {"torch_version": torch.__version__, "python": sys.version.split()[0], "machine": platform.machine(),
                    "torch_threads": torch.get_num_threads(), "dtype_forward": "float32", "dtype_stats": "float64",
                    "seeding": "torch.manual_seed(1000+seed) before building the layers; then x0 = randn, then v = randn_like(output)",
                    "created": time.strftime("%Y-%m-%d %H:%M:%S")}, "configs": []}
    for cfg in configs():
        t0 = time.time()
        runs = [run_once(cfg, s) for s in range(cfg["n_seeds"])]
        res = {"wall_s": round(time.time() - t0, 2), "pre_m2": agg([r["pre_m2"] for r in runs]), "grad_in_m2": agg([r["grad_in_m2"] for r in runs]),
               "per_seed": {"pre_m2": [r["pre_m2"] for r in runs], "grad_in_m2": [r["grad_in_m2"] for r in runs]}}
        c = dict(cfg); c["results"] = res; out["configs"].append(c)
        print(f"{cfg['id']:30s} {res['wall_s']:5.1f}s pre {['%.3g' % v for v in res['pre_m2']['mean']]} grad {['%.3g' % v for v in res['grad_in_m2']['mean']]}", flush=True)
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
