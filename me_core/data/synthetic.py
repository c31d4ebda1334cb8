"""A synthetic CTR benchmark with planted field-pair interactions of known rank (SYNTHETIC data).

Design (the third teacher tried, "A3": an all-pairs and an FFM-like teacher came first):

* N fields with cardinalities from a few values to ~5e4 (Criteo-shaped); each field's values are
  drawn i.i.d. with P(rank r) proportional to r^-zipf_exponent, mapped through a random
  permutation of ids so that frequent ids are not the small ones.
* First-order part: w_f(v) ~ N(0, 1) per value; fo = sum_f w_f / sqrt(N).
* Interaction part: every value has a latent z_f(v) ~ N(0, I_r); ``interacting_pairs`` of the
  N(N-1)/2 field pairs are chosen at random, each with a matrix A_ij ~ N(0, 1/r); the term is
  z_i^T A_ij z_j / sqrt(r); inter = sum of terms / sqrt(#pairs).
* logit = first_order_weight * fo + interaction_weight * inter + N(0, noise_std^2) + b, with b
  set by bisection so the mean click rate is ``ctr``; y ~ Bernoulli(sigmoid(logit)).

Why this does not hard-code any model's outcome: the teacher is a generic low-rank bilinear
function of per-value latents, the family every embedding model can represent in principle
(its rank r is a knob, independent of the student's K), and nothing in it refers to a cross
network, multiple embedding sets or information abundance. Whether wider or multiple embeddings
help is left for the students to show. The Bayes AUC (the AUC of the noiseless logit, which is
the Bayes-optimal ranking since the noise is independent of x) is reported so results can be
read against the ceiling.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.metrics import roc_auc_score

from me_core.data.errors import DataError
from me_core.known import check_known_fields

A3_CARDINALITIES = (5, 8, 12, 20, 30, 50, 80, 120, 200, 300, 500, 800, 1200, 2000, 3000, 5000,
                    8000, 12000, 20000, 50000)

__all__ = ["SyntheticConfig", "SyntheticData", "make_synthetic_ctr", "preprocess_synthetic",
           "A3_CARDINALITIES"]

SYNTHETIC_MIN_COUNT = 5


@dataclass(frozen=True)
class SyntheticConfig:
    rows: int = 300_000
    cardinalities: tuple[int, ...] = A3_CARDINALITIES
    zipf_exponent: float = 1.2
    latent_rank: int = 16
    interacting_pairs: int = 10
    first_order_weight: float = 0.5
    interaction_weight: float = 3.0
    noise_std: float = 0.3
    ctr: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        n = len(self.cardinalities)
        checks = {
            "rows": self.rows >= 1,
            "cardinalities": n >= 2 and min(self.cardinalities) >= 1,
            "latent_rank": self.latent_rank >= 1,
            "interacting_pairs": 0 <= self.interacting_pairs <= n * (n - 1) // 2,
            "noise_std": self.noise_std >= 0,
            "ctr": 0 < self.ctr < 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise DataError(f"invalid synthetic-data parameters {bad}: {self}")


@dataclass(frozen=True)
class SyntheticData:
    """Raw value ids x (rows x N, int64, id < cardinality), labels y, and the teacher's truth."""

    x: np.ndarray
    y: np.ndarray
    noiseless_logit: np.ndarray
    pairs: list[tuple[int, int]]
    bayes_auc: float
    config: SyntheticConfig
    field_names: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        return {"rows": len(self.y), "fields": self.x.shape[1], "ctr": float(self.y.mean()),
                "bayes_auc": self.bayes_auc, "pairs": self.pairs, **asdict(self.config)}


def _zipf_values(rng: np.random.Generator, cardinality: int, rows: int, exponent: float
                 ) -> np.ndarray:
    weights = np.arange(1, cardinality + 1, dtype=np.float64) ** -exponent
    ranks = rng.choice(cardinality, size=rows, p=weights / weights.sum())
    return rng.permutation(cardinality)[ranks]


def _bias_for_ctr(logit: np.ndarray, ctr: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(logit + mid)))).mean() < ctr:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def make_synthetic_ctr(config: SyntheticConfig | None = None, **overrides) -> SyntheticData:
    """Generate the benchmark (deterministic for a given config; see the module docstring)."""
    config = config or SyntheticConfig(**overrides)
    rng = np.random.default_rng(config.seed)
    n, r = len(config.cardinalities), config.latent_rank
    x = np.stack([_zipf_values(rng, d, config.rows, config.zipf_exponent)
                  for d in config.cardinalities], axis=1).astype(np.int64)
    first_order = sum(rng.standard_normal(d)[x[:, f]] for f, d in enumerate(config.cardinalities))
    first_order = first_order / np.sqrt(n)
    latents = [rng.standard_normal((d, r)) for d in config.cardinalities]
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = sorted(all_pairs[k] for k in rng.choice(len(all_pairs), config.interacting_pairs,
                                                     replace=False))
    interaction = np.zeros(config.rows)
    for i, j in chosen:
        A = rng.standard_normal((r, r)) / np.sqrt(r)
        interaction += np.einsum("br,rs,bs->b", latents[i][x[:, i]], A,
                                 latents[j][x[:, j]]) / np.sqrt(r)
    if chosen:
        interaction /= np.sqrt(len(chosen))
    logit = config.first_order_weight * first_order + config.interaction_weight * interaction
    noise = config.noise_std * rng.standard_normal(config.rows)
    bias = _bias_for_ctr(logit + noise, config.ctr)
    y = (rng.random(config.rows) < 1 / (1 + np.exp(-(logit + noise + bias)))).astype(np.float32)
    bayes_auc = float(roc_auc_score(y, logit)) if 0 < y.sum() < len(y) else float("nan")
    return SyntheticData(x, y, logit + bias, [tuple(map(int, p)) for p in chosen], bayes_auc,
                         config, [f"f{i}" for i in range(n)])


def preprocess_synthetic(config: SyntheticConfig | None = None, *,
                         min_count: int = SYNTHETIC_MIN_COUNT, cache_dir=None,
                         rebuild: bool = False, **overrides):
    """The benchmark in the cached format (values seen < ``min_count`` times -> OOV, like the
    official thresholds); the teacher's Bayes AUC and planted pairs go into
    ``FeatureMap.details``."""
    import pandas as pd

    from me_core.data.frame import encode_frame_cached

    if config is None:
        check_known_fields(overrides, SyntheticConfig, "synthetic option(s)", DataError)
        config = SyntheticConfig(**overrides)
    fields = [f"f{i}" for i in range(len(config.cardinalities))]

    def make_frame():
        data = make_synthetic_ctr(config)
        frame = pd.DataFrame(data.x, columns=fields)
        frame["label"] = data.y
        details = {"synthetic": True, "bayes_auc": data.bayes_auc,
                   "planted_pairs": [list(p) for p in data.pairs],
                   "generator": "me_core.data.synthetic.make_synthetic_ctr"}
        return frame, details

    source = {"synthetic": asdict(config)}
    preprocessing = {"format": "synthetic", "min_count": min_count}
    return encode_frame_cached("synthetic", source, preprocessing, make_frame, "label", fields,
                               min_count, cache_dir, rebuild, where="synthetic data")
