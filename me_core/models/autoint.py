"""AutoInt: self-attentive feature interaction (Song et al., 2019); paper appendix, Table 7."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.interactions import SelfAttentionStack


class AutoInt(CTRModel):
    """SE: 3 interacting layers (2 heads, size 32, residual, ReLU) -> flatten -> Linear -> 1.
    ME: one attention stack per set, flattened outputs averaged over sets, shared Linear.

    The paper gives no AutoInt code or hyper-parameters (SPEC 9, Table 7); these are the
    AutoInt paper's defaults. The attention is non-linear, so no extra projection is added.
    """

    name = "autoint"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 attention_layers: int = 3, num_heads: int = 2, attention_dim: int = 32):
        super().__init__(field_dims, embed_dim, num_sets)
        self.attention = SelfAttentionStack(num_sets, embed_dim, attention_layers, num_heads,
                                            attention_dim)
        self.out = nn.Linear(self.num_fields * attention_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.attention(self.embedding(x)).mean(0)).squeeze(1)
