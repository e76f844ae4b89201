#!/usr/bin/python3
"""PyTorch ground truth for stochastic depth (timm's DropPath, Huang et al. 2016) in training mode,
in a timm-style pre-LN ViT and in a pre-LN residual MLP stack (issue 15).

Usage: /usr/bin/python3 droppath.py [--out droppath.json]
Needs Debian's PyTorch 1.13 (python3-torch); under a minute.

drop_path is timm's (timm/layers/drop.py, written out here: timm is not installed and no
third-party code is run): in training mode each SAMPLE's branch output is multiplied by
b / (1 - p), b ~ Bernoulli(1 - p), one draw per sample for all its tokens and features:
    mask = x.new_empty((B,) + (1,) * (x.ndim - 1)).bernoulli_(1 - p); x * mask / (1 - p)

ViT (test/fixtures/rules/IW402/clean_timm_vit_droppath.py builds the same network): images
3x32x32 of iid N(0, 1) pixels; patch embedding Conv2d(3, 128, 4, stride 4) (PyTorch's default
init), 64 tokens, pos_embed trunc_normal_(std=.02), no class token (timm's class_token=False,
global_pool='avg': a class token drawn at std .02 would sit at E[x²] 8e-4 beside patch tokens at
0.33, and its own LayerNorm would scale its gradient by 1/8e-4, a trap of the class token's, not
of stochastic depth's); depth 6 blocks of
    x = x + drop_path(proj(attn(LN(x))))      qkv = Linear(128, 384) fused, 4 heads of 32, scale 32^-0.5
    x = x + drop_path(fc2(GELU(fc1(LN(x)))))  fc1 128 -> 512, fc2 512 -> 128
LayerNorm eps 1e-6, final LayerNorm, head Linear(128, 10) on x.mean(dim=1). Every Linear
xavier_uniform_ with zero bias (timm's jax-style init). The per-block rate is
dpr = [x.item() for x in torch.linspace(0, drop_path_rate, depth)] (timm's schedule), or
the same p for every block (`uniform`).

MLP: x ~ N(0, 1) of 64 features; embed Linear(64, 256); depth 8 blocks of
    x = x + drop_path(fc2(GELU(fc1(LN(x)))))   fc1 256 -> 512, fc2 512 -> 256
final LayerNorm (eps 1e-5), head Linear(256, 10). Every Linear xavier_uniform_, zero bias.

Per seed (torch.manual_seed(7000 + s); float32; backward of sum(logits * v), v ~ N(0, 1);
float64 statistics) recorded:
  input_m2           : the stream entering the first block
  stream_m2/rho/grad : after each residual sum: mean square over batch, tokens and features;
                       token correlation (ViT: mean over ordered pairs of distinct tokens of one
                       sequence of x_i.x_k / d, over the batch, divided by the mean square); and the
                       mean square of the gradient at the sum's input
  linear_fwd/grad    : ViT: per block proj, fc1, fc2, then the head; MLP: embed, per block fc1,
                       fc2, then the head: mean square of the output and of the gradient sent to
                       the input (full backward hook)
"""
import argparse, json, math, platform, time
import torch
import torch.nn as nn
import torch.nn.functional as F

VIT = {"model": "vit", "img": 32, "patch": 4, "chans": 3, "dim": 128, "heads": 4, "depth": 6, "mlp_ratio": 4,
       "classes": 10, "batch": 16, "n_seeds": 10}
MLP = {"model": "mlp", "inputs": 64, "dim": 256, "hidden": 512, "depth": 8, "classes": 10, "batch": 512, "n_seeds": 10}
CONFIGS = [
    {"id": "vit_p0", "drop_path_rate": 0.0, "uniform": True, **VIT},
    {"id": "vit_uniform_p0.1", "drop_path_rate": 0.1, "uniform": True, **VIT},
    {"id": "vit_uniform_p0.3", "drop_path_rate": 0.3, "uniform": True, **VIT},
    {"id": "vit_linspace_0.3", "drop_path_rate": 0.3, "uniform": False, **VIT},
    {"id": "mlp_p0", "drop_path_rate": 0.0, "uniform": True, **MLP},
    {"id": "mlp_uniform_p0.1", "drop_path_rate": 0.1, "uniform": True, **MLP},
    {"id": "mlp_uniform_p0.3", "drop_path_rate": 0.3, "uniform": True, **MLP},
]


def drop_path(x, p, training=True):
    if p == 0. or not training:
        return x
    keep = 1 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask.div_(keep)


def linear(i, o):
    lin = nn.Linear(i, o)
    nn.init.xavier_uniform_(lin.weight)
    nn.init.zeros_(lin.bias)
    return lin


def rates(cfg):
    r, d = cfg["drop_path_rate"], cfg["depth"]
    return [r] * d if cfg["uniform"] else [x.item() for x in torch.linspace(0, r, d)]


