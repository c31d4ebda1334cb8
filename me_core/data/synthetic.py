"""A synthetic CTR benchmark with planted field-pair interactions of known rank (SYNTHETIC data).

Every teacher is a generic low-rank bilinear function of per-value vectors, the family every
embedding model can represent in principle; nothing in it refers to a cross network, multiple
embedding sets or information abundance, so whether wider or multiple embeddings help is left
for the students to show. The noiseless logit is

    logit(x) = sum_f H_f[x_f, 0] + sum_{(i, j) planted} < H_i[x_i, block j], H_j[x_j, block i] >

where ``H_f`` is field f's **truth**: a D_f x (1 + sum of its pairs' ranks) matrix holding the
first-order weight (column 0) and one block of columns per planted partner. A model needs, for
each value of field f, the row ``H_f[v]`` up to an invertible linear map; its column rank is
the number of dimensions a perfect table of field f would use. :class:`Teacher` holds the truth
and :func:`field_truth` reads it in the cache's value-id order (the score of a learned table
against it is :func:`me_core.metrics.recovered_dimensions`).

Common to every teacher: N fields with Criteo-shaped cardinalities (a few values to 5e4); each
field's values drawn i.i.d. with P(rank r) proportional to r^-zipf_exponent, mapped through a
random permutation of ids; the first-order weights w_f(v) ~ N(0, 1); logit =
first_order_weight * sum_f w_f / sqrt(N) + interaction_weight * (sum of pair terms) / sd +
N(0, noise_std^2) + b, with b set by bisection so the mean click rate is ``ctr``, and
y ~ Bernoulli(sigmoid(logit)). The Bayes AUC (of the noiseless logit, the Bayes-optimal ranking
since the noise is independent of x) is reported so results can be read against the ceiling.

Teachers, in the order they were tried:

* (dropped) all 190 pairs with latents of rank 16: the models could not learn the interactions
  (AUC below the first-order oracle).
* (dropped) an FFM-like teacher, one vector per ordered field pair: the same directions and a
  weaker ME advantage. Its choice looked at model results, which the design rules below forbid.
* ``A3`` (the book's benchmark until B1): per-value latents z_f(v) ~ N(0, I_16), 10 of the 190
  pairs at random with A_ij ~ N(0, 1/16), term z_i^T A_ij z_j / 4. Read against its own truth
  it cannot tell collapse from correct learning: a field's truth has rank at most 17 while a 4x
  table has K = 40 columns (so a *perfect* table sits far below a random table's IA), and six of
  the 20 fields have no partner at all (rank-1 truth; their tables barely move from their
  random start and keep the highest IA). Kept, reproducible by name (``teacher="A3"``).
* ``B1`` (the book's benchmark): the design rules, fixed before any model was trained on it:

  1. every field takes part in at least one planted pair (no table is left alone);
  2. the truth of every field that keeps more than 40 values has rank above 40 (the widest
     table of the quick grids, 4 x K = 10), and every smaller field's truth is full rank, so a
     perfect table would use all of its columns;
  3. pairs of different known ranks: the ``small_fields`` lowest-cardinality fields (D <= 30
     here) are the low-rank fields; the other fields, in order of cardinality, alternate
     between group L (each pairs with every small field, at the small field's full rank:
     ranks 5, 8, 12, 20, 30, summing to 75) and group H (all pairs among themselves at rank
     ``high_pair_rank`` = 12: six partners, 72). So L and H fields have truths of nearly equal
     rank (76 and 73) and equal signal, and differ in one thing: the partners of an L field
     are low-rank fields, those of an H field are high-rank ones (Evidence I's question, with
     a known answer per field);
  4. each pair term has unit variance per rank dimension (P_i, P_j ~ N(0, 1) entries), so a
     pair's share of the signal is its share of the ranks;
  5. A3's cardinalities, skew, row count, weights, noise and click rate, so that run times and
     the Bayes AUC stay comparable;
  6. reported, not tuned: the Bayes AUC, a first-order-only oracle, and the headroom (the Bayes
     AUC of the teacher truncated to rank 10, 20 and 40 per field, :meth:`Teacher.headroom`).

  The teacher's parameters come from their own random stream, apart from the rows', so the
  truth can be read without generating the data.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.metrics import roc_auc_score

from me_core.catalog import DEFAULT_TEACHER, TEACHERS
from me_core.data.errors import DataError
from me_core.known import check_values

A3_CARDINALITIES = (5, 8, 12, 20, 30, 50, 80, 120, 200, 300, 500, 800, 1200, 2000, 3000, 5000,
                    8000, 12000, 20000, 50000)

__all__ = ["SyntheticConfig", "SyntheticData", "Teacher", "make_synthetic_ctr",
           "make_teacher", "preprocess_synthetic", "field_truth", "headroom_table",
           "A3_CARDINALITIES",
           "TEACHERS", "DEFAULT_TEACHER"]

SYNTHETIC_MIN_COUNT = 5
MAX_SYNTHETIC_ROWS = 100_000_000  # beyond Criteo's 45.8M; the table is generated in memory


@dataclass(frozen=True)
class SyntheticConfig:
    """The benchmark's settings. ``latent_rank`` and ``interacting_pairs`` shape teacher A3;
    ``small_fields`` and ``high_pair_rank`` teacher B1 (module docstring)."""

    rows: int = 300_000
    teacher: str = DEFAULT_TEACHER
    cardinalities: tuple[int, ...] = A3_CARDINALITIES
    zipf_exponent: float = 1.2
    latent_rank: int = 16
    interacting_pairs: int = 10
    small_fields: int = 5
    high_pair_rank: int = 12
    first_order_weight: float = 0.5
    interaction_weight: float = 3.0
    noise_std: float = 0.3
    ctr: float = 0.25
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "cardinalities", tuple(int(d) for d in self.cardinalities))
        n = len(self.cardinalities)
        rules = {  # name: (holds, the rule in words)
            "rows": (1 <= self.rows <= MAX_SYNTHETIC_ROWS,
                     f"1 to {MAX_SYNTHETIC_ROWS:,} (generated in memory)"),
            "teacher": (self.teacher in TEACHERS, f"one of {sorted(TEACHERS)}"),
            "cardinalities": (n >= 2 and min(self.cardinalities) >= 1,
                              "two or more fields, each of cardinality >= 1"),
            "latent_rank": (self.latent_rank >= 1, ">= 1"),
            "interacting_pairs": (0 <= self.interacting_pairs <= n * (n - 1) // 2,
                                  f"0 to {n * (n - 1) // 2} (pairs of {n} fields)"),
            # B1 needs two fields in group H (the other fields split into L and H)
            "small_fields": (self.teacher != "B1" or 1 <= self.small_fields <= n - 4,
                             f"1 to {n - 4} with teacher B1 ({n} fields)"),
            "high_pair_rank": (self.high_pair_rank >= 1, ">= 1"),
            "noise_std": (self.noise_std >= 0, ">= 0"),
            "ctr": (0 < self.ctr < 1, "between 0 and 1"),
            "seed": (0 <= self.seed < 2 ** 32, "0 to 2**32 - 1"),
        }
        bad = [f"{name}={getattr(self, name)!r} must be {rule}"
               for name, (holds, rule) in rules.items() if not holds]
        if bad:
            raise DataError("synthetic data: " + "; ".join(bad))


@dataclass(frozen=True)
class Teacher:
    """The truth behind the labels: per field, ``first_order[f]`` (D_f weights, scaled as in the
    logit) and, per planted pair (i, j) of rank k, ``factors[(i, j)] = (P_i, P_j)`` (D_i x k and
    D_j x k, scaled as in the logit), so that the noiseless logit is the sum of the first-order
    weights plus sum over pairs of ``<P_i[x_i], P_j[x_j]>``."""

    first_order: list[np.ndarray]
    factors: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return sorted(self.factors)

    @property
    def pair_ranks(self) -> dict[tuple[int, int], int]:
        return {p: int(a.shape[1]) for p, (a, _) in sorted(self.factors.items())}

    @property
    def num_fields(self) -> int:
        return len(self.first_order)

    def partners(self, f: int) -> list[int]:
        return sorted(j if i == f else i for i, j in self.factors if f in (i, j))

    def truth(self, f: int) -> np.ndarray:
        """Field ``f``'s truth H_f (raw value ids as rows): [first-order weight, one block per
        planted partner in partner order]."""
        blocks = [self.first_order[f][:, None]]
        for pair in self.pairs:
            if f in pair:
                a, b = self.factors[pair]
                blocks.append(a if pair[0] == f else b)
        return np.concatenate(blocks, axis=1)

    def truth_rank(self, f: int, rows: np.ndarray | None = None) -> int:
        """The rank of field ``f``'s truth (on the value ids ``rows`` only, when given)."""
        truth = self.truth(f)
        return int(np.linalg.matrix_rank(truth if rows is None else truth[rows]))

    def logit(self, x: np.ndarray, truths: list[np.ndarray] | None = None) -> np.ndarray:
        """The noiseless logit (without the click-rate bias) of raw value ids ``x`` (rows x N);
        ``truths`` replaces each field's H_f (e.g. truncated ones, :meth:`headroom`)."""
        truths = truths or [self.truth(f) for f in range(self.num_fields)]
        out = sum(truths[f][x[:, f], 0] for f in range(self.num_fields))
        offsets = [1] * self.num_fields
        for i, j in self.pairs:
            k = self.factors[(i, j)][0].shape[1]
            a = truths[i][:, offsets[i]:offsets[i] + k]
            b = truths[j][:, offsets[j]:offsets[j] + k]
            out = out + np.einsum("bk,bk->b", a[x[:, i]], b[x[:, j]])
            offsets[i] += k
            offsets[j] += k
        return np.asarray(out, dtype=np.float64)

    def truncated(self, rank: int, weights: list[np.ndarray]) -> list[np.ndarray]:
        """Every field's truth cut to its best rank-``rank`` approximation, rows weighted by
        ``weights[f]`` (value frequencies): H_f V_r V_r^T, V_r the top right singular vectors
        of diag(sqrt(w)) H_f."""
        out = []
        for f in range(self.num_fields):
            truth = self.truth(f)
            if truth.shape[1] <= rank:
                out.append(truth)
                continue
            _, _, vt = np.linalg.svd(np.sqrt(weights[f])[:, None] * truth, full_matrices=False)
            out.append(truth @ vt[:rank].T @ vt[:rank])
        return out

    def headroom(self, x: np.ndarray, y: np.ndarray, ranks=(10, 20, 40)) -> dict[int, float]:
        """The AUC of the teacher truncated to each rank per field (:meth:`truncated`, weights
        the value frequencies in ``x``): how much a table of that width *could* reach on this
        data, a closed-form ceiling that needs no training."""
        weights = [np.bincount(x[:, f], minlength=len(w)).astype(np.float64)
                   for f, w in enumerate(self.first_order)]
        return {int(r): float(roc_auc_score(y, self.logit(x, self.truncated(r, weights))))
                for r in ranks}


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
    teacher: Teacher | None = None

    def describe(self) -> dict:
        return {"rows": len(self.y), "fields": self.x.shape[1], "ctr": float(self.y.mean()),
                "bayes_auc": self.bayes_auc, "pairs": self.pairs, **asdict(self.config)}

    def truth(self, f: int) -> np.ndarray:
        """Field ``f``'s truth (the teacher's per-value matrix, raw value ids as rows)."""
        return self.teacher.truth(f)


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


