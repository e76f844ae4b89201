#!/usr/bin/python3
"""The GRU's gradient through time at widths 1024 and 2048 (issue 15): is the mean field's gap to
PyTorch finite width?

Usage: /usr/bin/python3 gru_oracle_width.py [--only ID_SUBSTR] [--out gru_width_ground_truth.json]
       (Debian's python3-torch; about 4.5 minutes on 2 cores, then ~70 s for recurrent_meanfield.py)

At hidden 128, 256 and 512 (gru_oracle_more.py, recurrent_oracle.py) InitWise's per-step rate of
E[(dL/dx_t)^2] sits 1.9%, 0.9% and 0.6% below PyTorch's (default GRU, T = 50), below the range of
the six seeds' rates. A mean field is the infinite-width limit, so the gap should keep closing as
the width grows; these settings measure it. The method, seeding, cotangent and statistics are
recurrent_oracle.py's (this script imports it and only replaces its config list): the real
torch.nn.GRU, input 256, batch 64, 6 seeds, T = 50, PyTorch's default init and the per-gate
xavier_uniform input / orthogonal recurrent kernel with zero biases (Keras's defaults).
"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recurrent_oracle as R  # noqa: E402


def configs():
    D, B, S, T = 256, 64, 6, 50
    out = []

    def add(id_, inits, hidden):
        out.append({"id": id_, "cell": "gru", "hidden": hidden, "input": D, "T": T, "batch": B, "n_seeds": S,
                    "inits": inits, "bias_slices": []})

    zeros_b = [{"param": "bias_ih_l0", "init": {"name": "zeros"}}, {"param": "bias_hh_l0", "init": {"name": "zeros"}}]
    xav_ih = [{"param": "weight_ih_l0", "init": {"name": "xavier_uniform"}, "per_gate": True}]
    orth_hh = [{"param": "weight_hh_l0", "init": {"name": "orthogonal"}, "per_gate": True}]
    for hidden in (1024, 2048):
        add(f"gru_default_h{hidden}_T50", [], hidden)
        add(f"gru_orthogonal_h{hidden}_T50", xav_ih + orth_hh + zeros_b, hidden)
    return out


if __name__ == "__main__":
    R.configs = configs
    if "--out" not in sys.argv:
        sys.argv += ["--out", os.path.join(os.path.dirname(os.path.abspath(__file__)), "gru_width_ground_truth.json")]
    R.main()