def ms(t):
    return (t.double() ** 2).mean().item()


def token_stats(t):
    t64 = t.double()
    B, T, d = t64.shape
    m2 = (t64 ** 2).mean().item()
    s = t64.sum(dim=1)
    total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
    return m2, (total / (T * (T - 1) * d)).mean().item() / m2


def hooks(linears):
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda mod, inp, out: outs.__setitem__(id(mod), out))
        lin.register_full_backward_hook(lambda mod, gin, gout: grads.__setitem__(id(mod), gin[0]))
    return outs, grads


def run_vit(cfg, seed):
    torch.manual_seed(7000 + seed)
    dim, H, B = cfg["dim"], cfg["heads"], cfg["batch"]
    dh = dim // H
    conv = nn.Conv2d(cfg["chans"], dim, cfg["patch"], stride=cfg["patch"])
    n = (cfg["img"] // cfg["patch"]) ** 2
    pos = torch.empty(1, n, dim)
    nn.init.trunc_normal_(pos, std=.02)
    blocks = []
    for _ in range(cfg["depth"]):
        blocks.append({"n1": nn.LayerNorm(dim, eps=1e-6), "qkv": linear(dim, 3 * dim), "proj": linear(dim, dim),
                       "n2": nn.LayerNorm(dim, eps=1e-6), "fc1": linear(dim, cfg["mlp_ratio"] * dim),
                       "fc2": linear(cfg["mlp_ratio"] * dim, dim)})
    final = nn.LayerNorm(dim, eps=1e-6)
    head = linear(dim, cfg["classes"])
    linears = [l for b in blocks for l in (b["proj"], b["fc1"], b["fc2"])] + [head]
    outs, grads = hooks(linears)

    def attend(b, x):
        Bn, N, C = x.shape
        qkv = b["qkv"](b["n1"](x)).reshape(Bn, N, 3, H, dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        a = ((q @ k.transpose(-2, -1)) * dh ** -0.5).softmax(dim=-1)
        return b["proj"]((a @ v).transpose(1, 2).reshape(Bn, N, C))

    def feed(b, x):
        return b["fc2"](F.gelu(b["fc1"](b["n2"](x))))

    img = torch.randn(B, cfg["chans"], cfg["img"], cfg["img"])
    x = conv(img).flatten(2).transpose(1, 2)
    x = x + pos
    points = []
    for b, p in zip(blocks, rates(cfg)):
        for branch in (attend, feed):
            a = x
            y = a + drop_path(branch(b, a), p)
            a.retain_grad()
            points.append((a, y))
            x = y
    logits = head(final(x).mean(dim=1))
    (logits * torch.randn_like(logits)).sum().backward()
    rec = {"input_m2": ms(points[0][0]), "stream_m2": [], "stream_rho": [], "stream_grad": [],
           "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}
    for a, y in points:
        m2, rho = token_stats(y)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def run_mlp(cfg, seed):
    torch.manual_seed(7000 + seed)
    dim, B = cfg["dim"], cfg["batch"]
    embed = linear(cfg["inputs"], dim)
    blocks = [{"n": nn.LayerNorm(dim), "fc1": linear(dim, cfg["hidden"]), "fc2": linear(cfg["hidden"], dim)} for _ in range(cfg["depth"])]
    final = nn.LayerNorm(dim)
    head = linear(dim, cfg["classes"])
    linears = [embed] + [l for b in blocks for l in (b["fc1"], b["fc2"])] + [head]
    outs, grads = hooks(linears)
    x = embed(torch.randn(B, cfg["inputs"], requires_grad=True))
    points = []
    for b, p in zip(blocks, rates(cfg)):
        a = x
        y = a + drop_path(b["fc2"](F.gelu(b["fc1"](b["n"](a)))), p)
        a.retain_grad()
        points.append((a, y))
        x = y
    logits = head(final(x))
    (logits * torch.randn_like(logits)).sum().backward()
    return {"input_m2": ms(points[0][0]), "stream_m2": [ms(y) for _, y in points], "stream_grad": [ms(a.grad) for a, _ in points],
            "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="droppath.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "droppath.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid", "mode": "train (drop_path active)"},
           "results": []}
    for cfg in CONFIGS:
        run = run_vit if cfg["model"] == "vit" else run_mlp
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        out["results"].append({**cfg, "rates": rates(cfg), "per_seed": per_seed})
        mean = lambda key, i: sum(p[key][i] for p in per_seed) / len(per_seed)
        last = len(per_seed[0]["stream_m2"]) - 1
        print(cfg["id"], "stream last", round(mean("stream_m2", last), 4), "grad first", round(mean("stream_grad", 0), 4),
              "rho last", round(mean("stream_rho", last), 4) if "stream_rho" in per_seed[0] else "")
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
