#!/usr/bin/python3
"""PyTorch ground truth for transformer stacks at initialisation: the residual stream, the
token correlation, the attention logits and the gradient reaching each block.

Usage: /usr/bin/python3 transformer_oracle.py --configs configs.json [--only ID_SUBSTR] [--out ground_truth.json]
Needs Debian's PyTorch (apt-get install -y python3-torch libopenblas0-pthread; run with /usr/bin/python3).
PyTorch 1.13 has no F.scaled_dot_product_attention: attention is written by hand, as nanoGPT's
fallback path does (q @ k^T * scale, optional causal mask, softmax, @ v).

Method (per config, per seed s in 0..n_seeds-1), in the style of shared/oracle/oracle.py:
  torch.manual_seed(1000 + s); build every nn.Linear (torch's default reset_parameters runs),
  then apply the configured torch.nn.init function to each weight; biases are zeros (GPT-2,
  BERT, ViT all zero their biases). Norms: LayerNorm (gamma 1, beta 0) or RMSNorm written
  by hand (x / sqrt(mean(x^2) + eps)), eps 1e-5.
  Input tokens: x[b, i] = sqrt(rho0) * z[b] + sqrt(1 - rho0) * e[b, i], z and e ~ N(0, I_d):
  unit second moment, token correlation rho0.
  Block (pre-norm):  x = x + g_attn * W_O attn(norm(x));  x = x + g_mlp * fc2(act(fc1(norm(x))))
  Block (post-norm): x = norm(x + W_O attn(x));          x = norm(x + fc2(act(fc1(x))))
  Block (none):      x = x + g_attn * W_O attn(x);        x = x + g_mlp * fc2(act(fc1(x)))
  attn(h): per head, q = h W_Q, k = h W_K, v = h W_V (d_head = d_model / heads), logits
  s = scale * q k^T (scale: 1/sqrt(d_head), 1/d_head, 1 or a number), causal mask optional,
  A = softmax(s), output heads concatenated. A sublayer is an attention or an MLP half-block.
  Forward in float32; backward of loss = sum(x_out * v), v ~ N(0, 1) iid (a unit cotangent).
  Statistics in float64 over all elements.
Per sublayer l = 1..L we record
  stream_m2     : mean of x_l^2 (the stream after sublayer l)
  stream_cross  : mean over sequences and token pairs i != k of <x_i, x_k> / d
  stream_rho    : stream_cross / stream_m2 (the token correlation; 1 = rank collapse)
  branch_m2     : mean square of the branch output (after W_O or fc2, before the gate)
  grad_in_m2    : mean square of dL/d(input of sublayer l)
  grad_in_cross : the same cross moment for the gradient
  attention sublayers only:
  logit_var     : per (sequence, head, query row) the population variance of the logits over
                  the keys the row sees, averaged
  attn_pii      : mean over rows of sum_j A_ij^2 (1/T for uniform attention, 1 for one-hot)
  attn_entropy  : mean over rows of -sum_j A_ij log A_ij (nats)
Aggregates over seeds: mean, geomean, min, max per sublayer; per_seed keeps the raw arrays.
"""
import argparse, json, math, platform, sys, time
import torch
import torch.nn.functional as F

torch.set_num_threads(max(1, torch.get_num_threads()))


def act_fn(name):
    if name == "relu": return F.relu
    if name == "gelu": return F.gelu
    if name == "gelu_tanh": return lambda x: F.gelu(x, approximate="tanh")
    if name == "silu": return F.silu
    if name == "tanh": return torch.tanh
    raise ValueError(name)


def apply_init(t, init):
    n = init["name"]
    I = torch.nn.init
    if n == "torch_default": return
    if n == "normal": I.normal_(t, 0.0, init["std"]); return
    if n == "trunc_normal": I.trunc_normal_(t, 0.0, init["std"], -2 * init["std"], 2 * init["std"]); return
    if n == "xavier_uniform": I.xavier_uniform_(t, gain=init.get("gain", 1.0)); return
    if n == "xavier_normal": I.xavier_normal_(t, gain=init.get("gain", 1.0)); return
    if n == "kaiming_normal": I.kaiming_normal_(t, nonlinearity=init.get("nonlinearity", "relu")); return
    raise ValueError(n)


