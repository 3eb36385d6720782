"""PyTorch reference modules for the predictor parity tests.

LFPHead mirrors the Cambrian-S head: nn.Sequential(Linear(h, h), GELU(), Linear(h, d)), held under
`model.nfp_head` so that state_dict() names match a Cambrian-S checkpoint shard.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class LFPHead(nn.Module):
    def __init__(self, hidden, out_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, out_dim))

    def forward(self, x):
        return self.net(x)


class _Inner(nn.Module):
    def __init__(self, hidden, out_dim):
        super().__init__()
        self.nfp_head = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, out_dim))


class CambrianLike(nn.Module):
    """Only the part of a Cambrian-S model the head loader needs: model.nfp_head.{0,2}.{weight,bias}."""

    def __init__(self, hidden, out_dim):
        super().__init__()
        self.model = _Inner(hidden, out_dim)

    def forward(self, x):
        return self.model.nfp_head(x)


def lfp_loss(y, target, mse_weight=1.0, cos_weight=1.0):
    """MSE + weighted cosine distance, the Cambrian-S LFP objective."""
    return mse_weight * F.mse_loss(y, target) + cos_weight * (1 - F.cosine_similarity(y, target, dim=-1)).mean()


class Qwen2Mini(nn.Module):
    """A Qwen2-style decoder (RMSNorm, GQA with rotary positions, SwiGLU), Hugging Face parameter
    names under `model.` (plus predsense's optional `model.in_proj`). forward() runs a whole
    sequence with a causal mask and no cache: the C++ streaming step must reproduce it frame by frame.
    """

    def __init__(self, hidden, layers, heads, kv_heads, intermediate, input_dim=0, rope_theta=10000.0, eps=1e-6):
        super().__init__()
        self.hidden, self.heads, self.kv_heads = hidden, heads, kv_heads
        self.hd, self.theta, self.eps = hidden // heads, rope_theta, eps
        self.model = nn.Module()
        if input_dim:
            self.model.in_proj = nn.Linear(input_dim, hidden)
        self.model.layers = nn.ModuleList()
        for _ in range(layers):
            layer = nn.Module()
            layer.input_layernorm = _RMSNorm(hidden, eps)
            layer.post_attention_layernorm = _RMSNorm(hidden, eps)
            attn = nn.Module()
            attn.q_proj = nn.Linear(hidden, heads * self.hd)
            attn.k_proj = nn.Linear(hidden, kv_heads * self.hd)
            attn.v_proj = nn.Linear(hidden, kv_heads * self.hd)
            attn.o_proj = nn.Linear(heads * self.hd, hidden, bias=False)
            layer.self_attn = attn
            mlp = nn.Module()
            mlp.gate_proj = nn.Linear(hidden, intermediate, bias=False)
            mlp.up_proj = nn.Linear(hidden, intermediate, bias=False)
            mlp.down_proj = nn.Linear(intermediate, hidden, bias=False)
            layer.mlp = mlp
            self.model.layers.append(layer)
        self.model.norm = _RMSNorm(hidden, eps)

    def _rope(self, x, n):  # x: heads x n x hd, positions 0..n-1 (HF rotate_half form)
        inv_freq = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2).float() / self.hd))
        freqs = torch.outer(torch.arange(n).float(), inv_freq)
        emb = torch.cat([freqs, freqs], -1)
        cos, sin = emb.cos(), emb.sin()
        x1, x2 = x[..., : self.hd // 2], x[..., self.hd // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def forward(self, x):  # x: n x input_dim -> n x hidden
        h = self.model.in_proj(x) if hasattr(self.model, "in_proj") else x
        n, rep = h.shape[0], self.heads // self.kv_heads
        mask = torch.ones(n, n, dtype=torch.bool).tril()
        for L in self.model.layers:
            a = L.input_layernorm(h)
            at = L.self_attn
            q = self._rope(at.q_proj(a).view(n, self.heads, self.hd).transpose(0, 1), n)
            k = self._rope(at.k_proj(a).view(n, self.kv_heads, self.hd).transpose(0, 1), n)
            v = at.v_proj(a).view(n, self.kv_heads, self.hd).transpose(0, 1)
            k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)  # HF repeat_kv
            s = (q @ k.transpose(1, 2)) / (self.hd ** 0.5)
            p = s.masked_fill(~mask, float("-inf")).softmax(-1)
            h = h + at.o_proj((p @ v).transpose(0, 1).reshape(n, -1))
            m = L.post_attention_layernorm(h)
            h = h + L.mlp.down_proj(F.silu(L.mlp.gate_proj(m)) * L.mlp.up_proj(m))
        return self.model.norm(h)


class _RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))
