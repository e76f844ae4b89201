#!/usr/bin/python3
"""PyTorch ground truth for vit-pytorch's ViT (vit_pytorch/vit.py) with its head reading the mean
over the tokens (`pool = 'mean'`: no class token, `x.mean(dim = 1)`) or the class token
(`pool = 'cls'`, the control), and with a single head of width dim (`project_out = False`: the
attention's output projection is nn.Identity()), under either pool.

Usage: /usr/bin/python3 vit_pool.py [--out vit_pool.json]
Needs Debian's PyTorch 1.13 (python3-torch); a few seconds.

Model, written here from the architecture vit.py defines (no third-party code is run; einops'
rearranges are reshapes): the image's patches, P of patch_dim iid N(0, 1) values each (the
simulation's unit-variance input), go through LayerNorm(patch_dim) -> Linear(patch_dim, dim) ->
LayerNorm(dim); `pool = 'cls'` puts cls_token = randn(1, dim) in front (`pool = 'mean'`: a table
of 0 rows, nothing); pos_embedding = randn(P + cls, dim) is added; then depth blocks
  x = x + to_out(softmax(q k^T * dim_head^-0.5) v)   q, k, v = to_qkv(LN(x)).chunk(3), bias-free
  x = x + Linear(GELU(Linear(LN(x))))
a final LayerNorm, and mlp_head = Linear(dim, classes) on x.mean(dim=1) or x[:, 0]. Every Linear
PyTorch's default; dropout 0. Per seed (torch.manual_seed(5000 + s); float32; backward of
sum(logits * v), v ~ N(0, 1); float64 statistics) recorded:
  input_m2           : the stream after the table (the blocks' input)
  stream_m2/rho/grad : after each residual sum: mean square, token correlation, and the mean
                       square of the gradient at the sum's input
  linear_fwd/grad    : for every Linear but to_qkv, in forward order (patch embedding, per block
                       to_out (if any), ff1, ff2, then the head): mean square of its output and of
                       the gradient it sends to its input (full backward hook)
  pooled_m2          : mean square of what the head reads (the token mean, or the class token)
"""
import argparse, json, math, platform, time
import torch
import torch.nn as nn
import torch.nn.functional as F

BASE = {"patches": 64, "patch_dim": 48, "dim": 128, "depth": 3, "mlp_dim": 256, "classes": 10, "batch": 4, "n_seeds": 6}
CONFIGS = [
    {"id": "mean_pool", "pool": "mean", "heads": 4, "dim_head": 32, **BASE},
    {"id": "cls_pool", "pool": "cls", "heads": 4, "dim_head": 32, **BASE},
    {"id": "single_head_no_projection", "pool": "cls", "heads": 1, "dim_head": 128, **BASE},
    # Added with the simulation of an attention without an output projection: the same single head
    # under pool = 'mean', so the check is not confounded by the class token's gradient.
    {"id": "single_head_no_projection_mean", "pool": "mean", "heads": 1, "dim_head": 128, **BASE},
]


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, h, dh = cfg["dim"], cfg["heads"], cfg["dim_head"]
        self.h, self.dh = h, dh
        self.norm1 = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, 3 * h * dh, bias=False)
        project_out = not (h == 1 and dh == dim)
        self.to_out = nn.Linear(h * dh, dim) if project_out else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.ff1 = nn.Linear(dim, cfg["mlp_dim"])
        self.ff2 = nn.Linear(cfg["mlp_dim"], dim)

    def attend(self, x):
        B, N, _ = x.shape
        q, k, v = self.to_qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (t.view(B, N, self.h, self.dh).transpose(1, 2) for t in (q, k, v))
        attn = F.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.dh ** -0.5, dim=-1)
        return self.to_out(torch.matmul(attn, v).transpose(1, 2).reshape(B, N, self.h * self.dh))

    def feed(self, x):
        return self.ff2(F.gelu(self.ff1(self.norm2(x))))


def stats(t):
    t64 = t.double()
    B, T, d = t64.shape
    m2 = (t64 ** 2).mean().item()
    s = t64.sum(dim=1)
    total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
    return m2, (total / (T * (T - 1) * d)).mean().item() / m2


def ms(t):
    return (t.double() ** 2).mean().item()


def run(cfg, seed):
    torch.manual_seed(5000 + seed)
    P, dim, B = cfg["patches"], cfg["dim"], cfg["batch"]
    cls = 1 if cfg["pool"] == "cls" else 0
    norm0 = nn.LayerNorm(cfg["patch_dim"])
    embed = nn.Linear(cfg["patch_dim"], dim)
    norm_e = nn.LayerNorm(dim)
    cls_token = torch.randn(cls, dim)
    pos = torch.randn(P + cls, dim)
    blocks = [Block(cfg) for _ in range(cfg["depth"])]
    final = nn.LayerNorm(dim)
    head = nn.Linear(dim, cfg["classes"])
    linears = [embed]
    for b in blocks:
        linears += ([b.to_out] if isinstance(b.to_out, nn.Linear) else []) + [b.ff1, b.ff2]
    linears.append(head)
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda mod, inp, out: outs.__setitem__(id(mod), out))
        lin.register_full_backward_hook(lambda mod, gin, gout: grads.__setitem__(id(mod), gin[0]))
    patches = torch.randn(B, P, cfg["patch_dim"])
    x = norm_e(embed(norm0(patches)))
    x = torch.cat((cls_token.expand(B, cls, dim), x), dim=1) + pos
    points = []
    for b in blocks:
        for branch in (b.attend, b.feed):
            a = x
            y = a + branch(a)
            a.retain_grad()
            points.append((a, y))
            x = y
    x = final(x)
    pooled = x.mean(dim=1) if cfg["pool"] == "mean" else x[:, 0]
    logits = head(pooled)
    (logits * torch.randn_like(logits)).sum().backward()
    rec = {"input_m2": stats(points[0][0])[0], "stream_m2": [], "stream_rho": [], "stream_grad": [],
           "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears],
           "pooled_m2": ms(pooled)}
    for a, y in points:
        m2, rho = stats(y)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="vit_pool.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "vit_pool.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}, "results": []}
    for cfg in CONFIGS:
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        out["results"].append({**cfg, "per_seed": per_seed})
        f = per_seed[0]
        print(cfg["id"], "input", round(f["input_m2"], 3), "pooled", round(f["pooled_m2"], 4), "head", round(f["linear_fwd"][-1], 4),
              "grad", [round(v, 6) for v in f["stream_grad"]])
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
