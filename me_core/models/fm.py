"""FM (Rendle, 2010) and FFM (Juan et al., 2016): the shallow models of Evidence II and Fig. 14."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.interactions import ffm_vector, fm_vector
from me_core.models.parts import FeaturesLinear, SetProjection


class _ShallowModel(CTRModel):
    """First-order term plus a pairwise interaction.

    SE (M = 1): logit = linear + sum over dimensions of the pairwise interaction vector.
    ME (M > 1): the mean of M such sums would be linear in the sets, i.e. a special case of a
    wider SE model (the appendix's linear-interaction identities), so each set's interaction vector
    goes through a non-linear projection (K -> hidden) before the mean, then one shared
    Linear(hidden -> 1), the NFM-style reading of the paper's "non-linear projection after each
    set's interaction".
    """

    def __init__(self, field_dims: Sequence[int], embed_dim: int, num_sets: int,
                 hidden: int, dropout: float, width: int, init_fan_out: int | None = None):
        super().__init__(field_dims, embed_dim, num_sets, embedding_width=width,
                         init_fan_out=init_fan_out)
        self.linear = FeaturesLinear(field_dims)
        if num_sets > 1:
            self.project = SetProjection(num_sets, embed_dim, hidden, dropout)
            self.out = nn.Linear(hidden, 1)

    def pairwise(self, e: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        interaction = self.pairwise(self.embedding(x))  # (M, B, K)
        if self.num_sets == 1:
            second_order = interaction[0].sum(1)
        else:
            second_order = self.out(self.project(interaction).mean(0)).squeeze(1)
        return self.linear(x) + second_order


class FM(_ShallowModel):
    """Factorization machine: b + sum_i w_{x_i} + sum_{i<j} <e_i, e_j>."""

    name = "fm"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 hidden: int = 400, dropout: float = 0.2):
        super().__init__(field_dims, embed_dim, num_sets, hidden, dropout, width=embed_dim)

    def pairwise(self, e: torch.Tensor) -> torch.Tensor:
        return fm_vector(e)


class FFM(_ShallowModel):
    """Field-aware FM: b + sum_i w_{x_i} + sum_{i<j} <e_i^{->j}, e_j^{->i}> with one
    sub-embedding of size ``embed_dim`` (8 in the official code) per partner field.

    Field i's row stores [e_i^{->0}, ..., e_i^{->N-1}]; the block j = i is never used (the
    official code also allocates it). Initialised like the official per-partner tables.
    """

    name = "ffm"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 8, num_sets: int = 1,
                 hidden: int = 400, dropout: float = 0.2):
        n = len(field_dims)
        super().__init__(field_dims, embed_dim, num_sets, hidden, dropout,
                         width=n * embed_dim, init_fan_out=embed_dim)

    def pairwise(self, e: torch.Tensor) -> torch.Tensor:
        return ffm_vector(e, self.num_fields)

    def sub_embeddings(self, source: int, target: int) -> list[torch.Tensor]:
        """E_source^{->target} (D_source x k) for every set (Fig. 14, the FFM analogue of Evidence
        I)."""
        if source == target:
            raise ValueError("FFM has no sub-embedding of a field for itself")
        k = self.embed_dim
        return [t[:, target * k:(target + 1) * k] for t in super().field_embeddings(source)]

    def field_embeddings(self, field: int) -> list[torch.Tensor]:
        """Field i's table [E_i^{->j}]_{j != i} (D_i x (N-1) k) for every set (Evidence I)."""
        k = self.embed_dim
        keep = [j for j in range(self.num_fields) if j != field]
        return [torch.cat([t[:, j * k:(j + 1) * k] for j in keep], dim=1)
                for t in super().field_embeddings(field)]
