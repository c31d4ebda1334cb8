"""Feature-interaction modules, each batched over M embedding sets.

Input is always e: (M, B, N, K), the output of :class:`FusedEmbedding`. Each module keeps one
parameter copy per set (``shared=True``: one copy for all sets, the Fig. 10c variant) and runs
all sets in one batched kernel. The tests check each against a naive per-set, per-pair loop.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from me_core.models.parts import set_affine


def _uniform_(tensor: torch.Tensor, fan_in: int) -> torch.Tensor:
    bound = 1.0 / math.sqrt(fan_in)
    return nn.init.uniform_(tensor, -bound, bound)


def pair_indices(num_fields: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column indices of all pairs i < j, in row-major order."""
    return torch.triu_indices(num_fields, num_fields, offset=1)


class InnerProducts(nn.Module):
    """IPNN: <e_i, e_j> for all N(N-1)/2 pairs i < j -> (M, B, N(N-1)/2)."""

    def __init__(self, num_fields: int):
        super().__init__()
        rows, cols = pair_indices(num_fields)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        gram = torch.matmul(e, e.transpose(-1, -2))  # (M, B, N, N)
        return gram[..., self.rows, self.cols]


class FieldWeightedPooling(nn.Module):
    """NFwFM pooling h = sum_{i,j} r_ij (e_i * e_j) -> (M, B, K), r randn-initialised.

    As in the official code the weight is a full N x N matrix: self-pairs and both orders are
    included (as in the official code; canonical FwFM uses i < j only).
    """

    def __init__(self, num_sets: int, num_fields: int, shared: bool = False):
        super().__init__()
        self.r = nn.Parameter(torch.randn(1 if shared else num_sets, num_fields, num_fields))

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        mixed = torch.matmul(self.r.unsqueeze(1), e)  # (M, B, N, K): sum_j r_ij e_j
        return (e * mixed).sum(dim=2)


class CrossNetworkV2(nn.Module):
    """DCNv2 stacked full-rank cross layers x_{l+1} = x_0 * (W_l x_l + b_l) + x_l (Evidence I).

    ``weight`` has shape (L, M, NK, NK) in ``nn.Linear``'s (out, in) layout, so the block
    W_{j->i} = weight[l, m, iK:(i+1)K, jK:(j+1)K]: row block = target field i, column block =
    source field j. ``block_scale=True`` multiplies every K x K block by a learnable n_ij
    (initialised to 1): the official restricted-weighted DCNv2 of Evidence III.
    """

    def __init__(self, num_sets: int, num_fields: int, embed_dim: int, num_layers: int = 4,
                 shared: bool = False, block_scale: bool = False):
        super().__init__()
        copies = 1 if shared else num_sets
        width = num_fields * embed_dim
        self.num_fields, self.embed_dim = num_fields, embed_dim
        # as the official CrossNetworkV2: each W_l Xavier-uniform, b_l zero
        self.weight = nn.Parameter(_xavier(torch.empty(num_layers, copies, width, width), width,
                                           width))
        self.bias = nn.Parameter(torch.zeros(num_layers, copies, 1, width))
        self.block_scale = (nn.Parameter(torch.ones(num_layers, copies, num_fields, num_fields))
                            if block_scale else None)

    @property
    def num_layers(self) -> int:
        return self.weight.shape[0]

    def effective_weight(self, layer: int | None = None) -> torch.Tensor:
        """The weight the forward pass uses (with the per-block scales when present), for all
        layers (L, M, NK, NK) or, with ``layer``, for that one layer only (1, M, NK, NK)."""
        picked = slice(None) if layer is None else slice(layer, layer + 1)
        if self.block_scale is None:
            return self.weight[picked]
        K = self.embed_dim
        scale = self.block_scale[picked].repeat_interleave(K, dim=-1).repeat_interleave(K, dim=-2)
        return self.weight[picked] * scale

    def blocks(self, weight: torch.Tensor | None = None) -> torch.Tensor:
        """(L, M, N_target, N_source, K, K) view of the (effective) weight."""
        W = self.effective_weight() if weight is None else weight
        L, M, N, K = W.shape[0], W.shape[1], self.num_fields, self.embed_dim
        return W.view(L, M, N, K, N, K).permute(0, 1, 2, 4, 3, 5)

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        """x0: (M, B, NK) -> (M, B, NK)."""
        W = self.effective_weight().transpose(-1, -2)  # (L, M', in, out)
        x = x0
        for layer in range(self.num_layers):
            x = x0 * set_affine(x, W[layer], self.bias[layer]) + x
        return x


