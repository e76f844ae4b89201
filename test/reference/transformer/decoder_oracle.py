#!/usr/bin/python3
"""PyTorch ground truth for encoder-decoder transformers at initialisation: PyTorch's own
nn.Transformer and nn.TransformerDecoder(nn.TransformerDecoderLayer) as their constructors leave
them, measured sublayer by sublayer (causal self-attention, cross-attention to the memory, MLP).

Usage: /usr/bin/python3 decoder_oracle.py [--only ID_SUBSTR] [--out decoder_ground_truth.json]
Needs Debian's PyTorch 1.13 (apt-get install -y python3-torch libopenblas0-pthread; /usr/bin/python3).

Method (per config, per seed s in 0..n_seeds-1), in the style of transformer_oracle.py:
  torch.manual_seed(1000 + s); build the real module (nothing re-initialised: nn.Transformer's
  _reset_parameters runs xavier_uniform_ on every parameter with dim > 1, so in_proj_weight,
  out_proj.weight, linear1/2.weight; biases keep MultiheadAttention's zeros and Linear's
  U(+-1/sqrt(fan_in)); a bare nn.TransformerDecoder deep-copies one layer: its copies share the
  same values), batch_first=True, training mode (dropout as configured).
  Inputs: src [B, S, d] and tgt [B, T, d], x[b, i] = sqrt(rho) z[b] + sqrt(1 - rho) e[b, i]
  (z, e ~ N(0, I_d)); for a bare decoder, src is the memory itself.
  Each layer is stepped through with its own _sa_block / _mha_block / _ff_block and norms, in the
  order its forward uses (post-LN: x = norm1(x + sa(x)), norm2(x + mha(x, mem)), norm3(x + ff(x));
  norm_first: x = x + sa(norm1(x)), x + mha(norm2(x), mem), x + ff(norm3(x))); with dropout 0 the
  stepped output is asserted equal to layer(x, mem). tgt_mask = generate_square_subsequent_mask(T)
  (causal self-attention); no memory mask. Forward in float32; backward of loss = sum(out * v),
  v ~ N(0, 1) (a unit cotangent at the decoder's output).
Per sublayer (encoder and decoder separately), in float64 over all elements:
  stream_m2 / stream_cross / stream_rho : the stream after the sublayer (after the norm in post-LN):
                  mean square, mean over token pairs i != k of <x_i, x_k>/d, and their ratio
  branch_m2     : mean square of the branch output (after out_proj or linear2, after dropout)
  grad_in_m2 / grad_in_cross : dL/d(stream entering the sublayer)
  logit_var     : attention sublayers: per (sequence, head, query row) the population variance of
                  the logits over the keys the row sees (log A up to a per-row constant), averaged
  attn_pii      : mean over rows of sum_j A_ij^2
and per run: memory_m2, memory_rho (the encoder's output after its final norm, or the input
memory), memory_grad_m2 / memory_grad_cross (dL/d memory: summed over every cross-attention),
out_m2 / out_rho (the decoder's output), tgt_grad_m2, src_grad_m2 (dL/d inputs).
Aggregates over seeds: mean, geomean, min, max per sublayer; per_seed keeps the raw arrays.
"""
import argparse, json, math, platform, sys, time
import torch
import torch.nn as nn

torch.set_num_threads(max(1, torch.get_num_threads()))


def cfg(id, kind, d, heads, ff, enc, dec, T, S, norm_first=False, activation="relu", dropout=0.0,
        final_norm=True, rho_src=0.0, rho_tgt=0.0, batch=4, seeds=4, note=""):
    return {"id": id, "kind": kind, "note": note, "d_model": d, "heads": heads, "dim_feedforward": ff,
            "encoder_layers": enc, "decoder_layers": dec, "tgt_tokens": T, "src_tokens": S,
            "norm_first": norm_first, "activation": activation, "dropout": dropout,
            "decoder_final_norm": final_norm, "input": {"rho_src": rho_src, "rho_tgt": rho_tgt},
            "batch": batch, "n_seeds": seeds}


