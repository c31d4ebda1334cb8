"""Encode an in-memory table (pandas DataFrame or column arrays) into the cache.

The path every non-text data set takes: MovieLens-100k, the synthetic benchmark, your own
DataFrame. Columns are treated as categorical: every distinct value (as its string form) is one
token; values seen fewer than ``min_count`` times share the OOV id. Bucketise numeric columns
before calling this if they should not be one token per distinct number.
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

__all__ = ["preprocess_frame", "encode_frame_cached", "frame_fingerprint"]


def frame_fingerprint(frame: pd.DataFrame) -> dict[str, Any]:
    """A content hash of a DataFrame (values and column names)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(list(frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"rows": len(frame), "columns": list(map(str, frame.columns)),
            "content_blake2b": digest.hexdigest()}


def _labels(frame: pd.DataFrame, label: str, where: str) -> np.ndarray:
    values = frame[label]
    if values.isna().any():
        raise DataError(f"{where}: label column {label!r} has {int(values.isna().sum())} "
                        f"missing values")
    labels = values.to_numpy()
    if labels.dtype == bool:
        return labels.astype(np.float32)
    try:
        labels = labels.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where}: label column {label!r} is not numeric ({exc})") from exc
    bad = ~np.isin(labels, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{where}: label column {label!r} must hold 0/1, row {row} holds "
                        f"{values.iloc[row]}")
    return labels.astype(np.float32)


def _column_tokens(values: pd.Series) -> pa.Array:
    """Distinct values become tokens (integers as str(int)); missing values become 'NULL'."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return pa.array(values.to_numpy(dtype=np.int64))  # the encoder canonicalises to str
    return pa.array(values.astype("string").to_numpy(na_value=None), pa.large_string())


def encode_frame_cached(dataset: str, source: dict[str, Any], preprocessing: dict[str, Any],
                        make_frame: Callable[[], tuple[pd.DataFrame, dict[str, Any]]],
                        label: str, fields: list[str], min_count: int = 1,
                        cache_dir: Path | str | None = None, rebuild: bool = False,
                        where: str = "table", chunk_rows: int = 1 << 20) -> EncodedDataset:
    """Build (or reuse) the cache of a table that ``make_frame()`` returns only when needed.

    ``make_frame`` returns (frame, details); details land in ``FeatureMap.details``.
    """
    def build(workdir: Path) -> FeatureMap:
        frame, details = make_frame()
        missing = [name for name in [label, *fields] if name not in frame.columns]
        if missing:
            raise DataError(f"{where}: no column(s) {missing}; columns are {list(frame.columns)}")
        if len(frame) == 0:
            raise DataError(f"{where}: the table has no rows")
        labels = _labels(frame, label, where)
        encoder = StreamingEncoder(fields, min_count, workdir)
        for start in range(0, len(frame), chunk_rows):
            part = frame.iloc[start:start + chunk_rows]
            encoder.add_chunk([_column_tokens(part[name]) for name in fields],
                              labels[start:start + chunk_rows])
        encoded = encoder.finish(workdir / "x.npy", workdir / "y.npy")
        return FeatureMap(
            dataset=dataset, field_names=list(fields),
            cardinalities=[len(v) + 1 for v in encoded.vocabularies],
            vocabularies=encoded.vocabularies, oov_share=encoded.oov_share,
            preprocessing=preprocessing, source=source, rows=encoded.rows,
            positive_rate=encoded.positive_rate, details=details,
        )

    return build_cached(dataset, source, preprocessing, build, root=cache_dir, rebuild=rebuild)


def preprocess_frame(frame: pd.DataFrame, label: str, fields: list[str] | None = None, *,
                     min_count: int = 1, dataset: str = "table",
                     cache_dir: Path | str | None = None, rebuild: bool = False
                     ) -> EncodedDataset:
    """Encode your own DataFrame: ``label`` (0/1) plus categorical ``fields`` (default: all
    other columns). The cache is keyed by a hash of the frame's content."""
    if label not in frame.columns:
        raise DataError(f"label column {label!r} is not in the table; columns are "
                        f"{list(frame.columns)}")
    fields = [c for c in frame.columns if c != label] if fields is None else list(fields)
    if not fields:
        raise DataError("the table has no feature columns besides the label")
    preprocessing = {"format": "table", "label": label, "fields": fields, "min_count": min_count}
    return encode_frame_cached(dataset, frame_fingerprint(frame), preprocessing,
                               lambda: (frame, {}), label, fields, min_count, cache_dir, rebuild,
                               where=f"table {dataset!r}")
