#!/usr/bin/python3
"""The exact infinite-width forward pass of a recurrent layer with its kernels tied across steps
(issue 15 item e), by sampling the per-unit Gaussian process; independent of InitWise.

Usage: /usr/bin/python3 tied_limit.py [--only REGEX] [--paths 200000] [--reps 4] [--truth FILE...] [--out tied_limit.json]
       (numpy only; tied_limit.json is --only '^(gru_.*T(20|50)|lstm_.*T20|rnn_.*T20)$' --reps 2,
       ~20 minutes on 2 cores shared with other work; the file is rewritten after every config)

At infinite width a recurrent layer whose forward pass uses W_hh (and W_ih, and the biases) at
every step is a tensor program without transposes, and its units become iid copies of one
scalar process (Yang 2019, "Wide feedforward or recurrent neural networks of any architecture are
Gaussian processes", NeurIPS; Tensor Programs I, arXiv:1910.12478, the "simple RNN" and GRU
examples): per unit and gate block g, the recurrent part v^g_t = (W_hg h_{t-1})_i is a Gaussian
process over the steps with covariance s_hh * C(t-1, s-1), C(t, s) = E[h_t h_s] the two-time
kernel of the state (averaged over units); different gate blocks are independent; the input part
(W_ig x_t)_i is Gaussian with variance s_ih * m_x and independent across steps (x_t iid N(0, I) as
recurrent_oracle.py draws it); each bias is one draw per unit, the same at every step. The
process is causal (step t needs C up to t - 1), so it is sampled step by step: P paths of
(v^g_1..v^g_t) from the Cholesky factor of s_hh * C, extended one row per step, with C measured on
the paths themselves. --reps independent runs give the mean and its standard error.
`untied` runs the same with a fresh W_hh per step (v^g_t independent across steps): what the
forward mean field without the two-time kernel computes.

Configs and variances are read as recurrent_meanfield.py reads them (its setup()): the GRU and
LSTM settings of recurrent_ground_truth.json, gru_more_ground_truth.json and
gru_width_ground_truth.json, and the vanilla RNNs of recurrent_ground_truth.json (identity
kernels have no mean field and are skipped).
"""
import argparse, json, math, os, re, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from recurrent_meanfield import setup  # noqa: E402

sig = lambda x: 1.0 / (1.0 + np.exp(-x))


def side_means(c, k):
    """Per gate, the mean of bias_ih and of bias_hh (a constant init, then the config's slices)."""
    inits = {p["param"]: p["init"] for p in c["inits"]}
    out = []
    for g in range(k):
        pair = []
        for param in ("bias_ih_l0", "bias_hh_l0"):
            init = inits.get(param)
            value = init.get("value", 0.0) if init and init["name"] in ("constant", "zeros") else 0.0
            for sl in c.get("bias_slices", []):
                if sl["param"] == param and sl["gate"] == g: value = sl["value"]
            pair.append(value)
        out.append(tuple(pair))
    return out


