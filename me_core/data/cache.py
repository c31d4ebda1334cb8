"""One cached format for every data set: memory-mapped int32 ids, labels, splits, a FeatureMap.

A cache folder ``<root>/<dataset>-<key>/`` holds::

    x.npy             int32 [rows, fields]  per-field value ids (0 = OOV)
    y.npy             float32 [rows]        labels (0/1)
    splits/<name>/    train.npy, valid.npy, test.npy  row indices (the paper's 8:1:1 with
                      seed 0, or any other seed/ratios), each written on first use
    vocabularies.arrow  the kept values per field (Arrow IPC, memory-mapped when read)
    feature_map.json  the FeatureMap, written last

The key is a hash of (source fingerprint, preprocessing config, format version): a changed file
or config gives a new folder, a matching one is reused. A cache is built in a temporary folder
under a file lock and renamed into place only when complete, so a killed build never leaves a
folder that looks valid (and two processes never build the same cache at once).
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from me_core.data.errors import DataError, DataWarning
from me_core.data.featuremap import FORMAT_VERSION, FeatureMap
from me_core.files import (
    CACHE_ENV,
    keyed_lock,
    remove_orphaned_staging,
    remove_stale_staging,
    staged_folder,
    user_cache_root,
)

PAPER_SPLIT = (0.8, 0.1, 0.1)

__all__ = ["cache_root", "fingerprint_file", "cache_key", "EncodedDataset", "build_cached",
           "random_split_indices", "split_sizes", "CACHE_ENV", "PAPER_SPLIT"]


def cache_root(root: Path | str | None = None) -> Path:
    """The cache folder: argument, else $ME_CORE_CACHE, else $XDG_CACHE_HOME/me-core."""
    return Path(root) if root is not None else user_cache_root()


def fingerprint_file(path: Path, sample: int = 1 << 20) -> dict[str, Any]:
    """Size, mtime and a hash of the first and last MiB: cheap, and changes when the file does."""
    path = Path(path)
    stat = path.stat()
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        digest.update(handle.read(sample))
        if stat.st_size > 2 * sample:
            handle.seek(-sample, os.SEEK_END)
            digest.update(handle.read(sample))
    return {"name": path.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "sample_blake2b": digest.hexdigest()}


def cache_key(source: dict[str, Any], preprocessing: dict[str, Any]) -> str:
    payload = json.dumps({"source": source, "preprocessing": preprocessing,
                          "format": FORMAT_VERSION}, sort_keys=True, default=str)
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def split_sizes(rows: int, ratios=PAPER_SPLIT) -> tuple[int, int, int]:
    """(train, valid, test) sizes of the official split: int(0.8 n), int(0.1 n), the rest."""
    if len(ratios) != 3 or min(ratios) < 0 or abs(sum(ratios) - 1) > 1e-9:
        raise DataError(f"split ratios must be three non-negative numbers summing to 1, got "
                        f"{ratios}")
    n_train, n_valid = int(ratios[0] * rows), int(ratios[1] * rows)
    return n_train, n_valid, rows - n_train - n_valid


def random_split_indices(rows: int, ratios=PAPER_SPLIT, seed: int = 0) -> dict[str, np.ndarray]:
    """The official split: ``torch.utils.data.random_split`` with ``manual_seed(seed)`` and sizes
    int(0.8 n), int(0.1 n), remainder, so the same rows as the official code."""
    import torch  # here only: preprocessing itself never needs torch

    n_train, n_valid, _ = split_sizes(rows, ratios)
    order = torch.randperm(rows, generator=torch.Generator().manual_seed(seed)).numpy()
    dtype = np.int32 if rows < 2**31 else np.int64
    order = order.astype(dtype)
    return {"train": order[:n_train], "valid": order[n_train:n_train + n_valid],
            "test": order[n_train + n_valid:]}


def _split_name(ratios, seed: int) -> str:
    return f"seed{seed}-" + "-".join(f"{r:g}" for r in ratios)


@dataclass
class EncodedDataset:
    """An opened cache: ``x``/``y`` are read-only memory maps; indices come from :meth:`split`."""

    path: Path
    feature_map: FeatureMap
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def open(cls, path: Path) -> "EncodedDataset":
        path = Path(path)
        meta = path / "feature_map.json"
        if not meta.is_file():
            raise DataError(f"{path}: not a complete data cache (no feature_map.json)")
        feature_map = FeatureMap.load(meta)
        try:
            x = np.load(path / "x.npy", mmap_mode="r")
            y = np.load(path / "y.npy", mmap_mode="r")
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(f"{path}: unreadable cache ({exc}); delete the folder to "
                            f"rebuild") from exc
        expected = (feature_map.rows, feature_map.num_fields)
        if x.shape != expected or y.shape != (feature_map.rows,):
            raise DataError(f"{path}: x{x.shape}/y{y.shape} do not match the feature map "
                            f"{expected}; delete the folder to rebuild")
        return cls(path, feature_map, x, y)

    @property
    def rows(self) -> int:
        return self.feature_map.rows

    def split(self, part: str, *, seed: int = 0, ratios=PAPER_SPLIT,
              fraction: float = 1.0) -> np.ndarray:
        """Row indices of ``part`` (train/valid/test) of the random split with ``seed``.

        ``fraction`` < 1 keeps the first ``int(fraction * n)`` indices of the part: the data
        fractions of Table 2 are nested subsets of the training part (the split is random, so a
        prefix is a random subset).
        """
        if part not in ("train", "valid", "test"):
            raise DataError(f"part must be train, valid or test, got {part!r}")
        if not 0 < fraction <= 1:
            raise DataError(f"fraction must be in (0, 1], got {fraction}")
        folder = self.path / "splits" / _split_name(ratios, seed)
        if not (folder / "test.npy").is_file():
            _write_split(folder, random_split_indices(self.rows, ratios, seed))
        try:
            indices = self._checked_split(folder / f"{part}.npy", split_sizes(self.rows, ratios)[
                ("train", "valid", "test").index(part)])
        except DataError as exc:  # damaged by hand or by a disk: rebuilt, said aloud
            warnings.warn(f"{exc}; rebuilding the split", DataWarning, stacklevel=2)
            with keyed_lock(self.path / "splits", folder.name):
                _write_split(folder, random_split_indices(self.rows, ratios, seed),
                             replace=True)
            indices = np.load(folder / f"{part}.npy", mmap_mode="r")
        return indices[: int(fraction * len(indices))] if fraction < 1 else indices

    def _checked_split(self, path: Path, size: int) -> np.ndarray:
        """The row indices in ``path``, checked: a 1-D integer array of ``size`` ids in range."""
        try:
            indices = np.load(path, mmap_mode="r")
        except (OSError, ValueError, EOFError) as exc:
            raise DataError(f"{path}: unreadable ({str(exc).splitlines()[0][:120]})") from None
        if indices.ndim != 1 or indices.dtype.kind not in "iu" or len(indices) != size:
            raise DataError(f"{path}: holds {indices.dtype}{list(indices.shape)}, not {size} "
                            f"row ids")
        if size and (int(indices.min()) < 0 or int(indices.max()) >= self.rows):
            raise DataError(f"{path}: row ids outside 0..{self.rows - 1}")
        return indices


def _write_split(folder: Path, parts: dict[str, np.ndarray], replace: bool = False) -> None:
    with staged_folder(folder, replace=replace) as work:
        for name, indices in parts.items():
            np.save(work / f"{name}.npy", indices)


def build_cached(dataset: str, source: dict[str, Any], preprocessing: dict[str, Any],
                 builder: Callable[[Path], FeatureMap], root: Path | str | None = None,
                 rebuild: bool = False) -> EncodedDataset:
    """Open the cache for (source, preprocessing), building it with ``builder(workdir)`` if needed.

    ``builder`` writes ``x.npy`` and ``y.npy`` into ``workdir`` and returns the FeatureMap
    (without split sizes); this function adds the paper's split sizes and publishes the folder
    (the split's indices are written when a split is first asked for).
    """
    root = cache_root(root)
    final = root / f"{dataset}-{cache_key(source, preprocessing)}"
    with keyed_lock(root, final.name):
        remove_stale_staging(final)  # left by a killed build: no live build holds this lock
        remove_orphaned_staging(root)  # left by killed builds of other (old) keys
        if final.is_dir() and not rebuild:
            try:
                return EncodedDataset.open(final)
            except DataError as exc:  # incomplete, stale or damaged: rebuilt, said aloud
                warnings.warn(f"{exc}; rebuilding the cache", DataWarning, stacklevel=2)
        with staged_folder(final) as work:
            feature_map = builder(work)
            # the split's indices are written on first use (they need torch's generator)
            feature_map.split = dict(zip(("train", "valid", "test"),
                                         split_sizes(feature_map.rows)))
            empty = [part for part, size in feature_map.split.items() if size == 0]
            if empty:  # said when the cache is made, not first at training
                warnings.warn(f"{dataset}: {feature_map.rows} row(s): the 8:1:1 split leaves "
                              f"the {' and '.join(empty)} part(s) empty, so no model can be "
                              f"trained or evaluated on it (at least 10 rows are needed)",
                              DataWarning, stacklevel=2)
            feature_map.save(work)
            del feature_map  # its vocabularies are read back below: not two copies at once
    return EncodedDataset.open(final)
