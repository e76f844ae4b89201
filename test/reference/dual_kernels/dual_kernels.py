"""
Dual kernels of every activation InitWise simulates, by high-resolution composite quadrature,
independently of the engine (issue 16: the engine's kernel moved from a 64×64 Gauss–Hermite
tensor rule to a Hermite (Mehler) series with a bounded tail; this is what both are checked
against).

For (u, u') jointly Gaussian with variance q each and correlation r:
    K(q, r)  = E[phi(u) phi(u')]        K'(q, r) = E[phi'(u) phi'(u')]
computed as E_u[ f(u) E[f(u') | u] ] with u' | u ~ N(r u, q (1 - r^2)). Both integrals are
composite 10-point Gauss–Legendre on panels of width 0.1 standard deviations over ±12 standard
deviations, split at the activation's kinks (in u and in u', whose kinks do not move), so each
panel's integrand is smooth. The same integrals at panel width 0.05 give `meta.resolution_gap`
(the largest relative change), the figure that bounds this reference's own error.

Run: python3 test/reference/dual_kernels/dual_kernels.py > test/reference/dual_kernels/dual_kernels.json
(python3 with numpy and scipy; no PyTorch needed. Written with numpy 2.4.6 and scipy 1.17.1 of the
machine's pyenv Python 3.11.7, about 25 minutes on 2 loaded cores.)
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy.special import erf, expit

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772


def softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-np.abs(x))), np.log1p(np.exp(np.minimum(x, 0))))


def elu(alpha, scale):
    return (lambda x: scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))),
            lambda x: scale * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))), [0.0])


def npdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


ACTIVATIONS = {
    'relu': (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float), [0.0]),
    'leaky_relu:0.2': (lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1.0, 0.2), [0.0]),
    'relu6': (lambda x: np.clip(x, 0, 6), lambda x: ((x > 0) & (x < 6)).astype(float), [0.0, 6.0]),
    'elu:1': elu(1.0, 1.0),
    'elu:0.5': elu(0.5, 1.0),
    'selu': elu(SELU_ALPHA, SELU_LAMBDA),
    'gelu': (lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2))),
             lambda x: 0.5 * (1 + erf(x / math.sqrt(2))) + x * npdf(x), []),
    'silu': (lambda x: x * expit(x), lambda x: expit(x) * (1 + x * (1 - expit(x))), []),
    'mish': (lambda x: x * np.tanh(softplus(x)),
             lambda x: np.tanh(softplus(x)) + x * (1 - np.tanh(softplus(x)) ** 2) * expit(x), []),
    'tanh': (np.tanh, lambda x: 1 - np.tanh(x) ** 2, []),
    'sigmoid': (expit, lambda x: expit(x) * (1 - expit(x)), []),
    'hard_tanh': (lambda x: np.clip(x, -1, 1), lambda x: ((x > -1) & (x < 1)).astype(float), [-1.0, 1.0]),
    'softplus': (softplus, expit, []),
}

GL_X, GL_W = np.polynomial.legendre.leggauss(10)


def rule(lo, hi, step, kinks):
    """Composite Gauss–Legendre nodes and weights on [lo, hi], panel ends at the kinks."""
    ends = set(np.arange(lo, hi, step).tolist()) | {hi}
    ends |= {k for k in kinks if lo < k < hi}
    ends = np.array(sorted(ends))
    a, b = ends[:-1], ends[1:]
    half = (b - a) / 2
    x = (a[:, None] + half[:, None] * (1 + GL_X[None, :])).ravel()
    w = (half[:, None] * GL_W[None, :]).ravel()
    return x, w


def kernels(name, q, r, resolution):
    phi, dphi, kinks = ACTIVATIONS[name]
    s = math.sqrt(q)
    # Outer: u ~ N(0, q).
    u, wu = rule(-12 * s, 12 * s, resolution * s, kinks)
    wu = wu * npdf(u / s) / s
    # Inner: u' | u ~ N(r u, q (1 - r^2)); one fixed grid covering every conditional mean.
    sigma = s * math.sqrt(max(0.0, 1 - r * r))
    reach = 12 * s * abs(r) + 12 * sigma
    v, wv = rule(-reach, reach, resolution * sigma, kinks)
    fv, dv = phi(v), dphi(v)
    k = kp = 0.0
    for start in range(0, len(u), 256):
        uc = u[start:start + 256]
        dens = wv[None, :] * npdf((v[None, :] - r * uc[:, None]) / sigma) / sigma
        k += np.sum(wu[start:start + 256] * phi(uc) * (dens @ fv))
        kp += np.sum(wu[start:start + 256] * dphi(uc) * (dens @ dv))
    return float(k), float(kp)


def main():
    qs = [0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 20.0, 100.0]
    rs = [-0.9, -0.5, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]
    entries = []
    gap = 0.0
    for name in ACTIVATIONS:
        activation, _, param = name.partition(':')
        for q in qs:
            row = {r: kernels(name, q, r, 0.1) for r in rs}
            # The kernels' scale at this q (|K| is largest near r = 1): relative errors of a value
            # that crosses zero mean nothing.
            scale = max(abs(k) for k, _ in row.values()), max(abs(kp) for _, kp in row.values())
            if q in (0.01, 1.0, 100.0):
                for r in (0.0, 0.5, 0.99):
                    k2, kp2 = kernels(name, q, r, 0.05)
                    gap = max(gap, abs(k2 - row[r][0]) / scale[0], abs(kp2 - row[r][1]) / scale[1])
            for r in rs:
                entry = {'activation': activation, 'q': q, 'r': r, 'k': row[r][0], 'kprime': row[r][1]}
                if param:
                    entry['param'] = float(param)
                entries.append(entry)
        print(name, file=sys.stderr)
    meta = {'numpy': np.__version__, 'scipy': scipy.__version__,
            'method': 'composite 10-point Gauss-Legendre, panels 0.1 sd, kinks split',
            'resolution_gap': gap,
            'resolution_gap_means': 'largest change at panels 0.05 sd, relative to the largest |K| (|K\'|) over r at that q'}
    json.dump({'meta': meta, 'kernels': entries}, sys.stdout, indent=1)


if __name__ == '__main__':
    main()
