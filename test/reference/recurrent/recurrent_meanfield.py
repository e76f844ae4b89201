#!/usr/bin/python3
"""Mean-field reference for the recurrent oracle's configs (issue 15), independent of InitWise.

Usage: /usr/bin/python3 recurrent_meanfield.py [--out recurrent_meanfield.json]   (numpy only)

The equations are those stated in server/src/core/simulation/recurrent.ts (per-step length map of
each gate, Gaussian pre-activations with the bias's mean, the LSTM cell state inside tanh from step 2
on by its mean, variance and excess kurtosis k (the Gram-Charlier series to the fourth cumulant,
E[f(mu + s z)(1 + k/24 He4(z))], k from the raw moments E[c^1..4] of c_t = f c_{t-1} + i g with
the step's gates independent of c_{t-1}, as cellKurtosis.ts states it: EK, CellRaw) (step 1's
c_1 = sig(a_i) tanh(a_g) exactly, c_0 = 0: E_cell1, as cellProduct.ts states it); the vanilla RNN's backward pass by gradient independence, the LSTM's and GRU's with the
recurrent kernel tied across steps: the LSTM's through cotangent cross moments K(t, s) =
E[dh_t dh_s] for every pair of steps as lstmTiedBackward states them, with full T x T matrices
where InitWise keeps a band of 256 steps; the GRU's through the two copies' jump-count difference
step by step as gruTiedBackward states it, with a tensor over all three gate blocks where InitWise
keeps the two with a mean, and 8 pending levels where InitWise keeps 10; the GRU's forward pass with
the two-time kernel C(t, s) = E[h_t h_s] of the tied W_hh and the update gates' correlation to first
order, as server/src/core/simulation/gruTwoTime.ts states it, on full T x T matrices where InitWise
keeps a band, the candidate a^n = u + r v taken as the scale mixture it is (given the reset gate r,
Gaussian of variance q_u + r^2 q_v: its one-step moments and the backward factors E[r tanh'(a^n)],
E[r^2 tanh'(a^n)^2], E[sig'(a^r)^2 v^2 tanh'(a^n)^2] as candidateMixture.ts states them, by a
trapezoid rule over a^r and Z; its two-step moment E[n_t n_s] by the series of candidateMixture.ts,
here with 40 terms in both indices, trapezoid-rule coefficients and no tails, and the series itself
checked against a four-dimensional Gauss-Hermite rule at three settings before anything is computed:
self_check); the LSTM's forward pass likewise with the two-time kernels of its
cell and hidden states and the forget and input gates' correlation to first order, as
lstmTwoTime.ts states it), written again here from that statement and evaluated differently: every Gaussian expectation E[f(mu + sqrt(q) z)] is a
400 001-node trapezoid rule on z in [-14, 14] (InitWise uses split composite Gauss-Legendre quadrature). Configs and the
PyTorch default U(+-1/sqrt(h)) are read from recurrent_ground_truth.json beside this file.
Identity recurrent kernels are skipped (no mean field).
"""
import argparse, json, math, os
import numpy as np

Z = np.linspace(-14.0, 14.0, 400001)
W = np.exp(-0.5 * Z * Z) / math.sqrt(2 * math.pi) * (Z[1] - Z[0])
W[0] *= 0.5; W[-1] *= 0.5


def E(f, mu, q):
    return float(np.sum(W * f(mu + math.sqrt(max(q, 0.0)) * Z)))


# E[f(a) f(b)] for (a, b) Gaussian, means mu, variances qa, qb, covariance c: the trapezoid rule
# (2001 nodes on [-10, 10]) over a, and 64-node Gauss-Hermite over the part of b independent of a.
Z2 = np.linspace(-10.0, 10.0, 2001)
W2 = np.exp(-0.5 * Z2 * Z2) / math.sqrt(2 * math.pi) * (Z2[1] - Z2[0])
W2[0] *= 0.5; W2[-1] *= 0.5
GH, GHW = np.polynomial.hermite_e.hermegauss(64)
GHW = GHW / GHW.sum()


