#!/usr/bin/python3
"""Why the gated cells' gradient through time needs the tied kernel (issue 15; recurrent.ts).

Usage: /usr/bin/python3 tied_kernel_experiment.py   (prints the per-step decay rates; ~1 minute)

An LSTM and a GRU in the recurrent oracle's setting (hidden = input = 256, batch 64, T = 20,
PyTorch's default U(+-1/sqrt(h)) everywhere, x ~ N(0, 1), h_0 = 0, loss = sum(h_T * v)), written
by hand so that the backward pass of the recurrent product h @ W_hh^T can use another matrix:
  tied   the real network (the backward uses W_hh^T);
  gia    the backward uses an independent W2 (fixed across steps): forward/backward independence;
  fresh  the backward draws a new W2 at every step: what gradient independence across steps assumes.
The per-step rate is (E[(dL/dx_1)^2] / E[(dL/dx_T)^2])^(1/(T-1)), averaged over 3 seeds.
Measured on this project's machine (PyTorch 1.13, 2026-12-07):
  lstm  tied 0.345  gia 0.346  fresh 0.283     (untied mean field: 0.282)
  gru   tied 0.354  gia 0.353  fresh 0.294     (untied mean field: 0.290)
and the tied LSTM at width 1024: 0.345. So the gap is the same matrix meeting itself across
steps in the backward pass, not finite width and not the forward pass's correlation with it.
"""
import math
import torch

torch.manual_seed(0)
H, T, B = 256, 20, 64


class Recurrent(torch.autograd.Function):
    """h @ W^T forward; backward through W_back instead of W."""
    @staticmethod
    def forward(ctx, h, W, W_back):
        ctx.save_for_backward(W_back)
        return h @ W.T

    @staticmethod
    def backward(ctx, g):
        (W_back,) = ctx.saved_tensors
        return g @ W_back, None, None


def rate(mode, cell, width=H, seeds=3):
    rates = []
    gates = 4 if cell == "lstm" else 3
    k = 1 / math.sqrt(width)
    for _ in range(seeds):
        W_ih = torch.empty(gates * width, width).uniform_(-k, k)
        W_hh = torch.empty(gates * width, width).uniform_(-k, k)
        W_indep = torch.empty(gates * width, width).uniform_(-k, k)
        xs = [torch.randn(B, width, requires_grad=True) for _ in range(T)]
        h = torch.zeros(B, width)
        c = torch.zeros(B, width)
        for t in range(T):
            back = W_hh if mode == "tied" else W_indep if mode == "gia" else torch.empty(gates * width, width).uniform_(-k, k)
            rec = Recurrent.apply(h, W_hh, back)
            if cell == "lstm":
                i, f, g, o = (xs[t] @ W_ih.T + rec).chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                xr, xz, xn = (xs[t] @ W_ih.T).chunk(3, 1)
                hr, hz, hn = rec.chunk(3, 1)
                r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                h = (1 - z) * torch.tanh(xn + r * hn) + z * h
        (h * torch.randn_like(h)).sum().backward()
        g = [x.grad.double().pow(2).mean().item() for x in xs]
        rates.append(math.exp(math.log(g[0] / g[-1]) / (T - 1)))
    return sum(rates) / len(rates)


for cell in ("lstm", "gru"):
    print(cell, " ".join(f"{mode} {rate(mode, cell):.3f}" for mode in ("tied", "gia", "fresh")), flush=True)
print("lstm tied at width 1024", f"{rate('tied', 'lstm', 1024, 2):.3f}")
