"""The paper's analyses of trained embedding tables, as data frames the chapters plot.

* :func:`field_spectra` and :func:`field_abundance`: Fig. 1b, 2, 8b and 15;
* :func:`sub_embedding_abundance` and :func:`co_influence`: Evidence I, Fig. 3, 9, 14, 16;
* :func:`set_diversity`: Fig. 10a and 10c/d;
* :func:`interaction_patterns`: Fig. 10b.

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

from me_core.metrics import (
    embedding_set_similarity,
    information_abundance,
    normalized_singular_values,
    recovered_dimensions,
)

__all__ = ["field_spectra", "field_abundance", "random_twin", "sub_embedding_abundance",
           "partner_effects", "co_influence", "projection_abundance", "set_diversity",
           "interaction_patterns",
           "model_analyses", "unlisted", "ground_truth"]


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
        return config.build_model(field_dims).eval()
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


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r, 0.0 when either side is constant (no variation: no dependence)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) < 1e-12 * max(1.0, np.abs(y).max()):
        return 0.0
    return float(stats.pearsonr(x, y)[0])


def partner_effects(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-centred sub-embedding IA and the partner effect of every column.

    ``centred[i, j] = A[i, j] - mean_{j' != i} A[i, j']`` removes what depends on the source
    field i alone; ``effect[j] = mean_{i != j} centred[i, j]`` is how much partner j raises or
    lowers the IA of the sub-embeddings projected for it. When A depends on i only, every
    effect is exactly 0, whatever the diagonal holds."""
    off = np.array(matrix, dtype=float)
    np.fill_diagonal(off, np.nan)
    centred = off - np.nanmean(off, axis=1, keepdims=True)
    return centred, np.nanmean(centred, axis=0)


