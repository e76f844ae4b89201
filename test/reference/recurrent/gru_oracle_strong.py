#!/usr/bin/python3
"""PyTorch GRUs with strong recurrent kernels, where the analytic pass approximates (issue 15).

Usage: /usr/bin/python3 gru_oracle_strong.py [--only ID_SUBSTR] [--out gru_strong_ground_truth.json]
       (Debian's python3-torch; about 1 minute on 2 cores)

The method, seeding, cotangent and statistics are recurrent_oracle.py's (this script imports it
and only replaces its config list): the real torch.nn.GRU, input 256, batch 64, 6 seeds,
loss = sum(h_T * v), per step mean(h_t^2) and mean((dL/dx_t)^2). The settings put the recurrent
part of every gate's pre-activation far above the input part: a per-gate orthogonal recurrent
kernel of gain 3 (sigma_hh^2 = 9) with PyTorch's default input kernel (U(+-1/16): s_ih = 1/3) at
hidden 256 and 1024 (the same input kernel, written out, so only the width differs; default
biases), gain 2 (sigma_hh^2 = 4) with a weak input (N(0, 0.05/256): s_ih = 0.05), and gain 1.5
between them. There the candidate's pre-activation W_in x + r * (W_hn h) is a scale mixture of
Gaussians (r varies per unit and step) and the update gates of different steps correlate
strongly through W_hz: the two approximations the analytic pass makes.
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recurrent_oracle as R  # noqa: E402


def configs():
    D, B, S, T = 256, 64, 6, 30
    out = []

    def add(id_, inits, hidden=256):
        out.append({"id": id_, "cell": "gru", "hidden": hidden, "input": D, "T": T, "batch": B, "n_seeds": S,
                    "inits": inits, "bias_slices": []})

    def orth(gain):
        return [{"param": "weight_hh_l0", "init": {"name": "orthogonal", "gain": gain}, "per_gate": True}]

    torch_default_ih = [{"param": "weight_ih_l0", "init": {"name": "uniform", "a": -1 / 16, "b": 1 / 16}}]
    weak_ih = [{"param": "weight_ih_l0", "init": {"name": "normal", "std": (0.05 / D) ** 0.5}}]
    add("gru_orthogonal_gain3_T30", orth(3.0))
    add("gru_orthogonal_gain3_h1024_T30", torch_default_ih + orth(3.0), hidden=1024)
    add("gru_orthogonal_gain2_weak_input_T30", weak_ih + orth(2.0))
    add("gru_orthogonal_gain1.5_T30", orth(1.5))
    return out


if __name__ == "__main__":
    R.configs = configs
    if "--out" not in sys.argv:
        sys.argv += ["--out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gru_strong_ground_truth.json")]
    R.main()