CONFIGS = [
    cfg("transformer_post_d128", "transformer", 128, 4, 512, 2, 2, 48, 64, note="nn.Transformer, post-LN (the default), small"),
    cfg("transformer_pre_d128", "transformer", 128, 4, 512, 2, 2, 48, 64, norm_first=True, note="nn.Transformer, norm_first=True, small"),
    cfg("transformer_post_d256_6x6", "transformer", 256, 8, 1024, 6, 6, 64, 64, note="nn.Transformer 6+6 post-LN"),
    cfg("transformer_pre_d256_6x6", "transformer", 256, 8, 1024, 6, 6, 64, 64, norm_first=True, note="nn.Transformer 6+6 norm_first"),
    cfg("transformer_post_d256_6x12", "transformer", 256, 8, 1024, 6, 12, 64, 64,
        note="nn.Transformer post-LN with 12 decoder layers: where does the decoder's token correlation go?"),
    cfg("transformer_default_6x12", "transformer", 512, 8, 2048, 6, 12, 64, 64, dropout=0.1, batch=2,
        note="nn.Transformer(num_decoder_layers=12), otherwise as constructed (dropout 0.1, training mode)"),
    cfg("transformer_default", "transformer", 512, 8, 2048, 6, 6, 64, 64, dropout=0.1, batch=2,
        note="nn.Transformer() exactly as constructed: d512, 8 heads, ff 2048, 6+6, dropout 0.1 (training mode)"),
    cfg("transformer_pre_gelu_d512", "transformer", 512, 8, 2048, 6, 6, 64, 64, norm_first=True, activation="gelu", batch=2,
        note="nn.Transformer(norm_first=True, activation='gelu', dropout=0)"),
    cfg("decoder_layer_post_d128", "decoder", 128, 4, 512, 0, 1, 32, 48, activation="gelu", final_norm=False,
        note="nn.TransformerDecoder(layer, 1): one nn.TransformerDecoderLayer, post-LN; memory an N(0,1) input"),
    cfg("decoder_layer_pre_d256_rho", "decoder", 256, 8, 1024, 0, 1, 64, 32, norm_first=True, rho_src=0.5, rho_tgt=0.3,
        note="nn.TransformerDecoder(norm_first layer, 1, LayerNorm); correlated memory and target tokens, S < T"),
    cfg("decoder_post_d128_4", "decoder", 128, 4, 512, 0, 4, 32, 48, activation="gelu", final_norm=False,
        note="nn.TransformerDecoder(layer, 4), no final norm; memory an N(0,1) input; its 4 deep copies start identical"),
    cfg("decoder_pre_d128_8_rho", "decoder", 128, 4, 512, 0, 8, 32, 48, norm_first=True, rho_src=0.5, rho_tgt=0.2,
        note="nn.TransformerDecoder(norm_first layer, 8, LayerNorm); correlated memory and target tokens"),
    cfg("decoder_pre_d64_12", "decoder", 64, 2, 256, 0, 12, 32, 32, norm_first=True,
        note="deep narrow norm_first decoder, 12 copies"),
]


def tokens(B, T, d, rho):
    return math.sqrt(rho) * torch.randn(B, 1, d) + math.sqrt(1 - rho) * torch.randn(B, T, d)


def cross_stats(x):
    d64 = x.detach().double()
    B, T, d = d64.shape
    G = d64 @ d64.transpose(1, 2) / d
    diag = G.diagonal(dim1=1, dim2=2)
    m2 = diag.mean().item()
    cross = ((G.sum((1, 2)) - diag.sum(1)) / (T * (T - 1))).mean().item()
    return m2, cross


def attention_stats(mha, q_in, kv_in, mask):
    """Logit variance over the keys each row sees, and sum_j A_ij^2, from the layer's own weights (eval: no dropout on A)."""
    was = mha.training
    mha.eval()
    with torch.no_grad():
        _, A = mha(q_in, kv_in, kv_in, attn_mask=mask, need_weights=True, average_attn_weights=False)
    mha.train(was)
    A64 = A.double()  # [B, H, T, S]
    logA = torch.log(A64.clamp_min(1e-300))
    if mask is not None:
        seen = torch.isfinite(mask)  # [T, S]
        cnt = seen.sum(-1).double()
        l0 = logA.masked_fill(~seen, 0.0)
        mu = l0.sum(-1) / cnt
        var = ((l0 - mu.unsqueeze(-1)).pow(2).masked_fill(~seen, 0.0)).sum(-1) / cnt
    else:
        var = logA.var(-1, unbiased=False)
    return var.mean().item(), A64.pow(2).sum(-1).mean().item()


