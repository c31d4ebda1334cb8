"""The paper's analyses of trained embedding tables, as data frames the chapters plot.

* :func:`field_spectra` and :func:`field_abundance`: Fig. 1b, 2, 8b and 15 (SPEC 2, 10.1);
* :func:`sub_embedding_abundance` and :func:`co_influence`: Evidence I, Fig. 3, 9, 14, 16
  (SPEC 3, 10.2);
* :func:`set_diversity`: Fig. 10a and 10c/d (SPEC 10.3);
* :func:`interaction_patterns`: Fig. 10b (SPEC 10.4).

Every function takes a model built by :func:`me_core.models.build` (any model with
``field_embeddings``; DCNv2 and FFM for the sub-embedding analyses).
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from scipy import stats
from torch import nn

from me_core.metrics import (embedding_set_similarity, information_abundance,
                             normalized_singular_values)
from me_core.models import build

__all__ = ["field_spectra", "field_abundance", "random_twin", "sub_embedding_abundance",
           "co_influence", "set_diversity", "interaction_patterns"]


def _tables(model: nn.Module, field: int) -> list[torch.Tensor]:
    return [t.float().cpu() for t in model.field_embeddings(field)]


def field_spectra(model: nn.Module, fields: Sequence[int] | None = None) -> pd.DataFrame:
    """Normalised singular values sigma_k / sigma_max of every field's table (sets
    concatenated), one row per (field, k): Fig. 1b."""
    rows = []
    for field in fields if fields is not None else range(model.num_fields):
        sigma = normalized_singular_values(torch.cat(_tables(model, field), dim=1))
        rows += [{"field": field, "k": k + 1, "sigma": float(s)} for k, s in enumerate(sigma)]
    return pd.DataFrame(rows)


def random_twin(config, field_dims: Sequence[int], seed: int = 12345) -> nn.Module:
    """A freshly initialised model of ``config`` (a RunConfig): "random initialisation of the
    same shape" for Fig. 2, with the model's own initialisation rule."""
    state = torch.get_rng_state()
    torch.manual_seed(seed)
    try:
        return build(config.model, field_dims, scale=config.scale,
                     multi_embedding=config.multi_embedding, **config.model_options).eval()
    finally:
        torch.set_rng_state(state)


def field_abundance(model: nn.Module, reference: nn.Module | None = None) -> pd.DataFrame:
    """Per field: cardinality D_i, IA of the table (sets concatenated, Fig. 8b), IA / width
    (Fig. 15's size-normalised IA), and, with ``reference`` (e.g. :func:`random_twin`), the
    IA of the reference's table of the same shape (Fig. 2)."""
    rows = []
    for field in range(model.num_fields):
        tables = _tables(model, field)
        width = sum(t.shape[1] for t in tables)
        ia = information_abundance(tables)
        row = {"field": field, "cardinality": tables[0].shape[0], "width": width, "ia": ia,
               "ia_per_dim": ia / width}
        if reference is not None:
            row["ia_reference"] = information_abundance(_tables(reference, field))
        rows.append(row)
    return pd.DataFrame(rows)


def sub_embedding_abundance(model: nn.Module, layer: int = 0) -> np.ndarray:
    """N x N matrix A[i, j] = IA(E_i^{->j}) (Evidence I, Fig. 3a): field i's table projected
    for its partner j by the first cross layer of DCNv2 (E_i W_{i->j}^T), or the FFM
    sub-embedding. For ME models the sub-embeddings of all sets are concatenated, as the
    overall embedding of Fig. 8b. FFM has no E_i^{->i}; that diagonal is NaN."""
    N = model.num_fields
    out = np.full((N, N), np.nan)
    for i, j in itertools.product(range(N), range(N)):
        if hasattr(model, "projection"):
            parts = model.sub_embeddings(i, j, layer)
        elif i != j:
            parts = model.sub_embeddings(i, j)
        else:
            continue
        out[i, j] = information_abundance([p.float().cpu() for p in parts])
    return out


def co_influence(matrix: np.ndarray, field_ia: Sequence[float]) -> dict:
    """Evidence I's reading of the sub-embedding matrix (Fig. 3b/3c, Fig. 9).

    Both axes are sorted by the field's own IA (ascending). Returned: the sorted matrix, the
    row sums (sum_j IA(E_i^{->j}) against i), the column sums (sum_i IA(E_i^{->j}) against j),
    and Pearson and Spearman correlations of IA(E_j) with the column sums over j: the
    dependence of a sub-embedding's IA on its partner (SPEC 3 recommends Pearson). The
    diagonal (absent for FFM) is left out of the sums.
    """
    field_ia = np.asarray(field_ia, dtype=float)
    order = np.argsort(field_ia, kind="stable")
    sorted_matrix = matrix[np.ix_(order, order)]
    off = sorted_matrix.copy()
    np.fill_diagonal(off, np.nan)
    rows, cols = np.nansum(off, axis=1), np.nansum(off, axis=0)
    sorted_ia = field_ia[order]
    return {"order": order, "matrix": sorted_matrix, "field_ia": sorted_ia,
            "row_sums": rows, "column_sums": cols,
            "pearson_partner": float(stats.pearsonr(sorted_ia, cols)[0]),
            "spearman_partner": float(stats.spearmanr(sorted_ia, cols)[0]),
            "pearson_self": float(stats.pearsonr(sorted_ia, rows)[0])}


def _split(table: torch.Tensor, parts: int) -> list[torch.Tensor]:
    return list(torch.chunk(table, parts, dim=1))


def set_diversity(model: nn.Module, sets: int | None = None,
                  min_cardinality: int | None = None) -> pd.DataFrame:
    """Mean diversity 1 - sim over set pairs, per field (Fig. 10a; SPEC 10.3).

    An ME model's own sets are compared. An SE model (``sets`` = M) has its table split
    column-wise into M blocks of K/M, the paper's SE reference. Fields with D_i <= K (block
    width) are skipped: there both column spaces are all of R^{D_i}, so the diversity is 0 by
    construction."""
    rows = []
    for field in range(model.num_fields):
        tables = _tables(model, field)
        if len(tables) == 1:
            if not sets or sets < 2:
                raise ValueError("an SE model needs sets >= 2 to split its table into blocks")
            tables = _split(tables[0], sets)
        width = tables[0].shape[1]
        if tables[0].shape[0] <= max(width, min_cardinality or 0):
            continue
        sims = [embedding_set_similarity(a, b) for a, b in itertools.combinations(tables, 2)]
        rows.append({"field": field, "cardinality": tables[0].shape[0],
                     "diversity": 1.0 - float(np.mean(sims))})
    return pd.DataFrame(rows)


def interaction_patterns(model: nn.Module, layer: int = 0) -> np.ndarray:
    """(M, N, N) ||W^{(m)}_{i->j}||_F of the first cross layer per set (Fig. 10b)."""
    return model.interaction_pattern(layer).cpu().numpy()
