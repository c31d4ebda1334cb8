"""Criteo (Kaggle display-advertising ``train.txt``, optionally gzip) with the official rules.

The official rules: 40 tab-separated columns: label, 13 integer features I1..I13, 26 categorical
C1..C26. An integer value v becomes the token "NULL" if empty, str(int(ln(v)^2)) if v > 2, else
str(v - 2); categoricals are raw strings (the empty string is a value). Values seen fewer than
10 times in the whole file (before the split) share one OOV id per field.

The integer rule runs once per *distinct* value of a block with Python's ``math.log`` (the
official function itself), so the result is bit-identical to the official per-line code while
the per-row work stays in Arrow.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from me_core.data.cache import EncodedDataset
from me_core.data.encode import NULL_TOKEN
from me_core.data.text import TextSchema, preprocess_text

INTEGER_FIELDS = tuple(f"I{i}" for i in range(1, 14))
CATEGORICAL_FIELDS = tuple(f"C{i}" for i in range(1, 27))
FIELDS = INTEGER_FIELDS + CATEGORICAL_FIELDS
MIN_COUNT = 10

SCHEMA = TextSchema(
    name="Criteo", columns=("label",) + FIELDS, delimiter="\t", label="label",
    integer_columns=INTEGER_FIELDS,
    how_to_get="Criteo's Kaggle data (train.txt, 45.8M lines) is not downloadable from here: "
               "get it from https://www.kaggle.com/c/criteo-display-ad-challenge (or the "
               "Criteo AI Lab mirror) and pass the path of train.txt or train.txt.gz.",
)

__all__ = ["preprocess_criteo", "integer_token", "integer_tokens", "SCHEMA", "FIELDS", "MIN_COUNT"]


def integer_token(value: str) -> str:
    """The official ``convert_numeric_feature`` for one raw integer-column value."""
    if value == "":
        return NULL_TOKEN
    v = int(value)
    return str(int(math.log(v) ** 2)) if v > 2 else str(v - 2)


def integer_tokens(values: pa.Array) -> pa.Array:
    """:func:`integer_token` for an array of raw values, vectorised and bit-identical.

    numpy's vectorised log may differ from libm's ``math.log`` in the last bit, which can only
    change int(ln(v)^2) when ln(v)^2 lies within rounding error of an integer; those few values
    are recomputed with ``math.log`` itself.
    """
    empty = pc.equal(values, "").to_numpy(zero_copy_only=False)
    numbers = pc.cast(pc.if_else(pc.equal(values, ""), "0", values), pa.int64()).to_numpy()
    squared = np.log(np.maximum(numbers, 1).astype(np.float64)) ** 2
    tokens = np.where(numbers > 2, np.floor(squared), numbers - 2).astype(np.int64)
    close = (numbers > 2) & (np.abs(squared - np.round(squared)) < 1e-9 * np.maximum(squared, 1))
    for i in np.flatnonzero(close):
        tokens[i] = int(math.log(int(numbers[i])) ** 2)
    text = pa.array(tokens).cast(pa.string())
    return pc.if_else(pa.array(empty), NULL_TOKEN, text)


def _tokenise(name: str, values: pa.Array) -> pa.Array:
    """The official transform of field ``name`` on its distinct raw values (integer fields)."""
    return integer_tokens(values) if name in INTEGER_FIELDS else values


def preprocess_criteo(path: Path | str, *, min_count: int = MIN_COUNT, on_bad_line: str = "error",
                      cache_dir: Path | str | None = None, rebuild: bool = False,
                      progress: bool = True) -> EncodedDataset:
    """Encode a Criteo-format file into the cache (reused when file and settings match)."""
    return preprocess_text(Path(path), SCHEMA, list(FIELDS), min_count, _tokenise,
                           dataset="criteo", on_bad_line=on_bad_line, cache_dir=cache_dir,
                           rebuild=rebuild, progress=progress,
                           extra_config={"integer_rule": "official ln^2"})
