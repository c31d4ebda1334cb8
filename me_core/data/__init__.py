"""Data sets of the companion, all in one cached format (see :mod:`me_core.data.cache`).

* ``criteo`` / ``avazu``: the paper's data sets from their Kaggle files, official preprocessing;
* ``movielens``: MovieLens-100k as a CTR task, fetched from the package registry (real data);
* ``synthetic``: a CTR benchmark with planted field-pair interactions (SYNTHETIC data);
* ``table``: your own CSV/TSV/Parquet file or DataFrame with a binary label
  (:func:`preprocess_table`).

:func:`load_dataset` opens any of them by name; :class:`BatchLoader` batches a split.
"""

from __future__ import annotations

from pathlib import Path

from me_core.catalog import DATASETS  # one list for the CLI and the loaders
from me_core.data.avazu import preprocess_avazu
from me_core.data.batches import BatchLoader
from me_core.data.cache import EncodedDataset, cache_root, random_split_indices
from me_core.data.criteo import preprocess_criteo
from me_core.data.errors import DataError
from me_core.data.featuremap import OOV_INDEX, FeatureMap
from me_core.data.movielens import preprocess_movielens
from me_core.data.synthetic import (
    A3_CARDINALITIES,
    CRITEO_LIKE_CARDINALITIES,
    SyntheticConfig,
    SyntheticData,
    make_synthetic_ctr,
    preprocess_synthetic,
)
from me_core.data.table import preprocess_frame
from me_core.data.tabular import preprocess_table, read_table

_PATH_HOW = "Python: path=...; preprocess: the PATH argument; train and sweep: --data-path"

__all__ = ["load_dataset", "DATASETS", "BatchLoader", "EncodedDataset", "FeatureMap", "DataError",
           "OOV_INDEX", "cache_root", "random_split_indices", "preprocess_criteo",
           "preprocess_avazu", "preprocess_movielens", "preprocess_synthetic",
           "preprocess_frame", "preprocess_table", "read_table", "A3_CARDINALITIES",
           "CRITEO_LIKE_CARDINALITIES",
           "SyntheticConfig", "SyntheticData", "make_synthetic_ctr"]


def load_dataset(name: str, path: Path | str | None = None, *, cache_dir=None,
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
        reader = preprocess_criteo if name == "criteo" else preprocess_avazu
        return reader(path, cache_dir=cache_dir, rebuild=rebuild, progress=progress,
                      on_bad_line=on_bad_line, **options)
    if name == "movielens":
        return preprocess_movielens(path, cache_dir=cache_dir, rebuild=rebuild, **options)
    if name == "synthetic":
        return preprocess_synthetic(cache_dir=cache_dir, rebuild=rebuild, **options)
    if name == "table":
        if path is None:
            raise DataError(f"data set 'table' needs the path of the table file ({_PATH_HOW})")
        if "label" not in options:
            raise DataError("data set 'table' needs the label column (Python: label=...; "
                            "preprocess: --label; train and sweep: --data-option label=...)")
        return preprocess_table(path, cache_dir=cache_dir, rebuild=rebuild, **options)
    raise DataError(f"unknown data set {name!r}; choose one of {DATASETS}")
