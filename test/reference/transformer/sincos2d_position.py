#!/usr/bin/python3
"""PyTorch ground truth for vit-pytorch's SimpleViT (vit_pytorch/simple_vit.py): a fixed 2-D sin-cos
position table (`posemb_sincos_2d`, as in Chen, Xie & He 2021, MoCo v3) added to the patch tokens,
and the residual stream of the blocks after it.

Usage: /usr/bin/python3 sincos2d_position.py [--out sincos2d_position.json]
Needs Debian's PyTorch 1.13 (python3-torch); a few seconds.

Model, written here from the architecture simple_vit.py defines (no third-party code is run;
einops' rearranges are reshapes). The table for an h x w grid of patches and width dim:
  y, x = meshgrid(arange(h), arange(w), indexing="ij"); omega = arange(dim // 4) / (dim // 4 - 1);
  omega = 1 / (10000 ** omega); y = y.flatten()[:, None] * omega; x likewise;
  pe = cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)        (h*w rows, one per patch)
Exact table statistics over its h*w rows (float64, from the definition):
  table_m2   : mean of pe^2 over rows and columns (1/2)
  table_c    : mean over row pairs p != q of <pe_p, pe_q>/d
  table_mu2  : mean over rows of (mean over columns of pe_p)^2 (what LayerNorm's centring removes)
  table_muc  : mean over row pairs p != q of mu_p mu_q
The network: the image's patches, P = h*w of patch_dim iid N(0, 1) values each (the simulation's
unit-variance input), go through LayerNorm(patch_dim) -> Linear(patch_dim, dim) -> LayerNorm(dim);
the table (float32, as the model computes it) is added; then depth pre-LN blocks
  x = x + to_out(softmax(q k^T * dim_head^-0.5) v)   q, k, v = to_qkv(LN(x)).chunk(3); to_qkv and
                                                     to_out bias-free
  x = x + Linear(GELU(Linear(LN(x))))
a final LayerNorm, the mean over the tokens and linear_head = Linear(dim, classes). Every Linear
PyTorch's default. Per seed (torch.manual_seed(6000 + s); float32; backward of sum(logits * v),
v ~ N(0, 1); float64 statistics) recorded:
  input_m2, input_rho : the stream after the table: mean square, and its token correlation (mean
                        over token pairs i != k of <x_i, x_k>/d over input_m2)
  stream_m2/rho/grad  : after each residual sum: mean square, token correlation, and the mean
                        square of the gradient at the sum's input
  linear_fwd/grad     : the patch Linear, per block to_out, ff1, ff2, then the head: mean square of
                        its output and of the gradient it sends to its input (full backward hook)
"""
import argparse, json, platform, time
import torch
import torch.nn as nn
import torch.nn.functional as F

BASE = {"patch_dim": 48, "dim": 128, "depth": 3, "heads": 4, "dim_head": 32, "mlp_dim": 256, "classes": 10, "batch": 4, "n_seeds": 6, "temperature": 10000}
CONFIGS = [
    {"id": "square_grid", "grid_h": 8, "grid_w": 8, **BASE},
    {"id": "rectangular_grid", "grid_h": 6, "grid_w": 12, **BASE},
]


def posemb_sincos_2d(h, w, dim, temperature):
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    omega = torch.arange(dim // 4) / (dim // 4 - 1)
    omega = 1.0 / (temperature ** omega)
    y = y.flatten()[:, None] * omega[None, :]
    x = x.flatten()[:, None] * omega[None, :]
    return torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1).type(torch.float32)


def table_statistics(h, w, dim, temperature):
    q = dim // 4
    omega = 1.0 / (temperature ** (torch.arange(q, dtype=torch.float64) / (q - 1)))
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    y = y.flatten()[:, None] * omega[None, :]
    x = x.flatten()[:, None] * omega[None, :]
    pe = torch.cat((x.sin(), x.cos(), y.sin(), y.cos()), dim=1)
    T, d = pe.shape
    s = pe.sum(dim=0)
    squares = (pe ** 2).sum()
    mu = pe.mean(dim=1)
    return {"table_m2": (squares / (T * d)).item(), "table_c": ((s @ s - squares) / d / (T * (T - 1))).item(),
            "table_mu2": (mu ** 2).mean().item(), "table_muc": ((mu.sum() ** 2 - (mu ** 2).sum()) / (T * (T - 1))).item()}


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        dim, h, dh = cfg["dim"], cfg["heads"], cfg["dim_head"]
        self.h, self.dh = h, dh
        self.norm1 = nn.LayerNorm(dim)
        self.to_qkv = nn.Linear(dim, 3 * h * dh, bias=False)
        self.to_out = nn.Linear(h * dh, dim, bias=False)
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
    torch.manual_seed(6000 + seed)
    P, dim, B = cfg["grid_h"] * cfg["grid_w"], cfg["dim"], cfg["batch"]
    norm0 = nn.LayerNorm(cfg["patch_dim"])
    embed = nn.Linear(cfg["patch_dim"], dim)
    norm_e = nn.LayerNorm(dim)
    pe = posemb_sincos_2d(cfg["grid_h"], cfg["grid_w"], dim, cfg["temperature"])
    blocks = [Block(cfg) for _ in range(cfg["depth"])]
    final = nn.LayerNorm(dim)
    head = nn.Linear(dim, cfg["classes"])
    linears = [embed]
    for b in blocks:
        linears += [b.to_out, b.ff1, b.ff2]
    linears.append(head)
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda mod, inp, out: outs.__setitem__(id(mod), out))
        lin.register_full_backward_hook(lambda mod, gin, gout: grads.__setitem__(id(mod), gin[0]))
    patches = torch.randn(B, P, cfg["patch_dim"])
    x = norm_e(embed(norm0(patches))) + pe
    points = []
    first = x
    for b in blocks:
        for branch in (b.attend, b.feed):
            a = x
            y = a + branch(a)
            a.retain_grad()
            points.append((a, y))
            x = y
    logits = head(final(x).mean(dim=1))
    (logits * torch.randn_like(logits)).sum().backward()
    m2, rho = stats(first)
    rec = {"input_m2": m2, "input_rho": rho, "stream_m2": [], "stream_rho": [], "stream_grad": [],
           "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}
    for a, y in points:
        m2, rho = stats(y)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="sincos2d_position.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "sincos2d_position.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}, "results": []}
    for cfg in CONFIGS:
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        table = table_statistics(cfg["grid_h"], cfg["grid_w"], cfg["dim"], cfg["temperature"])
        out["results"].append({**cfg, **table, "per_seed": per_seed})
        f = per_seed[0]
        print(cfg["id"], table, "input", round(f["input_m2"], 4), round(f["input_rho"], 4), "stream", [round(v, 3) for v in f["stream_m2"]])
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
