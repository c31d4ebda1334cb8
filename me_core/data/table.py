"""Your own table: CSV/TSV (optionally gzip), Parquet, or a pandas DataFrame, with a binary label.

The same cached format and contract (:class:`FeatureMap`) as the paper's data sets, so the
trainer, sweeps, chapters and ``diagnose`` work unchanged. Rules (all recorded in the feature
map's ``preprocessing``):

* **label**: 0/1, booleans, or exactly two distinct values of which ``positive`` names the one
  that counts as 1 (e.g. ``positive="Yes"``);
* **columns**: ``categorical`` and ``numeric`` name the features. Left out, they are inferred:
  a column with a numeric dtype and more than ``max_levels`` (default 20) distinct values is
  numeric, every other column is categorical;
* **numeric bucketing**: ``numeric_rule="criteo"`` applies the official Criteo rule to the value
  rounded down to an integer (v > 2 -> floor(ln(v)^2), else the value itself);
  ``numeric_rule="quantile"`` cuts into ``bins`` equal-frequency bins (fewer where values
  repeat) of the finite values; missing values (NaN, None) get their own token in both, and
  so do +inf and -inf (one token each);
* **rare values**: values seen fewer than ``min_count`` times share the OOV id.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from me_core.data.cache import EncodedDataset, fingerprint_file
from me_core.data.criteo import integer_token
from me_core.data.errors import DataError, DataWarning
from me_core.data.frame import encode_frame_cached, frame_fingerprint

NUMERIC_RULES = ("quantile", "criteo")
MIN_ROWS = 10  # int(0.1 * rows) >= 1: valid and test are not empty
_TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": None}
_PARQUET_SUFFIXES = {".parquet", ".pq"}

__all__ = ["read_table", "infer_columns", "bucketize", "preprocess_table", "NUMERIC_RULES"]



def _first_undecodable_line(path: Path) -> str:
    """'line N: ' of the first line of ``path`` that is not UTF-8 (gzip read through), or ''."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    return f"line {number}: "
    except OSError:
        pass
    return ""