def co_influence(matrix: np.ndarray, field_ia: Sequence[float], *,
                 cardinalities: Sequence[int] | None = None, width: int | None = None,
                 planted_pairs: Sequence[Sequence[int]] | None = None,
                 permutations: int = 2000, seed: int = 0) -> dict:
    """Evidence I's reading of the sub-embedding matrix (Fig. 3b/3c, 9, 14).

    The paper's question: does IA(E_i^{->j}) depend on the *partner* j, rising with IA(E_j)?
    Column sums of the raw matrix answer a different one: dropping the diagonal removes
    IA(E_j^{->j}), which tracks IA(E_j), so with no partner effect at all their correlation with
    IA(E_j) is strongly negative (exactly -1 for A[i, j] = IA(E_i)). The estimate here is
    ``pearson_partner`` = Pearson r between IA(E_j) and the partner effect of
    :func:`partner_effects` (row-centred column means), whose expectation is 0 without a
    partner effect, with a permutation null (IA(E_j) shuffled over partners): ``p_value`` is the
    one-sided share of permuted r at least as large. ``cardinalities`` and ``width`` (the
    embedding size K) add the same estimate over the partners with D_j > K
    (``pearson_partner_large``): a field with D_j <= K has a table of full rank by
    construction. ``planted_pairs`` (synthetic data knows them) adds ``planted_contrast``, the
    mean row-centred IA of sub-embeddings projected for a planted partner (both directions),
    with its permutation p-value ``planted_p_value`` (lower tail). The raw sorted matrix and
    sums are kept for Fig. 3's panels; the raw-sum correlation is ``pearson_column_sums``.
    """
    field_ia = np.asarray(field_ia, dtype=float)
    matrix = np.asarray(matrix, dtype=float)
    n = len(field_ia)
    centred, effects = partner_effects(matrix)
    rng = np.random.default_rng(seed)

    def with_null(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        r = _pearson(x, y)
        null = np.array([_pearson(rng.permutation(x), y) for _ in range(permutations)])
        return r, float((1 + np.sum(null >= r - 1e-12)) / (1 + permutations))

    r, p = with_null(field_ia, effects)
    order = np.argsort(field_ia, kind="stable")
    sorted_matrix = matrix[np.ix_(order, order)]
    off = sorted_matrix.copy()
    np.fill_diagonal(off, np.nan)
    rows, cols = np.nansum(off, axis=1), np.nansum(off, axis=0)
    out = {"order": order, "matrix": sorted_matrix, "field_ia": field_ia[order],
           "row_sums": rows, "column_sums": cols, "partner_effect": effects[order],
           "pearson_partner": r, "p_value": p, "partners": n,
           "spearman_partner": float(stats.spearmanr(field_ia, effects)[0])
           if np.ptp(effects) > 0 else 0.0,
           "pearson_column_sums": _pearson(field_ia[order], cols),
           "pearson_self": _pearson(field_ia[order], rows)}
    if cardinalities is not None and width is not None:
        large = np.asarray(cardinalities) > width
        out["partners_large"] = int(large.sum())
        out["pearson_partner_large"], out["p_value_large"] = (
            with_null(field_ia[large], effects[large]) if large.sum() >= 3 else (np.nan, np.nan))
    if planted_pairs:
        mask = np.zeros((n, n), dtype=bool)
        for i, j in planted_pairs:
            mask[i, j] = mask[j, i] = True
        np.fill_diagonal(mask, False)
        valid = np.isfinite(centred)
        contrast = float(centred[mask & valid].mean())
        cells = np.argwhere(valid)
        k = int((mask & valid).sum())
        null = np.array([centred[tuple(cells[rng.choice(len(cells), k, replace=False)].T)].mean()
                         for _ in range(permutations)])
        out["planted_contrast"] = contrast
        out["planted_p_value"] = float((1 + np.sum(null <= contrast)) / (1 + permutations))
    return out


def projection_abundance(model: nn.Module, layer: int = 0) -> np.ndarray:
    """N x N matrix IA(W_{i->j}) / K of a DCNv2's cross-layer blocks: 1 for an orthogonal
    (or any well-conditioned) block, small for a projection that squeezes field i into few
    directions; ME: the mean over sets. Evidence III's regulariser pushes every block towards
    a multiple of an orthogonal matrix."""
    N = model.num_fields
    out = np.empty((N, N))
    for i, j in itertools.product(range(N), range(N)):
        blocks = [w.float().cpu() for w in model.projection(i, j, layer)]
        out[i, j] = np.mean([information_abundance(w) / w.shape[0] for w in blocks])
    return out


def _split(table: torch.Tensor, parts: int) -> list[torch.Tensor]:
    return list(torch.chunk(table, parts, dim=1))


def set_diversity(model: nn.Module, sets: int | None = None,
                  min_cardinality: int | None = None) -> pd.DataFrame:
    """Mean diversity 1 - sim over set pairs, per field (Fig. 10a).

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


def _listed(values: np.ndarray) -> list:
    """A float array as nested lists for JSON (7 significant digits), NaN written as None."""
    return [(_listed(v) if np.ndim(v) else (None if not np.isfinite(v) else float(f"{v:.7g}")))
            for v in values]


def unlisted(values: list) -> np.ndarray:
    """The inverse of the JSON form of :func:`model_analyses`: None back to NaN."""
    return np.array(values, dtype=float)


def model_analyses(model: nn.Module, block_sets: int | None = None,
                   tables_only: bool = False) -> dict:
    """Every weight analysis the chapters read from one trained model, as JSON-ready lists,
    so that a run record can carry them and a finding can read them for every seed:

    * ``field_ia``, ``cardinalities``, ``width``: :func:`field_abundance` (Fig. 2, 8b, 15);
    * ``spectra``: per field, sigma_k / sigma_max of its table (Fig. 1b);
    * ``sub_embedding_ia``: :func:`sub_embedding_abundance` (Fig. 3, 9, 14), DCNv2 and FFM;
    * ``projection_ia_per_dim``: :func:`projection_abundance` (Evidence III), DCNv2;
    * ``set_diversity`` (ME) or ``block_diversity`` (SE split into ``block_sets`` blocks):
      :func:`set_diversity` per field, None where a field is skipped (Fig. 10a, 10d);
    * ``interaction_patterns``: :func:`interaction_patterns` of an ME DCNv2 (Fig. 10b, 10d).

    ``tables_only``: only what the embedding tables alone give (IA, spectra, diversity).
    """
    fields = field_abundance(model)
    out: dict = {"field_ia": _listed(fields.ia.to_numpy()),
                 "cardinalities": [int(d) for d in fields.cardinality],
                 "width": int(fields.width.iloc[0]),
                 "spectra": [_listed(normalized_singular_values(
                     torch.cat(_tables(model, f), dim=1))) for f in range(model.num_fields)]}
    if hasattr(model, "sub_embeddings") and not tables_only:
        out["sub_embedding_ia"] = _listed(sub_embedding_abundance(model))
    if hasattr(model, "projection") and not tables_only:
        out["projection_ia_per_dim"] = _listed(projection_abundance(model))
    sets = len(model.field_embeddings(0))
    if sets > 1 or (block_sets or 0) > 1:
        diversity = set_diversity(model, sets=None if sets > 1 else block_sets)
        per_field = np.full(model.num_fields, np.nan)
        per_field[diversity.field.to_numpy(dtype=int)] = diversity.diversity.to_numpy()
        out["set_diversity" if sets > 1 else "block_diversity"] = _listed(per_field)
    if hasattr(model, "interaction_pattern") and sets > 1 and not tables_only:
        out["interaction_patterns"] = _listed(interaction_patterns(model))
    return out


def ground_truth(models: dict[str, nn.Module], data, train_rows: np.ndarray) -> dict:
    """Each model's tables scored against the synthetic teacher's truth
    (:func:`me_core.metrics.recovered_dimensions`), per field: the kept values (ids >= 1)
    weighted by how often each occurs in the run's training rows (``train_rows``, indices into
    ``data``, the encoded data set); ``models`` maps a name (e.g.
    ``learned``, ``initial``) to a model. Returns per field the truth's rank on those rows,
    the kept values, and per model the recovered dimensions and the count of canonical
    correlations above 0.5. Empty for data without a known truth."""
    from me_core.data.synthetic import field_truth

    fmap = data.feature_map
    if not fmap.details.get("synthetic") or "teacher" not in fmap.details:
        return {}
    train = np.sort(np.asarray(train_rows))
    out: dict = {"truth_rank": [], "kept": [],
                 **{name: {"recovered": [], "above_half": []} for name in models}}
    for f in range(fmap.num_fields):
        weights = np.bincount(np.asarray(data.x[train, f]), minlength=fmap.cardinalities[f])
        weights = weights.astype(np.float64)
        weights[0] = 0.0  # the OOV id stands for many values: no single truth
        truth = field_truth(fmap, f)
        for name, model in models.items():
            score = recovered_dimensions(_tables(model, f), truth, weights)
            out[name]["recovered"].append(float(f"{score.recovered:.7g}"))
            out[name]["above_half"].append(score.above_half)
        out["truth_rank"].append(score.truth_rank)
        out["kept"].append(int((weights > 0).sum()))
    return out
