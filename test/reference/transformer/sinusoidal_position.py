#!/usr/bin/python3
"""PyTorch ground truth for a fixed sinusoidal position table (Vaswani et al. 2017, section 3.5)
added to a token stream, and the residual stream of the blocks after it.

Usage: /usr/bin/python3 sinusoidal_position.py [--out sinusoidal_position.json]
Needs Debian's PyTorch 1.13 (python3-torch); about a minute on 2 cores.

Table (written here from the paper's definition, as PyTorch's word_language_model example and
most tutorials build it: zeros(max_len, d), position = arange(max_len).unsqueeze(1), div_term =
exp(arange(0, d, 2) * (-ln(10000) / d)), even columns sin(position * div_term), odd columns
cos(position * div_term), registered as a buffer): pe[p, 2i] = sin(p w_i), pe[p, 2i+1] =
cos(p w_i), w_i = 10000^(-2i/d). Its rows 0..T-1 are added to every sequence.
Exact table statistics over those rows (float64):
  table_m2   : mean of pe^2 over rows and columns (1/2: sin^2 + cos^2 = 1 per column pair)
  table_c    : mean over row pairs p != q of <pe_p, pe_q>/d = mean of (1/d) sum_i 2 cos((p-q) w_i)/2
  table_mu2  : mean over rows of (mean over columns of pe_p)^2 (what LayerNorm's centring removes)
  table_muc  : mean over row pairs p != q of mu_p mu_q
Stream (torch.manual_seed(3000 + s), float32 forward, float64 statistics): the tokens are
independent rows N(0, emb_std^2) (an embedding looked up at distinct ids: nn.Embedding's N(0, 1),
or GPT-2's 0.02), x = tokens + pe[:T]; then n_layer blocks, pre-LN
  x = x + to_out(attn(LN(x))); x = x + W2 gelu(W1 LN(x))
or post-LN (nn.TransformerEncoderLayer's default order)
  x = LN(x + to_out(attn(x))); x = LN(x + W2 gelu(W1 x))
with attention by hand (q k^T / sqrt(d_head), softmax, @ v) and every Linear PyTorch's default
(kaiming_uniform_(a=sqrt 5), bias U(+-1/sqrt fan_in)). Recorded per seed (and the mean):
  input_m2, input_rho : the stream after the table: mean square, and mean over token pairs
                        i != k of <x_i, x_k>/d divided by input_m2
  stream_m2, stream_rho: the same after each residual sum (post-LN: the sum, before its LayerNorm)
"""
import argparse, json, math, platform, time
import torch
import torch.nn.functional as F

BASE = {"tokens": 64, "d_model": 256, "heads": 8, "mlp": 512, "n_layer": 4, "batch": 4, "n_seeds": 6, "max_len": 5000}
CONFIGS = [
    {"id": "randn_embedding_pre_ln", "emb_std": 1.0, "order": "pre", **BASE},
    {"id": "small_embedding_pre_ln", "emb_std": 0.02, "order": "pre", **BASE},
    {"id": "randn_embedding_post_ln", "emb_std": 1.0, "order": "post", **BASE},
]


def sinusoidal(max_len, d):
    pe = torch.zeros(max_len, d)
    position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def table_statistics(pe):
    t = pe.double()
    T, d = t.shape
    gram = t @ t.t() / d
    off = (gram.sum() - gram.diagonal().sum()) / (T * (T - 1))
    mu = t.mean(dim=1)
    muc = (mu.sum() ** 2 - (mu ** 2).sum()) / (T * (T - 1))
    return {"table_m2": (t ** 2).mean().item(), "table_c": off.item(), "table_mu2": (mu ** 2).mean().item(), "table_muc": muc.item()}


def linear(fan_in, fan_out):
    w = torch.empty(fan_out, fan_in)
    torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    b = torch.empty(fan_out)
    bound = 1 / math.sqrt(fan_in)
    torch.nn.init.uniform_(b, -bound, bound)
    return w, b


def apply(x, wb):
    w, b = wb
    return x @ w.t() + b


def run(cfg, seed, pe):
    torch.manual_seed(3000 + seed)
    T, d, h, mlp, L, B = cfg["tokens"], cfg["d_model"], cfg["heads"], cfg["mlp"], cfg["n_layer"], cfg["batch"]
    dh = d // h
    blocks = [{"qkv": linear(d, 3 * d), "out": linear(d, d), "fc1": linear(d, mlp), "fc2": linear(mlp, d)} for _ in range(L)]
    x = torch.randn(B, T, d) * cfg["emb_std"] + pe[:T]

    def stats(t):
        t64 = t.double()
        m2 = (t64 ** 2).mean().item()
        s = t64.sum(dim=1)
        total = (s ** 2).sum(dim=1) - (t64 ** 2).sum(dim=(1, 2))
        cross = (total / (T * (T - 1) * d)).mean().item()
        return m2, cross / m2

    def attention(a, blk):
        q, k, v = apply(a, blk["qkv"]).split(d, dim=2)
        q, k, v = (u.view(B, T, h, dh).transpose(1, 2) for u in (q, k, v))
        att = F.softmax((q @ k.transpose(-2, -1)) * (dh ** -0.5), dim=-1)
        return apply((att @ v).transpose(1, 2).contiguous().view(B, T, d), blk["out"])

    def feedforward(a, blk):
        return apply(F.gelu(apply(a, blk["fc1"])), blk["fc2"])

    input_m2, input_rho = stats(x)
    stream_m2, stream_rho = [], []
    for blk in blocks:
        for branch in (attention, feedforward):
            if cfg["order"] == "pre":
                x = x + branch(F.layer_norm(x, (d,)), blk)
                m2, rho = stats(x)
            else:
                x = x + branch(x, blk)
                m2, rho = stats(x)
                x = F.layer_norm(x, (d,))
            stream_m2.append(m2); stream_rho.append(rho)
    return {"input_m2": input_m2, "input_rho": input_rho, "stream_m2": stream_m2, "stream_rho": stream_rho}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="sinusoidal_position.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "sinusoidal_position.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, "results": []}
    with torch.no_grad():
        for cfg in CONFIGS:
            pe = sinusoidal(cfg["max_len"], cfg["d_model"])
            per_seed = [run(cfg, s, pe) for s in range(cfg["n_seeds"])]
            n = len(per_seed)
            mean = lambda key: [sum(p[key][i] for p in per_seed) / n for i in range(len(per_seed[0][key]))]
            out["results"].append({**cfg, **table_statistics(pe[:cfg["tokens"]]),
                                   "input_m2": sum(p["input_m2"] for p in per_seed) / n,
                                   "input_rho": sum(p["input_rho"] for p in per_seed) / n,
                                   "stream_m2": mean("stream_m2"), "stream_rho": mean("stream_rho"),
                                   "per_seed": per_seed})
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
