"""The common skeleton: embedding -> interaction per set -> projection -> mean over sets -> head.

A single-embedding (SE) model is the M = 1 case at K = base x scale; a multi-embedding (ME)
model has M = scale sets of the base size, each with its own interaction module, averaged
before the shared head (the paper's multi-embedding design, section 4). ``forward`` returns logits
(train with BCE-with-logits); ``regularization_loss()`` is the one channel through which a model
adds a term to the training loss (zero for plain models).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.parts import FusedEmbedding, SetProjection, mlp


class CTRModel(nn.Module):
    """Base class of every model; owns the fused embedding table and the analysis contract.

    Forward contract (every model, SE and ME): ``forward(x)`` takes ``x`` of shape (B, N), int64,
    the value id of each of the N fields per row (ids from the data cache: 0 = out of
    vocabulary, field i's ids in 0..field_dims[i]-1), and returns logits of shape (B,), float32
    (train with BCE-with-logits). Inside, ``self.embedding(x)`` gives (M, B, N, K): M sets of
    K-dimensional embeddings; every per-set tensor keeps M as its leading dimension.
    """

    #: short registry name, set by each subclass
    name = "ctr"

    def __init__(self, field_dims: Sequence[int], embed_dim: int, num_sets: int = 1,
                 embedding_width: int | None = None, init_fan_out: int | None = None):
        super().__init__()
        self.embedding = FusedEmbedding(field_dims, embedding_width or embed_dim, num_sets,
                                        init_fan_out)
        self.embed_dim = embed_dim

    def add_set_head(self, in_features: int, mlp_dims: Sequence[int], dropout: float,
                     shared: bool = False) -> None:
        """The tail most models share (the paper's multi-embedding design, section 4): each
        set's features go through its own projection (the first MLP layer, ``self.project``),
        the sets are averaged, and the shared rest of the MLP (``self.head``) gives one logit.
        With M = 1 this is the single-embedding model's MLP."""
        if not mlp_dims or min(mlp_dims) < 1:
            raise ValueError(f"mlp_dims: one or more widths, each >= 1, got {list(mlp_dims)}")
        self.project = SetProjection(self.num_sets, in_features, mlp_dims[0], dropout, shared)
        self.head = mlp(mlp_dims[0], mlp_dims[1:], dropout)

    def set_head(self, features: torch.Tensor) -> torch.Tensor:
        """(M, B, in_features) per-set features -> (B, 1) logit (see :meth:`add_set_head`)."""
        return self.head(self.project(features).mean(0))

    @property
    def field_dims(self) -> list[int]:
        return self.embedding.field_dims

    @property
    def num_fields(self) -> int:
        return self.embedding.num_fields

    @property
    def num_sets(self) -> int:
        return self.embedding.num_sets

    @property
    def multi_embedding(self) -> bool:
        return self.num_sets > 1

    def field_embeddings(self, field: int) -> list[torch.Tensor]:
        """The D_i x K table of ``field`` in every embedding set (detached views)."""
        return [t.detach() for t in self.embedding.field_table(field)]

    def regularization_loss(self) -> torch.Tensor:
        """Extra training loss (Evidence III and Fig. 10d variants); zero here."""
        return self.embedding.weight.new_zeros(())

    def parameter_counts(self) -> dict[str, int]:
        embedding = self.embedding.weight.numel()
        total = sum(p.numel() for p in self.parameters())
        return {"embedding": embedding, "other": total - embedding, "total": total}

    def extra_repr(self) -> str:
        return (f"fields={self.num_fields}, sets={self.num_sets}, "
                f"embed_dim={self.embed_dim}")
