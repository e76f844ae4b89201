#!/usr/bin/python3
"""PyTorch ground truth for F.normalize(x, dim=...) (x / max(||x||_2, eps) over one axis), which
InitWise reads as an RMSNorm without gain and epsilon times 1/sqrt(d) (issue 15; before, it was
read as a LayerNorm: unit second moment instead of 1/d).

Usage: /usr/bin/python3 f_normalize.py [--out f_normalize.json]
Needs Debian's PyTorch 1.13 (python3-torch); seconds on 2 cores.

Two models (test/unit/fNormalize.oracle.test.ts writes the same ones as code):
  mlp   : x (batch, 256) ~ N(0, 1) -> fc1 Linear(256, 512) -> ReLU -> fc2 Linear(512, 512)
          -> F.normalize(h) (default dim=1, the features) -> fc3 Linear(512, 512) -> tanh
          -> fc4 Linear(512, 10); every weight kaiming_normal_(nonlinearity="relu"), biases zero
  stack : tokens -> nn.Embedding(vocab, d) (its default N(0, 1) rows) -> n_layer blocks
          x + down(silu(up(F.normalize(x, dim=-1)))), up: Linear(d, 4d), down: Linear(4d, d)
          -> F.normalize(x, dim=-1) -> head Linear(d, vocab, bias=False); Linears at PyTorch's default init
Per seed (torch.manual_seed(7000 + s); float32 forward; backward of loss = sum(out * v),
v ~ N(0, 1) iid; float64 statistics):
  linear_fwd  : each Linear in forward order: mean square of its output
  linear_grad : the same Linears: mean square of the gradient it sends to its input
  stream_m2, stream_grad (stack only): mean square of the stream after each residual sum, and of
                dL/d(the stream entering it); emb_m2: mean square of the embedding's output
"""
import argparse, json, platform, time
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = [
    {"id": "mlp", "batch": 512, "n_seeds": 6},
    {"id": "stack", "tokens": 64, "d_model": 128, "n_layer": 3, "vocab": 500, "batch": 4, "n_seeds": 6},
]


def hooks(linears):
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda m, i, o: outs.__setitem__(id(m), o))
        lin.register_full_backward_hook(lambda m, gi, go: grads.__setitem__(id(m), gi[0]))
    return outs, grads


ms = lambda t: (t.double() ** 2).mean().item()


def run_mlp(cfg, seed):
    torch.manual_seed(7000 + seed)
    fc = [nn.Linear(256, 512), nn.Linear(512, 512), nn.Linear(512, 512), nn.Linear(512, 10)]
    for lin in fc:
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
        nn.init.zeros_(lin.bias)
    outs, grads = hooks(fc)
    x = torch.randn(cfg["batch"], 256, requires_grad=True)
    h = F.relu(fc[0](x))
    h = fc[1](h)
    h = F.normalize(h)
    h = torch.tanh(fc[2](h))
    out = fc[3](h)
    (out * torch.randn_like(out)).sum().backward()
    return {"linear_fwd": [ms(outs[id(l)]) for l in fc], "linear_grad": [ms(grads[id(l)]) for l in fc]}


def run_stack(cfg, seed):
    torch.manual_seed(7000 + seed)
    T, B, d = cfg["tokens"], cfg["batch"], cfg["d_model"]
    embed = nn.Embedding(cfg["vocab"], d)
    blocks = [(nn.Linear(d, 4 * d), nn.Linear(4 * d, d)) for _ in range(cfg["n_layer"])]
    head = nn.Linear(d, cfg["vocab"], bias=False)
    linears = [l for b in blocks for l in b] + [head]
    outs, grads = hooks(linears)
    ids = torch.stack([torch.randperm(cfg["vocab"])[:T] for _ in range(B)])   # (B, T), distinct tokens
    x = embed(ids)
    emb = x
    points = []
    for up, down in blocks:
        a = x
        a.retain_grad()
        x = a + down(F.silu(up(F.normalize(a, dim=-1))))
        points.append((a, x))
    logits = head(F.normalize(x, dim=-1))
    (logits * torch.randn_like(logits)).sum().backward()
    return {"emb_m2": ms(emb), "stream_m2": [ms(y) for _, y in points], "stream_grad": [ms(a.grad) for a, _ in points],
            "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="f_normalize.json")
    args = parser.parse_args()
    torch.set_num_threads(2)
    run = {"mlp": run_mlp, "stack": run_stack}
    results = [{**cfg, "per_seed": [run[cfg["id"]](cfg, s) for s in range(cfg["n_seeds"])]} for cfg in CONFIGS]
    provenance = {"script": "f_normalize.py", "torch": torch.__version__, "python": platform.python_version(),
                  "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "backward_method": "loss = sum(out * v), v ~ N(0,1) iid"}
    with open(args.out, "w") as f:
        json.dump({"provenance": provenance, "results": results}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