def _suffixes(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    compressed = bool(suffixes) and suffixes[-1] == ".gz"
    if compressed:
        suffixes = suffixes[:-1]
    return (suffixes[-1] if suffixes else ""), compressed


def _short_row_problem(path: Path, sep: str | None, names: list[str]) -> str | None:
    """'row N has k field(s) ...' for the first row of a text table whose field count differs
    from its header's, or None. pandas fills a short row with NaN without a word, so the file
    is parsed once more by pyarrow, which reports such rows (only the last column converted)."""
    import csv
    import gzip

    import pyarrow as pa
    import pyarrow.csv as pacsv

    if sep is None:  # .txt: the delimiter pandas sniffed
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            sep = csv.Sniffer().sniff(handle.read(1 << 16)).delimiter
    bad = []

    def remember(row) -> str:
        if not bad:
            bad.append(row)
        return "skip"

    pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False),
                   parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True,
                                                     invalid_row_handler=remember),
                   convert_options=pacsv.ConvertOptions(include_columns=[names[-1]],
                                                        column_types={names[-1]: pa.string()}))
    if not bad:
        return None
    row = bad[0]
    return (f"row {row.number} (the header is row 1) has {row.actual_columns} field(s) but the "
            f"header names {row.expected_columns} ({row.text[:60]!r}); give every row a value "
            f"(empty for missing) for every column")


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV/TSV (``.csv``, ``.tsv``, ``.tab``, ``.txt``, each optionally ``.gz``; the
    delimiter of ``.txt`` is sniffed) or Parquet (``.parquet``, ``.pq``) file with a header."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder; give the table file itself")
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    kind, _ = _suffixes(path)
    try:
        if kind in _PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            names = pq.read_schema(path).names
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise DataError(f"{path}: the Parquet schema names column(s) {twice} more "
                                f"than once; give every column its own name")
            frame = pd.read_parquet(path)
        elif kind in _TEXT_SUFFIXES:
            sep = _TEXT_SUFFIXES[kind]
            engine = {"engine": "python"} if sep is None else {"low_memory": False}
            header = pd.read_csv(path, sep=sep, compression="infer", header=None, nrows=1,
                                 dtype=str, keep_default_na=False, **engine)
            names = [str(v) for v in header.iloc[0]] if len(header) else []
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise DataError(f"{path}: line 1 names column(s) {twice} more than once; "
                                f"give every column its own name")
            frame = pd.read_csv(path, sep=sep, compression="infer", **engine)
            short = _short_row_problem(path, sep, names) if frame.shape[1] >= 2 else None
            if short:
                raise DataError(f"{path}: {short}")
        else:
            raise DataError(f"{path}: unknown table format {kind or '(no suffix)'!r}; use .csv, "
                            f".tsv, .tab, .txt (optionally .gz) or .parquet")
    except DataError:
        raise
    except UnicodeDecodeError as exc:  # name the line, as the Criteo/Avazu readers do
        raise DataError(f"{path}: {_first_undecodable_line(path)}not UTF-8 text ({exc.reason}); "
                        f"save it as UTF-8") from None
    except Exception as exc:  # pandas/pyarrow raise many types for a file that is not a table
        raise DataError(f"{path}: not a readable table ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
    if frame.shape[1] < 2:
        raise DataError(f"{path}: not a table with a label and features (found "
                        f"{frame.shape[1]} column(s); wrong delimiter?)")
    if len(frame) == 0:
        raise DataError(f"{path}: the table has no rows")
    return frame


def infer_columns(frame: pd.DataFrame, label: str, max_levels: int = 20
                  ) -> tuple[list[str], list[str]]:
    """(categorical, numeric) columns by the documented rule: numeric dtype and more than
    ``max_levels`` distinct values -> numeric, everything else categorical."""
    categorical, numeric = [], []
    for name in frame.columns:
        if name == label:
            continue
        values = frame[name]
        is_number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        (numeric if is_number and values.nunique(dropna=True) > max_levels
         else categorical).append(name)
    return categorical, numeric


def bucketize(values: pd.Series, rule: str = "quantile", bins: int = 10) -> pd.Series:
    """Tokens (strings) of a numeric column; missing values become 'NULL'."""
    if rule not in NUMERIC_RULES:
        raise DataError(f"numeric_rule must be one of {NUMERIC_RULES}, got {rule!r}")
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"numeric column {values.name!r}: row {row} holds {values.iloc[row]!r}, "
                        f"not a number (list it as categorical instead)")
    out = pd.Series("NULL", index=values.index, dtype=object)
    infinite = np.isinf(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
    out[infinite & (numbers > 0).to_numpy()] = "+inf"  # each infinity is a token of its own
    out[infinite & (numbers < 0).to_numpy()] = "-inf"
    present = numbers.notna() & ~infinite
    if rule == "criteo":
        floors = np.floor(numbers[present].to_numpy(dtype=np.float64)).astype(np.int64)
        distinct = np.unique(floors)
        tokens = {int(v): integer_token(str(int(v))) for v in distinct}
        out[present] = [tokens[int(v)] for v in floors]
    else:
        if bins < 2:
            raise DataError(f"bins must be >= 2, got {bins}")
        codes = pd.qcut(numbers[present], q=bins, labels=False, duplicates="drop")
        out[present] = "q" + codes.astype(int).astype(str)
    return out


def preprocess_table(source: Path | str | pd.DataFrame, label: str, *,
                     categorical: Sequence[str] | None = None,
                     numeric: Sequence[str] | None = None, numeric_rule: str = "quantile",
                     bins: int = 10, min_count: int = 1, positive: Any = None,
                     max_levels: int = 20, name: str = "table", cache_dir=None,
                     rebuild: bool = False) -> EncodedDataset:
    """Encode a table file or DataFrame into the cache (see the module docstring)."""
    if isinstance(source, pd.DataFrame):
        frame, where, fingerprint = source, f"table {name!r}", None
    else:
        path = Path(source)
        frame, where = read_table(path), str(path)
        fingerprint = fingerprint_file(path)
    if min_count < 1:
        raise DataError(f"min_count must be >= 1, got {min_count}")
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
        raise DataError(f"name {name!r}: use letters, digits, '_', '-' and '.' (it names a "
                        f"cache folder)")
    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if duplicated:
        raise DataError(f"{where}: column name(s) {duplicated} appear more than once; rename "
                        f"them")
    if len(frame) < MIN_ROWS:
        raise DataError(f"{where}: {len(frame)} row(s); the 8:1:1 split needs at least "
                        f"{MIN_ROWS} rows so that every part holds some")
    if numeric_rule not in NUMERIC_RULES:
        raise DataError(f"numeric_rule must be one of {NUMERIC_RULES}, got {numeric_rule!r}")
    if label not in frame.columns:
        raise DataError(f"{where}: no label column {label!r}; columns are "
                        f"{list(map(str, frame.columns))}")
    named = [*(categorical or []), *(numeric or [])]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise DataError(f"{where}: no column(s) {missing}; columns are "
                        f"{list(map(str, frame.columns))}")
    if label in named:
        raise DataError(f"{where}: the label column {label!r} is also listed as a feature")
    inferred = categorical is None and numeric is None
    if inferred:
        categorical, numeric = infer_columns(frame, label, max_levels)
    else:
        categorical, numeric = list(categorical or []), list(numeric or [])
    fields = [*categorical, *numeric]
    if not fields:
        raise DataError(f"{where}: no feature columns besides the label")
    for column in [*fields, label]:  # a token is one value: no lists, dicts or sets
        values = frame[column]
        if values.dtype == object:
            nested = values.map(lambda v: isinstance(v, (list, tuple, dict, set))).to_numpy()
            if nested.any():
                row = int(np.flatnonzero(nested)[0])
                raise DataError(f"{where}: column {column!r}, row {row} holds "
                                f"{type(values.iloc[row]).__name__} {values.iloc[row]!r}, not "
                                f"one value")
    empty = [c for c in fields if frame[c].isna().all()]
    if empty:
        raise DataError(f"{where}: column(s) {empty} are missing in every row")
    preprocessing = {"format": "table", "label": label, "positive": None if positive is None
                     else str(positive), "categorical": categorical, "numeric": numeric,
                     "numeric_rule": numeric_rule, "bins": bins if numeric_rule == "quantile"
                     else None, "min_count": min_count}
    if fingerprint is None:
        fingerprint = frame_fingerprint(frame)

    def make_frame():
        out = pd.DataFrame({c: frame[c] for c in categorical})
        for c in numeric:
            out[c] = bucketize(frame[c], numeric_rule, bins)
        out[label] = frame[label]
        return out[fields + [label]], {"source_columns": list(map(str, frame.columns))}

    data = encode_frame_cached(name, {"table": fingerprint}, preprocessing, make_frame,
                               label, fields, min_count, cache_dir, rebuild, where=where,
                               positive=positive)
    for column in numeric if inferred else []:  # said once the table has proved usable
        if pd.api.types.is_integer_dtype(frame[column]):
            how = f"{bins} quantile bins" if numeric_rule == "quantile" else "the Criteo ln^2 rule"
            warnings.warn(
                f"{where}: column {column!r} holds integers ({frame[column].nunique()} "
                f"distinct values) and was inferred numeric, so it is bucketed into {how}; "
                f"if it holds ids, list it as categorical (categorical=[...] in Python, "
                f"--categorical on the command line)", DataWarning, stacklevel=2)

    return data

