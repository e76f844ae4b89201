#!/usr/bin/python3
"""PyTorch ground truth for nn.TransformerEncoder(layer, num_layers) at its defaults: the
encoder deep-copies one initialised layer (torch/nn/modules/transformer.py `_get_clones`), so
every block starts with identical weights. Measured beside the same stack with every block
initialised independently, to decide whether InitWise may simulate the copies as independent
draws (it does).

Usage: /usr/bin/python3 cloned_blocks.py [--out cloned_blocks.json]   (Debian's python3-torch 1.13)

Per config and seed s: torch.manual_seed(1000 + s); build nn.TransformerEncoderLayer(d, heads,
dim_feedforward, dropout=0, activation, batch_first=True, norm_first) with PyTorch's own
default inits; "cloned": nn.TransformerEncoder(layer, L) as written by users; "independent":
L layers each constructed afresh (each its own default draw), same forward; "cloned_in_proj_only":
the cloned stack with out_proj, linear1 and linear2 re-drawn per block (what an `apply` over every
nn.Linear does), so only the attention's in_proj_weight (a Parameter, not a Linear) stays shared. Input tokens
x ~ N(0, I) iid (token correlation 0), batch B x T x d, float32 forward in train mode
(dropout 0, so no fast path), float64 statistics over all elements.
Recorded per config (mean over seeds and per seed), after each block:
  stream_m2 : mean square of the block output
  stream_rho: mean over token pairs i != k of <x_i, x_k>/d divided by stream_m2
"""
import argparse, json, platform, time
import torch
import torch.nn as nn

CONFIGS = [
    {"id": "postln_d512_h8_L12_relu", "d_model": 512, "heads": 8, "ff": 2048, "layers": 12, "activation": "relu", "norm_first": False, "tokens": 128, "batch": 4, "n_seeds": 6},
    {"id": "preln_d512_h8_L12_relu", "d_model": 512, "heads": 8, "ff": 2048, "layers": 12, "activation": "relu", "norm_first": True, "tokens": 128, "batch": 4, "n_seeds": 6},
    {"id": "preln_d256_h4_L24_gelu", "d_model": 256, "heads": 4, "ff": 1024, "layers": 24, "activation": "gelu", "norm_first": True, "tokens": 64, "batch": 4, "n_seeds": 6},
]


def stats(t):
    t64 = t.double()
    B, T, d = t64.shape
    m2 = (t64 ** 2).mean().item()
    s = t64.sum(dim=1)
    total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
    cross = (total / (T * (T - 1) * d)).mean().item()
    return m2, cross / m2


def layer(cfg):
    return nn.TransformerEncoderLayer(cfg["d_model"], cfg["heads"], dim_feedforward=cfg["ff"], dropout=0.0,
                                      activation=cfg["activation"], batch_first=True, norm_first=cfg["norm_first"])


def run(cfg, seed, mode):
    torch.manual_seed(1000 + seed)
    if mode == "independent":
        blocks = [layer(cfg) for _ in range(cfg["layers"])]
    else:
        blocks = list(nn.TransformerEncoder(layer(cfg), cfg["layers"], enable_nested_tensor=False).layers)
    if mode == "cloned_in_proj_only":
        # what `model.apply(init)` touching every nn.Linear leaves: out_proj, linear1 and linear2
        # drawn per block (here: their own defaults again), the attention's in_proj_weight still shared
        with torch.no_grad():
            for b in blocks:
                for lin in (b.self_attn.out_proj, b.linear1, b.linear2):
                    lin.reset_parameters()
                b.self_attn.out_proj.bias.zero_()
    x = torch.randn(cfg["batch"], cfg["tokens"], cfg["d_model"])
    m2s, rhos = [], []
    with torch.no_grad():
        for b in blocks:
            b.train()
            x = b(x)
            m2, rho = stats(x)
            m2s.append(m2); rhos.append(rho)
    return {"stream_m2": m2s, "stream_rho": rhos}


def aggregate(runs):
    keys = runs[0].keys()
    out = {}
    for k in keys:
        n = len(runs[0][k])
        out[k] = [sum(r[k][i] for r in runs) / len(runs) for i in range(n)]
        out[k + "_min"] = [min(r[k][i] for r in runs) for i in range(n)]
        out[k + "_max"] = [max(r[k][i] for r in runs) for i in range(n)]
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="cloned_blocks.json")
    args = ap.parse_args()
    torch.set_num_threads(2)
    started = time.time()
    results = []
    for cfg in CONFIGS:
        entry = dict(cfg)
        for mode in ("cloned", "independent", "cloned_in_proj_only"):
            runs = [run(cfg, s, mode) for s in range(cfg["n_seeds"])]
            entry[mode] = {"mean": aggregate(runs), "per_seed": runs}
        results.append(entry)
        print(cfg["id"], "done", round(time.time() - started, 1), "s", flush=True)
    meta = {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - started, 1)}
    json.dump({"meta": meta, "configs": results}, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
