"""Peers for bench_predictors (benchmarks/bench_predictors.cpp), in PyTorch.

lfp_head_1536 / lfp_head_3584: the Cambrian-S LFP head, nn.Sequential(Linear(h, h), GELU(),
  Linear(h, 1152)), forward on 64 tokens under torch.inference_mode (h = 1536 / 3584).
backbone_step: the same mini Qwen2 decoder as the C++ one (d 512, 8 layers, 8 heads / 2 KV heads,
  SwiGLU 1408, RMSNorm, rotary), one streaming step of a 64-token frame after 256 cached frames,
  with a preallocated KV cache and score buffer, grouped-query heads stacked instead of
  repeat_interleave, softmax in place: the fastest plain-PyTorch spelling found here (the naive
  one, repeat_interleave + masked_fill + softmax on fresh tensors, ran ~50x slower on this machine,
  where touching freshly allocated memory is expensive).
Time per call = median over repeats of (batch wall time / calls), after warm-up.
"""
from __future__ import annotations

import math
import statistics
import time

TOKENS, OUT_DIM = 64, 1152


def _median_time(fn, min_batch_s=0.2, repeats=7):
    fn()
    fn()
    calls = 1
    while True:  # batch size so one batch takes >= min_batch_s
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_batch_s or calls >= 1 << 16:
            break
        calls *= 2
    samples = [dt / calls]
    for _ in range(repeats - 1):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def _lfp(hidden):
    def case(threads: int) -> dict:
        import torch
        import torch.nn as nn
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        head = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, OUT_DIM)).eval()
        x = torch.randn(TOKENS, hidden)
        with torch.inference_mode():
            t = _median_time(lambda: head(x))
        flops = 2.0 * TOKENS * hidden * (hidden + OUT_DIM)
        return {"torch_s": t, "flops": flops, "torch_gflops": flops / t * 1e-9}
    return case


# ---- mini Qwen2 decoder ---------------------------------------------------------------------------
D, LAYERS, HEADS, KV_HEADS, INTER, CACHED = 512, 8, 8, 2, 1408, 256
THETA, EPS = 10000.0, 1e-6


def _backbone_case(threads: int) -> dict:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    hd = D // HEADS
    max_pos = (CACHED + 2) * TOKENS

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(D))

        def forward(self, x):
            return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm, self.post_attention_layernorm = RMSNorm(), RMSNorm()
            self.q_proj = nn.Linear(D, HEADS * hd)
            self.k_proj = nn.Linear(D, KV_HEADS * hd)
            self.v_proj = nn.Linear(D, KV_HEADS * hd)
            self.o_proj = nn.Linear(HEADS * hd, D, bias=False)
            self.gate_proj = nn.Linear(D, INTER, bias=False)
            self.up_proj = nn.Linear(D, INTER, bias=False)
            self.down_proj = nn.Linear(INTER, D, bias=False)
            self.k_cache = torch.zeros(KV_HEADS, max_pos, hd)
            self.v_cache = torch.zeros(KV_HEADS, max_pos, hd)

    layers = [Layer().eval() for _ in range(LAYERS)]
    norm = RMSNorm()
    inv = 1.0 / (THETA ** (torch.arange(0, hd, 2).float() / hd))
    ang = torch.outer(torch.arange(max_pos).float(), inv)
    cos_t, sin_t = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)

    def rope(x, pos):  # x: heads x T x hd
        c, s = cos_t[pos], sin_t[pos]
        x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
        return x * c + torch.cat([-x2, x1], -1) * s

    state = {"n": 0}
    R = (HEADS // KV_HEADS) * TOKENS
    s_flat = torch.empty(KV_HEADS * R * max_pos)   # score buffer, reused (no per-step allocation)
    o_buf = torch.empty(KV_HEADS, R, hd)

    def step(x):
        n, T = state["n"], x.shape[0]
        ctx = n + T
        pos = torch.arange(n, ctx)
        # causal mask of the new block only: query i sees cache columns < n + i + 1
        future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1).repeat(HEADS // KV_HEADS, 1)
        h = x
        for L in layers:
            a = L.input_layernorm(h)
            q = rope(L.q_proj(a).view(T, HEADS, hd).transpose(0, 1), pos)        # heads x T x hd
            k = rope(L.k_proj(a).view(T, KV_HEADS, hd).transpose(0, 1), pos)
            v = L.v_proj(a).view(T, KV_HEADS, hd).transpose(0, 1)
            L.k_cache[:, n:ctx] = k
            L.v_cache[:, n:ctx] = v
            # grouped-query attention without repeat_interleave: a KV head's query heads stacked
            qg = q.reshape(KV_HEADS, R, hd)
            S = s_flat[: KV_HEADS * R * ctx].view(KV_HEADS, R, ctx)
            torch.bmm(qg, L.k_cache[:, :ctx].transpose(1, 2), out=S)
            S.mul_(1.0 / math.sqrt(hd))
            S[:, :, n:].masked_fill_(future, float("-inf"))
            S.sub_(S.amax(-1, keepdim=True)).exp_()
            denom = S.sum(-1, keepdim=True)
            torch.bmm(S, L.v_cache[:, :ctx], out=o_buf)
            o = o_buf.div_(denom).view(HEADS, T, hd).transpose(0, 1).reshape(T, D)
            h = h + L.o_proj(o)
            m = L.post_attention_layernorm(h)
            h = h + L.down_proj(F.silu(L.gate_proj(m)) * L.up_proj(m))
        state["n"] = ctx
        return norm(h)

    x = torch.randn(TOKENS, D)
    with torch.inference_mode():
        # 256 cached frames: the cache is filled directly (what it holds does not change the cost;
        # running 256 warm-up steps in PyTorch would take minutes)
        for L in layers:
            L.k_cache[:, : CACHED * TOKENS] = torch.randn(KV_HEADS, CACHED * TOKENS, hd)
            L.v_cache[:, : CACHED * TOKENS] = torch.randn(KV_HEADS, CACHED * TOKENS, hd)
        state["n"] = CACHED * TOKENS

        def timed():
            step(x)
            state["n"] = CACHED * TOKENS  # every call sees exactly 256 cached frames
        t = _median_time(timed, min_batch_s=0.0, repeats=5)
    ctx = CACHED * TOKENS + TOKENS
    per_layer = 2 * TOKENS * D * (HEADS * hd + 2 * KV_HEADS * hd) + 2 * TOKENS * HEADS * hd * D \
        + 3 * 2 * TOKENS * D * INTER + 2 * 2 * TOKENS * ctx * HEADS * hd
    flops = float(LAYERS * per_layer)
    return {"torch_s": t, "flops": flops, "torch_gflops": flops / t * 1e-9}


CASES = {
    "lfp_head_1536": _lfp(1536),
    "lfp_head_3584": _lfp(3584),
    "backbone_step": _backbone_case,
}

if __name__ == "__main__":
    import sys
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for name, fn in CASES.items():
        print(name, fn(n))
