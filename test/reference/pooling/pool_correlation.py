#!/usr/bin/python3
"""Why the analytic pass misses PyTorch behind the BatchNorm stems (test/unit/pooling.oracle.test.ts,
GAPS): the correlation between positions of one channel, forward and backward, measured on the
four BatchNorm configs of pooling_oracle.py (it imports its configs, builder and init).

Usage: /usr/bin/python3 pool_correlation.py [--out pool_correlation.json]
Needs Debian's PyTorch 1.13 (python3-torch); ~1 minute.

Per config and seed s (6 seeds, torch.manual_seed(1000 + s), the oracle's method: training mode,
batch 16, loss = sum(y * v), v ~ N(0, 1)), at four places: the stem pool's output (forward), the
global average pool's input (forward), and the gradient at the stem pool's output and input. For
each: rho[lag] = E[t_p * t_{p+lag}] / E[t_p^2] over batch, channels and in-bounds position pairs,
for lags (0,1), (1,1), (0,2), (0,3) (rows, columns), and kept = P * E[mean_p(t)^2] / E[t^2] (P
positions): what a global average keeps, in units of 1/P (1 for positions uncorrelated, P for a
signal the same at every position). The analytic pass carries one cross moment per position (the
per-unit offset, the same for every pair of positions) forward and none for the gradient:
  - forward, an overlapping pool (3x3, stride 2) makes neighbouring outputs share inputs (an
    average: correlation 3/9 at lag (0,1), 1/9 at (1,1), 0 beyond); a conv with iid weights keeps
    that correlation by lag, BatchNorm removes only the channel's mean, so it reaches the global
    pool, which keeps it (tanh_bn_avg3s2: kept 2.5 where the pass has 1.0);
  - backward, the global pool hands every position of a sample the same gradient, so the gradient
    is correlated between positions all the way down (0.28-0.74 at every lag at the stem pool's
    output) and where windows overlap the pool's backward sums those correlated parts coherently.
"""
import argparse, json, platform, time
import torch
import torch.nn as nn
import pooling_oracle as po

LAGS = [(0, 1), (1, 1), (0, 2), (0, 3)]
PLACES = ["stem_pool_out", "gap_in", "grad_stem_pool_out", "grad_stem_pool_in"]


def correlation(t):
    t = t.detach().double()
    m = t.pow(2).mean()
    rho = [((t[:, :, :t.shape[2] - dy, :t.shape[3] - dx] * t[:, :, dy:, dx:]).mean() / m).item() for dy, dx in LAGS]
    kept = (t.mean(dim=(2, 3)).pow(2).mean() / m).item() * t.shape[2] * t.shape[3]
    return {"rho": rho, "kept": kept}


def run(cfg, seed):
    torch.manual_seed(1000 + seed)
    mods = [eval(e, {"nn": nn}) for e in cfg["modules"]]
    with torch.no_grad():
        for m in mods:
            if isinstance(m, po.WEIGHTED): po.apply_init(m, cfg["init"])
    for m in mods:
        for p in m.parameters(): p.requires_grad_(False)
        m.train()
    x = torch.randn(cfg["batch"], *cfg["input"])
    x.requires_grad_(True)
    steps = []
    for m in mods:
        y = m(x)
        y.retain_grad()
        steps.append((m, x, y))
        x = y
    (x * torch.randn_like(x)).sum().backward()
    stem = next(s for s in steps if isinstance(s[0], (nn.MaxPool2d, nn.AvgPool2d)))
    gap = next(s for s in steps if isinstance(s[0], nn.AdaptiveAvgPool2d))
    return dict(zip(PLACES, (correlation(stem[2]), correlation(gap[1]), correlation(stem[2].grad), correlation(stem[1].grad))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="pool_correlation.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = {"provenance": {"script": "pool_correlation.py", "torch": torch.__version__, "python": platform.python_version(),
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "lags": LAGS}, "configs": []}
    for cfg in po.configs():
        if "bn" not in cfg["id"]: continue
        per_seed = [run(cfg, s) for s in range(6)]
        out["configs"].append({"id": cfg["id"], "per_seed": per_seed})
        for place in PLACES:
            kept = [p[place]["kept"] for p in per_seed]
            print(f"{cfg['id']:16s} {place:20s} rho {[round(v, 3) for v in per_seed[0][place]['rho']]} kept {min(kept):.3g}-{max(kept):.3g}", flush=True)
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)


if __name__ == "__main__":
    main()