class Recorder:
    def __init__(self):
        self.kind, self.ins, self.outs, self.branches, self.logit_var, self.attn_pii = [], [], [], [], [], []

    def step(self, kind, x, branch_fn, norm_first, pre_norm, post_norm, stats=None):
        self.ins.append(x)
        if norm_first:
            r = branch_fn(pre_norm(x)); y = x + r
        else:
            r = branch_fn(x); y = post_norm(x + r)
        y.retain_grad()
        self.kind.append(kind); self.branches.append(r); self.outs.append(y)
        lv, pii = stats(pre_norm(x) if norm_first else x) if stats else (None, None)
        self.logit_var.append(lv); self.attn_pii.append(pii)
        return y

    def results(self):
        rec = {k: [] for k in ("stream_m2", "stream_cross", "stream_rho", "branch_m2", "grad_in_m2", "grad_in_cross")}
        for i in range(len(self.outs)):
            m2, cr = cross_stats(self.outs[i])
            rec["stream_m2"].append(m2); rec["stream_cross"].append(cr); rec["stream_rho"].append(cr / m2)
            rec["branch_m2"].append(cross_stats(self.branches[i])[0])
            gm, gc = cross_stats(self.ins[i].grad)
            rec["grad_in_m2"].append(gm); rec["grad_in_cross"].append(gc)
        rec["kind"] = self.kind
        rec["logit_var"] = self.logit_var
        rec["attn_pii"] = self.attn_pii
        return rec


def encoder_layer(layer, x, mask, rec):
    nf = layer.norm_first
    x0 = x
    x = rec.step("self_attention", x, lambda h: layer._sa_block(h, mask, None), nf, layer.norm1, layer.norm1,
                 lambda h: attention_stats(layer.self_attn, h, h, mask))
    x = rec.step("mlp", x, layer._ff_block, nf, layer.norm2, layer.norm2)
    return x0, x


def decoder_layer(layer, x, mem, mask, rec):
    nf = layer.norm_first
    x = rec.step("self_attention", x, lambda h: layer._sa_block(h, mask, None), nf, layer.norm1, layer.norm1,
                 lambda h: attention_stats(layer.self_attn, h, h, mask))
    x = rec.step("cross_attention", x, lambda h: layer._mha_block(h, mem, None, None), nf, layer.norm2, layer.norm2,
                 lambda h: attention_stats(layer.multihead_attn, h, mem, None))
    x = rec.step("mlp", x, layer._ff_block, nf, layer.norm3, layer.norm3)
    return x


def build(c):
    d, H, ff, p, act, nf = c["d_model"], c["heads"], c["dim_feedforward"], c["dropout"], c["activation"], c["norm_first"]
    if c["kind"] == "transformer":
        m = nn.Transformer(d, H, c["encoder_layers"], c["decoder_layers"], ff, p, act, batch_first=True, norm_first=nf)
        return m.encoder, m.decoder
    layer = nn.TransformerDecoderLayer(d, H, ff, p, act, batch_first=True, norm_first=nf)
    dec = nn.TransformerDecoder(layer, c["decoder_layers"], nn.LayerNorm(d) if c["decoder_final_norm"] else None)
    return None, dec


def run_once(c, seed):
    torch.manual_seed(1000 + seed)
    encoder, decoder = build(c)
    for mod in (encoder, decoder):
        if mod is not None:
            mod.train()
            for prm in mod.parameters(): prm.requires_grad_(False)
    d, T, S, B = c["d_model"], c["tgt_tokens"], c["src_tokens"], c["batch"]
    src = tokens(B, S, d, c["input"]["rho_src"]).requires_grad_(True)
    tgt = tokens(B, T, d, c["input"]["rho_tgt"]).requires_grad_(True)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    enc_rec, dec_rec = Recorder(), Recorder()
    if encoder is not None:
        x = src
        for layer in encoder.layers:
            x_in, x = encoder_layer(layer, x, None, enc_rec)
            if c["dropout"] == 0:
                with torch.no_grad():
                    assert torch.allclose(layer(x_in), x, atol=1e-5, rtol=1e-4)
        mem = encoder.norm(x) if encoder.norm is not None else x
    else:
        mem = src
    if mem is not src: mem.retain_grad()
    y = tgt
    for layer in decoder.layers:
        y_in = y
        y = decoder_layer(layer, y, mem, mask, dec_rec)
        if c["dropout"] == 0:
            with torch.no_grad():
                assert torch.allclose(layer(y_in, mem, tgt_mask=mask), y, atol=1e-5, rtol=1e-4)
    out = decoder.norm(y) if decoder.norm is not None else y
    for t in enc_rec.ins + dec_rec.ins:
        if t is not src and t is not tgt: t.retain_grad()
    v = torch.randn_like(out)
    (out * v).sum().backward()
    rec = {"decoder": dec_rec.results(), "encoder": enc_rec.results() if encoder is not None else None}
    rec["memory_m2"], mc = cross_stats(mem); rec["memory_rho"] = mc / rec["memory_m2"]
    rec["memory_grad_m2"], rec["memory_grad_cross"] = cross_stats(mem.grad)
    rec["out_m2"], oc = cross_stats(out); rec["out_rho"] = oc / rec["out_m2"]
    rec["tgt_grad_m2"] = cross_stats(tgt.grad)[0]
    rec["src_grad_m2"] = cross_stats(src.grad)[0]
    rec["src_m2"], sc = cross_stats(src); rec["src_rho"] = sc / rec["src_m2"]
    rec["tgt_m2"], tc = cross_stats(tgt); rec["tgt_rho"] = tc / rec["tgt_m2"]
    return rec


