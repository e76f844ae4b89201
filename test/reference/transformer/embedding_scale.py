#!/usr/bin/python3
"""PyTorch ground truth for a token embedding scaled by sqrt(d_model) (Vaswani et al. 2017, section
3.4; the PyTorch transformer tutorial's `self.embedding(src) * math.sqrt(self.d_model)`) in front of
a sinusoidal position table and a stack of nn.TransformerEncoderLayer blocks.

Usage: /usr/bin/python3 embedding_scale.py [--out embedding_scale.json]
Needs Debian's PyTorch 1.13 (python3-torch); about a minute on 2 cores.

The model is the tutorial's TransformerModel (sequence first, post-LN nn.TransformerEncoderLayer,
ReLU, nn.Embedding and the head Linear re-drawn U(-0.1, 0.1), the head's bias zero), with dropout 0
and these variants:
  tutorial              : nn.TransformerEncoder(layer, n) as written: its blocks are deep copies of
                          one initialised layer (identical weights; InitWise runs it by Monte-Carlo)
  independent_blocks    : nn.ModuleList of n freshly constructed layers (each block its own draw)
  randn_pre_ln          : independent blocks with norm_first=True, the embedding at nn.Embedding's
                          default N(0, 1) (no re-draw), so the scaled stream is d times the branches
  unscaled              : independent_blocks without the factor (the control: what the factor changes)
Every block weight keeps PyTorch's own init (in_proj xavier_uniform_, out_proj / linear1 / linear2
Linear's default kaiming_uniform_(a=sqrt 5), biases as PyTorch sets them).
Per seed (torch.manual_seed(4000 + s); token ids drawn uniformly from the vocabulary, all distinct
within a sequence so that distinct tokens are independent rows; float32 forward; backward of
loss = sum(logits * v), v ~ N(0, 1) iid; float64 statistics):
  emb_m2            : mean square of the embedding's output (before the factor)
  input_m2/rho      : the stream after factor and table: mean square, and the mean over token pairs
                      i != k of <x_i, x_k>/d divided by the mean square
  stream_m2/rho     : the same after each residual sum (post-LN: the sum, before its LayerNorm)
  stream_grad       : mean square of dL/d(input of each residual sum) (the stream before it)
  emb_grad          : mean square of dL/d(embedding output) (before the factor: c^2 times the
                      gradient after it)
  onehot_grad       : mean square of dL/d(one-hot ids) = g_emb @ W_emb^T (the embedding as the
                      linear map of a one-hot vector it is)
  linear_fwd/grad   : for linear1, linear2 of each block and the head, in forward order: mean
                      square of the output, and of the gradient the Linear sends to its input
                      (its full backward hook's grad_input: linear1's input also feeds the sum)
"""
import argparse, copy, json, math, platform, time
import torch
import torch.nn as nn

BASE = {"tokens": 64, "d_model": 128, "heads": 4, "d_hid": 256, "n_layer": 3, "ntoken": 1000, "batch": 4, "n_seeds": 6, "max_len": 5000}
CONFIGS = [
    {"id": "tutorial", "blocks": "copied", "norm_first": False, "embedding": "uniform0.1", "scaled": True, **BASE},
    {"id": "independent_blocks", "blocks": "independent", "norm_first": False, "embedding": "uniform0.1", "scaled": True, **BASE},
    {"id": "randn_pre_ln", "blocks": "independent", "norm_first": True, "embedding": "default", "scaled": True, **BASE},
    {"id": "unscaled", "blocks": "independent", "norm_first": False, "embedding": "uniform0.1", "scaled": False, **BASE},
]