class CompressedInteraction(nn.Module):
    """xDeepFM's CIN (no split-half; as in the official code), sum-pooled over the embedding
    dimension.

    Layer k: x^{k+1}_h = ReLU(sum_{i,j} W^{k}_{h,ij} (x^k_i * x^0_j) + b_h), a Conv1d with kernel
    1 in the official code. Output: the pooled features of every layer, (M, B, sum(layers)).
    """

    def __init__(self, num_sets: int, num_fields: int, layer_sizes: Sequence[int] = (16, 16)):
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        previous = num_fields
        for size in layer_sizes:
            fan_in = previous * num_fields
            self.weights.append(nn.Parameter(_uniform_(torch.empty(num_sets, 1, size, fan_in),
                                                       fan_in)))
            self.biases.append(nn.Parameter(_uniform_(torch.empty(num_sets, 1, size, 1), fan_in)))
            previous = size
        self.output_dim = sum(layer_sizes)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        M, B, N, K = e.shape
        h, pooled = e, []
        for weight, bias in zip(self.weights, self.biases):
            z = (h.unsqueeze(3) * e.unsqueeze(2)).reshape(M, B, h.shape[2] * N, K)
            h = torch.relu(torch.matmul(weight, z) + bias)  # (M, B, H, K)
            pooled.append(h.sum(dim=3))
        return torch.cat(pooled, dim=2)