def _b1_pairs(config: SyntheticConfig) -> dict[tuple[int, int], int]:
    """B1's planted pairs and their ranks (rule 3 of the module docstring)."""
    dims = config.cardinalities
    order = sorted(range(len(dims)), key=lambda f: (dims[f], f))
    small, large = order[:config.small_fields], order[config.small_fields:]
    low_partner, high_partner = large[0::2], large[1::2]
    ranks = {tuple(sorted((f, s))): dims[s] for f in low_partner for s in small}
    ranks.update({tuple(sorted(p)): config.high_pair_rank
                  for p in itertools.combinations(high_partner, 2)})
    return dict(sorted(ranks.items()))


def _b1_teacher(config: SyntheticConfig) -> Teacher:
    rng = np.random.default_rng([config.seed, 1])  # the teacher's own stream (not the rows')
    n, dims = len(config.cardinalities), config.cardinalities
    ranks = _b1_pairs(config)
    first = [rng.standard_normal(d) * config.first_order_weight / np.sqrt(n) for d in dims]
    scale = np.sqrt(config.interaction_weight / np.sqrt(sum(ranks.values()) or 1))
    factors = {(i, j): (rng.standard_normal((dims[i], k)) * scale,
                        rng.standard_normal((dims[j], k)) * scale)
               for (i, j), k in ranks.items()}
    return Teacher(first, factors)


