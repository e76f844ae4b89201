#!/usr/bin/python3
"""PyTorch ground truth for pre-norm stacks whose norm is written out by hand (InitWise's
interpreter/handNorm.ts reads such a norm as the NormOp nn.RMSNorm / nn.LayerNorm make).

Usage: /usr/bin/python3 hand_norm.py [--out hand_norm.json]
Needs Debian's PyTorch 1.13 (python3-torch); under a minute on 2 cores.

The model (test/frontends/python.handWrittenNorm.test.ts builds the same one as code):
  tokens -> nn.Embedding(vocab, d) (its default N(0, 1) rows)
  -> n_layer blocks x + down(silu(up(norm(x)))), up: Linear(d, 4d), down: Linear(4d, d)
  -> final norm -> head Linear(d, vocab, bias=False)
every Linear at PyTorch's default init, and the norm one of
  rms   : x * rsqrt(mean(x^2 over the features, keepdim) + 1e-6) * weight (weight = ones)
  layer : (x - mean) / sqrt(mean((x - mean)^2) + 1e-5) * weight + bias (ones, zeros)
Per seed (torch.manual_seed(5000 + s); token ids drawn uniformly, all distinct within a
sequence; float32 forward; backward of loss = sum(logits * v), v ~ N(0, 1) iid; float64
statistics):
  emb_m2       : mean square of the embedding's output
  stream_m2    : mean square of the stream after each residual sum
  stream_grad  : mean square of dL/d(the stream entering each residual sum)
  linear_fwd   : for up, down of each block and the head, in forward order: mean square of the output
  linear_grad  : the same Linears: mean square of the gradient the Linear sends to its input
"""
import argparse, json, platform, time
import torch
import torch.nn as nn
import torch.nn.functional as F

BASE = {"tokens": 64, "d_model": 128, "n_layer": 3, "vocab": 500, "batch": 4, "n_seeds": 6}
CONFIGS = [{"id": "rms", "norm": "rms", **BASE}, {"id": "layer", "norm": "layer", **BASE}]


class HandRMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class HandLayerNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        mu = x.mean(-1, keepdim=True)
        var = (x - mu).pow(2).mean(-1, keepdim=True)
        return self.weight * ((x - mu) / torch.sqrt(var + self.eps)) + self.bias


class Block(nn.Module):
    def __init__(self, d, norm):
        super().__init__()
        self.norm = norm(d)
        self.up = nn.Linear(d, 4 * d)
        self.down = nn.Linear(4 * d, d)


def run(cfg, seed):
    torch.manual_seed(5000 + seed)
    T, B, d = cfg["tokens"], cfg["batch"], cfg["d_model"]
    norm = HandRMSNorm if cfg["norm"] == "rms" else HandLayerNorm
    embed = nn.Embedding(cfg["vocab"], d)
    blocks = nn.ModuleList([Block(d, norm) for _ in range(cfg["n_layer"])])
    final = norm(d)
    head = nn.Linear(d, cfg["vocab"], bias=False)
    linears = [l for b in blocks for l in (b.up, b.down)] + [head]
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda m, i, o: outs.__setitem__(id(m), o))
        lin.register_full_backward_hook(lambda m, gi, go: grads.__setitem__(id(m), gi[0]))
    ids = torch.stack([torch.randperm(cfg["vocab"])[:T] for _ in range(B)])   # (B, T)
    x = embed(ids)
    emb = x
    points = []
    for b in blocks:
        a = x
        a.retain_grad()
        x = a + b.down(F.silu(b.up(b.norm(a))))
        points.append((a, x))
    logits = head(final(x))
    v = torch.randn_like(logits)
    (logits * v).sum().backward()
    ms = lambda t: (t.double() ** 2).mean().item()
    return {"emb_m2": ms(emb), "stream_m2": [ms(y) for _, y in points], "stream_grad": [ms(a.grad) for a, _ in points],
            "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="hand_norm.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    results = [{**cfg, "per_seed": [run(cfg, s) for s in range(cfg["n_seeds"])]} for cfg in CONFIGS]
    provenance = {"script": "hand_norm.py", "torch": torch.__version__, "python": platform.python_version(),
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}
    with open(args.out, "w") as f:
        json.dump({"provenance": provenance, "results": results}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