def sample(c, s_in, s_hh, gates, T, P, rng, tied=True):
    cell = c["cell"]
    k = len(gates)
    C = np.zeros((T + 1, T + 1))  # C[t, s] = E[h_t h_s], h_0 = 0
    L = np.zeros((T, T))
    xi = np.zeros((k, T, P))
    # biases: one draw per unit for the whole sequence (ih and hh parts apart: the GRU's hh part
    # of the candidate sits inside r), each side with its own mean
    means = side_means(c, k)
    b_ih = [means[g][0] + math.sqrt(v1) * rng.standard_normal(P) for g, (mu, v1, v2) in enumerate(gates)]
    b_hh = [means[g][1] + math.sqrt(v2) * rng.standard_normal(P) for g, (mu, v1, v2) in enumerate(gates)]
    H = np.zeros((T + 1, P))
    cell_state = np.zeros(P)
    relu = c.get("nonlinearity") == "relu"
    for t in range(T):
        K = s_hh * C[:t + 1, :t + 1]
        row = K[t].copy()
        for s in range(t):
            row[s] = (row[s] - row[:s] @ L[s, :s]) / L[s, s] if L[s, s] > 0 else 0.0
        row[t] = math.sqrt(max(K[t, t] - row[:t] @ row[:t], 0.0))
        L[t, :t + 1] = row
        v = []
        for g in range(k):
            xi[g, t] = rng.standard_normal(P)
            v.append(L[t, :t + 1] @ xi[g, :t + 1] if tied else math.sqrt(K[t, t]) * xi[g, t])
        if not tied:  # a fresh W_hh per step: fresh biases too (they sit beside it)
            b_ih = [means[g][0] + math.sqrt(v1) * rng.standard_normal(P) for g, (mu, v1, v2) in enumerate(gates)]
            b_hh = [means[g][1] + math.sqrt(v2) * rng.standard_normal(P) for g, (mu, v1, v2) in enumerate(gates)]
        u = [math.sqrt(s_in) * rng.standard_normal(P) + b_ih[g] for g in range(k)]
        if cell == "rnn":
            a = u[0] + v[0] + b_hh[0]
            H[t + 1] = np.maximum(a, 0) if relu else np.tanh(a)
        elif cell == "gru":
            r = sig(u[0] + v[0] + b_hh[0]); z = sig(u[1] + v[1] + b_hh[1])
            n = np.tanh(u[2] + r * (v[2] + b_hh[2]))
            H[t + 1] = (1 - z) * n + z * H[t]
        else:
            i, f, g_, o = sig(u[0] + v[0] + b_hh[0]), sig(u[1] + v[1] + b_hh[1]), np.tanh(u[2] + v[2] + b_hh[2]), sig(u[3] + v[3] + b_hh[3])
            cell_state = f * cell_state + i * g_
            H[t + 1] = o * np.tanh(cell_state)
        C[t + 1, :t + 2] = H[:t + 2] @ H[t + 1] / P
        C[:t + 2, t + 1] = C[t + 1, :t + 2]
    return np.diag(C)[1:].copy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="")
    ap.add_argument("--paths", type=int, default=200000)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--out", default=os.path.join(HERE, "tied_limit.json"))
    ap.add_argument("--truth", nargs="+", default=["recurrent_ground_truth.json", "gru_more_ground_truth.json", "gru_width_ground_truth.json"],
                    help="the ground-truth files whose configs are sampled (tied_limit_strong.json: gru_strong_ground_truth.json)")
    args = ap.parse_args()
    configs = []
    for f in args.truth:
        configs += json.load(open(os.path.join(HERE, f)))["configs"]
    out = {"meta": {"method": "per-unit Gaussian process of the infinite-width layer, sampled step by step (docstring)",
                    "paths_per_rep": args.paths, "reps": args.reps, "numpy": np.__version__,
                    "created": time.strftime("%Y-%m-%d %H:%M:%S")}, "configs": []}
    for c in configs:
        if not re.search(args.only, c["id"]): continue
        s = setup(c)
        if s is None: continue
        s_in, s_hh, _, gates = s
        t0 = time.time()
        row = {"id": c["id"]}
        for name, tied in (("tied", True), ("untied", False)):
            runs = np.array([sample(c, s_in, s_hh, gates, c["T"], args.paths, np.random.default_rng(1000 * (rep + 1) + (0 if tied else 500)), tied)
                             for rep in range(args.reps)])
            row[name] = {"hidden_m2": runs.mean(0).tolist(), "stderr": (runs.std(0, ddof=1) / math.sqrt(args.reps)).tolist()}
        out["configs"].append(row)
        t, u = np.array(row["tied"]["hidden_m2"]), np.array(row["untied"]["hidden_m2"])
        json.dump(out, open(args.out, "w"), separators=(",", ":"))
        print(f"{c['id']:36s} h_T^2 tied {t[-1]:.6g} untied {u[-1]:.6g} ({t[-1] / u[-1] - 1:+.4f}) {time.time() - t0:.0f} s", flush=True)
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