def _a3(config: SyntheticConfig) -> tuple[np.ndarray, Teacher, np.random.Generator]:
    """A3's rows and teacher, drawn from one stream in its original order (so the data of a
    given seed is the data A3 always had)."""
    rng = np.random.default_rng(config.seed)
    n, r = len(config.cardinalities), config.latent_rank
    x = np.stack([_zipf_values(rng, d, config.rows, config.zipf_exponent)
                  for d in config.cardinalities], axis=1).astype(np.int64)
    first = [rng.standard_normal(d) * config.first_order_weight / np.sqrt(n)
             for d in config.cardinalities]
    latents = [rng.standard_normal((d, r)) for d in config.cardinalities]
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = sorted(all_pairs[k] for k in rng.choice(len(all_pairs), config.interacting_pairs,
                                                     replace=False))
    # z_i^T A z_j / sqrt(r) / sqrt(#pairs) * weight  =  <z_i A c, z_j c>, c^2 = weight / ...
    c = np.sqrt(config.interaction_weight / np.sqrt(r) / np.sqrt(max(len(chosen), 1)))
    factors = {}
    for i, j in chosen:
        A = rng.standard_normal((r, r)) / np.sqrt(r)
        factors[(i, j)] = (latents[i] @ A * c, latents[j] * c)
    return x, Teacher(first, factors), rng


