#!/usr/bin/python3
"""More PyTorch GRU settings for the tied-kernel gradient through time (issue 15).

Usage: /usr/bin/python3 gru_oracle_more.py [--only ID_SUBSTR] [--out gru_more_ground_truth.json]
       (Debian's python3-torch; about 1 minute on 2 cores)

The method, seeding, cotangent and statistics are recurrent_oracle.py's (this script imports it
and only replaces its config list): the real torch.nn.GRU, input 256, batch 64, 6 seeds,
loss = sum(h_T * v), per step mean(h_t^2) and mean((dL/dx_t)^2). The settings vary what the
first 22 configs keep fixed: the width (hidden 128 and 512), a third sequence length (T = 50),
a xavier_uniform recurrent kernel (per gate), an update-gate bias of 1 (z near 0.73: a longer
carry) and a candidate-gate bias of 0.5 (the candidate and the state get a mean, so the update
gate's factor h_{t-1} - n_t has one in the first steps).
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recurrent_oracle as R  # noqa: E402


def configs():
    D, B, S = 256, 64, 6
    out = []

    def add(id_, T, inits, hidden=256, bias_slices=()):
        out.append({"id": id_, "cell": "gru", "hidden": hidden, "input": D, "T": T, "batch": B, "n_seeds": S,
                    "inits": inits, "bias_slices": list(bias_slices)})

    zeros_b = [{"param": "bias_ih_l0", "init": {"name": "zeros"}}, {"param": "bias_hh_l0", "init": {"name": "zeros"}}]
    xav_ih = [{"param": "weight_ih_l0", "init": {"name": "xavier_uniform"}, "per_gate": True}]
    orth_hh = [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}, "per_gate": True}]
    add("gru_default_h128_T50", 50, [], hidden=128)
    add("gru_default_h512_T50", 50, [], hidden=512)
    add("gru_orthogonal_h128_T50", 50, xav_ih + orth_hh + zeros_b, hidden=128)
    add("gru_orthogonal_h512_T50", 50, xav_ih + orth_hh + zeros_b, hidden=512)
    add("gru_xavier_T50", 50, xav_ih + [{"param": "weight_hh_l0", "init": {"name": "xavier_uniform"}, "per_gate": True}] + zeros_b)
    add("gru_default_T50", 50, [])
    add("gru_orthogonal_update_bias1_T50", 50, xav_ih + orth_hh + zeros_b, bias_slices=[{"param": "bias_ih_l0", "gate": 1, "value": 1.0}])
    add("gru_orthogonal_candidate_bias_T50", 50, xav_ih + orth_hh + zeros_b, bias_slices=[{"param": "bias_ih_l0", "gate": 2, "value": 0.5}])
    return out


if __name__ == "__main__":
    R.configs = configs
    if "--out" not in sys.argv:
        sys.argv += ["--out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gru_more_ground_truth.json")]
    R.main()
