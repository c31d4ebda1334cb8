"""Your own table: CSV/TSV/gzip/Parquet/DataFrame into the cached format, and bad tables."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from me_core.data import DataError, load_dataset, preprocess_table
from me_core.data.criteo import integer_token
from me_core.data.table import bucketize, infer_columns, read_table
from me_core.train import RunConfig, train

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "flights_sample.csv"
CATEGORICAL = ["month", "day", "weekday", "hour", "carrier", "flight", "tailnum", "origin", "dest"]
NUMERIC = ["distance", "sched_dep_time"]


def _same_encoding(a, b) -> None:
    np.testing.assert_array_equal(np.asarray(a.x), np.asarray(b.x))
    np.testing.assert_array_equal(np.asarray(a.y), np.asarray(b.y))
    assert a.feature_map.vocabularies == b.feature_map.vocabularies
    assert a.feature_map.field_names == b.feature_map.field_names
    for part in ("train", "valid", "test"):
        np.testing.assert_array_equal(a.split(part), b.split(part))


def _cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "me_core", "preprocess", "table", *args,
                           "--cache-dir", str(cache), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_committed_csv_round_trips_through_cli_and_api(tmp_path):
    result = _cli(str(SAMPLE), "--label", "delayed", "--categorical", *CATEGORICAL,
                  "--numeric", *NUMERIC, cache=tmp_path / "cli")
    assert result.returncode == 0, result.stderr
    assert "tailnum" in result.stdout and "2,000 rows, 11 fields" in result.stdout
    cached = Path(next(line for line in result.stdout.splitlines()
                       if line.startswith("cache: ")).split("cache: ")[1])
    assert "train on this encoding: python -m me_core train --dataset table" in result.stdout
    api = preprocess_table(SAMPLE, "delayed", categorical=CATEGORICAL, numeric=NUMERIC,
                           cache_dir=tmp_path / "api")
    from me_core.data.cache import EncodedDataset
    _same_encoding(EncodedDataset.open(cached), api)
    fmap = api.feature_map
    labels = pd.read_csv(SAMPLE).delayed.to_numpy()
    np.testing.assert_array_equal(np.asarray(api.y), labels.astype(np.float32))
    assert fmap.preprocessing["numeric"] == NUMERIC and fmap.rows == 2000
    # an id decodes back to the value in the file (categorical column, first row)
    first = pd.read_csv(SAMPLE, dtype=str).iloc[0]
    carrier = fmap.field_names.index("carrier")
    assert fmap.decode(carrier, int(api.x[0, carrier])) == first.carrier


def test_dataframe_parquet_and_gzip_csv_give_identical_caches(tmp_path):
    frame = pd.read_csv(SAMPLE)
    frame.to_parquet(tmp_path / "t.parquet", index=False)
    with gzip.open(tmp_path / "t.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    kwargs = dict(categorical=CATEGORICAL, numeric=NUMERIC, min_count=2)
    from_frame = preprocess_table(frame, "delayed", cache_dir=tmp_path / "c", **kwargs)
    for name in ("t.parquet", "t.csv.gz", "t.tsv"):
        _same_encoding(from_frame, preprocess_table(tmp_path / name, "delayed",
                                                    cache_dir=tmp_path / "c", **kwargs))


def test_inference_rule_and_numeric_rules():
    frame = pd.read_csv(SAMPLE)
    categorical, numeric = infer_columns(frame, "delayed")
    # numeric dtype with more than 20 distinct values: day (31 values), distance, times
    assert set(numeric) == {"day", "distance", "sched_dep_time"}
    assert "month" in categorical and "tailnum" in categorical
    values = pd.Series([0, 1, 2, 3, 7.9, 100, None], name="v")
    tokens = bucketize(values, "criteo")
    assert list(tokens[:6]) == [integer_token(v) for v in ["0", "1", "2", "3", "7", "100"]]
    assert tokens.iloc[6] == "NULL"
    quantiles = bucketize(frame.distance, "quantile", bins=4)
    assert quantiles.nunique() == 4 and quantiles.value_counts().min() > 400
    with pytest.raises(DataError, match="'carrier'.*not a number"):
        bucketize(frame.carrier, "quantile")


def _fails(tmp_path, *args: str, match: str, frame: pd.DataFrame | None = None,
           name: str = "bad.csv") -> None:
    path = tmp_path / name
    if frame is not None:
        frame.to_csv(path, index=False)
    result = _cli(str(path), *args, cache=tmp_path / "cache")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and match in lines[0], result.stderr
    assert not list((tmp_path / "cache").glob("table-*")), "a refused table left a cache"


@pytest.mark.slow
def test_bad_tables_are_refused_with_one_line_and_nothing_cached(tmp_path):
    good = pd.read_csv(SAMPLE).head(50)
    _fails(tmp_path, "--label", "clicked", match="no label column 'clicked'", frame=good)
    _fails(tmp_path, "--label", "carrier", match="is not binary", frame=good)
    three = good.assign(delayed=np.arange(50) % 3)
    _fails(tmp_path, "--label", "delayed", match="distinct value(s) [0, 1, 2]", frame=three)
    _fails(tmp_path, "--label", "delayed", "--numeric", "altitude",
           match="no column(s) ['altitude']", frame=good)
    empty = good.assign(gate=np.nan)
    _fails(tmp_path, "--label", "delayed", match="['gate'] are missing in every row",
           frame=empty)
    (tmp_path / "notes.csv").write_text("just one line of prose\nand another\n")
    _fails(tmp_path, "--label", "delayed", match="not a table", name="notes.csv")
    (tmp_path / "blob.parquet").write_bytes(b"\x00\x01garbage")
    _fails(tmp_path, "--label", "delayed", match="not a readable table", name="blob.parquet")
    _fails(tmp_path, "--label", "delayed", match="no such file", name="absent.csv")
    yes_no = good.assign(delayed=np.where(good.delayed == 1, "Yes", "No"))
    _fails(tmp_path, "--label", "delayed", match="name the positive one", frame=yes_no)


def test_positive_value_and_direct_errors(tmp_path):
    frame = pd.read_csv(SAMPLE).head(300)
    yes_no = frame.assign(delayed=np.where(frame.delayed == 1, "Yes", "No"))
    a = preprocess_table(yes_no, "delayed", positive="Yes", cache_dir=tmp_path)
    b = preprocess_table(frame, "delayed", cache_dir=tmp_path)
    _same_encoding(a, b)
    with pytest.raises(DataError, match="also listed as a feature"):
        preprocess_table(frame, "delayed", categorical=["delayed"], cache_dir=tmp_path)
    with pytest.raises(DataError, match="unknown table format '.xlsx'"):
        read_table(_touch(tmp_path / "t.xlsx"))


def _touch(path: Path) -> Path:
    path.write_text("x")
    return path


def test_trainer_and_load_dataset_take_a_table(tmp_path, monkeypatch):
    options = {"label": "delayed", "categorical": CATEGORICAL, "numeric": NUMERIC}
    data = load_dataset("table", SAMPLE, cache_dir=tmp_path, **options)
    assert data.feature_map.num_fields == 11
    config = RunConfig(model="dcnv2", dataset="table", data_path=str(SAMPLE),
                       data_options=options, max_epochs=2, patience=1, batch_size=256)
    record = train(config, cache_dir=tmp_path).record
    assert 0.5 < record["test"]["auc"] <= 1 and record["data"]["rows"] == 2000
    json.dumps(record)  # serialisable
    with pytest.raises(DataError, match="needs the label column"):
        load_dataset("table", SAMPLE, cache_dir=tmp_path)
