#!/usr/bin/python3
"""PyTorch ground truth for the stream input of a GPT: token embedding plus learned position
embedding (nanoGPT's `x = drop(wte(idx) + wpe(arange(T)))`), and the residual stream after it.

Usage: /usr/bin/python3 position_embedding.py [--out position_embedding.json]
Needs Debian's PyTorch 1.13 (python3-torch); about a minute on 2 cores.

Model (written here from nanoGPT's description, no third-party code): pre-LN blocks
  x = x + c_proj(attn(ln_1(x)));  x = x + mlp.c_proj(gelu(c_fc(ln_2(x))))
attention by hand (PyTorch 1.13 has no scaled_dot_product_attention): q k^T / sqrt(d_head),
causal mask, softmax, @ v. Init as nanoGPT's _init_weights: every Linear and Embedding
N(0, 0.02^2), biases 0, then every `c_proj.weight` N(0, (0.02/sqrt(2 n_layer))^2). Dropout 0.
Per config and seed s: torch.manual_seed(1000 + s), tokens uniform over the vocabulary,
T positions 0..T-1, float32 forward, float64 statistics over all elements.
Recorded per config (mean over seeds, and per seed):
  input_m2  : mean square of the stream input (wte(idx) [+ wpe(pos)])
  stream_m2 : mean square of the stream after each residual sum (2 per block)
  stream_rho: mean over token pairs i != k of <x_i, x_k>/d divided by stream_m2
"""
import argparse, json, math, platform, time
import torch
import torch.nn.functional as F

CONFIGS = [
    {"id": "nanogpt_wte_wpe", "position": True, "vocab": 50304, "tokens": 128, "d_model": 512, "heads": 8, "n_layer": 4, "batch": 4, "n_seeds": 4},
    {"id": "nanogpt_wte_only", "position": False, "vocab": 50304, "tokens": 128, "d_model": 512, "heads": 8, "n_layer": 4, "batch": 4, "n_seeds": 4},
]


def normal(shape, std):
    w = torch.empty(*shape)
    torch.nn.init.normal_(w, mean=0.0, std=std)
    return w


def run(cfg, seed):
    torch.manual_seed(1000 + seed)
    d, h, L, T, V, B = cfg["d_model"], cfg["heads"], cfg["n_layer"], cfg["tokens"], cfg["vocab"], cfg["batch"]
    dh = d // h
    std, proj_std = 0.02, 0.02 / math.sqrt(2 * L)
    wte = normal((V, d), std)
    wpe = normal((T, d), std) if cfg["position"] else None
    blocks = []
    for _ in range(L):
        blocks.append({
            "c_attn": normal((3 * d, d), std), "c_proj": normal((d, d), proj_std),
            "c_fc": normal((4 * d, d), std), "mlp_proj": normal((d, 4 * d), proj_std),
        })
    idx = torch.randint(0, V, (B, T))
    x = wte[idx]
    if wpe is not None:
        x = x + wpe[torch.arange(0, T, dtype=torch.long)]
    mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)

    def stats(t):
        t64 = t.double()
        m2 = (t64 ** 2).mean().item()
        s = t64.sum(dim=1)  # B x d
        total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
        cross = (total / (T * (T - 1) * d)).mean().item()
        return m2, cross / m2

    input_m2, _ = stats(x)
    stream_m2, stream_rho = [], []
    for blk in blocks:
        a = F.layer_norm(x, (d,))
        q, k, v = (a @ blk["c_attn"].t()).split(d, dim=2)
        q = q.view(B, T, h, dh).transpose(1, 2)
        k = k.view(B, T, h, dh).transpose(1, 2)
        v = v.view(B, T, h, dh).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(dh))
        att = att.masked_fill(mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, d)
        x = x + y @ blk["c_proj"].t()
        m2, rho = stats(x); stream_m2.append(m2); stream_rho.append(rho)
        a = F.layer_norm(x, (d,))
        x = x + F.gelu(a @ blk["c_fc"].t()) @ blk["mlp_proj"].t()
        m2, rho = stats(x); stream_m2.append(m2); stream_rho.append(rho)
    return {"input_m2": input_m2, "stream_m2": stream_m2, "stream_rho": stream_rho}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="position_embedding.json")
    args = ap.parse_args()
    out = {"provenance": {"script": "position_embedding.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, "results": []}
    with torch.no_grad():
        for cfg in CONFIGS:
            per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
            n = len(per_seed)
            mean = lambda key: [sum(p[key][i] for p in per_seed) / n for i in range(len(per_seed[0][key]))]
            out["results"].append({**cfg, "input_m2": sum(p["input_m2"] for p in per_seed) / n,
                                   "stream_m2": mean("stream_m2"), "stream_rho": mean("stream_rho"),
                                   "stream_m2_min": [min(p["stream_m2"][i] for p in per_seed) for i in range(2 * cfg["n_layer"])],
                                   "stream_m2_max": [max(p["stream_m2"][i] for p in per_seed) for i in range(2 * cfg["n_layer"])],
                                   "per_seed": per_seed})
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
