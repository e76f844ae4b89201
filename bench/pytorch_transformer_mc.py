#!/usr/bin/python3
"""The transformer Monte-Carlo benchmark's job done in PyTorch, as a user instrumenting their model
would (test/reference/transformer/transformer_oracle.py's method): GPT-2 small's widths, 12 pre-LN
blocks, d_model 768, 12 heads, 128 tokens, causal attention written by hand (PyTorch 1.13 has no
scaled_dot_product_attention), GELU MLP of 3072, every nn.Linear re-initialised normal(0, 0.02)
with the attention and MLP output projections at 0.02/sqrt(2*12), zero biases, a final LayerNorm.
SEQUENCES (argv[1], default 4) sequences of N(0, 1) tokens; float32 forward keeping every
projection's output, the stream after every sublayer and each attention's logit variance and
sum A^2 per row; backward of loss = sum(output * v), v ~ N(0, 1); float64 second moments of each
(and of the gradient at each projection's output and each sublayer's input), the stream's token
cross moment too.

Run by bench/transformerMonteCarlo.ts as a whole process (the import of torch included); prints one
JSON line: the script's own time after import, two of the statistics, peak RSS.
Needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread.
"""
import json
import math
import os
import resource
import sys
import time

start = time.time()
import torch  # noqa: E402  (the import is part of what a user pays)
import torch.nn.functional as F  # noqa: E402

imported = time.time()
torch.manual_seed(1)
blocks, d, heads, tokens, hidden = 12, 768, 12, 128, 3072
sequences = int(sys.argv[1]) if len(sys.argv) > 1 else 4
dh = d // heads


def linear(n_in, n_out, std):
    m = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        torch.nn.init.normal_(m.weight, 0.0, std)
        torch.nn.init.zeros_(m.bias)
    for p in m.parameters():
        p.requires_grad_(False)
    return m


scaled = 0.02 / math.sqrt(2 * blocks)
layers = [dict(q=linear(d, d, 0.02), k=linear(d, d, 0.02), v=linear(d, d, 0.02), o=linear(d, d, scaled),
               fc1=linear(d, hidden, 0.02), fc2=linear(hidden, d, scaled)) for _ in range(blocks)]
mask = torch.ones(tokens, tokens).tril().bool()
outputs, streams, inputs, attention = [], [], [], []


def kept(t):
    t.retain_grad()
    outputs.append(t)
    return t


def attend(h, b):
    B = h.shape[0]
    q, k, v = (kept(b[name](h)).view(B, tokens, heads, dh).transpose(1, 2) for name in ("q", "k", "v"))
    s = (q @ k.transpose(-2, -1)) / math.sqrt(dh)
    s = s.masked_fill(~mask, float("-inf"))
    A = torch.softmax(s, dim=-1)
    with torch.no_grad():
        s0 = s.double().masked_fill(~mask, 0.0)
        count = mask.sum(-1).double()
        mu = s0.sum(-1) / count
        var = ((s0 - mu.unsqueeze(-1)).pow(2).masked_fill(~mask, 0.0)).sum(-1) / count
        attention.append((var.mean().item(), A.double().pow(2).sum(-1).mean().item()))
    y = (A @ v).transpose(1, 2).reshape(B, tokens, d)
    return kept(b["o"](y))


x0 = torch.randn(sequences, tokens, d, requires_grad=True)
x = x0
for b in layers:
    for branch in (lambda h, b=b: attend(h, b), lambda h, b=b: kept(b["fc2"](F.gelu(kept(b["fc1"](h)))))):
        inputs.append(x)
        x = x + branch(F.layer_norm(x, (d,), eps=1e-5))
        x.retain_grad()
        streams.append(x)
out = F.layer_norm(x, (d,), eps=1e-5)
v = torch.randn_like(out)
(out * v).sum().backward()


def cross(t):
    t = t.detach().double()
    G = t @ t.transpose(1, 2) / d
    diag = G.diagonal(dim1=1, dim2=2)
    return ((G.sum((1, 2)) - diag.sum(1)) / (tokens * (tokens - 1))).mean().item()


forward = [t.detach().double().pow(2).mean().item() for t in outputs]
backward = [t.grad.double().pow(2).mean().item() for t in outputs]
stream = [(t.detach().double().pow(2).mean().item(), cross(t)) for t in streams]
gradient = [t.grad.double().pow(2).mean().item() for t in inputs if t.grad is not None]

def blas():
    """The BLAS library PyTorch's products run on, as mapped into this process: Debian's python3-torch
    links libblas.so.3, which is the netlib reference implementation (one thread, no SIMD kernels,
    ~20x slower here) unless libopenblas0-pthread provides it."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return "unknown"
    for name in ("openblas", "mkl", "blis"):
        if name in maps:
            return name
    return "reference (netlib libblas.so.3)" if "libblas.so" in maps else "unknown"

done = time.time()
print(json.dumps({
    "import_s": imported - start,
    "work_s": done - imported,
    "last_forward_m2": forward[-1],
    "last_stream_rho": stream[-1][1] / stream[-1][0],
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
    "threads": torch.get_num_threads(),
    "blas": blas(),
    # OpenBLAS runs its products on its own pool (a thread per core), whatever get_num_threads says.
    "os_threads": len(os.listdir("/proc/self/task")),
    "torch": torch.__version__,
}))
sys.stdout.flush()
