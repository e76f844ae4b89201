#!/usr/bin/python3
"""The Monte-Carlo benchmark's job done in PyTorch, as a user instrumenting their model would
(shared/oracle/oracle.py's method): 50 Linear(512, 512) + ReLU layers with kaiming_normal
(relu) weights and zero biases, batch 256, float32 forward with every pre-activation kept,
backward of loss = sum(output * v), v ~ N(0, 1), and float64 second moments per layer.

Run by bench/montecarlo.ts as a whole process (the import of torch included); prints one
JSON line: the script's own time after import, the last layer's statistics, peak RSS.
Needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread.
"""
import json
import resource
import sys
import time

start = time.time()
import torch  # noqa: E402  (the import is part of what a user pays)

imported = time.time()
torch.manual_seed(1)
depth, width, batch = 50, 512, 256
layers = []
for _ in range(depth):
    m = torch.nn.Linear(width, width)
    with torch.no_grad():
        torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        torch.nn.init.zeros_(m.bias)
    for p in m.parameters():
        p.requires_grad_(False)
    layers.append(m)

x0 = torch.randn(batch, width, requires_grad=True)
x, ins, pres = x0, [], []
for m in layers:
    ins.append(x)
    h = m(x)
    h.retain_grad()
    pres.append(h)
    x = torch.relu(h)
    x.retain_grad()
v = torch.randn_like(x)
(x * v).sum().backward()
forward = [p.detach().double().pow(2).mean().item() for p in pres]
gradient = [i.grad.double().pow(2).mean().item() for i in ins]
done = time.time()
print(json.dumps({
    "import_s": imported - start,
    "work_s": done - imported,
    "last_forward_m2": forward[-1],
    "first_gradient_m2": gradient[0],
    "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "threads": torch.get_num_threads(),
    "torch": torch.__version__,
}))
sys.stdout.flush()
