"""The common skeleton: embedding -> interaction per set -> projection -> mean over sets -> head.

A single-embedding (SE) model is the M = 1 case at K = base x scale; a multi-embedding (ME)
model has M = scale sets of the base size, each with its own interaction module, averaged
before the shared head (the paper's multi-embedding design, section 5). ``forward`` returns logits
(train with BCE-with-logits); ``regularization_loss()`` is the one channel through which a model
adds a term to the training loss (zero for plain models).
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from me_core.models.parts import FusedEmbedding


class CTRModel(nn.Module):
    """Base class of every model; owns the fused embedding table and the analysis contract."""

    #: short registry name, set by each subclass
    name = "ctr"

    def __init__(self, field_dims: Sequence[int], embed_dim: int, num_sets: int = 1,
                 embedding_width: int | None = None, init_fan_out: int | None = None):
        super().__init__()
        self.embedding = FusedEmbedding(field_dims, embedding_width or embed_dim, num_sets,
                                        init_fan_out)
        self.embed_dim = embed_dim

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
