"""IPNN: product-based neural network with inner products (Qu et al., 2016)."""

from __future__ import annotations

from typing import Sequence

import torch

from me_core.models.base import CTRModel
from me_core.models.interactions import InnerProducts


class IPNN(CTRModel):
    """SE: [flatten(e) || all inner products] -> MLP(400, 400) -> 1. ME: the same input per set
    -> projection; mean; shared 400 -> 400 -> 1.

    A difference from the official code: the official ME IPNN feeds only the inner products to each
    set's projection; we keep the SE input so that M = 1 is exactly SE. ``products_only=True``
    reproduces the official ME variant.
    """

    name = "ipnn"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2,
                 products_only: bool = False):
        super().__init__(field_dims, embed_dim, num_sets)
        N = self.num_fields
        self.products = InnerProducts(N)
        self.products_only = products_only
        width = N * (N - 1) // 2 + (0 if products_only else N * embed_dim)
        self.add_set_head(width, mlp_dims, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x)
        features = self.products(e)
        if not self.products_only:
            features = torch.cat([e.flatten(2), features], dim=2)
        return self.set_head(features).squeeze(1)