def E2(f, mu, qa, qb, c, mu_b=None):
    sa = math.sqrt(max(qa, 0.0))
    beta = c / sa if sa > 0 else 0.0
    rest = math.sqrt(max(qb - beta * beta, 0.0))
    inner = f((mu if mu_b is None else mu_b) + beta * Z2[:, None] + rest * GH[None, :]) @ GHW
    return float(np.sum(W2 * f(mu + sa * Z2) * inner))


sig = lambda x: 1.0 / (1.0 + np.exp(-x))

HE4 = Z ** 4 - 6 * Z ** 2 + 3


def EK(f, mu, q, k):
    """E[f(c)] for c of mean mu, variance q and excess kurtosis k: Gram-Charlier to the fourth cumulant."""
    if not q > 0: return E(f, mu, q)
    return float(np.sum(W * (1 + k / 24 * HE4) * f(mu + math.sqrt(q) * Z)))


class CellRaw:
    """E[c^1..4] of the LSTM cell state, c_t = f c_{t-1} + i g with the step's gates independent of c_{t-1}."""
    def __init__(self): self.m = [1.0, 0.0, 0.0, 0.0, 0.0]

    def step(self, fm, im, gm):  # each: E[x^0..4]
        ig = [im[j] * gm[j] for j in range(5)]
        self.m = [sum(math.comb(k, j) * fm[j] * self.m[j] * ig[k - j] for j in range(k + 1)) for k in range(5)]

    def excess(self):
        _, m1, m2, m3, m4 = self.m
        mu2 = m2 - m1 * m1
        return (m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 ** 4) / mu2 ** 2 - 3 if mu2 > 0 else 0.0
dsig = lambda x: sig(x) * (1 - sig(x))


def E_cell1(mi, qi, mg, qg):
    """tanh(c_1)'s moments (tanh^2, tanh, tanh', tanh'^2) for the LSTM's first cell state c_1 = sig(a_i) tanh(a_g) exactly
    (c_0 = 0; a_i, a_g independent Gaussians): the trapezoid rule (2001 nodes on [-10, 10]) in both variables, where
    InitWise (cellProduct.ts) interpolates in sig(a_i) between 16 Chebyshev points."""
    t = np.tanh(sig(mi + math.sqrt(max(qi, 0.0)) * Z2)[:, None] * np.tanh(mg + math.sqrt(max(qg, 0.0)) * Z2)[None, :])
    w = W2[:, None] * W2[None, :]
    w = w / w.sum()
    d = 1 - t * t
    return tuple(float(np.sum(w * f)) for f in (t * t, t, d, d * d))


# The GRU candidate a^n = u + r v as a scale mixture (candidateMixture.ts): given r = sig(a^r), Gaussian of
# variance V(r) = q_u + r^2 q_v. Here a^r on an 801-node trapezoid rule on [-10, 10], each V(r)'s expectations on
# Z2's 2001-node trapezoid rule, Hermite terms up to KM = 40 in both series without tails (InitWise: Gauss-Hermite
# in a^r, 64-node Gauss-Hermite coefficients, 24 terms and the rest of E[f^2] at the next power).
ZR = np.linspace(-10.0, 10.0, 801)
WR = np.exp(-0.5 * ZR * ZR); WR[0] *= 0.5; WR[-1] *= 0.5; WR = WR / WR.sum()
KM = 40


def hermite_table(z, n):
    """He_k(z)/sqrt(k!) for k < n (rows)."""
    H = np.zeros((n, len(z))); H[0] = 1.0
    if n > 1: H[1] = z
    for k in range(1, n - 1): H[k + 1] = (z * H[k] - math.sqrt(k) * H[k - 1]) / math.sqrt(k + 1)
    return H


HR, H2 = hermite_table(ZR, KM), hermite_table(Z2, KM)
W2n = W2 / W2.sum()


