"""The paper's optimiser: Adam, lr 1e-3, weight decay 1e-6 on every parameter (the paper's
experimental setup)."""

from __future__ import annotations

import torch
from torch import nn

from me_core.settings import PAPER_OPTIMIZER


def paper_optimizer(model: nn.Module, lr: float = PAPER_OPTIMIZER["lr"],
                    weight_decay: float = PAPER_OPTIMIZER["weight_decay"]) -> torch.optim.Adam:
    """Adam with coupled L2 (weight decay also hits the embeddings, as in the official code).

    Uses the fused kernel: on a dense embedding table it is faster than the default
    multi-tensor implementation on CPU (``benchmarks/bench_train.py`` measures training
    speed).
    """
    if lr <= 0 or weight_decay < 0:
        raise ValueError(f"need lr > 0 and weight_decay >= 0, got lr={lr}, "
                         f"weight_decay={weight_decay}")
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
