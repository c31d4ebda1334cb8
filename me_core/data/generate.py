"""Write Criteo- and Avazu-format text files with Criteo-like skew (SYNTHETIC content).

Used by the benchmarks and the tests (and for a test file before a cluster run: see the
rerun page): real formats, made-up values. Categorical
values are 8-hex-digit strings (like Criteo's hashed ones) drawn with Zipf-like frequencies,
so that a realistic share of values is rarer than the OOV threshold; integer columns are
heavy-tailed counts with empty values and a few negatives. Labels are Bernoulli(0.25) and carry
no signal: these files exercise preprocessing, not learning (the learning benchmark is
:func:`me_core.data.synthetic.make_synthetic_ctr`).
"""

from __future__ import annotations

import gzip as gzip_module
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Criteo-like sizes, in one place; Criteo's own per-field sizes are not published.
# Raw vocabularies of the 26 categorical fields of a generated Criteo-format file, from 4 to ~1e6
# distinct values (Criteo's raw range; preprocessing with min_count 10 keeps far fewer):
CRITEO_CATEGORICAL_CARDINALITIES = (
    1_400, 550, 1_000_000, 200_000, 300, 24, 12_000, 600, 3, 90_000, 5_000, 900_000, 3_000, 27,
    10_000, 700_000, 10, 4_000, 2_000, 4, 800_000, 17, 15, 100_000, 100, 70_000)
# Field sizes after preprocessing, 39 fields with the paper's Table 4 extremes (min 4, max ~0.19M,
# sum ~1.08M): model sizing in tests and benchmarks (no file is generated from them).
CRITEO_LIKE_CARDINALITIES = (
    4, 10, 30, 60, 100, 150, 250, 400, 600, 900, 1200, 1500, 2000, 3000, 5000, 8000, 10_000,
    12_000, 15_000, 20_000, 25_000, 30_000, 40_000, 50_000, 110_000, 120_000, 110_000, 150_000,
    180_000, 190_000, 5, 8, 12, 20, 40, 80, 120, 300, 500,
)
AVAZU_CARDINALITIES = (
    240, 7, 7, 4_500, 7_700, 26, 8_500, 560, 36, 2_600_000, 6_700_000, 8_200, 5, 4, 2_600, 8, 9,
    430, 4, 68, 170, 60)

__all__ = ["write_criteo_format", "write_avazu_format", "CRITEO_CATEGORICAL_CARDINALITIES",
           "CRITEO_LIKE_CARDINALITIES", "AVAZU_CARDINALITIES"]


_CHUNK = 500_000


class _ZipfColumn:
    """A categorical column: a fixed vocabulary of 8-hex-digit strings, Zipf-distributed ranks."""

    def __init__(self, rng: np.random.Generator, cardinality: int, exponent: float,
                 empty_share: float) -> None:
        ids = (rng.choice(2**32, size=cardinality, replace=False) if cardinality < 2**20
               else rng.integers(0, 2**32, size=cardinality))
        self.vocab = pa.array(np.char.mod("%08x", ids))
        self.cdf = np.cumsum(np.arange(1, cardinality + 1, dtype=np.float64) ** -exponent)
        self.empty_share = empty_share

    def sample(self, rng: np.random.Generator, rows: int) -> pa.Array:
        ranks = np.searchsorted(self.cdf, rng.random(rows) * self.cdf[-1])
        column = self.vocab.take(pa.array(ranks.clip(0, len(self.vocab) - 1)))
        if self.empty_share > 0:
            column = pc.if_else(pa.array(rng.random(rows) < self.empty_share), "", column)
        return column


def _integer_column(rng: np.random.Generator, rows: int) -> pa.Array:
    values = np.floor(rng.lognormal(mean=1.0, sigma=2.0, size=rows)).astype(np.int64)
    values[rng.random(rows) < 0.02] = -1
    text = pa.array(values).cast(pa.string())
    return pc.if_else(pa.array(rng.random(rows) < 0.2), "", text)


def _write(path: Path, make_chunk, rows: int, header: str | None, compress: bool) -> Path:
    """Write ``rows`` lines, ``_CHUNK`` at a time (memory stays bounded for any row count)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip_module.open if compress else open
    with opener(path, "wb") as handle:
        if header:
            handle.write((header + "\n").encode())
        for start in range(0, rows, _CHUNK):
            lines = make_chunk(min(_CHUNK, rows - start))
            handle.write(("\n".join(lines.to_pylist()) + "\n").encode())
    return path


def write_criteo_format(path: Path | str, rows: int, seed: int = 0, compress: bool = False,
                        exponent: float = 1.1) -> Path:
    """A ``rows``-line Criteo-format file (label, 13 integer, 26 categorical, tab-separated)."""
    rng = np.random.default_rng(seed)
    categorical = [_ZipfColumn(rng, d, exponent, 0.05 if i % 5 == 4 else 0.0)
                   for i, d in enumerate(CRITEO_CATEGORICAL_CARDINALITIES)]

    def chunk(n: int) -> pa.Array:
        columns = [pa.array((rng.random(n) < 0.25).astype(np.int8)).cast(pa.string())]
        columns += [_integer_column(rng, n) for _ in range(13)]
        columns += [column.sample(rng, n) for column in categorical]
        return pc.binary_join_element_wise(*columns, "\t")

    return _write(Path(path), chunk, rows, None, compress)


def write_avazu_format(path: Path | str, rows: int, seed: int = 0, compress: bool = False,
                       exponent: float = 1.1) -> Path:
    """A ``rows``-line Avazu-format CSV with its header (id, click, hour, C1, ..., C21)."""
    from me_core.data.avazu import SCHEMA

    rng = np.random.default_rng(seed)
    categorical = [_ZipfColumn(rng, d, exponent, 0.0) for d in AVAZU_CARDINALITIES[1:]]

    def chunk(n: int) -> pa.Array:
        ids = pa.array(rng.integers(0, 2**63 - 1, size=n)).cast(pa.string())
        clicks = pa.array((rng.random(n) < 0.17).astype(np.int8)).cast(pa.string())
        hours = pa.array(14102100 + rng.integers(0, 10, n) * 100 + rng.integers(0, 24, n))
        columns = [ids, clicks, hours.cast(pa.string())]
        columns += [column.sample(rng, n) for column in categorical]
        return pc.binary_join_element_wise(*columns, ",")

    return _write(Path(path), chunk, rows, ",".join(SCHEMA.columns), compress)
