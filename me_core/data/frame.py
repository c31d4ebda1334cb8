"""Encode an in-memory pandas DataFrame into the cache.

The path every non-text data set takes: MovieLens-100k, the synthetic benchmark, your own table
(:mod:`me_core.data.table`, the one public entry point for a file or a DataFrame). Columns are
treated as categorical: every distinct value (as its string form) is one token; values seen
fewer than ``min_count`` times share the OOV id. Bucketise numeric columns before calling this
if they should not be one token per distinct number.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from me_core.data.cache import EncodedDataset, build_cached
from me_core.data.encode import StreamingEncoder
from me_core.data.errors import DataError
from me_core.data.featuremap import FeatureMap

__all__ = ["encode_frame_cached", "frame_fingerprint", "binary_labels"]


def frame_fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """A content hash of a DataFrame (values and column names)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(list(frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": len(frame), "columns": list(map(str, frame.columns)),
            "content_blake2b": digest.hexdigest()}


def binary_labels(values: pd.Series, where: str, positive: Any = None) -> np.ndarray:
    """The one label rule of every table: 0/1 numbers or booleans, or exactly two values of which
    ``positive`` names the positive one; no missing values; both classes present."""
    if values.isna().any():
        raise DataError(f"{where}: label column {values.name!r} has "
                        f"{int(values.isna().sum())} missing values")
    distinct = sorted(values.unique().tolist(), key=str)
    if positive is not None:
        if str(positive) not in {str(v) for v in distinct}:
            raise DataError(f"{where}: positive label {positive!r} is not among the values of "
                            f"{values.name!r}: {distinct[:10]}")
        if len(distinct) != 2:
            raise DataError(f"{where}: label column {values.name!r} is not binary: "
                            f"{len(distinct)} distinct values {distinct[:10]}")
        return (values.astype(str) == str(positive)).to_numpy(np.float32)
    if pd.api.types.is_bool_dtype(values) or set(map(str, distinct)) <= {"0", "1", "0.0",
                                                                          "1.0"}:
        labels = pd.to_numeric(values.astype(np.float32)).to_numpy(np.float32)
        if len(np.unique(labels)) < 2:
            raise DataError(f"{where}: label column {values.name!r} holds only the value "
                            f"{distinct[0]!r}; training needs rows of both classes")
        return labels
    raise DataError(f"{where}: label column {values.name!r} is not binary 0/1: found "
                    f"{len(distinct)} distinct value(s) {distinct[:10]}"
                    + ("; name the positive one (positive=... in Python, --positive on the "
                       "command line)" if len(distinct) == 2 else ""))


def _column_tokens(values: pd.Series) -> pa.Array:
    """Distinct values become tokens (integers as str(int)); missing values become 'NULL'."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return pa.array(values.to_numpy(dtype=np.int64))  # the encoder canonicalises to str
    return pa.array(values.astype("string").to_numpy(na_value=None), pa.large_string())


def encode_frame_cached(dataset: str, source: dict[str, Any], preprocessing: dict[str, Any],
                        make_frame: Callable[[], tuple[pd.DataFrame, dict[str, Any]]],
                        label: str, fields: list[str], min_count: int = 1,
                        cache_dir: Path | str | None = None, rebuild: bool = False,
                        where: str = "table", chunk_rows: int = 1 << 20,
                        positive: Any = None) -> EncodedDataset:
    """Build (or reuse) the cache of a table that ``make_frame()`` returns only when needed.

    ``make_frame`` returns (frame, details); details land in ``FeatureMap.details``. The
    ``label`` column must pass :func:`binary_labels` (with ``positive``); every field is
    categorical (its distinct values, as strings, are the tokens).
    """
    def build(workdir: Path) -> FeatureMap:
        frame, details = make_frame()
        missing = [name for name in [label, *fields] if name not in frame.columns]
        if missing:
            raise DataError(f"{where}: no column(s) {missing}; columns are {list(frame.columns)}")
        if len(frame) == 0:
            raise DataError(f"{where}: the table has no rows")
        labels = binary_labels(frame[label], where, positive)
        encoder = StreamingEncoder(fields, min_count, workdir)
        for start in range(0, len(frame), chunk_rows):
            part = frame.iloc[start:start + chunk_rows]
            encoder.add_chunk([_column_tokens(part[name]) for name in fields],
                              labels[start:start + chunk_rows])
        encoded = encoder.finish(workdir / "x.npy", workdir / "y.npy")
        return encoded.feature_map(dataset, fields, preprocessing, source, details=details)

    return build_cached(dataset, source, preprocessing, build, root=cache_dir, rebuild=rebuild)