def agg(vals):
    L = len(vals[0])
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(L):
        col = [s[l] for s in vals]
        if any(x is None for x in col):
            for k in out: out[k].append(None)
            continue
        out["mean"].append(sum(col) / len(col))
        out["geomean"].append(math.exp(sum(math.log(x) for x in col) / len(col)) if all(x > 0 for x in col) else None)
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


KEYS = ("stream_m2", "stream_cross", "stream_rho", "branch_m2", "grad_in_m2", "grad_in_cross", "logit_var", "attn_pii")
SCALARS = ("memory_m2", "memory_rho", "memory_grad_m2", "memory_grad_cross", "out_m2", "out_rho", "tgt_grad_m2",
           "src_grad_m2", "src_m2", "src_rho", "tgt_m2", "tgt_rho")


def stack_results(runs, part):
    if runs[0][part] is None: return None
    res = {"kind": runs[0][part]["kind"]}
    for k in KEYS:
        res[k] = agg([r[part][k] for r in runs])
    res["per_seed"] = {k: [r[part][k] for r in runs] for k in ("stream_m2", "stream_rho", "grad_in_m2", "logit_var", "attn_pii")}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--out", default="decoder_ground_truth.json")
    ap.add_argument("--seeds", type=int, default=None)
    args = ap.parse_args()
    cfgs = [c for c in CONFIGS if not args.only or args.only in c["id"]]
    out = {"meta": {
        "torch_version": torch.__version__, "python": sys.version.split()[0],
        "machine": platform.machine(), "torch_threads": torch.get_num_threads(),
        "dtype_forward": "float32", "dtype_stats": "float64",
        "seeding": "torch.manual_seed(1000+seed) before building the modules; then src, tgt (z then e each), then v = randn_like(output)",
        "backward_method": "loss = sum(output * v), v ~ N(0,1) iid",
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }, "configs": []}
    t_all = time.time()
    for c in cfgs:
        n_seeds = args.seeds or c["n_seeds"]
        t0 = time.time()
        runs = [run_once(c, s) for s in range(n_seeds)]
        res = {"seeds": [1000 + s for s in range(n_seeds)], "wall_s": round(time.time() - t0, 3),
               "decoder": stack_results(runs, "decoder"), "encoder": stack_results(runs, "encoder")}
        for k in SCALARS:
            col = [r[k] for r in runs]
            res[k] = {"mean": sum(col) / len(col), "min": min(col), "max": max(col), "per_seed": col}
        e = dict(c); e["n_seeds"] = n_seeds; e["results"] = res
        out["configs"].append(e)
        dr = res["decoder"]
        print(f"{c['id']:30s} {res['wall_s']:6.1f}s mem m2={res['memory_m2']['mean']:.4g} rho={res['memory_rho']['mean']:.4g} "
              f"dec last m2={dr['stream_m2']['mean'][-1]:.4g} rho={dr['stream_rho']['mean'][-1]:.4g} "
              f"grad first={dr['grad_in_m2']['mean'][0]:.4g} mem grad={res['memory_grad_m2']['mean']:.4g}", flush=True)
    out["meta"]["total_wall_s"] = round(time.time() - t_all, 1)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print("wrote", args.out, "total", out["meta"]["total_wall_s"], "s")


if __name__ == "__main__":
    main()
