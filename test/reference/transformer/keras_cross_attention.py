#!/usr/bin/python3
"""PyTorch ground truth for a Keras encoder-decoder transformer with cross-attention (two
keras.Input: source and target token ids), in the shape of Deep Learning with Python's chapter 15
translation model (test/fixtures/rules/IW402/clean_keras_seq2seq.py), with Keras 3.15's inits.

Usage: /usr/bin/python3 keras_cross_attention.py [--out keras_cross_attention.json]
Needs Debian's PyTorch 1.13 (python3-torch); a few seconds. Keras is not needed: the model is
written here in PyTorch from Keras's documented layers and initializers:
  Embedding            uniform(-0.05, 0.05) (Keras's default 'uniform' initializer)
  MultiHeadAttention   query/key/value kernels (d, heads, key_dim) and the output kernel
                       (heads, key_dim, d) glorot_uniform with the einsum's fans of Keras >= 3.15
                       (fan_in d, fan_out heads*key_dim; keras-team/keras#22789), biases zero;
                       scores q k^T / sqrt(key_dim), softmax over the keys (causal in the
                       decoder's self-attention), no dropout
  Dense                glorot_uniform, bias zero
  LayerNormalization   epsilon 1e-3 (config keras_epsilon), gamma 1, beta 0; and 1e-5 (config
                       small_epsilon: the LayerNorm the simulation assumes, which isolates the reading)
  Dropout(0.5)         training mode (inverted dropout)
Each PositionalEmbedding is a token table plus a position table (rows 0..T-1). Encoder (post-LN):
x = LN(x + MHA(x, x)); x = LN(x + W2 relu(W1 x)). Decoder: x = LN(x + MHA_causal(x, x));
x = LN(x + MHA(x, memory)); x = LN(x + W2 relu(W1 x)); then Dropout(0.5) and the head
Dense(vocab) whose softmax the gradient skips. Token ids distinct within a sequence (independent
rows). Per seed (torch.manual_seed(6000 + s), float32, backward of sum(logits * v), v ~ N(0, 1),
float64 statistics):
  stream_m2/rho/grad : at each residual sum, encoder's two then decoder's three: the sum's mean
                       square (before its LayerNorm), token correlation, and the mean square of
                       the gradient at the sum's input (the stream side)
  memory_m2/rho      : the encoder's output (the memory)
  memory_grad        : mean square of the gradient at the memory (from the cross-attention)
  head_fwd           : mean square of the head's logits
"""
import argparse, json, math, platform, time
import torch
import torch.nn.functional as F

BASE = {"tokens": 20, "d": 256, "heads": 8, "key_dim": 32, "ff": 2048, "vocab": 15000, "batch": 4, "n_seeds": 6}
# Keras's LayerNormalization epsilon (1e-3), and PyTorch's (1e-5), which the simulation's LayerNorm
# assumes: with Keras's default embeddings (uniform +-0.05, the stream's variance 1.7e-3) the
# epsilon is not negligible (the first LayerNorm's output has variance 0.63, not 1).
CONFIGS = [{"id": "keras_epsilon", "eps": 1e-3, **BASE}, {"id": "small_epsilon", "eps": 1e-5, **BASE}]


def glorot(fan_in, fan_out, shape):
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return torch.empty(*shape).uniform_(-limit, limit)


def embedding(rows, d):
    return torch.empty(rows, d).uniform_(-0.05, 0.05)


def mha(cfg):
    d, h, k = cfg["d"], cfg["heads"], cfg["key_dim"]
    return {"q": glorot(d, h * k, (d, h * k)), "k": glorot(d, h * k, (d, h * k)), "v": glorot(d, h * k, (d, h * k)),
            "o": glorot(h * k, d, (h * k, d))}


def attend(p, x, mem, causal, cfg):
    B, T, d = x.shape
    S = mem.shape[1]
    h, k = cfg["heads"], cfg["key_dim"]
    q = (x @ p["q"]).view(B, T, h, k).transpose(1, 2) / math.sqrt(k)
    kk = (mem @ p["k"]).view(B, S, h, k).transpose(1, 2)
    v = (mem @ p["v"]).view(B, S, h, k).transpose(1, 2)
    scores = q @ kk.transpose(-1, -2)
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(T, S, dtype=torch.bool), 1), float("-inf"))
    return (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, h * k) @ p["o"]


def ln(x, eps):
    return F.layer_norm(x, (x.shape[-1],), eps=eps)


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
    T, d, B, V, ff = cfg["tokens"], cfg["d"], cfg["batch"], cfg["vocab"], cfg["ff"]
    src_tok, src_pos = embedding(V, d), embedding(T, d)
    enc_att = mha(cfg)
    enc_w1, enc_w2 = glorot(d, ff, (d, ff)), glorot(ff, d, (ff, d))
    tgt_tok, tgt_pos = embedding(V, d), embedding(T, d)
    self_att, cross_att = mha(cfg), mha(cfg)
    dec_w1, dec_w2 = glorot(d, ff, (d, ff)), glorot(ff, d, (ff, d))
    head = glorot(d, V, (d, V))
    src_ids = torch.stack([torch.randperm(V)[:T] for _ in range(B)])
    tgt_ids = torch.stack([torch.randperm(V)[:T] for _ in range(B)])
    points = []

    def residual(a, branch):
        a.retain_grad()
        y = a + branch(a)
        points.append((a, y))
        return ln(y, cfg["eps"])

    x = src_tok[src_ids] + src_pos[:T]
    x.requires_grad_(True)
    x = residual(x, lambda a: attend(enc_att, a, a, False, cfg))
    x = residual(x, lambda a: F.relu(a @ enc_w1) @ enc_w2)
    memory = x
    memory.retain_grad()
    y = tgt_tok[tgt_ids] + tgt_pos[:T]
    y.requires_grad_(True)
    y = residual(y, lambda a: attend(self_att, a, a, True, cfg))
    y = residual(y, lambda a: attend(cross_att, a, memory, False, cfg))
    y = residual(y, lambda a: F.relu(a @ dec_w1) @ dec_w2)
    logits = F.dropout(y, 0.5, training=True) @ head
    (logits * torch.randn_like(logits)).sum().backward()
    rec = {"stream_m2": [], "stream_rho": [], "stream_grad": [], "head_fwd": ms(logits)}
    rec["memory_m2"], rec["memory_rho"] = stats(memory)
    rec["memory_grad"] = ms(memory.grad)
    for a, s in points:
        m2, rho = stats(s)
        rec["stream_m2"].append(m2)
        rec["stream_rho"].append(rho)
        rec["stream_grad"].append(ms(a.grad))
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="keras_cross_attention.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "keras_cross_attention.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "backward_method": "loss = sum(logits * v), v ~ N(0,1) iid"}, "results": []}
    for cfg in CONFIGS:
        per_seed = [run(cfg, s) for s in range(cfg["n_seeds"])]
        out["results"].append({**cfg, "per_seed": per_seed})
        f = per_seed[0]
        print(cfg["id"], "stream", [round(v, 4) for v in f["stream_m2"]], "rho", [round(v, 4) for v in f["stream_rho"]],
              "grad", [round(v, 4) for v in f["stream_grad"]], "memory", round(f["memory_m2"], 4), round(f["memory_rho"], 4), round(f["memory_grad"], 4))
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
