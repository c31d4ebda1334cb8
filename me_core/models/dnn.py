"""DNN: concatenated field embeddings into an MLP, no explicit interaction (Evidence IV)."""

from __future__ import annotations

from typing import Sequence

import torch

from me_core.models.base import CTRModel
from me_core.models.parts import SetProjection, mlp


class DNN(CTRModel):
    """SE: flatten(N K) -> MLP(400, 400) -> 1. ME: per set flatten -> projection; mean; shared
    400 -> 400 -> 1 (the official code's design). Concatenation is linear, so the per-set
    projection is what makes ME differ from SE (the appendix's linear-interaction identities)."""

    name = "dnn"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2):
        super().__init__(field_dims, embed_dim, num_sets)
        self.project = SetProjection(num_sets, self.num_fields * embed_dim, mlp_dims[0], dropout)
        self.head = mlp(mlp_dims[0], mlp_dims[1:], dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x)
        return self.head(self.project(e.flatten(2)).mean(0)).squeeze(1)
