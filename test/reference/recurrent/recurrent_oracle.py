#!/usr/bin/python3
"""PyTorch ground truth for the gradient through time of recurrent layers (issue 15).

Usage: /usr/bin/python3 recurrent_oracle.py [--only ID_SUBSTR] [--out recurrent_ground_truth.json]
Needs Debian's PyTorch: apt-get install -y python3-torch (run with /usr/bin/python3).
Written in the style of shared/oracle/oracle.py (same seeding, cotangent and statistics).

Method (per config, per seed s in 0..n_seeds-1):
  torch.manual_seed(1000 + s); build the real torch.nn.RNN / LSTM / GRU (its constructor runs
  torch's reset_parameters: U(+-1/sqrt(hidden)) on every weight and bias), then apply the
  configured torch.nn.init function to each named parameter (`per_gate`: to each gate's row
  block separately, as the idiom `for w in weight.chunk(k): init(w)` does), then any bias slices
  (the forget-gate idiom `bias[h:2h].fill_(1)`).
  x ~ N(0,1) of shape [T, batch, input] (float32), requires_grad. h_0 = 0 (and c_0 = 0).
  Forward in float32 through the module; out[t] is the hidden state h_t.
  Backward: loss = sum(h_T * v), v ~ N(0,1) iid (drawn after x from the same seeded RNG): a
  unit-variance cotangent at the LAST step only, so dL/dx_t measures the gradient that
  reaches step t through T - t recurrent steps.
  Statistics in float64 over all elements (batch x units) of each time step:
    hidden_m2[t]  = mean(h_t^2)             t = 1..T
    grad_x_m2[t]  = mean((dL/dx_t)^2)       t = 1..T
  Aggregates over seeds per step: mean, geomean, min, max; per_seed keeps the raw arrays.
"""
import argparse, json, math, platform, sys, time
import torch

torch.set_num_threads(max(1, torch.get_num_threads()))
I = torch.nn.init

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


def apply_init(t, init):
    n = init["name"]
    if n == "torch_default": return
    if n == "zeros": I.zeros_(t); return
    if n == "constant": I.constant_(t, init["value"]); return
    if n == "normal": I.normal_(t, init.get("mean", 0.0), init["std"]); return
    if n == "uniform": I.uniform_(t, init["a"], init["b"]); return
    if n == "xavier_uniform": I.xavier_uniform_(t, gain=init.get("gain", 1.0)); return
    if n == "orthogonal": I.orthogonal_(t, gain=init.get("gain", 1.0)); return
    if n == "eye":
        with torch.no_grad():
            t.copy_(torch.eye(t.shape[0], t.shape[1]) * init.get("gain", 1.0))
        return
    raise ValueError(n)


def build(cfg):
    cell, h, d = cfg["cell"], cfg["hidden"], cfg["input"]
    if cell == "rnn":
        m = torch.nn.RNN(d, h, nonlinearity=cfg.get("nonlinearity", "tanh"))
    elif cell == "lstm":
        m = torch.nn.LSTM(d, h)
    else:
        m = torch.nn.GRU(d, h)
    k = GATES[cell]
    with torch.no_grad():
        for p in cfg["inits"]:
            t = getattr(m, p["param"])
            if p.get("per_gate"):
                for block in t.chunk(k, 0):
                    apply_init(block, p["init"])
            else:
                apply_init(t, p["init"])
        for s in cfg.get("bias_slices", []):
            getattr(m, s["param"])[s["gate"] * h:(s["gate"] + 1) * h].fill_(s["value"])
    for p in m.parameters():
        p.requires_grad_(False)
    return m


def m2(t):
    return t.detach().double().pow(2).mean().item()


def run_once(cfg, seed):
    torch.manual_seed(1000 + seed)
    m = build(cfg)
    x = torch.randn(cfg["T"], cfg["batch"], cfg["input"])
    x.requires_grad_(True)
    out, _ = m(x)
    v = torch.randn(cfg["batch"], cfg["hidden"])
    (out[-1] * v).sum().backward()
    return {
        "hidden_m2": [m2(out[t]) for t in range(cfg["T"])],
        "grad_x_m2": [m2(x.grad[t]) for t in range(cfg["T"])],
        "weight_hh_var": m.weight_hh_l0.double().var(unbiased=False).item(),
        "weight_ih_var": m.weight_ih_l0.double().var(unbiased=False).item(),
    }


def agg(vals):
    out = {"mean": [], "geomean": [], "min": [], "max": []}
    for l in range(len(vals[0])):
        col = [s[l] for s in vals]
        out["mean"].append(sum(col) / len(col))
        out["geomean"].append(math.exp(sum(math.log(c) for c in col) / len(col)) if all(c > 0 for c in col) else None)
        out["min"].append(min(col)); out["max"].append(max(col))
    return out


def uniform_default(h):
    return {"name": "uniform", "a": -1 / math.sqrt(h), "b": 1 / math.sqrt(h)}