class Mix:
    """One step's candidate: one-step moments and A_km = E[(r^2 q_v / V)^(k/2) c_k(V) He_m(z)/sqrt(m!)]."""
    def __init__(self, mr, qr, mn, qu, qv):
        r = sig(mr + math.sqrt(max(qr, 0.0)) * ZR)
        V = qu + r * r * qv
        sv = np.sqrt(np.maximum(V, 0.0))
        t = np.tanh(mn + sv[:, None] * Z2[None, :]); d = 1 - t * t
        e = lambda f: (f @ W2n)  # per node of a^r
        self.qr, self.qv = qr, qv
        self.n1, self.n2 = float(WR @ e(t)), float(WR @ e(t * t))
        dd, d2 = e(d), e(d * d)
        self.slope1, self.slope2 = float(WR @ dd), float(WR @ d2)
        self.reset1, self.reset2 = float(WR @ (r * dd)), float(WR @ (r * r * d2))
        z2d2 = e((Z2 * Z2)[None, :] * d * d)
        ds = r * (1 - r)
        self.block = float(WR @ (ds * ds * ((qv - r * r * qv * qv / V) * d2 + (r * r * qv * qv / V) * z2d2)))
        ck = (t * W2n[None, :]) @ H2.T                      # nodes x k
        ratio = np.sqrt(np.where(V > 0, r * r * qv / np.where(V > 0, V, 1.0), 0.0))
        f = ck * ratio[:, None] ** np.arange(KM)[None, :]   # nodes x k
        self.A = f.T @ (WR[:, None] * HR.T)                 # k x m


def mix_pair(a, b, cv, cr, vb_in):
    rv = cv / math.sqrt(a.qv * b.qv) if a.qv * b.qv > 0 else 0.0
    rr = cr / math.sqrt(a.qr * b.qr) if a.qr * b.qr > 0 else 0.0
    pk, pm = rv ** np.arange(KM), rr ** np.arange(KM)
    return float(pk @ (a.A * b.A) @ pm) + vb_in * a.slope1 * b.slope1


def mix_pair_direct(mr, qa, qb, cr, mn, qu, qva, qvb, cv, n=96):
    """E[n_t n_s] by a four-dimensional Gauss-Hermite rule (n nodes each: a^r_t, a^r_s, and the two candidates given
    them), zero input bias: the check of mix_pair's expansion (self_check)."""
    g, w = np.polynomial.hermite_e.hermegauss(n); w = w / w.sum()
    rho = cr / math.sqrt(qa * qb)
    total = 0.0
    for i in range(n):
        rt = sig(mr + math.sqrt(qa) * g[i])
        rs = sig(mr + math.sqrt(qb) * (rho * g[i] + math.sqrt(1 - rho * rho) * g))          # j
        Vt, Vs = qu + rt * rt * qva, qu + rs * rs * qvb
        beta = rt * rs * cv / math.sqrt(Vt)
        rest = np.sqrt(np.maximum(Vs - beta * beta, 0.0))
        x = np.tanh(mn + math.sqrt(Vt) * g)                                                  # k
        y = np.tanh(mn + beta[:, None, None] * g[None, :, None] + rest[:, None, None] * g[None, None, :])  # j, k, l
        total += w[i] * np.einsum("j,k,l,k,jkl->", w, w, w, x, y)
    return total


def self_check():
    for mr, qa, qb, cr, mn, qu, qva, qvb, cv in ((0.0, 2.2, 2.0, 1.5, 0.0, 0.34, 1.9, 1.7, 1.4), (0.3, 0.6, 0.5, 0.2, 0.1, 1.0, 0.2, 0.15, 0.1),
                                                  (0.0, 4.5, 4.5, 4.0, 0.0, 0.05, 4.0, 4.0, 3.5)):
        a, b = Mix(mr, qa, mn, qu, qva), Mix(mr, qb, mn, qu, qvb)
        series, direct = mix_pair(a, b, cv, cr, 0.0), mix_pair_direct(mr, qa, qb, cr, mn, qu, qva, qvb, cv)
        assert abs(series - direct) < 1e-6, (series, direct)
dtanh = lambda x: 1 - np.tanh(x) ** 2
dsig2 = lambda x: (sig(x) * (1 - sig(x))) ** 2
tanh2 = lambda x: np.tanh(x) ** 2
dtanh2 = lambda x: (1 - np.tanh(x) ** 2) ** 2
sig2 = lambda x: sig(x) ** 2
relu2 = lambda x: np.maximum(x, 0) ** 2
drelu2 = lambda x: (x > 0).astype(float)


