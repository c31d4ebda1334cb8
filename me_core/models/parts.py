"""Reusable parts of every model: one fused embedding table and layers batched over sets.

Shapes: B = batch, N = fields, M = embedding sets, K = embedding size per set. Everything that is
"per set" keeps M as the leading dimension and runs as one batched kernel (``torch.bmm`` /
``einsum``) instead of a Python loop over M modules (one batched kernel per layer).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class FusedEmbedding(nn.Module):
    """All fields and all M sets in one table of shape (sum_i D_i) x (M * K); one gather per batch.

    Row ``offset_i + v`` holds the M embeddings of value v of field i side by side. Each set's
    block is initialised xavier-uniform over the whole concatenated (sum_i D_i) x K table, with
    bound sqrt(6 / (sum_i D_i + K)), exactly as the official ``FeaturesEmbedding`` does for
    each of its separate tables (as the official code initialises it): the tiny initial values are
    part of the protocol whose collapse the paper studies.
    """

    def __init__(self, field_dims: Sequence[int], embed_dim: int, num_sets: int = 1,
                 init_fan_out: int | None = None):
        super().__init__()
        dims = [int(d) for d in field_dims]
        if not dims or min(dims) < 1:
            raise ValueError(f"field_dims must be a non-empty list of sizes >= 1, got {field_dims}")
        if embed_dim < 1 or num_sets < 1:
            raise ValueError(f"embed_dim and num_sets must be >= 1, got {embed_dim}, {num_sets}")
        self.field_dims = dims
        self.embed_dim = embed_dim
        self.num_sets = num_sets
        offsets = torch.tensor([0, *dims[:-1]]).cumsum(0)
        self.register_buffer("offsets", offsets, persistent=False)
        self.weight = nn.Parameter(torch.empty(sum(dims), num_sets * embed_dim))
        # init_fan_out: the width of the official per-set table when it differs (FFM: 8 per table)
        bound = math.sqrt(6.0 / (sum(dims) + (init_fan_out or embed_dim)))
        nn.init.uniform_(self.weight, -bound, bound)

    @property
    def num_fields(self) -> int:
        return len(self.field_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, N) int64 value ids per field -> (M, B, N, K)."""
        rows = self.weight[x + self.offsets]  # (B, N, M*K)
        B, N = x.shape
        return rows.view(B, N, self.num_sets, self.embed_dim).permute(2, 0, 1, 3)

    def field_table(self, field: int) -> list[torch.Tensor]:
        """The D_i x K table of ``field`` for every set (views into the fused weight)."""
        if not 0 <= field < self.num_fields:
            raise ValueError(f"field must be in 0..{self.num_fields - 1}, got {field}")
        start = int(self.offsets[field])
        rows = self.weight[start:start + self.field_dims[field]]
        return [rows[:, m * self.embed_dim:(m + 1) * self.embed_dim]
                for m in range(self.num_sets)]


def set_affine(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x_m W_m + b_m for every set: x (M, B, in), weight (M', in, out), bias (M', 1, out).

    M' = M: one map per set, one batched kernel. M' = 1: one map shared by every set.
    """
    if weight.shape[0] == 1 and x.shape[0] > 1:
        return torch.matmul(x, weight[0]) + bias[0]
    return torch.baddbmm(bias, x, weight)


class SetLinear(nn.Module):
    """M independent linear maps applied to (M, B, in) at once: y_m = x_m W_m + b_m.

    With ``shared=True`` one map serves every set (the shared-interaction variant, Fig. 10c).
    Initialised like ``nn.Linear`` for each set.
    """

    def __init__(self, num_sets: int, in_features: int, out_features: int, shared: bool = False):
        super().__init__()
        copies = 1 if shared else num_sets
        self.weight = nn.Parameter(torch.empty(copies, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(copies, 1, out_features))
        bound = 1.0 / math.sqrt(in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return set_affine(x, self.weight, self.bias)


class SetBatchNorm(nn.Module):
    """BatchNorm over features of (M, B, F), separate statistics per set and feature.

    Per-set BatchNorm1d(F) is exactly BatchNorm1d(M * F) on the (B, M * F) layout.
    ``shared=True`` (the shared-interaction variant, Fig. 10c) is one BatchNorm1d(F) that the
    official code calls once per set: in training each set is normalised with its own batch
    statistics, the affine parameters are shared, and the running statistics are updated once
    per set, in set order; in evaluation every set uses the one running estimate.
    """

    def __init__(self, num_sets: int, features: int, shared: bool = False):
        super().__init__()
        self.shared = shared
        self.norm = nn.BatchNorm1d(features if shared else num_sets * features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        M, B, F = x.shape
        if not self.shared:
            flat = x.permute(1, 0, 2).reshape(B, M * F)
            return self.norm(flat).view(B, M, F).permute(1, 0, 2)
        norm = self.norm
        if not self.training:
            return nn.functional.batch_norm(x.reshape(M * B, F), norm.running_mean,
                                            norm.running_var, norm.weight, norm.bias, False,
                                            0.0, norm.eps).view(M, B, F)
        mean = x.mean(dim=1, keepdim=True)  # (M, 1, F): each set's own batch statistics
        var = x.var(dim=1, unbiased=False, keepdim=True)
        out = (x - mean) / torch.sqrt(var + norm.eps) * norm.weight + norm.bias
        with torch.no_grad():  # one running-statistics update per set, as M separate calls
            unbiased = var * (B / max(B - 1, 1))
            for m in range(M):
                norm.running_mean.lerp_(mean[m, 0], norm.momentum)
                norm.running_var.lerp_(unbiased[m, 0], norm.momentum)
            norm.num_batches_tracked += M
        return out


class SetProjection(nn.Module):
    """The non-linear projection of each set: Linear -> BatchNorm -> ReLU -> Dropout (the official
    code's design).

    It is the first MLP layer of the single-embedding model, moved in front of the mean over
    sets, so an M = 1 model is exactly the single-embedding model.
    """

    def __init__(self, num_sets: int, in_features: int, out_features: int, dropout: float,
                 shared: bool = False):
        super().__init__()
        self.linear = SetLinear(num_sets, in_features, out_features, shared)
        self.norm = SetBatchNorm(num_sets, out_features, shared)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(torch.relu(self.norm(self.linear(x))))


def mlp(in_features: int, hidden: Sequence[int], dropout: float, output: bool = True
        ) -> nn.Sequential:
    """The official MLP: per hidden width Linear -> BatchNorm1d -> ReLU -> Dropout; then
    Linear(1)."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), nn.BatchNorm1d(width), nn.ReLU(),
                   nn.Dropout(dropout)]
        in_features = width
    if output:
        layers.append(nn.Linear(in_features, 1))
    return nn.Sequential(*layers)


class FeaturesLinear(nn.Module):
    """First-order term sum_i w_{x_i} + b (FM, FFM): a one-dimensional fused table, N(0, 1) as
    the official ``FeaturesLinear`` (an ``nn.Embedding`` at its default init), bias zero."""

    def __init__(self, field_dims: Sequence[int]):
        super().__init__()
        self.weights = FusedEmbedding(field_dims, embed_dim=1)
        nn.init.normal_(self.weights.weight)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weights(x).sum(dim=(2, 3))[0] + self.bias