def linear(n_in, n_out, init):
    m = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        apply_init(m.weight, init)
        torch.nn.init.zeros_(m.bias)
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def norm_fn(kind, d):
    if kind == "layernorm": return lambda x: F.layer_norm(x, (d,), eps=1e-5)
    if kind == "rmsnorm": return lambda x: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5)
    raise ValueError(kind)


def logit_scale(cfg):
    s = cfg["attention"]["scale"]
    dh = cfg["d_model"] // cfg["heads"]
    if s == "inv_sqrt_dh": return 1.0 / math.sqrt(dh)
    if s == "inv_dh": return 1.0 / dh
    return float(s)


def build(cfg):
    d, hidden = cfg["d_model"], cfg["mlp"]["hidden"] if cfg["mlp"] else None
    ini = cfg["init"]
    blocks = []
    for _ in range(cfg["n_blocks"]):
        b = {"q": linear(d, d, ini["q"]), "k": linear(d, d, ini["k"]), "v": linear(d, d, ini["v"]),
             "o": linear(d, d, ini["o"])}
        if cfg["mlp"]:
            b["fc1"] = linear(d, hidden, ini["fc1"])
            b["fc2"] = linear(hidden, d, ini["fc2"])
        blocks.append(b)
    return blocks


def cross_stats(x):
    """x: [B, T, d] -> (m2, cross) in float64: cross = mean over i != k of <x_i, x_k> / d."""
    d64 = x.detach().double()
    B, T, d = d64.shape
    G = d64 @ d64.transpose(1, 2) / d  # [B, T, T]
    diag = G.diagonal(dim1=1, dim2=2)
    m2 = diag.mean().item()
    cross = ((G.sum((1, 2)) - diag.sum(1)) / (T * (T - 1))).mean().item()
    return m2, cross


def run_once(cfg, seed):
    torch.manual_seed(1000 + seed)
    blocks = build(cfg)
    d, H, T, B = cfg["d_model"], cfg["heads"], cfg["tokens"], cfg["batch"]
    dh = d // H
    scale = logit_scale(cfg)
    causal = cfg["attention"]["causal"]
    mask = torch.ones(T, T).tril().bool() if causal else None
    act = act_fn(cfg["mlp"]["activation"]) if cfg["mlp"] else None
    norm = norm_fn(cfg["norm_kind"], d) if cfg["norm"] != "none" else None
    gates = cfg.get("gates", {"attn": 1.0, "mlp": 1.0})
    rho0 = cfg["input"]["rho"]
    x0 = math.sqrt(rho0) * torch.randn(B, 1, d) + math.sqrt(1 - rho0) * torch.randn(B, T, d)
    x0.requires_grad_(True)
    x = x0
    rec = {k: [] for k in ("kind", "logit_var", "attn_pii", "attn_entropy")}
    ins, outs, branches = [], [], []

    def attention(h, b):
        q = b["q"](h).view(B, T, H, dh).transpose(1, 2)
        k = b["k"](h).view(B, T, H, dh).transpose(1, 2)
        v = b["v"](h).view(B, T, H, dh).transpose(1, 2)
        s = (q @ k.transpose(-2, -1)) * scale
        if mask is not None:
            s = s.masked_fill(~mask, float("-inf"))
        A = torch.softmax(s, dim=-1)
        with torch.no_grad():
            s64, A64 = s.double(), A.double()
            if mask is not None:
                cnt = mask.sum(-1).double()  # keys per row
                s0 = s64.masked_fill(~mask, 0.0)
                mu = s0.sum(-1) / cnt
                var = ((s0 - mu.unsqueeze(-1)).pow(2).masked_fill(~mask, 0.0)).sum(-1) / cnt
            else:
                var = s64.var(-1, unbiased=False)
            rec["logit_var"].append(var.mean().item())
            rec["attn_pii"].append(A64.pow(2).sum(-1).mean().item())
            ent = -(A64 * torch.log(A64.clamp_min(1e-300))).sum(-1)
            rec["attn_entropy"].append(ent.mean().item())
        y = (A @ v).transpose(1, 2).reshape(B, T, d)
        return b["o"](y)

    def mlp(h, b):
        return b["fc2"](act(b["fc1"](h)))

    for b in blocks:
        subs = [("attention", lambda h, b=b: attention(h, b), gates["attn"])]
        if cfg["mlp"]:
            subs.append(("mlp", lambda h, b=b: mlp(h, b), gates["mlp"]))
        for kind, f, g in subs:
            ins.append(x)
            if cfg["norm"] == "pre":
                r = f(norm(x)); y = x + g * r
            elif cfg["norm"] == "post":
                r = f(x); y = norm(x + g * r)
            else:
                r = f(x); y = x + g * r
            y.retain_grad()
            rec["kind"].append(kind)
            branches.append(r); outs.append(y)
            x = y
    for t in ins:
        if t is not x0: t.retain_grad()
    v = torch.randn_like(x)
    (x * v).sum().backward()
    for k in ("stream_m2", "stream_cross", "stream_rho", "branch_m2", "grad_in_m2", "grad_in_cross"):
        rec[k] = []
    for i in range(len(outs)):
        m2, cr = cross_stats(outs[i])
        rec["stream_m2"].append(m2); rec["stream_cross"].append(cr); rec["stream_rho"].append(cr / m2)
        rec["branch_m2"].append(cross_stats(branches[i])[0])
        gm, gc = cross_stats(ins[i].grad)
        rec["grad_in_m2"].append(gm); rec["grad_in_cross"].append(gc)
    # attention-only lists are indexed by attention sublayer; spread them over all sublayers
    for k in ("logit_var", "attn_pii", "attn_entropy"):
        it = iter(rec[k])
        rec[k] = [next(it) if kind == "attention" else None for kind in rec["kind"]]
    m2, cr = cross_stats(x0)
    rec["input_m2"], rec["input_cross"] = m2, cr
    return rec