def variance(init, fan_in, fan_out, h):
    if init is None: return 1.0 / (3 * h)  # torch default U(+-1/sqrt(h))
    n = init["name"]
    if n == "zeros": return 0.0
    if n == "uniform": return (init["b"] - init["a"]) ** 2 / 12
    if n == "normal": return init["std"] ** 2
    if n == "xavier_uniform": return init.get("gain", 1.0) ** 2 * 2 / (fan_in + fan_out)
    if n == "orthogonal": return init.get("gain", 1.0) ** 2 / max(fan_in, fan_out)
    raise ValueError(n)


def setup(c):
    h, d, k = c["hidden"], c["input"], {"rnn": 1, "lstm": 4, "gru": 3}[c["cell"]]
    inits = {p["param"]: p for p in c["inits"]}
    ih, hh = inits.get("weight_ih_l0"), inits.get("weight_hh_l0")
    if hh and hh["init"]["name"] == "eye": return None
    v_ih = variance(ih and ih["init"], d, h if (ih and ih.get("per_gate")) else k * h, h)
    v_hh = variance(hh and hh["init"], h, h if (k == 1 or (hh and hh.get("per_gate"))) else k * h, h)
    def bias(param):
        p = inits.get(param)
        return (0.0, 1.0 / (3 * h)) if p is None else (p["init"].get("value", 0.0), 0.0)
    gates = []
    for g in range(k):
        (m1, v1), (m2, v2) = bias("bias_ih_l0"), bias("bias_hh_l0")
        for s in c["bias_slices"]:
            if s["gate"] == g:
                if s["param"] == "bias_ih_l0": m1, v1 = s["value"], 0.0
                else: m2, v2 = s["value"], 0.0
        gates.append((m1 + m2, v1, v2))
    return d * v_ih, h * v_hh, h * v_ih, gates


def rnn(c, s_in, s_hh, back_in, gates, T):
    phi2, dphi2 = (relu2, drelu2) if c.get("nonlinearity") == "relu" else (tanh2, dtanh2)
    mu, v1, v2 = gates[0]
    q, m, hs = [], 0.0, []
    for t in range(T):
        q.append(s_in + s_hh * m + v1 + v2); m = E(phi2, mu, q[-1]); hs.append(m)
    gx, g = [0.0] * T, 1.0
    for t in reversed(range(T)):
        a = g * E(dphi2, mu, q[t]); gx[t] = back_in * a; g = s_hh * a
    return hs, gx


