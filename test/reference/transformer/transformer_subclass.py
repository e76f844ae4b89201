#!/usr/bin/python3
"""PyTorch ground truth for a model class that subclasses nn.Transformer (pytorch/examples'
word_language_model writes `class TransformerModel(nn.Transformer)` and calls
`super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)`),
then replaces `self.decoder` with its head Linear and runs `self.encoder` (the nn.Transformer's
encoder stack with its final LayerNorm) in its forward pass.

Usage: /usr/bin/python3 transformer_subclass.py [--out transformer_subclass.json]
Needs Debian's PyTorch 1.13 (python3-torch); under a minute on 2 cores.

The model (sequence first, dropout 0): nn.Embedding re-drawn U(-0.1, 0.1), times sqrt(d_model);
nn.Transformer's encoder (post-LN nn.TransformerEncoderLayer blocks, ReLU, and the encoder's final
LayerNorm), every weight matrix of the nn.Transformer xavier_uniform_ as its _reset_parameters
leaves them (the constructor's last step, after the blocks were cloned, so each block is its own
draw); the head Linear re-drawn U(-0.1, 0.1), its bias zero. Variants: post_ln (norm_first=False,
the example's) and pre_ln (norm_first=True).
Per seed (torch.manual_seed(5000 + s); token ids drawn without repeats within a sequence; float32
forward; backward of loss = sum(logits * v), v ~ N(0, 1) iid; float64 statistics):
  emb_m2         : mean square of the embedding's output (before the factor)
  input_m2       : mean square of the stream entering the first block (after the factor)
  stream_m2/rho  : after each residual sum (post-LN: before its LayerNorm): mean square, and the
                   mean over token pairs i != k of <x_i, x_k>/d divided by the mean square
  stream_grad    : mean square of dL/d(input of each residual sum)
  final_m2       : mean square after the encoder's final LayerNorm
  onehot_grad    : mean square of dL/d(one-hot ids) = g_emb @ W_emb^T
  linear_fwd/grad: linear1, linear2 of each block and the head, in forward order: mean square of
                   the output, and of the gradient the Linear sends to its input
"""
import argparse, json, math, platform, time
import torch
import torch.nn as nn

BASE = {"tokens": 64, "d_model": 128, "heads": 4, "d_hid": 256, "n_layer": 3, "ntoken": 1000, "batch": 4, "n_seeds": 6}
CONFIGS = [
    {"id": "post_ln", "norm_first": False, **BASE},
    {"id": "pre_ln", "norm_first": True, **BASE},
]


class Model(nn.Transformer):
    def __init__(self, cfg):
        d = cfg["d_model"]
        super().__init__(d_model=d, nhead=cfg["heads"], dim_feedforward=cfg["d_hid"], num_encoder_layers=cfg["n_layer"],
                         dropout=0.0, norm_first=cfg["norm_first"])
        self.input_emb = nn.Embedding(cfg["ntoken"], d)
        self.decoder = nn.Linear(d, cfg["ntoken"])
        self.input_emb.weight.data.uniform_(-0.1, 0.1)
        self.decoder.bias.data.zero_()
        self.decoder.weight.data.uniform_(-0.1, 0.1)


def stats(t, T, d):
    """Mean square and token correlation of a (T, B, d) sequence-first tensor."""
    t64 = t.double()
    m2 = (t64 ** 2).mean().item()
    s = t64.sum(dim=0)
    total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(0, 2))
    cross = (total / (T * (T - 1) * d)).mean().item()
    return m2, cross / m2


def ms(t):
    return (t.double() ** 2).mean().item()


def run(cfg, seed):
    torch.manual_seed(5000 + seed)
    T, B, d = cfg["tokens"], cfg["batch"], cfg["d_model"]
    model = Model(cfg)
    ids = torch.stack([torch.randperm(cfg["ntoken"])[:T] for _ in range(B)], dim=1)
    blocks = model.encoder.layers
    linears = [l for blk in blocks for l in (blk.linear1, blk.linear2)] + [model.decoder]
    outs, grads = {}, {}
    for lin in linears:
        lin.register_forward_hook(lambda mod, inp, out: outs.__setitem__(id(mod), out))
        lin.register_full_backward_hook(lambda mod, gi, go: grads.__setitem__(id(mod), gi[0]))
    emb = model.input_emb(ids)
    emb.retain_grad()
    x = emb * math.sqrt(d)
    input_m2 = ms(x)
    points = []
    for blk in blocks:
        # nn.TransformerEncoderLayer's two sums written out, to record the stream at each.
        for branch in ("attn", "ff"):
            a = x
            a.retain_grad()
            if blk.norm_first:
                h = blk.norm1(a) if branch == "attn" else blk.norm2(a)
                y = a + (blk._sa_block(h, None, None) if branch == "attn" else blk._ff_block(h))
                x = y
            else:
                y = a + (blk._sa_block(a, None, None) if branch == "attn" else blk._ff_block(a))
                x = blk.norm1(y) if branch == "attn" else blk.norm2(y)
            points.append((a, y))
    x = model.encoder.norm(x)
    final_m2 = ms(x)
    logits = model.decoder(x)
    (logits * torch.randn_like(logits)).sum().backward()
    rec = {"emb_m2": ms(emb), "input_m2": input_m2, "final_m2": final_m2, "stream_m2": [], "stream_rho": [], "stream_grad": [],
           "onehot_grad": ms(emb.grad @ model.input_emb.weight.t()),
           "linear_fwd": [ms(outs[id(l)]) for l in linears], "linear_grad": [ms(grads[id(l)]) for l in linears]}
    for a, y in points:
        m2, rho = stats(y, T, d)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="transformer_subclass.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "transformer_subclass.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}, "results": []}
    for cfg in CONFIGS:
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        out["results"].append({**cfg, "per_seed": per_seed})
        first = per_seed[0]
        print(cfg["id"], "input", round(first["input_m2"], 4), "stream", [round(v, 3) for v in first["stream_m2"]],
              "grad", [round(v, 4) for v in first["stream_grad"]], "final", round(first["final_m2"], 4))
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