def sinusoidal(max_len, d):
    # The tutorial's PositionalEncoding buffer, sequence first: (max_len, 1, d).
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, 1, d)
    pe[:, 0, 0::2] = torch.sin(position * div_term)
    pe[:, 0, 1::2] = torch.cos(position * div_term)
    return pe


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        make = lambda: nn.TransformerEncoderLayer(d, cfg["heads"], cfg["d_hid"], 0.0, norm_first=cfg["norm_first"])
        if cfg["blocks"] == "copied":
            self.layers = nn.TransformerEncoder(make(), cfg["n_layer"]).layers
        else:
            self.layers = nn.ModuleList([make() for _ in range(cfg["n_layer"])])
        self.embedding = nn.Embedding(cfg["ntoken"], d)
        self.linear = nn.Linear(d, cfg["ntoken"])
        if cfg["embedding"] == "uniform0.1":
            self.embedding.weight.data.uniform_(-0.1, 0.1)
        self.linear.bias.data.zero_()
        self.linear.weight.data.uniform_(-0.1, 0.1)
        self.factor = math.sqrt(d) if cfg["scaled"] else 1.0
        self.register_buffer("pe", sinusoidal(cfg["max_len"], d))


def stats(t, T, d):
    """Mean square and token correlation of a (T, B, d) sequence-first tensor."""
    t64 = t.double()
    m2 = (t64 ** 2).mean().item()
    s = t64.sum(dim=0)                       # (B, d)
    total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(0, 2))
    cross = (total / (T * (T - 1) * d)).mean().item()
    return m2, cross / m2


def ms(t):
    return (t.double() ** 2).mean().item()


def run(cfg, seed):
    torch.manual_seed(4000 + seed)
    T, B, d = cfg["tokens"], cfg["batch"], cfg["d_model"]
    model = Model(cfg)
    ids = torch.stack([torch.randperm(cfg["ntoken"])[:T] for _ in range(B)], dim=1)   # (T, B)
    linears = []
    for blk in model.layers:
        linears += [blk.linear1, blk.linear2]
    linears.append(model.linear)
    outs, grads = {}, {}

    def fwd_hook(mod, inp, out):
        outs[id(mod)] = out

    def back_hook(mod, grad_input, grad_output):
        # The gradient this Linear sends to its input (not the input's total: linear1's input also
        # feeds the residual sum).
        grads[id(mod)] = grad_input[0]

    for lin in linears:
        lin.register_forward_hook(fwd_hook)
        lin.register_full_backward_hook(back_hook)
    emb = model.embedding(ids)
    emb.retain_grad()
    x = emb * model.factor + model.pe[:T]
    x.retain_grad()
    points = []
    for blk in model.layers:
        # nn.TransformerEncoderLayer's own two sums, written out to record the stream at each.
        for branch in ("attn", "ff"):
            a = x
            a.retain_grad() if a.requires_grad else None
            if blk.norm_first:
                h = blk.norm1(a) if branch == "attn" else blk.norm2(a)
                y = a + (blk._sa_block(h, None, None) if branch == "attn" else blk._ff_block(h))
                points.append((a, y))
                x = y
            else:
                y = a + (blk._sa_block(a, None, None) if branch == "attn" else blk._ff_block(a))
                y.retain_grad()
                points.append((a, y))
                x = blk.norm1(y) if branch == "attn" else blk.norm2(y)
    logits = model.linear(x)
    v = torch.randn_like(logits)
    for a, _ in points:
        if a.requires_grad:
            a.retain_grad()
    (logits * v).sum().backward()
    input_m2, input_rho = stats(x0 := points[0][0], T, d)
    rec = {"emb_m2": ms(emb), "input_m2": input_m2, "input_rho": input_rho,
           "stream_m2": [], "stream_rho": [], "stream_grad": [],
           "emb_grad": ms(emb.grad), "onehot_grad": ms(emb.grad @ model.embedding.weight.t()),
           "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}
    for a, y in points:
        m2, rho = stats(y, T, d)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="embedding_scale.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "embedding_scale.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}, "results": []}
    for cfg in CONFIGS:
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        out["results"].append({**cfg, "per_seed": per_seed})
        first = per_seed[0]
        print(cfg["id"], "input", round(first["input_m2"], 4), "stream", [round(v, 3) for v in first["stream_m2"]],
              "grad", [round(v, 4) for v in first["stream_grad"]], "emb_grad", round(first["emb_grad"], 6))
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