def agg(vals):
    L = len(vals[0])
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(L):
        col = [s[l] for s in vals]
        if any(c is None for c in col):
            for k in out: out[k].append(None)
            continue
        out["mean"].append(sum(col) / len(col))
        out["geomean"].append(math.exp(sum(math.log(c) for c in col) / len(col)) if all(c > 0 for c in col) else None)
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


KEYS = ("stream_m2", "stream_cross", "stream_rho", "branch_m2", "grad_in_m2", "grad_in_cross",
        "logit_var", "attn_pii", "attn_entropy")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="configs.json")
    ap.add_argument("--only", default=None)
    ap.add_argument("--out", default="ground_truth.json")
    ap.add_argument("--seeds", type=int, default=None)
    args = ap.parse_args()
    with open(args.configs) as f:
        cfgs = json.load(f)
    if args.only:
        cfgs = [c for c in cfgs if args.only in c["id"]]
    out = {"meta": {
        "torch_version": torch.__version__, "python": sys.version.split()[0],
        "machine": platform.machine(), "torch_threads": torch.get_num_threads(),
        "dtype_forward": "float32", "dtype_stats": "float64",
        "seeding": "torch.manual_seed(1000+seed) before building the layers; then z, e (input), then v = randn_like(output)",
        "backward_method": "loss = sum(output * v), v ~ N(0,1) iid",
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }, "configs": []}
    t_all = time.time()
    for cfg in cfgs:
        n_seeds = args.seeds or cfg["n_seeds"]
        t0 = time.time()
        runs = [run_once(cfg, s) for s in range(n_seeds)]
        res = {"seeds": [1000 + s for s in range(n_seeds)], "wall_s": round(time.time() - t0, 3),
               "kind": runs[0]["kind"]}
        for k in KEYS:
            res[k] = agg([r[k] for r in runs])
        res["per_seed"] = {k: [r[k] for r in runs] for k in ("stream_m2", "stream_rho", "grad_in_m2", "logit_var", "attn_pii")}
        res["input_m2"] = [r["input_m2"] for r in runs]
        res["input_cross"] = [r["input_cross"] for r in runs]
        c = dict(cfg); c["n_seeds"] = n_seeds; c["results"] = res
        out["configs"].append(c)
        print(f"{cfg['id']:32s} {res['wall_s']:6.1f}s stream_m2 last={res['stream_m2']['mean'][-1]:.4g} "
              f"rho last={res['stream_rho']['mean'][-1]:.4g} grad first={res['grad_in_m2']['mean'][0]:.4g} "
              f"logit_var first={res['logit_var']['mean'][0]:.4g}", flush=True)
    out["meta"]["total_wall_s"] = round(time.time() - t_all, 1)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print("wrote", args.out, "total", out["meta"]["total_wall_s"], "s")


if __name__ == "__main__":
    main()