def lstm(c, s_in, s_hh, back_in, gates, T):
    (mi, *vi), (mf, *vf), (mg, *vg), (mo, *vo) = gates
    # Forward with W_hh tied across steps (lstmTwoTime.ts): G = E[g_t g_s], Q = E[g_t c_s],
    # D = E[c_t c_s], Ch = E[h_t h_s] = E[o_t o_s] E[tanh(c_t) tanh(c_s)] (c Gaussian with its mean),
    # the forget and input gates' correlation to first order through Jf, Ji, Bf, Bi; full T x T
    # matrices (1-based, index 0 is the zero initial state), two-step moments by E2.
    vI, vF, vG, vO = sum(vi), sum(vf), sum(vg), sum(vo)
    Ch, D, Jf, Ji = (np.zeros((T + 1, T + 1)) for _ in range(4))
    cms = [0.0] * (T + 1); gate = [None] * (T + 1); cell = [None] * (T + 1)
    h2 = c2 = cm = 0.0; st, hs = [], []
    raw = CellRaw()
    for t in range(1, T + 1):
        h2 = Ch[t - 1, t - 1]
        qi, qf, qg, qo = (s_in + s_hh * h2 + v for v in (vI, vF, vG, vO))
        powers = lambda f, mu, q: [E(lambda x: f(x) ** j, mu, q) for j in range(5)]
        raw.step(powers(sig, mf, qf), powers(sig, mi, qi), powers(np.tanh, mg, qg))
        f1, i1, g1 = E(sig, mf, qf), E(sig, mi, qi), E(np.tanh, mg, qg)
        f2, i2, g2 = E(sig2, mf, qf), E(sig2, mi, qi), E(tanh2, mg, qg)
        fd, fsd, idd = E(dsig, mf, qf), E(lambda x: sig(x) * dsig(x), mf, qf), E(dsig, mi, qi)
        gate[t] = dict(qi=qi, qf=qf, qg=qg, qo=qo, f1=f1, i1=i1, fd=fd, id=idd)
        c_prev2 = D[t - 1, t - 1]
        G, Qb, Qa = np.zeros(t + 1), np.zeros(t + 1), np.zeros(t + 1)  # G(t, s), Q(t, s - 1), Q(t, s)
        for s_ in range(1, t):
            G[s_] = E2(np.tanh, mg, qg, gate[s_]["qg"], s_hh * Ch[t - 1, s_ - 1] + vG)
            Qb[s_] = Qa[s_ - 1]
            Qa[s_] = gate[s_]["i1"] * G[s_] + gate[s_]["f1"] * Qa[s_ - 1]
        q = Qa[t - 1] if t > 1 else 0.0
        corr = 0.0
        for s_ in range(1, t):
            carry = np.prod([gate[j]["f1"] for j in range(s_ + 1, t)])
            Bf, Bi = carry * Qb[s_], carry * G[s_]
            cov = s_hh * Ch[t - 1, s_ - 1]
            corr += (cov + vF) * gate[s_]["fd"] * (2 * fsd * 2 * Jf[t - 1, s_] + 2 * i1 * fd * Bf) + (cov + vI) * gate[s_]["id"] * 2 * f1 * idd * Bi
            Jf[t, s_] = f2 * Jf[t - 1, s_] + f1 * i1 * Bf
            Ji[t, s_] = f2 * Ji[t - 1, s_] + f1 * i1 * Bi
        D[t, t] = f2 * c_prev2 + 2 * f1 * i1 * q + i2 * g2 + corr
        for s_ in range(1, t):
            D[t, s_] = D[s_, t] = f1 * D[t - 1, s_] + i1 * Qa[s_]
        Jf[t, t] = D[t, t - 1]
        Ji[t, t] = f1 * q + i1 * g2
        c2 = D[t, t]
        cm = f1 * cm + i1 * g1
        cms[t] = cm
        # Step 1 (c_0 = 0): c_1 = i g exactly; later steps by c's mean, variance and excess kurtosis.
        cell[t] = E_cell1(mi, qi, mg, qg) if t == 1 else tuple(EK(f, cm, c2 - cm * cm, raw.excess()) for f in (tanh2, np.tanh, dtanh, dtanh2))
        h2 = E(sig2, mo, qo) * cell[t][0]
        Ch[t, t] = h2
        for s_ in range(1, t):
            oo = E2(sig, mo, qo, gate[s_]["qo"], s_hh * Ch[t - 1, s_ - 1] + vO)
            cs2 = D[s_, s_] - cms[s_] ** 2
            tt = E2(np.tanh, cm, c2 - cm * cm, cs2, D[t, s_] - cm * cms[s_], mu_b=cms[s_])
            Ch[t, s_] = Ch[s_, t] = oo * tt
        st.append((qi, qf, qg, qo, c_prev2, c2, cm)); hs.append(h2)
    # Tied recurrent kernel: K = E[dh_t dh_s], D = E[dc_t dc_s], Z = E[dh_t dc_s] (s > t); second
    # moments of the gate factors on the diagonal, products of first moments off it.
    F = []
    for t in range(T):
        qi, qf, qg, qo, cp2, c2, cm = st[t]; cv = c2 - cm * cm
        cpm = st[t - 1][6] if t > 0 else 0.0
        F.append(dict(
            o2=cell[t + 1][0] * E(dsig2, mo, qo), o1=cell[t + 1][1] * E(dsig, mo, qo),
            c2=E(tanh2, mg, qg) * E(dsig2, mi, qi) + E(sig2, mi, qi) * E(dtanh2, mg, qg) + cp2 * E(dsig2, mf, qf),
            c1=np.array([E(np.tanh, mg, qg) * E(dsig, mi, qi), E(sig, mi, qi) * E(dtanh, mg, qg), cpm * E(dsig, mf, qf)]),
            e2=E(sig2, mo, qo) * cell[t + 1][3], e1=E(sig, mo, qo) * cell[t + 1][2],
            f2=E(sig2, mf, qf), f1=E(sig, mf, qf)))
    K, D, Zm = np.zeros((T, T)), np.zeros((T, T)), np.zeros((T, T))
    def S(a, b):
        if a == b: return F[a]["o2"] * K[a, a] + F[a]["c2"] * D[a, a]
        return F[a]["o1"] * F[b]["o1"] * K[a, b] + float(F[a]["c1"] @ F[b]["c1"]) * D[a, b]
    gx = [0.0] * T
    for t in reversed(range(T)):
        if t == T - 1: K[t, t] = 1.0
        else:
            for s_ in range(t, T - 1): K[t, s_] = K[s_, t] = s_hh * S(t + 1, s_ + 1)
        for s_ in reversed(range(t + 1, T)):
            Zm[t, s_] = F[s_]["e1"] * K[t, s_] + (F[s_ + 1]["f1"] * Zm[t, s_ + 1] if s_ + 1 < T else 0.0)
        for s_ in range(t + 1, T):
            D[t, s_] = D[s_, t] = F[t]["e1"] * Zm[t, s_] + F[t + 1]["f1"] * D[t + 1, s_]
        D[t, t] = F[t]["e2"] * K[t, t] + (2 * F[t + 1]["f1"] * F[t]["e1"] * Zm[t, t + 1] + F[t + 1]["f2"] * D[t + 1, t + 1] if t + 1 < T else 0.0)
        gx[t] = back_in * S(t, t)
    return hs, gx


