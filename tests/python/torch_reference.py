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
