"""Spectral metrics of embedding tables (information abundance, Definition 1; the similarity of
embedding sets behind Fig. 10), and where a table's information is known, how much of it a
table holds (:func:`recovered_dimensions`).

Everything here is computed in float64 and takes numpy arrays or torch tensors (CPU or GPU).
A table ``E`` is a ``D x K`` matrix: one row per categorical value, one column per embedding
dimension. Nothing in this module imports the rest of ``me_core``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence, Union

import numpy as np

try:  # torch is a hard dependency of the package, but the metrics also work without it
    import torch
except ImportError:  # pragma: no cover
    torch = None  # type: ignore[assignment]

ArrayLike = Union[np.ndarray, "torch.Tensor"]

# Use the K x K Gram matrix instead of an SVD when the table is at least this many times taller
# than wide. The Gram route costs D*K^2 flops and K x K memory; the SVD route is exact.
_GRAM_ASPECT_RATIO = 4
# Rows of a tall table converted to float64 at a time on the Gram route (bounds extra memory).
_GRAM_CHUNK_ROWS = 1 << 16

__all__ = [
    "singular_values",
    "normalized_singular_values",
    "information_abundance",
    "normalized_information_abundance",
    "concatenate_sets",
    "principal_angle_cosines",
    "embedding_set_similarity",
    "embedding_set_diversity",
    "canonical_correlations",
    "Recovery",
    "recovered_dimensions",
]


def _is_torch(x: Any) -> bool:
    return torch is not None and isinstance(x, torch.Tensor)


def _check_table(E: Any, name: str = "E") -> Any:
    """Validate a 2-D, non-empty, finite table; return it unchanged (numpy or torch)."""
    if _is_torch(E):
        if E.ndim != 2:
            raise ValueError(f"{name} must be a 2-D table (rows x dims), got shape "
                             f"{tuple(E.shape)}")
        if E.numel() == 0:
            raise ValueError(f"{name} is empty (shape {tuple(E.shape)})")
        if E.is_complex():
            raise ValueError(f"{name} must be real, got dtype {E.dtype}")
        if not bool(torch.isfinite(E).all()):
            raise ValueError(f"{name} contains NaN or inf values")
        if E.dtype in (torch.bfloat16, torch.float16):  # numpy has no bfloat16: widen
            return E.detach().float()
        return E.detach()
    arr = np.asarray(E)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise ValueError(f"{name} must be a real numeric table, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D table (rows x dims), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf values")
    return arr


def _gram_float64(E: Any) -> np.ndarray:
    """E^T E in float64, accumulated in row chunks so a float32 table is never copied whole."""
    D, K = E.shape
    if _is_torch(E) and E.device.type == "cpu":
        E = E.numpy()  # zero-copy; numpy's float64 GEMM is faster than torch's on CPU
    if _is_torch(E):
        G = torch.zeros((K, K), dtype=torch.float64, device=E.device)
        for start in range(0, D, _GRAM_CHUNK_ROWS):
            block = E[start:start + _GRAM_CHUNK_ROWS].to(torch.float64)
            G += block.T @ block
        return G.cpu().numpy()
    G = np.zeros((K, K), dtype=np.float64)
    for start in range(0, D, _GRAM_CHUNK_ROWS):
        block = np.asarray(E[start:start + _GRAM_CHUNK_ROWS], dtype=np.float64)
        G += block.T @ block
    return G


def singular_values(E: ArrayLike) -> np.ndarray:
    """Singular values of a table in float64, sorted in descending order (length min(D, K)).

    For a tall table (D >= 4K, the usual case: D_i values >> K dims) the values come from the
    eigenvalues of the K x K Gram matrix E^T E (cheaper than an SVD of the tall table); otherwise
    from an exact SVD. The Gram route agrees with the SVD to ~1e-8 relative for singular values
    above ~sqrt(K * eps) * sigma_max; values below that are returned as exact zeros.
    """
    E = _check_table(E)
    D, K = E.shape
    if D >= _GRAM_ASPECT_RATIO * K:
        eig = np.linalg.eigvalsh(_gram_float64(E))[::-1]
        # Gram eigenvalues carry an absolute error of ~K*eps*lambda_max: anything below that is
        # numerically zero (an exactly collapsed direction), not a tiny singular value.
        eig[eig <= K * np.finfo(np.float64).eps * max(eig[0], 0.0)] = 0.0
        sigma = np.sqrt(eig)
    else:
        dense = E.to(torch.float64).cpu().numpy() if _is_torch(E) else np.asarray(E, np.float64)
        sigma = np.linalg.svd(dense, compute_uv=False)
    return np.ascontiguousarray(sigma[: min(D, K)])


def _nonzero_spectrum(E: ArrayLike, name: str = "E") -> np.ndarray:
    sigma = singular_values(E)
    if sigma[0] <= 0.0:
        raise ValueError(f"{name} is all zeros: information abundance is undefined")
    return sigma


def normalized_singular_values(E: ArrayLike) -> np.ndarray:
    """sigma_k / sigma_max in descending order (Figure 1b; the sum is the information abundance)."""
    sigma = _nonzero_spectrum(E)
    return sigma / sigma[0]


def concatenate_sets(sets: Sequence[ArrayLike]) -> np.ndarray:
    """Column concatenation [E^(1), ..., E^(M)] of a field's embedding sets (how the paper measures
    an ME field, Fig. 8b)."""
    if len(sets) == 0:
        raise ValueError("concatenate_sets needs at least one embedding set")
    tables = [_check_table(s, f"set {m}") for m, s in enumerate(sets)]
    rows = {t.shape[0] for t in tables}
    if len(rows) != 1:
        raise ValueError(f"embedding sets must have the same number of rows, got {sorted(rows)}")
    return np.concatenate(
        [t.to(torch.float64).cpu().numpy() if _is_torch(t) else np.asarray(t, np.float64)
         for t in tables],
        axis=1,
    )


def _as_table(E: Union[ArrayLike, Sequence[ArrayLike]]) -> ArrayLike:
    """A list of 2-D tables is a field's embedding sets (concatenated); a nested list of
    numbers is one table."""
    if isinstance(E, (list, tuple)) and E and all(
            getattr(t, "ndim", None) == 2 or (isinstance(t, (list, tuple)) and t
                                              and isinstance(t[0], (list, tuple)))
            for t in E):
        return concatenate_sets(E)
    return E


def information_abundance(E: Union[ArrayLike, Sequence[ArrayLike]]) -> float:
    """Information abundance IA(E) = ||sigma||_1 / ||sigma||_inf (paper Definition 1).

    ``E`` is one D x K table, or a list of a field's embedding sets (each D x K), whose column
    concatenation D x MK is measured, as the paper does for multi-embedding models (Fig. 8b).
    1 <= IA <= rank(E); IA = r when r nonzero singular values are equal.
    """
    sigma = _nonzero_spectrum(_as_table(E))
    return float(sigma.sum() / sigma[0])


def normalized_information_abundance(E: Union[ArrayLike, Sequence[ArrayLike]]) -> float:
    """IA(E) / K, in [1/K, 1]: a size-normalised IA for comparing different K (Figure 15).

    Reconstruction: the paper's appendix plots a size-normalised IA whose exact form we could not
    read; IA / K is the most plausible one (the form is not confirmed from the paper's text).
    """
    table = _as_table(E)
    return information_abundance(table) / table.shape[1]


def _orthonormal_basis(E: ArrayLike, name: str) -> np.ndarray:
    """Orthonormal basis of the column space (same rank rule as scipy.linalg.orth)."""
    dense = E.to(torch.float64).cpu().numpy() if _is_torch(E) else np.asarray(E, np.float64)
    U, s, _ = np.linalg.svd(dense, full_matrices=False)
    if s[0] <= 0.0:
        raise ValueError(f"{name} is all zeros: its column space is empty")
    rank = int((s > max(dense.shape) * np.finfo(np.float64).eps * s[0]).sum())
    return U[:, :rank]


def principal_angle_cosines(A: ArrayLike, B: ArrayLike) -> np.ndarray:
    """cos(phi_k) of the principal angles between the column spaces of A and B, descending.

    Thin SVDs give orthonormal bases U_A, U_B; the cosines are the singular values of
    U_A^T U_B (the paper's set similarity). There are min(rank A, rank B) of them.
    """
    A = _check_table(A, "A")
    B = _check_table(B, "B")
    if A.shape[0] != B.shape[0]:
        raise ValueError(
            f"A and B must have the same number of rows (same categorical values), "
            f"got {A.shape[0]} and {B.shape[0]}"
        )
    UA, UB = _orthonormal_basis(A, "A"), _orthonormal_basis(B, "B")
    cos = np.linalg.svd(UA.T @ UB, compute_uv=False)
    return np.clip(cos, 0.0, 1.0)


def embedding_set_similarity(A: ArrayLike, B: ArrayLike) -> float:
    """sim(A, B) = mean cosine of the principal angles between column spaces (the paper's set
    similarity, Fig. 10).

    1 for the same subspace, 0 for orthogonal subspaces. When D <= K both column spaces are all
    of R^D, so the similarity is 1 by construction.
    """
    return float(principal_angle_cosines(A, B).mean())


def embedding_set_diversity(A: ArrayLike, B: ArrayLike) -> float:
    """Diversity = 1 - embedding_set_similarity(A, B) (section 5.2 of the paper)."""
    return 1.0 - embedding_set_similarity(A, B)


def _dense(E: ArrayLike) -> np.ndarray:
    return E.to(torch.float64).cpu().numpy() if _is_torch(E) else np.asarray(E, np.float64)


def canonical_correlations(A: ArrayLike, B: ArrayLike, weights: Any = None) -> np.ndarray:
    """Canonical correlations between the column spaces of A (D x K) and B (D x r), descending.

    Rows are the same D values on both sides; ``weights`` (D, non-negative, e.g. how often each
    value occurs) weight them, rows of weight 0 drop out. Both sides are centred with the
    weighted mean (a constant column is what a bias absorbs). The correlations are the cosines
    of the principal angles between the weighted, centred column spaces; they do not change
    when either side is multiplied by an invertible matrix. Numerically zero directions (the
    rank rule of :func:`principal_angle_cosines`) do not count; there are min(rank A, rank B).
    """
    return _cca(A, B, weights)[0]


def _cca(A: ArrayLike, B: ArrayLike, weights: Any) -> tuple[np.ndarray, int]:
    """(canonical correlations, rank of the weighted centred B)."""
    A, B = _dense(_check_table(A, "A")), _dense(_check_table(B, "B"))
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"A and B must have the same rows (the same values), got "
                         f"{A.shape[0]} and {B.shape[0]}")
    w = np.ones(A.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (A.shape[0],) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be {A.shape[0]} finite non-negative numbers, not all 0")
    keep = w > 0
    w = w[keep] / w[keep].sum()
    root = np.sqrt(w)[:, None]
    A = root * (A[keep] - w @ A[keep])
    B = root * (B[keep] - w @ B[keep])
    UA, UB = _orthonormal_basis(A, "A (centred)"), _orthonormal_basis(B, "B (centred)")
    return np.clip(np.linalg.svd(UA.T @ UB, compute_uv=False), 0.0, 1.0), UB.shape[1]


@dataclass(frozen=True)
class Recovery:
    """How much of a known truth (D x r) a learned table (D x K) holds.

    ``correlations``: the canonical correlations (:func:`canonical_correlations`);
    ``recovered``: their sum of squares, the number of the truth's dimensions the table holds
    (a direction half-held counts 0.25); ``above_half``: how many correlations exceed 0.5;
    ``room``: min(K, rank of the truth on the weighted rows), the most the table could
    hold."""

    correlations: np.ndarray
    width: int
    truth_rank: int

    @property
    def recovered(self) -> float:
        return float(np.sum(self.correlations ** 2))

    @property
    def above_half(self) -> int:
        return int(np.sum(self.correlations > 0.5))

    @property
    def room(self) -> int:
        return min(self.width, self.truth_rank)


def recovered_dimensions(table: Union[ArrayLike, Sequence[ArrayLike]], truth: ArrayLike,
                         weights: Any = None) -> Recovery:
    """How many of the truth's dimensions a learned table holds: the canonical correlations
    between the table's column space and the truth's (rows the same values; ``weights`` e.g.
    their frequencies), summed as squares (:class:`Recovery`).

    A table equal to the truth up to an invertible map recovers all of it (rank r); a table of
    K columns at most K; a random D x K table about K r / D (chance); a rank-1 table at most 1.
    The score is scale-free per direction: it says which directions a table holds, however
    small their singular values, while information abundance says how evenly it weights them.
    A list of tables is a field's embedding sets, concatenated."""
    table = _as_table(table)
    correlations, rank = _cca(table, truth, weights)
    return Recovery(correlations, int(table.shape[1]), int(rank))
