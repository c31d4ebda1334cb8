"""DCNv2 (Wang et al., 2021) and the paper's DCNv2 variants (Evidence I and III, Fig. 10c/d,
17a)."""

from __future__ import annotations

from typing import Literal, Sequence

import torch

from me_core.models.base import CTRModel
from me_core.models.interactions import CrossNetworkV2

Regularizer = Literal["none", "paper", "code", "aligned"]
#: default weight of each regulariser (Evidence III and Fig. 10d: the official code's; the paper
#: gives none)
DEFAULT_REG_WEIGHT = {"none": 0.0, "paper": 1e-5, "code": 1e-5, "aligned": 1.0}


class DCNv2(CTRModel):
    """SE: 4 stacked full-rank cross layers -> MLP(400, 400) -> 1. ME: cross layers per set ->
    projection; mean; shared 400 -> 400 -> 1 (the official code's design).

    Variants (Evidence III, Fig. 10c/d):
    * ``regularizer="paper"``: sum_{l,i,j} ||W_{i->j}^T W_{i->j} - lambda_ij I||_F^2 with
      learnable lambda_ij (the paper's Evidence III form, applied to every layer);
    * ``regularizer="code"``: the official restricted-weighted DCNv2: each K x K block scaled by
      a learnable n_ij, penalty sum ||I - W_blk W_blk^T||_F^2 on the raw blocks (all layers);
      with ``num_sets > 1`` this is the Fig. 17a model;
    * ``regularizer="aligned"``: mean over layers and blocks of the variance over sets of
      ||W^(m)_blk||_F^2, pulling the sets' interaction patterns together (Fig. 10d);
    * ``shared_interaction=True``: one cross network and one projection for all sets (Fig. 10c).
    """

    name = "dcnv2"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 mlp_dims: Sequence[int] = (400, 400), dropout: float = 0.2,
                 cross_layers: int = 4, regularizer: Regularizer = "none",
                 reg_weight: float | None = None, shared_interaction: bool = False):
        super().__init__(field_dims, embed_dim, num_sets)
        if regularizer not in DEFAULT_REG_WEIGHT:
            raise ValueError(f"regularizer must be one of {sorted(DEFAULT_REG_WEIGHT)}, "
                             f"got {regularizer!r}")
        if regularizer == "aligned" and shared_interaction:
            raise ValueError("the aligned-pattern regulariser needs one cross network per set")
        N = self.num_fields
        self.cross = CrossNetworkV2(num_sets, N, embed_dim, cross_layers, shared_interaction,
                                    block_scale=regularizer == "code")
        self.add_set_head(N * embed_dim, mlp_dims, dropout, shared=shared_interaction)
        self.regularizer = regularizer
        self.reg_weight = DEFAULT_REG_WEIGHT[regularizer] if reg_weight is None else reg_weight
        if regularizer == "paper":
            copies = self.cross.weight.shape[1]
            self.reg_lambda = torch.nn.Parameter(torch.ones(cross_layers, copies, N, N))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x).flatten(2)
        return self.set_head(self.cross(e)).squeeze(1)

    # --- Evidence III / Fig. 10d regularisers -------------------------------------------------
    def regularization_loss(self) -> torch.Tensor:
        if self.regularizer == "none":
            return super().regularization_loss()
        K = self.embed_dim
        eye = torch.eye(K, dtype=self.cross.weight.dtype, device=self.cross.weight.device)
        if self.regularizer == "aligned":
            norms = self.cross.blocks().pow(2).sum(dim=(-1, -2))  # (L, M, N, N)
            return self.reg_weight * norms.var(dim=1, unbiased=False).mean()
        raw = self.cross.blocks(self.cross.weight)  # (L, M, N_target, N_source, K, K)
        if self.regularizer == "code":
            gram = raw @ raw.transpose(-1, -2)  # W_blk W_blk^T
            return self.reg_weight * (eye - gram).pow(2).sum()
        gram = raw.transpose(-1, -2) @ raw  # W^T W per block
        target = self.reg_lambda.transpose(-1, -2)[..., None, None] * eye
        return self.reg_weight * (gram - target).pow(2).sum()

    # --- analysis hooks (Evidence I, Fig. 10b) ---------------------------------------------------
    def _layer_blocks(self, layer: int) -> torch.Tensor:
        """(M', N_target, N_source, K, K) blocks of one layer's effective weight, detached."""
        return self.cross.blocks(self.cross.effective_weight(layer)).detach()[0]

    def projection(self, source: int, target: int, layer: int = 0) -> list[torch.Tensor]:
        """W_{source->target} (K x K) of ``layer`` for every set: field ``source`` projected
        before it interacts with field ``target`` (rows: target block, columns: source block)."""
        blocks = self._layer_blocks(layer)
        return [blocks[m, target, source] for m in range(blocks.shape[0])]

    def sub_embeddings(self, source: int, target: int, layer: int = 0) -> list[torch.Tensor]:
        """E_source^{->target} = E_source W_{source->target}^T (D_source x K) for every set."""
        tables = self.field_embeddings(source)
        projections = self.projection(source, target, layer)
        if len(projections) == 1:
            projections = projections * len(tables)
        return [E @ W.T for E, W in zip(tables, projections)]

    def interaction_pattern(self, layer: int = 0) -> torch.Tensor:
        """(M, N_source, N_target) Frobenius norms ||W^(m)_{i->j}||_F (Fig. 10b)."""
        norms = self._layer_blocks(layer).pow(2).sum(dim=(-1, -2)).sqrt()
        return norms.transpose(-1, -2)
