#!/usr/bin/python3
"""High-precision values of the two new mean-field ingredients, computed independently of InitWise
(numpy only; writes components.json beside itself):

1. softmax statistics of one attention row with n keys whose logits are iid N(0, v) (the
   infinite-width limit of q.k^T at init), and of two rows whose logits at the same key have
   correlation r: p2 = E sum_j A_j^2, p3 = E sum_j A_j^3, p22 = E (sum_j A_j^2)^2,
   pik = E sum_j A_j B_j. Monte Carlo over 400,000 rows in float64 (standard error < 0.2%),
   seeded with numpy's PCG64(seed 7).
2. dual kernels of activations: E[phi(u) phi(u')] and E[phi'(u) phi'(u')] for (u, u') Gaussian,
   variance q each, correlation r, by tensor-product Gauss-Hermite quadrature with 240 nodes per
   axis (ReLU, whose kink would limit it, is given by the arc-cosine closed form instead).
"""
import json, math
import numpy as np
from math import erf, sqrt, pi

rng = np.random.default_rng(7)


def softmax_rows(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def softmax_stats(v, n, r, rows=400_000, chunk=20_000):
    acc = np.zeros(4)
    for _ in range(rows // chunk):
        a = rng.standard_normal((chunk, n))
        b = r * a + math.sqrt(1 - r * r) * rng.standard_normal((chunk, n))
        A = softmax_rows(math.sqrt(v) * a)
        B = softmax_rows(math.sqrt(v) * b)
        s2 = (A * A).sum(1)
        acc += [s2.sum(), (A ** 3).sum(), (s2 * s2).sum(), (A * B).sum()]
    acc /= rows
    return dict(zip(("p2", "p3", "p22", "pik"), acc.tolist()))


derf = np.vectorize(erf)
ACT = {
    "gelu": (lambda x: x * 0.5 * (1 + derf(x / sqrt(2))),
             lambda x: 0.5 * (1 + derf(x / sqrt(2))) + x * np.exp(-x * x / 2) / sqrt(2 * pi)),
    "silu": (lambda x: x / (1 + np.exp(-x)),
             lambda x: (1 / (1 + np.exp(-x))) * (1 + x * (1 - 1 / (1 + np.exp(-x))))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
}


def dual(name, q, r, deriv):
    if name == "relu":
        th = math.acos(max(-1.0, min(1.0, r)))
        if deriv: return (pi - th) / (2 * pi)
        return q * (math.sin(th) + (pi - th) * math.cos(th)) / (2 * pi)
    f = ACT[name][1 if deriv else 0]
    z, w = np.polynomial.hermite_e.hermegauss(240)
    w = w / w.sum()
    u = sqrt(q) * z
    up = sqrt(q) * (r * z[:, None] + sqrt(max(0.0, 1 - r * r)) * z[None, :])
    fu = f(u)
    return float((w[:, None] * w[None, :] * fu[:, None] * f(up)).sum())


def main():
    softmax = []
    for n in (16, 64):
        for v in (0.01, 0.25, 1.0, 4.0, 16.0):
            for r in (0.0, 0.5, 0.9):
                softmax.append({"n": n, "v": v, "r": r, **softmax_stats(v, n, r)})
                print(softmax[-1], flush=True)
    kernels = []
    for name in ("relu", "gelu", "silu", "tanh"):
        for q in (0.25, 1.0, 4.0):
            for r in (0.0, 0.3, 0.7, 0.95, 0.999):
                kernels.append({"activation": name, "q": q, "r": r,
                                "k": dual(name, q, r, False), "kprime": dual(name, q, r, True)})
    with open("components.json", "w") as f:
        json.dump({"meta": {"numpy": np.__version__, "softmax_rows": 400_000, "hermite_nodes": 240},
                   "softmax": softmax, "kernels": kernels}, f, indent=1)


if __name__ == "__main__":
    main()
