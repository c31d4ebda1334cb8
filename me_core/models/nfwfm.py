"""NFwFM: field-weighted FM pooling followed by an MLP (base K = 50)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.interactions import FieldWeightedPooling
from me_core.models.parts import SetBatchNorm


class NFwFM(CTRModel):
    """SE: FwFM pooling -> BN(K) -> Dropout -> MLP(400, 400) -> 1. ME: per set pooling -> BN ->
    Dropout -> projection(K -> 400); mean; shared 400 -> 400 -> 1 (the official code's design)."""

    name = "nfwfm"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 50, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2):
        super().__init__(field_dims, embed_dim, num_sets)
        self.pool = FieldWeightedPooling(num_sets, self.num_fields)
        self.norm = SetBatchNorm(num_sets, embed_dim)
        self.dropout = nn.Dropout(dropout)
        self.add_set_head(embed_dim, mlp_dims, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.dropout(self.norm(self.pool(self.embedding(x))))
        return self.set_head(pooled).squeeze(1)