def configs():
    """The measured settings: every recurrent cell under PyTorch's default, the recurrent inits the
    literature recommends (orthogonal, Saxe et al. 2014; identity for ReLU, Le et al. 2015), an
    iid recurrent kernel at the same scale as orthogonal, and the forget-gate bias idiom."""
    H, D, B, S = 256, 256, 64, 6
    out = []

    def add(id_, cell, T, inits, nonlinearity=None, bias_slices=(), hidden=H):
        c = {"id": id_, "cell": cell, "hidden": hidden, "input": D, "T": T, "batch": B, "n_seeds": S,
             "inits": inits, "bias_slices": list(bias_slices)}
        if nonlinearity: c["nonlinearity"] = nonlinearity
        out.append(c)

    zeros_b = [{"param": "bias_ih_l0", "init": {"name": "zeros"}}, {"param": "bias_hh_l0", "init": {"name": "zeros"}}]
    xav_ih = [{"param": "weight_ih_l0", "init": {"name": "xavier_uniform"}, "per_gate": True}]
    for T in (20, 100):
        add(f"rnn_tanh_default_T{T}", "rnn", T, [], "tanh")
        add(f"rnn_tanh_orthogonal_T{T}", "rnn", T, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}}] + zeros_b, "tanh")
        add(f"rnn_tanh_uniform_unit_T{T}", "rnn", T, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "uniform", "a": -math.sqrt(3 / H), "b": math.sqrt(3 / H)}}] + zeros_b, "tanh")
        add(f"rnn_relu_default_T{T}", "rnn", T, [], "relu")
        add(f"rnn_relu_identity_T{T}", "rnn", T, [{"param": "weight_ih_l0", "init": {"name": "normal", "std": 0.001}}, {"param": "weight_hh_l0", "init": {"name": "eye"}}] + zeros_b, "relu")
        add(f"rnn_relu_orthogonal_T{T}", "rnn", T, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}}] + zeros_b, "relu")
        add(f"lstm_default_T{T}", "lstm", T, [])
        add(f"lstm_default_forget1_T{T}", "lstm", T, [], bias_slices=[{"param": "bias_ih_l0", "gate": 1, "value": 1.0}, {"param": "bias_hh_l0", "gate": 1, "value": 0.0}])
        add(f"lstm_keraslike_T{T}", "lstm", T, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}, "per_gate": True}] + zeros_b,
            bias_slices=[{"param": "bias_ih_l0", "gate": 1, "value": 1.0}])
        add(f"gru_default_T{T}", "gru", T, [])
        add(f"gru_orthogonal_T{T}", "gru", T, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}, "per_gate": True}] + zeros_b)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None)
    ap.add_argument("--out", default="recurrent_ground_truth.json")
    args = ap.parse_args()
    cfgs = configs()
    if args.only:
        cfgs = [c for c in cfgs if args.only in c["id"]]
    out = {"meta": {
        "torch_version": torch.__version__, "python": sys.version.split()[0],
        "machine": platform.machine(), "torch_threads": torch.get_num_threads(),
        "dtype_forward": "float32", "dtype_stats": "float64",
        "seeding": "torch.manual_seed(1000+seed) before building the module; then x = randn(T, batch, input), then v = randn(batch, hidden)",
        "backward_method": "loss = sum(h_T * v), v ~ N(0,1): unit-variance cotangent at the last step only",
        "stat_definitions": {"hidden_m2": "mean(h_t^2) per step t = 1..T", "grad_x_m2": "mean((dL/dx_t)^2) per step t = 1..T",
                             "aggregates": "per step over seeds: mean (arithmetic), geomean, min, max"},
        "created": time.strftime("%Y-%m-%d %H:%M:%S"),
    }, "configs": []}
    t_all = time.time()
    for cfg in cfgs:
        t0 = time.time()
        runs = [run_once(cfg, s) for s in range(cfg["n_seeds"])]
        res = {"seeds": [1000 + s for s in range(cfg["n_seeds"])], "wall_s": round(time.time() - t0, 3)}
        for k in ("hidden_m2", "grad_x_m2"):
            res[k] = agg([r[k] for r in runs])
        res["per_seed"] = {k: [r[k] for r in runs] for k in ("hidden_m2", "grad_x_m2")}
        res["weight_hh_var_seed0"] = runs[0]["weight_hh_var"]
        res["weight_ih_var_seed0"] = runs[0]["weight_ih_var"]
        c = dict(cfg); c["results"] = res
        out["configs"].append(c)
        g = res["grad_x_m2"]["geomean"]; hm = res["hidden_m2"]["mean"]
        print(f"{cfg['id']:32s} {res['wall_s']:6.1f}s  h_T^2={hm[-1]:.4g}  grad x_T={g[-1]:.4g} x_1={g[0]:.4g}", flush=True)
    out["meta"]["total_wall_s"] = round(time.time() - t_all, 1)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
    print("wrote", args.out, "total", out["meta"]["total_wall_s"], "s")


if __name__ == "__main__":
    main()
