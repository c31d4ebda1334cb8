"""AutoInt: self-attentive feature interaction (Song et al., 2019); paper appendix, Table 7."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from me_core.models.base import CTRModel
from me_core.models.interactions import SelfAttentionStack, SetAttentionBlocks

FORMS = ("official", "attention")


class AutoInt(CTRModel):
    """AutoInt as the official repository builds it (``torchfm/model/afi.py``: ``AutoInt`` and
    ``MultiAutoInt``), the form the paper's Table 7 ran.

    ``form="official"`` (default): interacting layers with residual and LayerNorm
    (:class:`SetAttentionBlocks`: 3 layers, 2 heads, attention size 32) -> flatten -> Linear -> 1,
    plus an MLP branch (400, 400, dropout 0.2) on the flattened embeddings whose logit is added.
    ME: one attention stack per set, outputs averaged before the shared Linear; the MLP
    branch's first layer per set, averaged, shared rest (the xDeepFM pattern of ``afi.py``).
    The official code leaves these sizes to its caller (Table 7's values are not given); ours
    are the AutoInt paper's attention defaults and the MLP of the paper's other models.

    ``form="attention"``: the attention-only model this companion first shipped (per layer
    query/key/value/residual projections and ReLU, no normalisation, no MLP). With the tiny
    initial embeddings its attention stays uniform and it barely beats logistic regression on
    the synthetic benchmark; it is kept for comparison (``--option form=attention``).
    """

    name = "autoint"

    def __init__(self, field_dims: Sequence[int], embed_dim: int = 10, num_sets: int = 1,
                 attention_layers: int = 3, num_heads: int = 2, attention_dim: int = 32,
                 form: str = "official", mlp_dims: Sequence[int] = (400, 400),
                 dropout: float = 0.2, input_norm: bool = False):
        super().__init__(field_dims, embed_dim, num_sets)
        if form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {form!r}")
        self.form = form
        if form == "official":
            self.attention = SetAttentionBlocks(num_sets, embed_dim, attention_layers, num_heads,
                                                attention_dim, input_norm)
        elif input_norm:
            raise ValueError("input_norm applies to form='official' only")
        else:
            self.attention = SelfAttentionStack(num_sets, embed_dim, attention_layers, num_heads,
                                                attention_dim)
        self.out = nn.Linear(self.num_fields * attention_dim, 1)
        if form == "official" and mlp_dims:
            self.add_set_head(self.num_fields * embed_dim, mlp_dims, dropout)
        else:
            self.project = self.head = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embedding(x)
        logit = self.out(self.attention(e).mean(0))
        if self.head is not None:
            logit = logit + self.set_head(e.flatten(2))
        return logit.squeeze(1)

    @torch.no_grad()
    def attention_entropy(self, x: torch.Tensor) -> list[float]:
        """Mean entropy (nats) of every layer's attention distributions on batch ``x``, over
        sets, rows, heads and query fields; log N means uniform attention (official form)."""
        if self.form != "official":
            raise ValueError("attention_entropy needs form='official'")
        maps: list[torch.Tensor] = []
        was_training = self.training
        self.eval()
        self.attention(self.embedding(x), attention=maps)
        self.train(was_training)
        return [float(-(p * p.clamp_min(1e-30).log()).sum(-1).mean()) for p in maps]

    @property
    def uniform_entropy(self) -> float:
        """log N: the entropy of attention spread evenly over the N fields."""
        return math.log(self.num_fields)
