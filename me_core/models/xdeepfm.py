"""xDeepFM: compressed interaction network plus a DNN, logits added (Lian et al., 2018)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.interactions import CompressedInteraction


class XDeepFM(CTRModel):
    """SE: CIN(16, 16) sum-pooled -> Linear(32 -> 1) plus DNN MLP(400, 400) -> 1; no first-order
    term (as in the official code). ME: CIN per set, pooled features averaged -> shared Linear; the
    DNN part as in the ME DNN (per-set projection, shared rest)."""

    name = "xdeepfm"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2,
                 cin_layers: Sequence[int] = (16, 16)):
        super().__init__(field_dims, embed_dim, num_sets)
        self.cin = CompressedInteraction(num_sets, self.num_fields, cin_layers)
        self.cin_out = nn.Linear(self.cin.output_dim, 1)
        self.add_set_head(self.num_fields * embed_dim, mlp_dims, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x)
        cin = self.cin_out(self.cin(e).mean(0))
        dnn = self.set_head(e.flatten(2))
        return (cin + dnn).squeeze(1)
