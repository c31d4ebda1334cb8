"""Data layer: official preprocessing vs a per-line reference, bad input, the cache, splits,
batches, MovieLens-100k from the registry, the synthetic benchmark, the preprocess CLI."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import torch

from me_core.data import (
    BatchLoader,
    DataError,
    EncodedDataset,
    load_dataset,
    preprocess_avazu,
    preprocess_criteo,
    preprocess_movielens,
    preprocess_synthetic,
    preprocess_table,
)
from me_core.data.cache import build_cached, random_split_indices
from me_core.data.criteo import integer_token
from me_core.data.encode import StreamingEncoder
from me_core.data.generate import write_avazu_format, write_criteo_format
from me_core.data.movielens import ATOMIC_FILES, GENRES, fetch_movielens_100k
from me_core.data.text import byte_ranges

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the encoder's oracle lives beside the tests
from per_line_reference import per_line_avazu, per_line_criteo  # noqa: E402


@pytest.fixture(scope="module")
def criteo_file(tmp_path_factory) -> Path:
    return write_criteo_format(tmp_path_factory.mktemp("raw") / "train.txt", rows=30_000, seed=1)


def _criteo(path, tmp_path, **kwargs) -> EncodedDataset:
    return preprocess_criteo(path, cache_dir=tmp_path / "cache", progress=False,
                             **{"min_count": 3, **kwargs})


def _line(label="1", ints=None, cats=None, sep="\t") -> str:
    ints = ints if ints is not None else ["1", "", "5", "-1", "0", "2", "3", "10", "100", "",
                                          "7", "8", "9"]
    cats = cats if cats is not None else [f"c{i}" for i in range(26)]
    return sep.join([label, *ints, *cats])


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes("".join(line + end for line in lines).encode())
    return path


# --- official rules, identical to the per-line reference --------------------------------------

def test_integer_rule_is_the_official_one():
    import math
    assert integer_token("") == "NULL"
    assert [integer_token(str(v)) for v in (-3, 0, 1, 2)] == ["-5", "-2", "-1", "0"]
    for v in (3, 4, 7, 8, 100, 12345, 2**31 - 1):
        assert integer_token(str(v)) == str(int(math.log(v) ** 2))


@pytest.mark.slow
def test_criteo_matches_per_line_reference(criteo_file, tmp_path):
    data = _criteo(criteo_file, tmp_path)
    x, y, vocabularies = per_line_criteo(criteo_file, min_count=3)
    np.testing.assert_array_equal(np.asarray(data.x), x)
    np.testing.assert_array_equal(np.asarray(data.y), y)
    assert data.feature_map.vocabularies == vocabularies
    assert data.feature_map.cardinalities == [len(v) + 1 for v in vocabularies]
    share = (x == 0).mean(axis=0)
    np.testing.assert_allclose(data.feature_map.oov_share, share)
    assert data.x.dtype == np.int32 and data.y.dtype == np.float32


@pytest.mark.slow
def test_criteo_gzip_and_small_blocks_give_the_same_arrays(criteo_file, tmp_path):
    plain = _criteo(criteo_file, tmp_path)
    packed = tmp_path / "train.txt.data"  # gzip is recognised by content, not by name
    with open(criteo_file, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    zipped = _criteo(packed, tmp_path)
    np.testing.assert_array_equal(np.asarray(plain.x), np.asarray(zipped.x))
    from me_core.data.criteo import FIELDS, SCHEMA, _tokenise
    from me_core.data.text import preprocess_text
    blocks = preprocess_text(criteo_file, SCHEMA, list(FIELDS), 3, _tokenise, dataset="criteo",
                             cache_dir=tmp_path / "small", progress=False, block_size=1 << 16)
    np.testing.assert_array_equal(np.asarray(plain.x), np.asarray(blocks.x))


@pytest.mark.slow
def test_avazu_matches_per_line_reference(tmp_path):
    path = write_avazu_format(tmp_path / "train", rows=20_000, seed=2)
    data = preprocess_avazu(path, cache_dir=tmp_path / "cache", progress=False)
    x, y, vocabularies = per_line_avazu(path, min_count=4)
    np.testing.assert_array_equal(np.asarray(data.x), x)
    np.testing.assert_array_equal(np.asarray(data.y), y)
    assert data.feature_map.num_fields == 22 and data.feature_map.field_names[0] == "hour"


@pytest.mark.slow
def test_byte_ranges_read_in_parallel_give_the_same_arrays(criteo_file, tmp_path):
    """Two threads over two byte ranges (and an Avazu file, whose header only the first range
    has) give the arrays of one sequential read."""
    from me_core.data.criteo import FIELDS, SCHEMA, _tokenise
    from me_core.data.text import preprocess_text
    size = criteo_file.stat().st_size
    assert byte_ranges(criteo_file, 2, size // 2) is not None
    sequential = _criteo(criteo_file, tmp_path)
    parallel = preprocess_text(criteo_file, SCHEMA, list(FIELDS), 3, _tokenise, dataset="criteo",
                               cache_dir=tmp_path / "par", progress=False, block_size=1 << 16,
                               min_part_bytes=size // 2)
    np.testing.assert_array_equal(np.asarray(sequential.x), np.asarray(parallel.x))
    np.testing.assert_array_equal(np.asarray(sequential.y), np.asarray(parallel.y))
    assert sequential.feature_map.vocabularies == parallel.feature_map.vocabularies
    avazu = write_avazu_format(tmp_path / "train", rows=5_000, seed=3)
    from me_core.data.avazu import FIELDS as AVAZU_FIELDS
    from me_core.data.avazu import SCHEMA as AVAZU
    halves = preprocess_text(avazu, AVAZU, list(AVAZU_FIELDS), 4, dataset="avazu",
                             cache_dir=tmp_path / "av", progress=False, block_size=1 << 16,
                             min_part_bytes=avazu.stat().st_size // 3)
    x, y, _ = per_line_avazu(avazu, min_count=4)
    np.testing.assert_array_equal(np.asarray(halves.x), x)
    np.testing.assert_array_equal(np.asarray(halves.y), y)


def test_byte_ranges_start_at_lines_and_cover_the_file(tmp_path):
    lines = [f"{i}\t" + "x" * (i % 7) for i in range(1000)]
    path = _write(tmp_path / "t.txt", lines)
    ranges = byte_ranges(path, 3, min_bytes=100)
    data = path.read_bytes()
    assert len(ranges) == 3 and ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert all(data[start - 1:start] == b"\n" for start, _ in ranges[1:])
    assert byte_ranges(path, 2, min_bytes=len(data)) is None  # too small to split
    packed = tmp_path / "t.gz"
    packed.write_bytes(gzip.compress(data))
    assert byte_ranges(packed, 2, min_bytes=1) is None  # gzip is read from the start


def test_bad_line_in_the_second_range_is_named_or_counted(tmp_path):
    from me_core.data.criteo import FIELDS, SCHEMA, _tokenise
    from me_core.data.text import preprocess_text
    lines = [_line()] * 300 + ["1\tonly\tthree"] + [_line()] * 20
    path = _write(tmp_path / "bad.txt", lines)
    kwargs = dict(dataset="criteo", progress=False, block_size=1 << 12,
                  min_part_bytes=path.stat().st_size // 2 - 10)
    with pytest.raises(DataError, match=r"bad\.txt, line 301: expected 40"):
        preprocess_text(path, SCHEMA, list(FIELDS), 1, _tokenise, cache_dir=tmp_path / "a",
                        **kwargs)
    data = preprocess_text(path, SCHEMA, list(FIELDS), 1, _tokenise, cache_dir=tmp_path / "b",
                           on_bad_line="skip", **kwargs)
    assert data.rows == 320 and data.feature_map.bad_lines == 1
    assert data.feature_map.first_bad_lines == [301]


def test_encoder_merges_in_groups_and_parts_as_in_one_go(tmp_path):
    """The bounded-group merge and several input parts give the one-shot encoding; the ids
    follow the documented rule (count desc, then value; rare values -> 0)."""
    rng = np.random.default_rng(0)
    chunks = []
    for _ in range(12):
        n = int(rng.integers(1, 400))
        values = [pa.array([f"v{int(v)}" for v in rng.zipf(1.3, n) % 500]),
                  pa.array(rng.integers(0, 30, n))]
        chunks.append((values, rng.integers(0, 2, n).astype(np.float32)))

    def encode(folder, parts, run_entries):
        encoder = StreamingEncoder(["a", "b"], [2, 1], tmp_path / folder, parts=parts,
                                   run_entries=run_entries)
        for k, (values, labels) in enumerate(chunks):
            encoder.add_chunk(values, labels, part=k * parts // len(chunks))
        out = encoder.finish(tmp_path / f"{folder}.x.npy", tmp_path / f"{folder}.y.npy")
        return np.load(out.x_path), np.load(out.y_path), out.vocabularies

    x, y, vocabularies = encode("one", 1, 1 << 20)
    for parts, group in ((1, 5), (3, 1 << 20), (3, 7)):
        other = encode(f"p{parts}g{group}", parts, group)
        np.testing.assert_array_equal(other[0], x)
        np.testing.assert_array_equal(other[1], y)
        assert other[2] == vocabularies
    tokens = np.concatenate([np.asarray(v[0].to_pylist()) for v, _ in chunks])
    names, counts = np.unique(tokens, return_counts=True)
    expected = [str(v) for c, v in sorted(zip(-counts, names)) if -c >= 2]
    assert vocabularies[0] == expected
    lookup = {v: i + 1 for i, v in enumerate(expected)}
    np.testing.assert_array_equal(x[:, 0], [lookup.get(t, 0) for t in tokens])


def test_line_encoder_with_small_runs_and_two_parts_matches_the_per_line_reference(tmp_path):
    """add_lines with tables written out every few hundred values (many runs, the last ones
    kept in memory) and the lines split over two parts gives the per-line implementation's
    arrays and vocabularies."""
    path = write_criteo_format(tmp_path / "train.txt", 3000, seed=3)
    ref_x, ref_y, ref_vocab = per_line_criteo(path, min_count=2)
    from me_core.data.criteo import FIELDS, SCHEMA, _tokenise

    lines = path.read_bytes()
    cut = lines.index(b"\n", len(lines) // 3) + 1
    encoder = StreamingEncoder(list(FIELDS), 2, tmp_path / "work", parts=2, run_entries=300,
                               transforms=[lambda v, n=name: _tokenise(n, v) for name in FIELDS])
    layout = SCHEMA.layout(list(FIELDS))
    for part, piece in enumerate((lines[:cut], lines[cut:])):
        # several calls per part, each on whole lines
        bounds = [0] + [piece.rindex(b"\n", 0, at) + 1 for at in range(50_000, len(piece),
                                                                        50_000)] + [len(piece)]
        for start, end in zip(bounds, bounds[1:]):
            assert encoder.add_lines(piece[start:end], layout, part)[1:] == (0, -1)
    assert sum(len(part.runs) for part in encoder._parts) > 10
    out = encoder.finish(tmp_path / "x.npy", tmp_path / "y.npy")
    np.testing.assert_array_equal(np.load(out.x_path), ref_x)
    np.testing.assert_array_equal(np.load(out.y_path), ref_y)
    assert out.vocabularies == ref_vocab


def test_avazu_header_is_checked(tmp_path):
    path = _write(tmp_path / "train", ["id,label,hour", "1,0,14102100"])
    with pytest.raises(DataError, match=r"line 1 should be the Avazu header"):
        preprocess_avazu(path, cache_dir=tmp_path, progress=False)


# --- bad input ------------------------------------------------------------------------------------

def test_missing_file_says_how_to_get_the_data(tmp_path):
    with pytest.raises(DataError, match=r"no such file.*kaggle.com/c/criteo"):
        _criteo(tmp_path / "nope.txt", tmp_path)
    with pytest.raises(DataError, match=r"no such file.*avazu"):
        preprocess_avazu(tmp_path / "nope", cache_dir=tmp_path, progress=False)


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"empty\.txt: the file is empty"):
        _criteo(_write(tmp_path / "empty.txt", []), tmp_path)
    with pytest.raises(DataError, match=r"holds no data lines"):
        _criteo(_write(tmp_path / "blank.txt", ["", "", ""]), tmp_path)


def test_wrong_column_count_names_the_line(tmp_path):
    lines = [_line()] * 3 + ["1\tonly\tthree"] + [_line()] * 2
    path = _write(tmp_path / "bad.txt", lines)
    with pytest.raises(DataError, match=r"bad\.txt, line 4: expected 40 tab-separated columns, "
                                        r"found 3"):
        _criteo(path, tmp_path, min_count=1)


def test_skip_policy_counts_and_reports_bad_lines(tmp_path):
    lines = [_line(), "1\tonly\tthree", _line(), _line(label="2"), _line(),
             _line(ints=["x"] + [""] * 12), _line()]
    path = _write(tmp_path / "bad.txt", lines)
    data = _criteo(path, tmp_path, min_count=1, on_bad_line="skip")
    assert data.rows == 4
    assert data.feature_map.bad_lines == 3
    assert data.feature_map.first_bad_lines == [2, 4, 6]


def test_non_integer_and_bad_label_are_errors(tmp_path):
    path = _write(tmp_path / "a.txt", [_line(), _line(ints=["1", "2.5"] + [""] * 11)])
    with pytest.raises(DataError, match=r"a\.txt, line 2: integer column 'I2' holds '2\.5'"):
        _criteo(path, tmp_path, min_count=1)
    path = _write(tmp_path / "b.txt", [_line(), _line(), _line(label="yes")])
    with pytest.raises(DataError, match=r"b\.txt, line 3: label 'label' is 'yes', not 0 or 1"):
        _criteo(path, tmp_path, min_count=1)


def test_wrong_delimiter_is_named(tmp_path):
    path = _write(tmp_path / "comma.txt", [_line(sep=",")] * 3)
    with pytest.raises(DataError, match=r"line 1: expected 40 tab-separated columns, found 1 "
                                        r"\(the line has 40 comma-separated values: wrong "
                                        r"delimiter\?\)"):
        _criteo(path, tmp_path, min_count=1)
    with pytest.raises(DataError, match=r"no valid Criteo lines \(3 bad line"):
        _criteo(path, tmp_path, min_count=1, on_bad_line="skip")


def test_crlf_and_trailing_blank_lines_are_handled(tmp_path):
    lines = [_line(cats=[f"v{i % 3}" for i in range(26)]) for _ in range(5)]
    unix = _criteo(_write(tmp_path / "unix.txt", lines), tmp_path, min_count=1)
    windows = _criteo(_write(tmp_path / "dos.txt", lines + ["", ""], end="\r\n"), tmp_path,
                      min_count=1)
    np.testing.assert_array_equal(np.asarray(unix.x), np.asarray(windows.x))
    assert windows.feature_map.vocabularies == unix.feature_map.vocabularies
    assert windows.feature_map.vocabularies[-1] == ["v1"]  # no stray "\\r" in the last field
    assert windows.rows == 5 and windows.feature_map.bad_lines == 0


def test_bad_policy_name(tmp_path, criteo_file):
    with pytest.raises(DataError, match=r"on_bad_line must be one of"):
        _criteo(criteo_file, tmp_path, on_bad_line="ignore")


# --- the cache ----------------------------------------------------------------------

def test_cache_is_reused_and_rebuilt_when_the_source_changes(tmp_path):
    lines = [_line() for _ in range(10)]
    path = _write(tmp_path / "t.txt", lines)
    first = _criteo(path, tmp_path, min_count=1)
    again = _criteo(path, tmp_path, min_count=1)
    assert again.path == first.path
    assert (first.path / "x.npy").stat().st_mtime_ns == (again.path / "x.npy").stat().st_mtime_ns
    other_config = _criteo(path, tmp_path, min_count=2)
    assert other_config.path != first.path
    _write(path, lines + [_line(label="0")])
    changed = _criteo(path, tmp_path, min_count=1)
    assert changed.path != first.path and changed.rows == 11


def test_interrupted_build_leaves_no_valid_cache(tmp_path):
    def builder(workdir: Path):
        np.save(workdir / "x.npy", np.zeros((3, 2), np.int32))
        raise KeyboardInterrupt  # killed half-way

    with pytest.raises(KeyboardInterrupt):
        build_cached("demo", {"s": 1}, {"p": 1}, builder, root=tmp_path)
    assert [p for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    assert not any(p.name.startswith(".demo") and p.is_dir() for p in tmp_path.iterdir())


@pytest.mark.slow
def test_killed_process_leaves_no_valid_cache(tmp_path, criteo_file):
    script = (f"import os, signal\nimport me_core.data.encode as e\n"
              f"orig = e.StreamingEncoder.finish\n"
              f"def finish(self, *a, **k):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
              f"e.StreamingEncoder.finish = finish\n"
              f"from me_core.data import preprocess_criteo\n"
              f"preprocess_criteo({str(criteo_file)!r}, cache_dir={str(tmp_path)!r}, "
              f"progress=False)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert done.returncode != 0
    assert [p for p in tmp_path.iterdir() if not p.name.startswith(".")] == []
    data = preprocess_criteo(criteo_file, cache_dir=tmp_path, progress=False)  # builds cleanly
    assert data.rows == 30_000


def test_opening_an_incomplete_cache_fails_clearly(tmp_path):
    with pytest.raises(DataError, match=r"not a complete data cache"):
        EncodedDataset.open(tmp_path)


# --- splits, fractions, batches ------------------------------------------------------------

def test_split_is_the_official_random_split():
    parts = random_split_indices(1003, seed=0)
    assert [len(parts[k]) for k in ("train", "valid", "test")] == [802, 100, 101]
    official = torch.utils.data.random_split(range(1003), [802, 100, 101],
                                             generator=torch.Generator().manual_seed(0))
    for key, subset in zip(("train", "valid", "test"), official):
        assert list(parts[key]) == list(subset.indices)
    with pytest.raises(DataError, match="ratios"):
        random_split_indices(10, ratios=(0.5, 0.6, 0.1))


def test_split_is_recorded_and_fractions_are_nested(criteo_file, tmp_path):
    data = _criteo(criteo_file, tmp_path)
    assert data.feature_map.split == {"train": 24_000, "valid": 3_000, "test": 3_000}
    train = np.asarray(data.split("train"))
    everything = np.concatenate([train, data.split("valid"), data.split("test")])
    assert sorted(everything) == list(range(30_000))
    tenth, half = data.split("train", fraction=0.1), data.split("train", fraction=0.5)
    assert len(tenth) == 2_400 and len(half) == 12_000
    assert set(tenth) <= set(half) <= set(train)
    other = data.split("train", seed=1)
    assert len(other) == 24_000 and not np.array_equal(other, train)
    with pytest.raises(DataError, match="fraction"):
        data.split("train", fraction=0)


def test_batches_cover_the_split_with_a_seeded_order(criteo_file, tmp_path):
    data = _criteo(criteo_file, tmp_path)
    rows = np.asarray(data.split("valid"))
    plain = BatchLoader(data, rows, batch_size=512)
    xs, ys = zip(*plain.epoch(0))
    assert len(xs) == len(plain) == 6 and xs[-1].shape == (3000 - 5 * 512, 39)
    np.testing.assert_array_equal(torch.cat(xs).numpy(), np.asarray(data.x)[rows])
    np.testing.assert_array_equal(torch.cat(ys).numpy(), np.asarray(data.y)[rows])
    shuffled = BatchLoader(data, rows, batch_size=512, shuffle=True, seed=5)
    e0 = torch.cat([x for x, _ in shuffled.epoch(0)])
    e0_again = torch.cat([x for x, _ in BatchLoader(data, rows, 512, shuffle=True,
                                                    seed=5).epoch(0)])
    e1 = torch.cat([x for x, _ in shuffled.epoch(1)])
    assert torch.equal(e0, e0_again) and not torch.equal(e0, e1)
    assert sorted(map(tuple, e0.tolist())) == sorted(map(tuple, np.asarray(data.x)[rows].tolist()))
    assert xs[0].dtype == torch.int64
    with pytest.raises(DataError, match="batch_size"):
        BatchLoader(data, rows, batch_size=0)


# --- MovieLens-100k, synthetic, your own table ---------------------------------------------------

@pytest.mark.network
def test_movielens_from_the_registry():
    data = preprocess_movielens()
    fmap = data.feature_map
    assert data.rows == 100_000 and fmap.num_fields == 10
    assert fmap.field_names == ["user_id", "item_id", "age", "gender", "occupation", "zip3",
                                "release_year", "genres", "hour", "weekday"]
    dims = dict(zip(fmap.field_names, fmap.cardinalities))
    assert dims["user_id"] == 944 and dims["item_id"] == 1683  # + the OOV id
    assert dims["gender"] == 3 and dims["age"] == 8 and dims["hour"] == 25 and dims["weekday"] == 8
    assert 0.55 < fmap.positive_rate < 0.56  # ratings >= 4: 55,375 of 100,000
    assert fmap.split == {"train": 80_000, "valid": 10_000, "test": 10_000}


@pytest.mark.network
def test_movielens_official_folder_gives_the_same_table(tmp_path):
    import pandas as pd

    from me_core.data.movielens import load_movielens_100k_frame
    atomic = fetch_movielens_100k()
    def read(name):
        return pd.read_csv(atomic / name, sep="\t", dtype=str, keep_default_na=False, quoting=3)

    inter, user, item = (read(n) for n in ATOMIC_FILES)
    inter.to_csv(tmp_path / "u.data", sep="\t", header=False, index=False)
    user.to_csv(tmp_path / "u.user", sep="|", header=False, index=False)
    flags = pd.DataFrame({g: item.iloc[:, 3].map(lambda s, g=g: int(g in s.split()))
                          for g in GENRES})
    official_item = pd.concat([item.iloc[:, 0], item.iloc[:, 1],
                               "01-Jan-" + item.iloc[:, 2], pd.Series([""] * len(item)),
                               pd.Series([""] * len(item)), flags], axis=1)
    official_item.to_csv(tmp_path / "u.item", sep="|", header=False, index=False)
    ours = load_movielens_100k_frame(tmp_path)
    theirs = load_movielens_100k_frame()
    pd.testing.assert_frame_equal(ours, theirs)
    with pytest.raises(DataError, match="neither the official files"):
        load_movielens_100k_frame(tmp_path / "..")


def test_synthetic_in_the_cache(tmp_path):
    data = preprocess_synthetic(rows=20_000, cache_dir=tmp_path)
    fmap = data.feature_map
    assert data.rows == 20_000 and fmap.num_fields == 20
    assert fmap.details["synthetic"] is True and 0.85 < fmap.details["bayes_auc"] < 0.97
    assert fmap.cardinalities[0] == 6  # 5 values + OOV
    assert fmap.oov_share[-1] > 0.05 and fmap.oov_share[0] == 0
    with pytest.raises(DataError, match="unknown synthetic option"):
        preprocess_synthetic(rowz=5, cache_dir=tmp_path)


def test_your_own_frame(tmp_path):
    """A DataFrame goes through the one table entry point; the label rule names the row value."""
    import pandas as pd

    frame = pd.DataFrame({"a": ["x", "y", "x", "z"] * 5, "b": ["1", "2", "1", None] * 5,
                          "click": [1, 0, 1, 0] * 5})
    data = preprocess_table(frame, "click", categorical=["a", "b"], cache_dir=tmp_path)
    assert data.feature_map.vocabularies == [["x", "y", "z"], ["1", "2", "NULL"]]
    np.testing.assert_array_equal(np.asarray(data.x)[:4], [[1, 1], [2, 2], [1, 1], [3, 3]])
    with pytest.raises(DataError, match=r"label column 'click' is not binary 0/1: found 3"):
        preprocess_table(frame.assign(click=[1, 2, 0, 0] * 5), "click", cache_dir=tmp_path)
    with pytest.raises(DataError, match="no label column 'y'"):
        preprocess_table(frame, "y", cache_dir=tmp_path)


def test_load_dataset_errors(tmp_path):
    with pytest.raises(DataError, match="needs the path"):
        load_dataset("criteo", cache_dir=tmp_path)
    with pytest.raises(DataError, match="unknown data set 'kdd'"):
        load_dataset("kdd")


# --- CLI --------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "me_core", *args], capture_output=True,
                          text=True, cwd=ROOT)


@pytest.mark.slow
def test_cli_preprocess_prints_the_field_table(criteo_file, tmp_path):
    done = _cli("preprocess", "criteo", str(criteo_file), "--cache-dir", str(tmp_path), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "field" in done.stdout and "oov_share" in done.stdout and "C26" in done.stdout
    assert "criteo: 30,000 rows, 39 fields" in done.stdout
    done = _cli("preprocess", "synthetic", "--rows", "5000", "--cache-dir", str(tmp_path))
    assert done.returncode == 0 and "Bayes AUC" in done.stdout


@pytest.mark.slow
def test_cli_preprocess_errors_are_one_line(tmp_path):
    done = _cli("preprocess", "criteo", str(tmp_path / "missing.txt"), "--cache-dir",
                str(tmp_path))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("me_core preprocess: error: ") and "no such file" in done.stderr
    done = _cli("preprocess", "movielens", "--min-count", "0")
    assert done.returncode == 2 and "--min-count must be >= 1" in done.stderr


def test_vectorised_integer_rule_is_bit_identical():
    import pyarrow as pa

    from me_core.data.criteo import integer_tokens
    rng = np.random.default_rng(0)
    values = np.concatenate([np.arange(-5, 200_000), rng.integers(0, 2**31, 200_000),
                             np.round(np.exp(np.sqrt(np.arange(1, 400)))).astype(np.int64)])
    raw = [str(v) for v in values] + [""]
    assert integer_tokens(pa.array(raw)).to_pylist() == [integer_token(v) for v in raw]


def test_registry_download_failure_names_the_requirement(tmp_path):
    from me_core.data.downloads import download_from_registry

    with pytest.raises(DataError, match="could not download no-such-package-me-core==9.9"):
        download_from_registry("no-such-package-me-core==9.9", tmp_path, "*.whl")


@pytest.mark.slow
def test_gpu_check_runs_on_cpu_at_a_tiny_size(tmp_path, capsys):
    """benchmarks/gpu_check.py (the paper's setting on an accelerator) runs end to end on CPU."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import gpu_check
    result = gpu_check.main(["--device", "cpu", "--lines", "3000", "--epochs", "1", "--steps",
                             "1", "--batch-size", "256", "--precisions", "fp32",
                             "--workdir", str(tmp_path / "work"), "--out", str(tmp_path / "out")])
    assert [(r["config"], r["precision"]) for r in result["runs"]] == [
        ("SE DCNv2 K=10", "fp32"), ("ME DCNv2 10x10", "fp32")]
    for run in result["runs"]:
        assert run["model_only_samples_per_s"] > 0 and run["loop_reference_samples_per_s"] > 0
        assert 0 < run["test_auc"] < 1 and run["epochs"] == 1
    saved = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert saved["provenance"]["git_commit"] and saved["lines"] == 3000
    assert "ME DCNv2 10x10" in capsys.readouterr().out