def make_teacher(config: SyntheticConfig | None = None, **overrides) -> Teacher:
    """The teacher of ``config`` alone (B1 draws it without the rows; A3 needs them)."""
    config = config or SyntheticConfig(**overrides)
    return _b1_teacher(config) if config.teacher == "B1" else _a3(config)[1]


def make_synthetic_ctr(config: SyntheticConfig | None = None, **overrides) -> SyntheticData:
    """Generate the benchmark (deterministic for a given config; see the module docstring)."""
    config = config or SyntheticConfig(**overrides)
    if config.teacher == "A3":
        x, teacher, rng = _a3(config)
    else:
        teacher = _b1_teacher(config)
        rng = np.random.default_rng([config.seed, 2])  # the rows' stream
        x = np.stack([_zipf_values(rng, d, config.rows, config.zipf_exponent)
                      for d in config.cardinalities], axis=1).astype(np.int64)
    logit = teacher.logit(x)
    noise = config.noise_std * rng.standard_normal(config.rows)
    bias = _bias_for_ctr(logit + noise, config.ctr)
    y = (rng.random(config.rows) < 1 / (1 + np.exp(-(logit + noise + bias)))).astype(np.float32)
    bayes_auc = float(roc_auc_score(y, logit)) if 0 < y.sum() < len(y) else float("nan")
    return SyntheticData(x, y, logit + bias, teacher.pairs, bayes_auc, config,
                         [f"f{i}" for i in range(len(config.cardinalities))], teacher)


