#!/usr/bin/python3
"""PyTorch ground truth for a ViT's stream input: patch embedding, class token in front, learned
position table added (`x = torch.cat((cls_tokens, x), dim=1); x = x + pos_embedding`), and the
residual stream of the pre-LN blocks after it.

Usage: /usr/bin/python3 vit_position.py [--out vit_position.json]
Needs Debian's PyTorch 1.13 (python3-torch); about a minute on 2 cores.

Model (written here from the ViT paper, Dosovitskiy et al. 2021, and the inits timm and
lucidrains/vit-pytorch document; no third-party code): the image is cut into P patches whose
pixels are iid N(0, 1) (the simulation's unit-variance input), each patch a vector of
patch_dim values projected by a Linear(patch_dim, d) (a Conv2d with kernel = stride = patch is
the same map); then
  x = cat(cls, patches)            (cls: one learned row, the same for every image)
  x = x + pos                      (pos: (P + 1) x d, the same for every image)
  x = x + to_out(attn(LN(x)))      attention by hand: q k^T / sqrt(d_head), softmax, @ v
  x = x + W2 gelu(W1 LN(x))
Inits per config:
  timm_trunc_normal : pos and cls trunc_normal_(std=.02) (bounds a=-2, b=2, absolute), every
                      Linear trunc_normal_(std=.02) with zero bias (timm's _init_weights)
  lucidrains_randn  : pos and cls torch.randn (std 1), every Linear PyTorch's default
                      (kaiming_uniform_(a=sqrt 5), bias U(+-1/sqrt fan_in)); qkv without bias
  zeros_left        : pos and cls torch.zeros never re-drawn, Linears PyTorch's default
Per config and seed s: torch.manual_seed(2000 + s), float32 forward, float64 statistics over
all elements. Recorded per seed (and the mean):
  input_m2  : mean square of the stream after the position table (the blocks' input)
  input_rho : its token correlation
  stream_m2 : mean square of the stream after each residual sum (2 per block)
  stream_rho: mean over token pairs i != k of <x_i, x_k>/d divided by stream_m2
"""
import argparse, json, math, platform, time
import torch
import torch.nn.functional as F

BASE = {"patches": 64, "patch_dim": 48, "d_model": 256, "heads": 8, "mlp": 512, "n_layer": 4, "batch": 4, "n_seeds": 6}
CONFIGS = [
    {"id": "timm_trunc_normal", "init": "timm", **BASE},
    {"id": "lucidrains_randn", "init": "randn", **BASE},
    {"id": "zeros_left", "init": "zeros", **BASE},
]


def linear(fan_in, fan_out, scheme, bias=True):
    w = torch.empty(fan_out, fan_in)
    b = torch.zeros(fan_out) if bias else None
    if scheme == "timm":
        torch.nn.init.trunc_normal_(w, std=.02)
    else:
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
        if b is not None:
            bound = 1 / math.sqrt(fan_in)
            torch.nn.init.uniform_(b, -bound, bound)
    return w, b


def table(shape, scheme):
    t = torch.zeros(*shape)
    if scheme == "timm":
        torch.nn.init.trunc_normal_(t, std=.02)
    elif scheme == "randn":
        t = torch.randn(*shape)
    return t


def apply(x, wb):
    w, b = wb
    y = x @ w.t()
    return y + b if b is not None else y


def run(cfg, seed):
    torch.manual_seed(2000 + seed)
    P, pd, d, h, mlp, L, B = cfg["patches"], cfg["patch_dim"], cfg["d_model"], cfg["heads"], cfg["mlp"], cfg["n_layer"], cfg["batch"]
    dh = d // h
    T = P + 1
    scheme = cfg["init"]
    patch = linear(pd, d, scheme)
    cls = table((1, 1, d), scheme)
    pos = table((1, T, d), scheme)
    blocks = []
    for _ in range(L):
        blocks.append({
            "qkv": linear(d, 3 * d, scheme, bias=scheme == "timm"), "out": linear(d, d, scheme),
            "fc1": linear(d, mlp, scheme), "fc2": linear(mlp, d, scheme),
        })
    patches = torch.randn(B, P, pd)
    x = apply(patches, patch)
    x = torch.cat((cls.expand(B, -1, -1), x), dim=1)
    x = x + pos

    def stats(t):
        t64 = t.double()
        m2 = (t64 ** 2).mean().item()
        s = t64.sum(dim=1)
        total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
        cross = (total / (T * (T - 1) * d)).mean().item()
        return m2, cross / m2

    input_m2, input_rho = stats(x)
    stream_m2, stream_rho = [], []
    for blk in blocks:
        a = F.layer_norm(x, (d,))
        q, k, v = apply(a, blk["qkv"]).split(d, dim=2)
        q, k, v = (t.view(B, T, h, dh).transpose(1, 2) for t in (q, k, v))
        att = F.softmax((q @ k.transpose(-2, -1)) * (dh ** -0.5), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, d)
        x = x + apply(y, blk["out"])
        m2, rho = stats(x); stream_m2.append(m2); stream_rho.append(rho)
        a = F.layer_norm(x, (d,))
        x = x + apply(F.gelu(apply(a, blk["fc1"])), blk["fc2"])
        m2, rho = stats(x); stream_m2.append(m2); stream_rho.append(rho)
    return {"input_m2": input_m2, "input_rho": input_rho, "stream_m2": stream_m2, "stream_rho": stream_rho}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="vit_position.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "vit_position.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, "results": []}
    with torch.no_grad():
        for cfg in CONFIGS:
            per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
            n = len(per_seed)
            mean = lambda key: [sum(p[key][i] for p in per_seed) / n for i in range(len(per_seed[0][key]))]
            out["results"].append({**cfg, "input_m2": sum(p["input_m2"] for p in per_seed) / n,
                                   "input_rho": sum(p["input_rho"] for p in per_seed) / n,
                                   "stream_m2": mean("stream_m2"), "stream_rho": mean("stream_rho"),
                                   "per_seed": per_seed})
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
