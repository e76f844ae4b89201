#!/usr/bin/python3
"""Writes configs.json: the transformer stacks transformer_oracle.py measures (run once; kept for provenance)."""
import json, math

def n(std): return {"name": "normal", "std": std}
X = {"name": "xavier_uniform"}
D = {"name": "torch_default"}

def cfg(id, d=768, heads=12, tokens=64, batch=4, blocks=12, norm="pre", norm_kind="layernorm",
        mlp=("gelu_tanh", 4), scale="inv_sqrt_dh", causal=False, init=None, gates=None, rho=0.0, seeds=4, note=""):
    c = {"id": id, "note": note, "d_model": d, "heads": heads, "tokens": tokens, "batch": batch, "n_blocks": blocks,
         "norm": norm, "norm_kind": norm_kind,
         "mlp": {"activation": mlp[0], "hidden": mlp[1] * d} if mlp else None,
         "attention": {"scale": scale, "causal": causal}, "init": init, "input": {"rho": rho}, "n_seeds": seeds}
    if gates: c["gates"] = gates
    return c

gpt2 = {"q": n(0.02), "k": n(0.02), "v": n(0.02), "o": n(0.02), "fc1": n(0.02), "fc2": n(0.02)}
gpt2s = dict(gpt2, o=n(0.02 / math.sqrt(24)), fc2=n(0.02 / math.sqrt(24)))
xav = {"q": X, "k": X, "v": X, "o": X, "fc1": X, "fc2": X}
tdef = {"q": X, "k": X, "v": X, "o": D, "fc1": D, "fc2": D}
configs = [
    cfg("gpt2_unscaled", init=gpt2, note="pre-LN, std 0.02 everywhere, no c_proj scaling"),
    cfg("gpt2_scaled", init=gpt2s, note="nanoGPT: c_proj/fc2 std 0.02/sqrt(2*n_layer)"),
    cfg("xavier_preln_deep", blocks=24, d=512, heads=8, init=xav, note="pre-LN, xavier everywhere: stream grows"),
    cfg("torch_default_preln", d=512, heads=8, init=tdef, mlp=("relu", 4), note="nn.MultiheadAttention in_proj xavier, Linear defaults"),
    cfg("no_logit_scale", d=512, heads=8, blocks=4, scale=1.0, init=xav, note="q k^T without 1/sqrt(d_head): saturated softmax"),
    cfg("mup_logit_scale", d=512, heads=8, blocks=4, scale="inv_dh", init=xav, note="muP 1/d_head"),
    cfg("bert_postln", norm="post", mlp=("gelu", 4), init=gpt2, note="post-LN, std 0.02"),
    cfg("attn_only_preln", d=512, heads=8, blocks=24, mlp=None, init=xav, note="attention-only pre-LN: rank collapse"),
    cfg("attn_only_noln_corr", d=512, heads=8, blocks=8, norm="none", mlp=None, init=dict(xav, o=n(0.5 / math.sqrt(512))), rho=0.5,
        note="no norm, correlated input tokens"),
    cfg("layerscale_preln", d=512, heads=8, blocks=24, init=xav, gates={"attn": 0.1, "mlp": 0.1}, note="LayerScale gates 0.1"),
    cfg("rmsnorm_silu", d=512, heads=8, norm_kind="rmsnorm", mlp=("silu", 4), init=xav, note="RMSNorm pre-norm, SiLU MLP"),
    cfg("causal_gpt2", init=gpt2s, causal=True, note="causal mask"),
]
with open("configs.json", "w") as f:
    json.dump(configs, f, indent=1)
print(len(configs))