def headroom_table(feature_map=None, ranks=(10, 20, 40)):
    """The teacher's ceilings on the data of ``feature_map`` (an encoded synthetic data set;
    None: the default benchmark), as a table for pages: a first-order-only oracle, the AUC of
    the teacher truncated to each rank per field (:meth:`Teacher.headroom`: how much a table
    of that width *could* reach) and the Bayes AUC. Empty for data without a teacher."""
    import pandas as pd

    if feature_map is not None and not (isinstance(feature_map.source, dict)
                                        and "synthetic" in feature_map.source):
        return pd.DataFrame(columns=["AUC"])
    config = _config_of(feature_map) if feature_map is not None else SyntheticConfig()
    data = make_synthetic_ctr(config)
    teacher = data.teacher
    first = sum(teacher.first_order[f][data.x[:, f]] for f in range(teacher.num_fields))
    rows = [("first-order weights only", float(roc_auc_score(data.y, first)))]
    rows += [(f"truth cut to rank {r} per field", auc)
             for r, auc in teacher.headroom(data.x, data.y, ranks).items()]
    rows.append(("the whole truth (Bayes AUC)", data.bayes_auc))
    return pd.DataFrame(rows, columns=["teacher", "AUC"]).set_index("teacher")


def _config_of(feature_map) -> SyntheticConfig:
    source = feature_map.source.get("synthetic") if isinstance(feature_map.source, dict) \
        else None
    if source is None:
        raise DataError(f"data set {feature_map.dataset!r} is not synthetic: it has no known "
                        f"truth")
    return SyntheticConfig(**{**source, "cardinalities": tuple(source["cardinalities"])})


@functools.lru_cache(maxsize=4)
def _teacher_of(config: SyntheticConfig) -> Teacher:
    return make_teacher(config)


def field_truth(feature_map, f: int) -> np.ndarray:
    """Field ``f``'s truth in the cache's value-id order: row ``i`` is the truth of the value
    behind id ``i`` (ids 1..D-1, the kept values; row 0, the out-of-vocabulary id, is the mean
    truth of the values it stands for, weighted by their Zipf probability)."""
    config = _config_of(feature_map)
    truth = _teacher_of(config).truth(f)
    kept = np.array([int(v) for v in feature_map.vocabularies[f]], dtype=np.int64)
    rest = np.setdiff1d(np.arange(config.cardinalities[f]), kept)
    oov = np.zeros((1, truth.shape[1]))
    if len(rest):  # the OOV id stands for the rarest values: their mean truth
        oov = truth[rest].mean(axis=0, keepdims=True)
    return np.concatenate([oov, truth[kept]], axis=0)


def preprocess_synthetic(config: SyntheticConfig | None = None, *,
                         min_count: int = SYNTHETIC_MIN_COUNT, cache_dir=None,
                         rebuild: bool = False, **overrides):
    """The benchmark in the cached format (values seen < ``min_count`` times -> OOV, like the
    official thresholds); the teacher's Bayes AUC and planted pairs (with their ranks) go into
    ``FeatureMap.details``; :func:`field_truth` reads a field's truth back."""
    import pandas as pd

    from me_core.data.frame import encode_frame_cached

    if config is None:
        check_values(overrides, SyntheticConfig, "synthetic option(s)", DataError)
        config = SyntheticConfig(**overrides)
    fields = [f"f{i}" for i in range(len(config.cardinalities))]

    def make_frame():
        data = make_synthetic_ctr(config)
        frame = pd.DataFrame(data.x, columns=fields)
        frame["label"] = data.y
        details = {"synthetic": True, "bayes_auc": data.bayes_auc, "teacher": config.teacher,
                   "planted_pairs": [list(p) for p in data.pairs],
                   "pair_ranks": list(data.teacher.pair_ranks.values()),
                   "generator": "me_core.data.synthetic.make_synthetic_ctr"}
        return frame, details

    source = {"synthetic": asdict(config)}
    preprocessing = {"format": "synthetic", "min_count": min_count}
    return encode_frame_cached("synthetic", source, preprocessing, make_frame, "label", fields,
                               min_count, cache_dir, rebuild, where="synthetic data")
