"""Avazu (Kaggle CTR-prediction ``train`` CSV, optionally gzip) with the official rules.

The official rules: a header line; ``id`` is dropped, ``click`` is the label; the 22 fields are the
raw strings of hour (YYMMDDHH), C1, banner_pos, site_*, app_*, device_*, C14-C21. Values seen fewer
than 4 times share one OOV id per field.
"""

from __future__ import annotations

from pathlib import Path

from me_core.data.cache import EncodedDataset
from me_core.data.text import TextSchema, preprocess_text

FIELDS = ("hour", "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id",
          "app_domain", "app_category", "device_id", "device_ip", "device_model", "device_type",
          "device_conn_type", "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21")
MIN_COUNT = 4

SCHEMA = TextSchema(
    name="Avazu", columns=("id", "click") + FIELDS, delimiter=",", label="click", header=True,
    how_to_get="Avazu's Kaggle data (train, 40.4M lines) is not downloadable from here: get it "
               "from https://www.kaggle.com/c/avazu-ctr-prediction and pass the path of the "
               "train file (plain or gzip).",
)

__all__ = ["preprocess_avazu", "SCHEMA", "FIELDS", "MIN_COUNT"]


def preprocess_avazu(path: Path | str, *, min_count: int = MIN_COUNT, on_bad_line: str = "error",
                     cache_dir: Path | str | None = None, rebuild: bool = False,
                     progress: bool = True) -> EncodedDataset:
    """Encode an Avazu-format file into the cache (reused when file and settings match)."""
    return preprocess_text(Path(path), SCHEMA, list(FIELDS), min_count, dataset="avazu",
                           on_bad_line=on_bad_line, cache_dir=cache_dir, rebuild=rebuild,
                           progress=progress)
