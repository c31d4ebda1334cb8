"""DNN: concatenated field embeddings into an MLP, no explicit interaction (Evidence IV)."""

from __future__ import annotations

from typing import Sequence

import torch

from me_core.models.base import CTRModel


class DNN(CTRModel):
    """SE: flatten(N K) -> MLP(400, 400) -> 1. ME: per set flatten -> projection; mean; shared
    400 -> 400 -> 1 (the official code's design). Concatenation is linear, so the per-set
    projection is what makes ME differ from SE (the appendix's linear-interaction identities)."""

    name = "dnn"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2):
        super().__init__(field_dims, embed_dim, num_sets)
        self.add_set_head(self.num_fields * embed_dim, mlp_dims, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x)
        return self.set_head(e.flatten(2)).squeeze(1)
