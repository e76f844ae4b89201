#!/usr/bin/env python3
"""Independent values of max-pooling moments for test/unit/poolMoments.test.ts (numpy/scipy only,
nothing from InitWise): the window's maximum M = max_i u_i of Gaussian pre-activations
u_i = sqrt(c_i)*s + sqrt(v_i)*e_i (s, e_i iid N(0,1)), and phi(M) for ReLU/tanh/identity.

Method: given s, P(M <= t) = prod_i Phi((t - sqrt(c_i)s)/sqrt(v_i)); E[g(M) | s] = int g(t) dP(M <= t),
the density differentiated in closed form and integrated by scipy.integrate.quad (epsabs 1e-12) split at
0; s integrated by quad against the normal density. Routing: E[1(argmax = i) phi'(u_i)^2] / E[phi'(u_i)^2].
Usage: python3 components.py (any Python with numpy and scipy; Debian's /usr/bin/python3 has no scipy here)  (writes components.json beside itself, ~1 minute)
"""
import json, math, os
import numpy as np
from scipy import integrate, stats

PHI = {"identity": (lambda t: t, lambda t: 1.0), "relu": (lambda t: max(t, 0.0), lambda t: 1.0 if t > 0 else 0.0),
       "tanh": (math.tanh, lambda t: 1 - math.tanh(t) ** 2)}


def cond(s, common, own, f):
    """int f(t, i, Fi-products...) over t given s: returns E[phi(M)], E[phi(M)^2], routing numerators, derivative denominators."""
    k = len(own)
    centres = [math.sqrt(c) * s for c in common]
    sd = [math.sqrt(v) for v in own]
    phi, dphi = f
    def dens_i(t, i):
        others = 1.0
        for j in range(k):
            if j != i: others *= stats.norm.cdf((t - centres[j]) / sd[j])
        return stats.norm.pdf((t - centres[i]) / sd[i]) / sd[i] * others
    lo = min(c - 12 * d for c, d in zip(centres, sd)); hi = max(c + 12 * d for c, d in zip(centres, sd))
    def q(g):
        pts = [p for p in (0.0,) if lo < p < hi]
        return integrate.quad(g, lo, hi, points=pts or None, epsabs=1e-12, epsrel=1e-10, limit=400)[0]
    dens = lambda t: sum(dens_i(t, i) for i in range(k))
    e1 = q(lambda t: phi(t) * dens(t))
    e2 = q(lambda t: phi(t) ** 2 * dens(t))
    route = [q(lambda t, i=i: dphi(t) ** 2 * dens_i(t, i)) for i in range(k)]
    deriv = [q(lambda t, i=i: dphi(t) ** 2 * stats.norm.pdf((t - centres[i]) / sd[i]) / sd[i]) for i in range(k)]
    return e1, e2, route, deriv


def window(name, activation, common, own):
    f = PHI[activation]
    k = len(own)
    if all(c == 0 for c in common):
        e1, e2, route, deriv = cond(0.0, common, own, f)
        var_common = 0.0
    else:
        # Gauss-Hermite over s with 80 nodes (the conditional moments are smooth in s).
        z, w = np.polynomial.hermite_e.hermegauss(80); w = w / w.sum()
        acc = [cond(float(zi), common, own, f) for zi in z]
        e1 = sum(wi * a[0] for wi, a in zip(w, acc)); e2 = sum(wi * a[1] for wi, a in zip(w, acc))
        var_common = sum(wi * a[0] ** 2 for wi, a in zip(w, acc)) - e1 ** 2
        route = [sum(wi * a[2][i] for wi, a in zip(w, acc)) for i in range(k)]
        deriv = [sum(wi * a[3][i] for wi, a in zip(w, acc)) for i in range(k)]
    return {"id": name, "activation": activation, "common": common, "own": own, "first": e1, "second": e2,
            "common_variance": var_common, "routing": [r / d for r, d in zip(route, deriv)]}


def main():
    out = {"meta": {"scipy": __import__("scipy").__version__, "numpy": np.__version__}, "windows": []}
    for k in (2, 3, 4, 9):
        out["windows"].append(window(f"identity_iid_{k}", "identity", [0.0] * k, [1.0] * k))
    for k in (4, 9):
        out["windows"].append(window(f"relu_iid_{k}", "relu", [0.0] * k, [1.0] * k))
    out["windows"].append(window("tanh_iid_4_q2", "tanh", [0.0] * 4, [2.0] * 4))
    r = 1 / math.pi
    out["windows"].append(window("relu_equicorrelated_4", "relu", [r] * 4, [1 - r] * 4))
    out["windows"].append(window("relu_mixed_4", "relu", [0.0] * 4, [1.0, 0.5, 0.8, 1.2]))
    out["windows"].append(window("tanh_mixed_common_4", "tanh", [0.3, 0.2, 0.3, 0.25], [1.0, 0.6, 0.9, 1.4]))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "components.json")
    json.dump(out, open(path, "w"), indent=1)
    for w in out["windows"]: print(w["id"], w["first"], w["second"], w["common_variance"], w["routing"])


if __name__ == "__main__":
    main()