def gru(c, s_in, s_hh, back_in, gates, T):
    (mr, vr1, vr2), (mz, vz1, vz2), (mn, vn1, vn2) = gates
    # Forward with W_hh tied across steps (gruTwoTime.ts): the two-time kernel C[t, s] = E[h_t h_s]
    # (1-based, row/column 0 is h_0 = 0), P(t, s) = E[n_t h_s], N(t, s) = E[n_t n_s] (a^n Gaussian,
    # Cov = vb_in + E[r_t r_s] (s_hh C(t-1, s-1) + vb_hn), E[r_t r_s] at Cov s_hh C(t-1, s-1) + vb_r;
    # here by the two-dimensional quadrature E2, InitWise by Mehler's series), and the update gates'
    # correlation Sigma_z(t, s) = s_hh C(t-1, s-1) + vb_z to first order through J and B.
    C = np.zeros((T + 1, T + 1)); J = np.zeros((T + 1, T + 1))
    Q = [None] * (T + 1)  # per step: qr, qn, z1, E[sigma'(a^z)]
    hm = 0.0; st, hs = [], []
    for t in range(1, T + 1):
        h2 = C[t - 1, t - 1]
        qr, qz = s_in + s_hh * h2 + vr1 + vr2, s_in + s_hh * h2 + vz1 + vz2
        inner = s_hh * h2 + vn2
        mix = Mix(mr, qr, mn, s_in + vn1, inner)
        z1, z2, n1, n2 = E(sig, mz, qz), E(sig2, mz, qz), mix.n1, mix.n2
        dz, zdz = E(dsig, mz, qz), E(lambda x: sig(x) * dsig(x), mz, qz)
        Q[t] = (qr, mix, z1, dz)
        Pb, Nn, P = np.zeros(t + 1), np.zeros(t + 1), np.zeros(t + 1)  # P(t, s - 1), N(t, s), P(t, s)
        for s_ in range(1, t):
            qr_s, mix_s, z1_s, _ = Q[s_]
            cov = s_hh * C[t - 1, s_ - 1]
            Nn[s_] = mix_pair(mix, mix_s, cov + vn2, cov + vr1 + vr2, vn1)
            Pb[s_] = P[s_ - 1]
            P[s_] = (1 - z1_s) * Nn[s_] + z1_s * P[s_ - 1]
        p = P[t - 1] if t > 1 else 0.0
        B = np.zeros(t + 1)
        for s_ in range(1, t):
            B[s_] = np.prod([Q[j][2] for j in range(s_ + 1, t)]) * (Pb[s_] - Nn[s_])
        corr = sum((s_hh * C[t - 1, s_ - 1] + vz1 + vz2) * Q[s_][3] * (2 * zdz * 2 * J[t - 1, s_] + (dz - 2 * zdz) * 2 * B[s_]) for s_ in range(1, t))
        st.append((qr, qz, mix, h2, hm, inner, p))
        C[t, t] = (1 - 2 * z1 + z2) * n2 + 2 * (z1 - z2) * p + z2 * h2 + corr
        for s_ in range(1, t):
            C[t, s_] = C[s_, t] = (1 - z1) * P[s_] + z1 * C[t - 1, s_]
            J[t, s_] = (z1 - z2) * B[s_] + z2 * J[t - 1, s_]
        J[t, t] = C[t, t - 1] - ((1 - z1) * n2 + z1 * p)
        hm = (1 - z1) * n1 + z1 * hm
        hs.append(C[t, t])
    # Tied recurrent kernel: u_{t-1} = z_t u_t + W^T p_t, p_t = u_t * (gate factors). E[u_t . u_t] as
    # a sum over the two copies' paths back from the loss (carry by z or jump through W^T): the k-th
    # jumps of the two copies pair (same block, s_hh each), and factors of the two copies at one step
    # are averaged jointly where their jump counts agree (z^2, factor^2, factor*z), by their means
    # where they differ. State: d = jump-count difference (d >= 0; -d mirrors it), and a tensor over
    # the blocks (r, z, n) of the d jumps waiting for a partner, oldest first; PENDING levels.
    PENDING = 8
    F = []
    for t in range(T):
        qr, qz, mix, hp2, hpm, inner, nh = st[t]
        z1, z2, n1, n2 = E(sig, mz, qz), E(sig2, mz, qz), mix.n1, mix.n2
        keep2 = 1 - 2 * z1 + z2
        cand = keep2 * mix.slope2
        upd = (hp2 + n2 - 2 * nh) * E(dsig2, mz, qz)  # E[(h_{t-1} - n_t)^2], nh = E[n_t h_{t-1}]
        rst = keep2 * mix.block                          # E[((1-z) tanh'(a_n) v sig'(a_r))^2]
        F.append(dict(z1=z1, z2=z2, hidden2=keep2 * mix.reset2 + upd + rst, input2=cand + upd + rst,
                      m=np.array([0.0, (hpm - n1) * E(dsig, mz, qz), mix.reset1 * (1 - z1)]),
                      c=np.array([0.0, (hpm - n1) * E(lambda x: sig(x) * dsig(x), mz, qz), mix.reset1 * (z1 - z2)])))
    S = {0: 1.0}
    gx = [0.0] * T
    gx[T - 1] = back_in * F[T - 1]["input2"]
    for q in range(T - 1, 0, -1):
        f = F[q]; z1, m = f["z1"], f["m"]
        N = {0: (f["z2"] + s_hh * f["hidden2"]) * S[0], 1: f["c"] * S[0]}
        def add(d, v): N[d] = N.get(d, 0.0) + v
        for d in range(1, PENDING + 1):
            if d not in S: continue
            w = S[d]
            met = s_hh * np.tensordot(m, w, axes=([0], [0]))     # the other copy's jump meets the oldest
            add(d, z1 * z1 * w)
            add(d - 1, (2 if d == 1 else 1) * z1 * met)
            add(d, np.multiply.outer(met, m))
            if d < PENDING: add(d + 1, z1 * np.multiply.outer(w, m))
        S = N
        gx[q - 1] = back_in * F[q - 1]["input2"] * float(S[0])
    return hs, gx


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--truth", default=os.path.join(here, "recurrent_ground_truth.json"))
    ap.add_argument("--out", default=os.path.join(here, "recurrent_meanfield.json"))
    args = ap.parse_args()
    configs = json.load(open(args.truth))["configs"]
    self_check()
    out = {"meta": {"method": "trapezoid rule, 400001 nodes on z in [-14, 14]; equations as in the docstring", "numpy": np.__version__}, "configs": []}
    for c in configs:
        s = setup(c)
        if s is None: continue
        hs, gx = {"rnn": rnn, "lstm": lstm, "gru": gru}[c["cell"]](c, *s, c["T"])
        out["configs"].append({"id": c["id"], "hidden_m2": hs, "grad_x_m2": gx})
        print(f"{c['id']:32s} h_T^2={hs[-1]:.6g} gx_T={gx[-1]:.6g} gx_1={gx[0]:.6g}", flush=True)
    json.dump(out, open(args.out, "w"), separators=(",", ":"))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