class SelfAttentionStack(nn.Module):
    """AutoInt's interacting layers: multi-head self-attention over fields with a residual
    projection and ReLU, ``num_layers`` deep (Song et al., 2019). Output (M, B, N * dim).

    Defaults (of the paper's Table 7 AutoInt): 3 layers, 2 heads,
    attention size 32, scaled dot-product attention.
    """

    def __init__(self, num_sets: int, embed_dim: int, num_layers: int = 3, num_heads: int = 2,
                 attention_dim: int = 32):
        super().__init__()
        if attention_dim % num_heads:
            raise ValueError(f"attention_dim {attention_dim} must be divisible by "
                             f"num_heads {num_heads}")
        self.num_heads = num_heads
        self.layers = nn.ParameterList()
        width = embed_dim
        for _ in range(num_layers):
            # query, key, value and residual projections of one layer, per set
            self.layers.append(nn.Parameter(
                _uniform_(torch.empty(4, num_sets, 1, width, attention_dim), width)))
            width = attention_dim
        self.output_dim = attention_dim

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        M, B, N, _ = e.shape
        h = e
        for weights in self.layers:
            q, k, v, residual = (torch.matmul(h, w) for w in weights)  # (M, B, N, d)
            d = q.shape[-1]
            split = (M, B, N, self.num_heads, d // self.num_heads)  # heads: (M, B, H, N, d/H)
            attended = nn.functional.scaled_dot_product_attention(
                *(t.view(split).transpose(2, 3) for t in (q, k, v)))
            h = torch.relu(attended.transpose(2, 3).reshape(M, B, N, d) + residual)
        return h.reshape(M, B, N * self.output_dim)


class SetAttentionBlocks(nn.Module):
    """AutoInt's interacting layers as the official code builds them (thuml/Multi-Embedding,
    ``torchfm/model/afi.py``), batched over M sets: a Linear(K -> d) into the attention space,
    then per layer ``h = LayerNorm(h + MultiHeadAttention(h, h, h))``, a ReLU at the end.
    Output (M, B, N * d). Initialised like ``nn.Linear`` (projection) and
    ``nn.MultiheadAttention`` (Xavier-uniform in-projection, ``nn.Linear``'s out-projection, zero
    biases) per set.

    The LayerNorm matters: the embedding tables start tiny (Xavier over all rows, rms ~0.01), so
    without it the attention scores are ~0, the attention stays uniform and the stack learns
    little (see :class:`SelfAttentionStack`).
    """

    def __init__(self, num_sets: int, embed_dim: int, num_layers: int = 3, num_heads: int = 2,
                 attention_dim: int = 32, input_norm: bool = False):
        super().__init__()
        if attention_dim % num_heads:
            raise ValueError(f"attention_dim {attention_dim} must be divisible by "
                             f"num_heads {num_heads}")
        self.num_heads, self.output_dim = num_heads, attention_dim
        self.input_norm = input_norm
        d, M = attention_dim, num_sets
        bound = 1.0 / math.sqrt(embed_dim)
        self.embed_weight = nn.Parameter(torch.empty(M, 1, embed_dim, d).uniform_(-bound, bound))
        self.embed_bias = nn.Parameter(torch.empty(M, 1, 1, d).uniform_(-bound, bound))
        # per layer and set: q, k, v in-projections and the out-projection (4, M, 1, d, d)
        self.weights = nn.ParameterList(
            nn.Parameter(torch.cat([_xavier(torch.empty(3, M, 1, d, d), d, 3 * d),
                                    torch.empty(1, M, 1, d, d).uniform_(-d ** -0.5, d ** -0.5)]))
            for _ in range(num_layers))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(4, M, 1, 1, d))
                                       for _ in range(num_layers))
        self.norm_weights = nn.ParameterList(nn.Parameter(torch.ones(M, 1, 1, d))
                                             for _ in range(num_layers))
        self.norm_biases = nn.ParameterList(nn.Parameter(torch.zeros(M, 1, 1, d))
                                            for _ in range(num_layers))

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        M, B, N, d = t.shape
        return t.view(M, B, N, self.num_heads, d // self.num_heads).transpose(2, 3)

    def forward(self, e: torch.Tensor, attention: list | None = None) -> torch.Tensor:
        """e: (M, B, N, K). With a list ``attention``, each layer's attention probabilities
        (M, B, heads, N, N) are appended to it (for analysis; slower)."""
        M, B, N, K = e.shape
        if self.input_norm:  # every token at unit scale, however small the table (not official)
            e = nn.functional.layer_norm(e, (K,))
        h = torch.matmul(e, self.embed_weight) + self.embed_bias
        for weights, biases, gain, shift in zip(self.weights, self.biases, self.norm_weights,
                                                self.norm_biases):
            q, k, v = (self._heads(torch.matmul(h, weights[i]) + biases[i]) for i in range(3))
            if attention is not None:
                scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
                attention.append(torch.softmax(scores, dim=-1).detach())
            attended = nn.functional.scaled_dot_product_attention(q, k, v)
            attended = attended.transpose(2, 3).reshape(M, B, N, self.output_dim)
            h = h + torch.matmul(attended, weights[3]) + biases[3]
            h = nn.functional.layer_norm(h, (self.output_dim,)) * gain + shift
        return torch.relu(h).reshape(M, B, N * self.output_dim)


def _xavier(t: torch.Tensor, fan_in: int, fan_out: int) -> torch.Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return t.uniform_(-bound, bound)


def fm_vector(e: torch.Tensor) -> torch.Tensor:
    """FM's pairwise interaction kept per dimension: sum_{i<j} e_i * e_j -> (M, B, K)."""
    return 0.5 * (e.sum(dim=2).pow(2) - e.pow(2).sum(dim=2))


def ffm_vector(e: torch.Tensor, num_fields: int) -> torch.Tensor:
    """FFM: sum_{i<j} e_i^{->j} * e_j^{->i} per dimension -> (M, B, k).

    e: (M, B, N, N * k) where block j of field i's row is the sub-embedding e_i^{->j}.
    """
    M, B, N, width = e.shape
    sub = e.view(M, B, N, num_fields, width // num_fields)
    products = sub * sub.transpose(2, 3)  # [i, j] = e_i^{->j} * e_j^{->i}
    diagonal = torch.diagonal(products, dim1=2, dim2=3).sum(dim=-1)  # i = j terms, (M, B, k)
    return 0.5 * (products.sum(dim=(2, 3)) - diagonal)
