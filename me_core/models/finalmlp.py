"""FinalMLP: two MLP streams fused bilinearly (Mao et al., 2023)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.parts import SetProjection


class FinalMLP(CTRModel):
    """SE: two streams, each MLP(400, 400) (hidden layers only) on the flattened embeddings,
    feature-selection gates disabled as in the official code (a difference from the paper's
    description), fused by w_x.x + w_y.y + x^T W_xy y + b with W_xy zero-initialised. ME: both
    streams per set, each stream averaged over sets, shared fusion."""

    name = "finalmlp"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2):
        super().__init__(field_dims, embed_dim, num_sets)
        width = self.num_fields * embed_dim

        def stream() -> nn.Sequential:
            dims = [width, *mlp_dims]
            return nn.Sequential(*[SetProjection(num_sets, a, b, dropout)
                                   for a, b in zip(dims[:-1], dims[1:])])

        self.stream_x, self.stream_y = stream(), stream()
        self.w_x = nn.Linear(mlp_dims[-1], 1)
        self.w_y = nn.Linear(mlp_dims[-1], 1, bias=False)
        self.w_xy = nn.Parameter(torch.zeros(mlp_dims[-1], mlp_dims[-1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = self.embedding(x).flatten(2)
        hx, hy = self.stream_x(flat).mean(0), self.stream_y(flat).mean(0)
        bilinear = ((hx @ self.w_xy) * hy).sum(1, keepdim=True)
        return (self.w_x(hx) + self.w_y(hy) + bilinear).squeeze(1)
