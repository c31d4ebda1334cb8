"""Fault tests: what a hostile but fair user does, and what me_core promises back.

Grouped by promise: nothing lost or pooled wrongly; damaged files are named, not fatal; bad input
is refused early, by name, in one line (exit status 2); odd bytes are bad lines; no leftovers.
Each test is a case that once lost data, gave a wrong answer or ended in a traceback.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from me_core.__main__ import main
from me_core.data import DataError, load_dataset
from me_core.data.generate import write_avazu_format, write_criteo_format
from me_core.data.table import preprocess_table, read_table
from me_core.train import RunConfig, records_frame, summarize, train
from me_core.train.checkpoint import CheckpointError, load_checkpoint
from me_core.train.trainer import RunWarning, check_classes

TINY = {"rows": 4000, "cardinalities": [5, 10, 20, 50], "teacher": "A3", "interacting_pairs": 2}


def _config(**kwargs) -> RunConfig:
    base = dict(model="dnn", data_options=TINY, max_epochs=2, patience=1, batch_size=512)
    return RunConfig(**{**base, **kwargs})


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.err.strip()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- nothing lost, nothing pooled


def test_a_finished_run_whose_record_was_lost_appends_it_on_rerun(tmp_path, cache):
    run_dir, records = tmp_path / "run", tmp_path / "records.jsonl"
    first = train(_config(), run_dir=run_dir, cache_dir=cache)  # killed before appending
    assert not first.appended and not records.exists()
    with pytest.warns(RunWarning, match="missing from"):
        again = train(_config(), run_dir=run_dir, records=records, cache_dir=cache)
    assert again.reused and again.appended
    assert [r["key"] for r in map(json.loads, records.read_text().splitlines())] == \
        [_config().key()]
    third = train(_config(), run_dir=run_dir, records=records, cache_dir=cache)
    assert third.reused and not third.appended and len(records.read_text().splitlines()) == 1


def test_a_reused_run_returns_its_model(tmp_path, cache):
    from me_core.data import BatchLoader
    from me_core.train import evaluate

    first = train(_config(), run_dir=tmp_path / "run", cache_dir=cache)
    again = train(_config(), run_dir=tmp_path / "run", cache_dir=cache)
    assert again.reused and again.model is not None
    data = _config().open_data(cache_dir=cache)
    test = BatchLoader(data, data.split("test"), 4096)
    assert evaluate(again.model, test)["auc"] == first.record["test"]["auc"]


def test_cli_says_whether_the_record_was_appended(tmp_path, cache, capsys):
    args = ["train", "--model", "dnn", "--rows", "3000", "--epochs", "1", "--quiet",
            "--cache-dir", str(cache), "--run-root", str(tmp_path / "runs"),
            "--records", str(tmp_path / "r.jsonl")]
    assert main(args) == 0
    assert "record appended to" in capsys.readouterr().out
    assert main(args) == 0
    assert "record was already in" in capsys.readouterr().out


def test_run_keys_do_not_depend_on_how_the_data_path_is_spelled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "criteo").mkdir()
    spellings = ["criteo/train.txt", str(tmp_path / "criteo" / "train.txt"),
                 "x/../criteo/train.txt", "./criteo//train.txt"]
    keys = {RunConfig(dataset="criteo", data_path=p).key() for p in spellings}
    assert len(keys) == 1


def test_results_never_pool_runs_that_differ_in_more_than_the_seed(tmp_path, cache):
    records = tmp_path / "r.jsonl"
    for config in (_config(seed=0), _config(seed=1), _config(seed=0, lr=3e-3),
                   _config(seed=0, data_options={**TINY, "rows": 3000})):
        train(config, records=records, cache_dir=cache)
    summary = summarize(records_frame(records))
    assert sorted(summary.runs) == [1, 1, 2] and sorted(summary.seeds) == [1, 1, 2]
    pooled = summary[summary.runs == 2].iloc[0]  # seeds 0 and 1 of the same settings
    assert "lr=0.001" in pooled.settings and '"rows":4000' in pooled.settings
    assert sorted(summary.settings.str.contains("lr=0.003")) == [False, False, True]
    assert sorted(summary.settings.str.contains('"rows":3000')) == [False, False, True]


def test_output_paths_are_checked_before_training(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = _cli(capsys, "train", "--rows", "3000", "--epochs", "1", "--quiet",
                     "--records", str(tmp_path), "--run-root", str(tmp_path / "runs"))
    assert code == 2 and "is a folder" in err and len(err.splitlines()) == 1
    code, err = _cli(capsys, "train", "--rows", "3000", "--epochs", "1", "--quiet",
                     "--run-root", str(tmp_path / "afile"), "--records",
                     str(tmp_path / "r.jsonl"))
    assert code == 2 and "is a file, not a folder" in err
    assert not (tmp_path / "r.jsonl").exists()


def test_book_refuses_a_folder_it_did_not_make(tmp_path):
    from me_core.companion.book import BookError, build

    foreign = tmp_path / "work"
    (foreign / "runs").mkdir(parents=True)
    (foreign / "runs" / "precious.txt").write_text("30 minutes of training")
    with pytest.raises(BookError, match="not empty and was not made by"):
        build("smoke", foreign, html=False)
    assert (foreign / "runs" / "precious.txt").read_text() == "30 minutes of training"


def _mini_book(root: Path) -> None:
    (root / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "- file: notebooks/a\n- file: notebooks/b\n")
    (root / "_config.yml").write_text("title: t\n")
    (root / "intro.md").write_text("# t\n")
    (root / "notebooks" / "profiles.yml").write_text("smoke: {}\n")
    for name in "ab":
        (root / "notebooks" / f"{name}.py").write_text(
            "# %% tags=['parameters']\nvalue = 1\n\n# %%\n"
            "from me_core.companion.report import record_finding\n"
            f"record_finding('{name}', 'k', figure='f', finding='x', paper='p', ours='o', "
            "verdict='reproduced', data='d')\n")


@pytest.mark.slow
def test_book_only_keeps_the_other_chapters_state(tmp_path):
    from me_core.companion.book import build

    root, out = tmp_path / "repo", tmp_path / "out"
    _mini_book(root)
    build("smoke", out, root=root, html=False, jobs=1)
    (out / "runs" / "abc").mkdir(parents=True)
    (out / "runs" / "abc" / "record.json").write_text("{}")
    before = (out / "src" / "notebooks" / "b.ipynb").read_bytes()
    messages: list[str] = []
    build("smoke", out, root=root, only=["a"], jobs=1, echo=messages.append)
    assert (out / "src" / "notebooks" / "b.ipynb").read_bytes() == before
    assert (out / "summaries" / "b--k.json").exists() and (out / "summaries" / "a--k.json").exists()
    assert (out / "runs" / "abc" / "record.json").exists()
    assert any("executed notebook" in m and "a.ipynb" in m for m in messages)
    assert any(m.count("findings:") for m in messages)


# ------------------------------------------------------------ damaged files: named, not fatal


@pytest.mark.parametrize("damage", [b"", b"\x00" * 10, os.urandom(300)])
def test_a_damaged_last_checkpoint_restarts_the_run_and_says_so(tmp_path, cache, damage):
    clean = train(_config(max_epochs=3, patience=3), cache_dir=cache)
    run_dir = tmp_path / "run"
    train(_config(max_epochs=1, patience=3), run_dir=run_dir, cache_dir=cache)
    (run_dir / "record.json").unlink()  # as if killed after epoch 1 of a 3-epoch run
    (run_dir / "last.pt").write_bytes(damage)
    with pytest.warns(RunWarning, match="last.pt.*from scratch"):
        again = train(_config(max_epochs=3, patience=3), run_dir=run_dir, cache_dir=cache)
    assert again.resumed_from_epoch is None
    assert again.record["test"] == clean.record["test"]
    assert (run_dir / "last.pt.damaged").exists()


def _no_optimizer(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "optimizer"}


def _wrong_shape(state: dict) -> dict:
    model = dict(state["model"])
    name = next(k for k, v in model.items() if v.ndim == 2)
    model[name] = model[name][:, :1].clone()
    return {**state, "model": model}


def _no_history(state: dict) -> dict:
    return {**state, "history": "lost"}


@pytest.mark.parametrize("damage", [_no_optimizer, _wrong_shape, _no_history])
def test_a_readable_but_wrong_last_checkpoint_restarts_the_run(tmp_path, cache, damage):
    """A last.pt that loads but lacks its optimizer state, holds a wrong-shaped tensor or a
    history of the wrong type used to end in a KeyError or a size-mismatch traceback."""
    import torch

    clean = train(_config(max_epochs=3, patience=3), cache_dir=cache)
    run_dir = tmp_path / "run"
    train(_config(max_epochs=1, patience=3), run_dir=run_dir, cache_dir=cache)
    (run_dir / "record.json").unlink()  # as if killed after epoch 1 of a 3-epoch run
    state = torch.load(run_dir / "last.pt", weights_only=True)
    longer = _config(max_epochs=3, patience=3)  # as if it were the 3-epoch run's checkpoint
    state = {**state, "key": longer.key(), "config": longer.to_dict()}
    torch.save(damage(state), run_dir / "last.pt")
    with pytest.warns(RunWarning, match="last.pt.*from scratch"):
        again = train(_config(max_epochs=3, patience=3), run_dir=run_dir, cache_dir=cache)
    assert again.resumed_from_epoch is None
    assert again.record["test"] == clean.record["test"]
    assert (run_dir / "last.pt.damaged").exists()


def test_two_identical_train_commands_train_once(tmp_path, cache, capsys):
    """train takes the sweep's run lock: a second identical command waits, then reuses."""
    import threading

    argv = ["train", "--model", "dnn", "--data-option", "rows=4000", "--data-option",
            "cardinalities=[5, 10, 20, 50]", "--data-option", "teacher=A3",
            "--data-option", "interacting_pairs=2", "--epochs", "1", "--batch-size", "512",
            "--run-root", str(tmp_path / "runs"), "--records", str(tmp_path / "r.jsonl"),
            "--cache-dir", str(cache), "--quiet"]
    codes = []
    threads = [threading.Thread(target=lambda: codes.append(main(argv))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out = capsys.readouterr().out
    assert codes == [0, 0]
    assert out.count("(trained)") == 1 and out.count("already finished") == 1
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 1


def test_a_damaged_best_checkpoint_of_a_finished_run_retrains(tmp_path, cache):
    run_dir = tmp_path / "run"
    first = train(_config(), run_dir=run_dir, cache_dir=cache)
    (run_dir / "best.pt").write_bytes(b"PK\x03\x04 truncated")
    with pytest.warns(RunWarning, match="best.pt"):
        again = train(_config(), run_dir=run_dir, cache_dir=cache)
    assert not again.reused and again.record["test"] == first.record["test"]


def test_a_damaged_record_json_retrains(tmp_path, cache):
    run_dir = tmp_path / "run"
    train(_config(), run_dir=run_dir, cache_dir=cache)
    (run_dir / "record.json").write_text('{"key": "abc", "tes')
    with pytest.warns(RunWarning, match="record.json: damaged"):
        again = train(_config(), run_dir=run_dir, cache_dir=cache)
    assert not again.reused


def test_a_stub_record_json_is_set_aside_not_copied_forward(tmp_path, cache):
    """A record.json holding only its key (#36): set aside and retrained, never appended to
    the records file (which would break it) and never a KeyError."""
    from me_core.train.records import read_records

    run_dir, records = tmp_path / "run", tmp_path / "records.jsonl"
    config = _config()
    train(config, run_dir=run_dir, cache_dir=cache)
    (run_dir / "record.json").write_text(json.dumps({"key": config.key()}))
    with pytest.warns(RunWarning, match="not a finished run's record: no config, test"):
        again = train(config, run_dir=run_dir, records=records, cache_dir=cache)
    assert not again.reused and (run_dir / "record.json.damaged").exists()
    assert [r["key"] for r in read_records(records)] == [config.key()]


def test_load_checkpoint_names_the_damaged_file(tmp_path):
    path = tmp_path / "best.pt"
    path.write_bytes(os.urandom(64))
    with pytest.raises(CheckpointError, match="best.pt: damaged") as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value) and "weights_only" not in str(caught.value)


def test_diagnose_names_damaged_files_and_reads_killed_runs(tmp_path, cache, capsys,
                                                            monkeypatch):
    junk = tmp_path / "model.pt"
    junk.write_bytes(os.urandom(200))
    code, err = _cli(capsys, "diagnose", str(junk))
    assert code == 2 and "model.pt: damaged" in err and len(err.splitlines()) == 1
    run_dir = tmp_path / "run"
    train(_config(max_epochs=1), run_dir=run_dir, cache_dir=cache)
    (run_dir / "record.json").unlink()  # killed: only the epoch checkpoints are left
    monkeypatch.setenv("ME_CORE_CACHE", str(cache))
    from me_core.diagnosis import load_tables

    tables = load_tables(run_dir)
    assert len(tables) == len(TINY["cardinalities"])


def test_diagnose_names_a_nan_table():
    from me_core.diagnosis import diagnose

    with pytest.raises(ValueError, match="table 'user' contains NaN"):
        diagnose({"user": [np.full((20, 4), np.nan)]})


# ------------------------------------------------------- bad input: early, by name, one line


@pytest.mark.parametrize("flag", ["--option", "--data-option"])
def test_malformed_yaml_values_name_the_flag(capsys, flag):
    code, err = _cli(capsys, "train", "--rows", "3000", flag, "scales=[1, 2")
    assert code == 2 and flag in err and "scales=[1, 2" in err and len(err.splitlines()) == 1


def test_book_parameters_are_checked_against_the_parameters_cell(tmp_path, capsys):
    code, err = _cli(capsys, "book", "--profile", "smoke", "--build-dir", str(tmp_path / "b"),
                     "--param", "seeds=notalist")
    assert code == 2 and "seeds='notalist'" in err and "list" in err
    code, err = _cli(capsys, "book", "--profile", "smoke", "--build-dir", str(tmp_path / "b"),
                     "--param", "seeds=[1, 2")
    assert code == 2 and "--param" in err
    assert not (tmp_path / "b").exists()


def test_sweep_spec_values_must_be_lists(tmp_path):
    from me_core.train import ConfigError
    from me_core.train.sweep import load_spec

    spec = tmp_path / "sweep.yml"
    spec.write_text("models: [dnn]\nscales: 3\n")
    with pytest.raises(ConfigError, match="scales must be a YAML list"):
        load_spec(spec)
    spec.write_text("- dnn\n")
    with pytest.raises(ConfigError, match="a YAML mapping"):
        load_spec(spec)


@pytest.mark.parametrize("line, message", [
    ("[1, 2]", "a JSON list, not a run record"),
    ('{"foo": 1}', "no key, config, test"),
])
def test_results_name_the_file_and_line_of_a_bad_record(tmp_path, capsys, line, message):
    records = tmp_path / "r.jsonl"
    records.write_text(line + "\n")
    code, err = _cli(capsys, "results", str(records))
    assert code == 2 and f"{records}, line 1" in err and message in err


def test_results_name_a_binary_records_file(tmp_path, capsys):
    records = tmp_path / "r.jsonl"
    records.write_bytes(b"\xff\xfe\x00binary")
    code, err = _cli(capsys, "results", str(records))
    assert code == 2 and str(records) in err and "not a text file" in err


def test_one_class_labels_and_tiny_tables_are_refused(tmp_path):
    frame = pd.DataFrame({"user": list("abcdefghijkl"), "click": [0] * 12})
    with pytest.raises(DataError, match="only the value 0"):
        preprocess_table(frame, "click", cache_dir=tmp_path)
    frame = pd.DataFrame({"user": list("abc"), "click": [0, 1, 0]})
    with pytest.raises(DataError, match="3 row.*at least 10"):
        preprocess_table(frame, "click", cache_dir=tmp_path)


def test_training_refuses_a_split_without_both_classes():
    data = SimpleNamespace(y=np.array([0, 0, 1, 1, 0, 0], np.float32),
                           feature_map=SimpleNamespace(dataset="table", rows=6))
    with pytest.raises(DataError, match="the valid split has only label 0"):
        check_classes(data, {"train": np.array([0, 2]), "valid": np.array([4, 5]),
                             "test": np.array([1, 3])})


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("user,user,click\n" + "a,b,1\nb,c,0\n" * 10)
    with pytest.raises(DataError, match=r"line 1 names column\(s\) \['user'\] more than once"):
        preprocess_table(path, "click", cache_dir=tmp_path / "c")


def test_a_table_name_cannot_leave_the_cache(tmp_path):
    frame = pd.DataFrame({"user": list("abcdefghijkl"), "click": [0, 1] * 6})
    with pytest.raises(DataError, match="name '../x'"):
        preprocess_table(frame, "click", name="../x", cache_dir=tmp_path / "c")


def test_launch_notebooks_refuse_a_branch_that_is_not_a_name(tmp_path, capsys):
    code, err = _cli(capsys, "launch-notebooks", "--repository-url",
                     "https://github.com/a/b", "--branch", 'main"], shell=True) #',
                     "--out", str(tmp_path))
    assert code == 2 and "not a plain git branch name" in err
    assert not list(tmp_path.rglob("*.ipynb"))


# --------------------------------------------------------------- odd bytes are bad lines


def test_directories_are_reported_as_directories(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        load_dataset("criteo", tmp_path, cache_dir=tmp_path / "c")
    with pytest.raises(DataError, match="is a folder"):
        load_dataset("table", tmp_path, label="click", cache_dir=tmp_path / "c")


def _criteo_with_binary_line(tmp_path: Path) -> Path:
    path = write_criteo_format(tmp_path / "train.txt", 200)
    lines = path.read_bytes().split(b"\n")
    lines[49] = b"\xff\xfe\x00\x9c" + lines[49][4:]  # line 50: binary junk
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.slow
def test_a_binary_line_is_a_numbered_bad_line(tmp_path):
    path = _criteo_with_binary_line(tmp_path)
    with pytest.raises(DataError, match="line 50: not UTF-8 text"):
        load_dataset("criteo", path, cache_dir=tmp_path / "c", progress=False)
    data = load_dataset("criteo", path, cache_dir=tmp_path / "c", progress=False,
                        on_bad_line="skip", min_count=1)
    assert data.feature_map.rows == 199 and data.feature_map.bad_lines == 1
    assert data.feature_map.first_bad_lines == [50]


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["error", "skip"])
def test_a_truncated_gzip_file_is_one_line_naming_it(tmp_path, policy):
    whole = write_criteo_format(tmp_path / "train.txt.gz", 3000, compress=True).read_bytes()
    path = tmp_path / "cut.txt.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataError, match="cut.txt.gz: the gzip file is truncated"):
        load_dataset("criteo", path, cache_dir=tmp_path / "c", progress=False,
                     on_bad_line=policy)


@pytest.mark.slow
def test_a_byte_order_mark_is_accepted_in_avazu_as_in_criteo(tmp_path):
    plain = write_avazu_format(tmp_path / "train.csv", 300)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    a = load_dataset("avazu", plain, cache_dir=tmp_path / "c", progress=False, min_count=1)
    b = load_dataset("avazu", bom, cache_dir=tmp_path / "c", progress=False, min_count=1)
    assert np.array_equal(np.asarray(a.x), np.asarray(b.x))


# ------------------------------------------------------------------------- no leftovers


def test_stale_staging_folders_are_removed_and_locks_do_not_pile_up(tmp_path):
    from me_core.data.synthetic import preprocess_synthetic  # noqa: F401 (the cache path)

    cache = tmp_path / "c"
    first = load_dataset("synthetic", cache_dir=cache, **{**TINY, "rows": 1000})
    stale = cache / f".{first.path.name}.tmp-killed"
    stale.mkdir()
    (stale / "x.npy").write_bytes(b"half")
    load_dataset("synthetic", cache_dir=cache, rebuild=True, **{**TINY, "rows": 1000})
    assert not stale.exists()
    for rows in range(1100, 1600, 100):
        load_dataset("synthetic", cache_dir=cache, **{**TINY, "rows": rows})
    assert not list(cache.glob("*.lock")) and len(list((cache / ".locks").iterdir())) <= 16


def test_files_and_folders_get_the_umask_modes(tmp_path, cache):
    mask = _umask()
    data = load_dataset("synthetic", cache_dir=tmp_path / "c", **{**TINY, "rows": 1000})
    assert stat.S_IMODE(data.path.stat().st_mode) == 0o777 & ~mask
    run_dir = tmp_path / "run"
    train(_config(max_epochs=1), run_dir=run_dir, records=tmp_path / "r.jsonl",
          cache_dir=cache)
    for name in ("best.pt", "last.pt", "record.json"):
        assert stat.S_IMODE((run_dir / name).stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "r.jsonl").stat().st_mode) == 0o666 & ~mask


def test_warnings_are_one_line_on_the_cli(tmp_path, cache, capsys):
    import warnings

    run_dir = tmp_path / "runs"
    args = ["train", "--model", "dnn", "--rows", "3000", "--epochs", "1", "--quiet",
            "--cache-dir", str(cache), "--run-root", str(run_dir), "--records",
            str(tmp_path / "r.jsonl")]
    assert main(args) == 0
    run = next(p for p in run_dir.iterdir() if not p.name.startswith("."))  # not .locks
    (run / "record.json").write_text("{broken")
    with pytest.warns(RunWarning, match="record.json: damaged"):
        assert main(args) == 0
    line = warnings.formatwarning(RunWarning("x damaged"), RunWarning, "trainer.py", 1)
    assert line == "me_core: warning: x damaged\n"


# ------------------------------------------------------------------- concurrent writers
# (kills: tests/test_train.py::test_killed_run_resumes_to_the_same_metrics kills a training
# process with SIGKILL and checks that the rerun ends bit-identical to an uninterrupted run)


def test_concurrent_builds_of_one_cache_build_it_once(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    options = {**TINY, "rows": 2000}
    with ThreadPoolExecutor(3) as pool:
        opened = list(pool.map(lambda _: load_dataset("synthetic", cache_dir=tmp_path,
                                                      **options).path, range(3)))
    assert len(set(opened)) == 1
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".locks")] == \
        [opened[0].name]


def test_concurrent_appends_keep_every_record(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from me_core.train.records import append_record, read_records

    path = tmp_path / "r.jsonl"
    config = {"dataset": "synthetic", "model": "dnn", "multi_embedding": False, "scale": 1,
              "fraction": 1.0, "batch_size": 512}
    records = [{"key": f"k{i}", "config": {**config, "seed": i}, "test": {}} for i in range(24)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda r: append_record(path, r), records))
    assert sorted(r["key"] for r in read_records(path)) == sorted(r["key"] for r in records)
    with ThreadPoolExecutor(4) as pool:  # the same run finished twice: recorded once
        list(pool.map(lambda _: append_record(path, records[0], unless_recorded=True), range(4)))
    assert len(read_records(path)) == 24


def test_two_chapters_asking_for_one_run_train_it_once(tmp_path, cache, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from me_core.companion.runs import train_runs

    monkeypatch.setenv("ME_CORE_CACHE", str(cache))
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: train_runs([_config()], root=tmp_path, verbose=False)[0],
                             range(2)))
    assert sorted(r.reused for r in runs) == [False, True]
    assert runs[0].record["test"] == runs[1].record["test"]


# --- typed options checked at the door (#36): one line naming the key, the value and the rule
@pytest.mark.parametrize("flags, named", [
    (["--scale", "1000000000"], "scale: 1000000000 must be 1 to 100"),
    (["--data-option", "rows=abc"], "synthetic option rows='abc': must be an integer"),
    (["--data-option", "rows=5000.5"], "synthetic option rows=5000.5: must be an integer"),
    (["--data-option", "seed=abc"], "synthetic option seed='abc': must be an integer"),
    (["--data-option", "nosuch=1"], "unknown synthetic option(s) ['nosuch']"),
    (["--option", "mlp_dims=[0]"], "mlp_dims: one or more widths, each >= 1, got [0]"),
    (["--option", "mlp_dims=abc"], "mlp_dims='abc': must be a list of integers"),
    (["--option", "dropout=x"], "dropout='x': must be a number"),
])
def test_bad_options_fail_at_once_naming_the_key(flags, named, tmp_path, capsys):
    from me_core.cli import main

    code = main(["train", "--model", "dnn", "--rows", "3000", "--epochs", "1", *flags,
                 "--run-root", str(tmp_path / "runs"), "--records", str(tmp_path / "r.jsonl"),
                 "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and named in err and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "r.jsonl").exists()


@pytest.mark.parametrize("option, named", [
    ("name=../../evil", "name '../../evil'"), ("bins=abc", "table option bins='abc'"),
    ("min_count=2.5", "table option min_count=2.5: must be an integer"),
])
def test_bad_table_options_fail_at_once_naming_the_key(option, named, tmp_path, capsys):
    from me_core.cli import main

    code = main(["train", "--model", "dnn", "--dataset", "table", "--data-path",
                 str(Path(__file__).parent / "data" / "flights_sample.csv"), "--data-option",
                 "label=delayed", "--data-option", option, "--epochs", "1", "--run-root",
                 str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and named in err and "Traceback" not in err


def test_a_sweep_spec_with_a_wrong_seed_type_fails_before_any_run(tmp_path, capsys):
    from me_core.cli import main

    spec = tmp_path / "spec.yml"
    spec.write_text('seeds: ["zero"]\nsettings: {max_epochs: 1}\n')
    code = main(["sweep", "--spec", str(spec), "--records", str(tmp_path / "r.jsonl"),
                 "--run-root", str(tmp_path / "runs")])
    assert code == 2 and "seed='zero': must be an integer" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("content", ["[1, 2]", "{}"])
def test_analyse_names_a_record_json_that_is_not_a_record(content, tmp_path, capsys):
    from me_core.cli import main

    run = tmp_path / "run"
    run.mkdir()
    (run / "record.json").write_text(content)
    (run / "best.pt").write_bytes(b"")
    assert main(["analyse", str(run), "--out", str(tmp_path / "a.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "record.json: not a finished run's record" in err and "Traceback" not in err


@pytest.mark.parametrize("plot, named", [("/nonexistent/p.png", "no folder /nonexistent"),
                                         ("out.xyz", "name a .png")])
def test_diagnose_checks_its_plot_path_first(plot, named, tmp_path, capsys):
    from me_core.cli import main

    assert main(["diagnose", str(tmp_path / "missing.pt"), "--plot", plot]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err and "missing.pt" not in err


def _table_frame(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"user": rng.integers(0, 30, rows).astype(str),
                         "price": rng.gamma(2, 3, rows), "y": rng.integers(0, 2, rows)})


def test_infinite_numbers_are_tokens_of_their_own_and_nan_is_missing(tmp_path):
    from me_core.data.table import bucketize, preprocess_table

    frame = _table_frame()
    frame.loc[3, "price"], frame.loc[4, "price"], frame.loc[5, "price"] = \
        np.inf, -np.inf, np.nan
    for rule in ("quantile", "criteo"):
        tokens = bucketize(frame.price, rule)
        assert (tokens[3], tokens[4], tokens[5]) == ("+inf", "-inf", "NULL")
        assert not tokens.drop([3, 4, 5]).isin(["+inf", "-inf", "NULL"]).any()
    data = preprocess_table(frame, "y", numeric=["price"], categorical=["user"],
                            cache_dir=tmp_path)
    assert "+inf" in data.feature_map.vocabularies[1] or data.feature_map.oov_share[1] > 0


def test_duplicate_and_nested_columns_are_named(tmp_path):
    from me_core.data import DataError
    from me_core.data.table import preprocess_table

    frame = _table_frame()
    twice = frame.rename(columns={"price": "user"})
    with pytest.raises(DataError, match=r"column name\(s\) \['user'\] appear more than once"):
        preprocess_table(twice, "y", cache_dir=tmp_path)
    nested = frame.astype({"user": object})
    nested.at[7, "user"] = ["a", "b"]
    with pytest.raises(DataError, match="column 'user', row 7 holds list"):
        preprocess_table(nested, "y", categorical=["user"], cache_dir=tmp_path)


# ------------------------------------------------------------ damaged caches: rebuilt, said aloud


def _tiny_cache(tmp_path: Path):
    return load_dataset("synthetic", cache_dir=tmp_path / "c", **TINY)


@pytest.mark.parametrize("content, named", [("[]", "JSON list"),
                                            ('{"format_version": 1}', "lacks dataset"),
                                            (None, "lacks rows"),
                                            ("{", "not valid JSON")])
def test_a_damaged_feature_map_is_rebuilt_with_a_warning(tmp_path, content, named):
    from me_core.data import DataWarning

    data = _tiny_cache(tmp_path)
    meta = data.path / "feature_map.json"
    if content is None:  # a feature map without its row count
        payload = json.loads(meta.read_text())
        payload.pop("rows")
        content = json.dumps(payload)
    meta.write_text(content)
    with pytest.warns(DataWarning, match=f"feature_map.json.*{named}.*rebuilding"):
        again = _tiny_cache(tmp_path)
    assert again.rows == TINY["rows"] and np.array_equal(again.x, data.x)


def test_vocabularies_are_memory_mapped_not_python_lists(tmp_path):
    """A reopened cache reads its vocabularies from the Arrow file beside feature_map.json,
    one value at a time: the same values and decoding as when it was built."""
    from me_core.data.featuremap import Vocabularies

    built = _tiny_cache(tmp_path)
    again = _tiny_cache(tmp_path)
    assert isinstance(again.feature_map.vocabularies, Vocabularies)
    assert json.loads((again.path / "feature_map.json").read_text())["vocabularies"] == \
        "vocabularies.arrow"
    assert again.feature_map.vocabularies == built.feature_map.vocabularies
    assert [len(v) + 1 for v in again.feature_map.vocabularies] == again.feature_map.cardinalities
    field, value_id = 1, again.feature_map.cardinalities[1] - 1
    assert again.feature_map.decode(field, value_id) == \
        again.feature_map.vocabularies[field][value_id - 1]


def test_a_cache_with_inline_vocabularies_still_opens(tmp_path):
    """Caches written before the vocabulary file hold the lists in feature_map.json."""
    data = _tiny_cache(tmp_path)
    meta = data.path / "feature_map.json"
    meta.write_text(data.feature_map.to_json())
    (data.path / "vocabularies.arrow").unlink()
    again = _tiny_cache(tmp_path)
    assert isinstance(again.feature_map.vocabularies, list)
    assert again.feature_map.vocabularies == data.feature_map.vocabularies


@pytest.mark.parametrize("damage", ["truncated", "deleted", "other name"])
def test_a_damaged_vocabulary_file_is_rebuilt_with_a_warning(tmp_path, damage):
    from me_core.data import DataWarning

    data = _tiny_cache(tmp_path)
    expected = list(data.feature_map.vocabularies)  # read before the mapped file is damaged
    vocab = data.path / "vocabularies.arrow"
    if damage == "deleted":
        vocab.unlink()
    elif damage == "truncated":
        vocab.write_bytes(vocab.read_bytes()[:100])
    else:
        payload = json.loads((data.path / "feature_map.json").read_text())
        (data.path / "feature_map.json").write_text(json.dumps({**payload,
                                                                "vocabularies": "../x"}))
    with pytest.warns(DataWarning, match="(vocabularies.arrow|feature_map.json).*rebuilding"):
        again = _tiny_cache(tmp_path)
    assert again.feature_map.vocabularies == expected


@pytest.mark.parametrize("damage", ["out of range", "truncated", "deleted", "float"])
def test_a_damaged_split_is_rebuilt_with_a_warning(tmp_path, damage):
    from me_core.data import DataWarning

    data = _tiny_cache(tmp_path)
    clean = np.array(data.split("train"))
    path = next((data.path / "splits").glob("*/train.npy"))
    if damage == "out of range":
        np.save(path, clean + data.rows)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "deleted":
        path.unlink()
    else:
        np.save(path, clean.astype(np.float32))
    with pytest.warns(DataWarning, match="train.npy.*rebuilding the split"):
        again = np.array(_tiny_cache(tmp_path).split("train"))
    assert np.array_equal(again, clean)


def test_a_symlinked_cache_folder_is_named_not_rmtree_d(tmp_path):
    data = _tiny_cache(tmp_path)
    target = tmp_path / "elsewhere"
    data.path.rename(target)
    data.path.symlink_to(target, target_is_directory=True)
    assert _tiny_cache(tmp_path).rows == TINY["rows"]  # a valid linked cache is used as is
    (target / "feature_map.json").write_text("[]")
    with pytest.warns(Warning), pytest.raises(OSError, match="symbolic link.*remove the link"):
        _tiny_cache(tmp_path)


# ------------------------------------------------------------ messages that say what is wrong


def test_a_file_given_where_a_folder_is_expected_is_not_called_missing(tmp_path, capsys):
    code, err = _cli(capsys, "preprocess", "movielens", "/dev/null", "--cache-dir",
                     str(tmp_path / "c"))
    assert code == 2 and "/dev/null: not a folder" in err and "no such" not in err


def test_a_table_that_is_not_utf8_names_its_line(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_bytes(b"label,a,b\n1,x,y\n0,z\xff,w\n" + b"1,q,r\n" * 20)
    code, err = _cli(capsys, "preprocess", "table", str(path), "--label", "label",
                     "--cache-dir", str(tmp_path / "c"))
    errors = [line for line in err.splitlines() if ": error:" in line]  # not the encoder notice
    assert code == 2 and "t.csv: line 3: not UTF-8" in err and len(errors) == 1


def test_a_short_row_in_a_text_table_is_named_not_filled_with_nan(tmp_path, capsys):
    """pandas fills a row with too few fields with NaN; the reader names the row instead,
    while an empty field (a missing value written as such) stays allowed."""
    good = tmp_path / "good.csv"
    good.write_text("label,a,b\n" + "1,x,\n0,,y\n" * 10)
    assert read_table(good).shape == (20, 3)
    path = tmp_path / "t.csv"
    path.write_text("label,a,b\n1,x,y\n" + "1,\"q\nr\",z\n" + "0,z\n" + "1,q,r\n" * 20)
    with pytest.raises(DataError, match=r"t.csv: row 4 \(the header is row 1\) has 2 field\(s\) "
                                        r"but the header names 3 \('0,z'\)"):
        read_table(path)
    code, err = _cli(capsys, "preprocess", "table", str(path), "--label", "label",
                     "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "row 4" in err and "Traceback" not in err


def test_results_of_a_missing_file_say_no_such_file(tmp_path, capsys):
    code, err = _cli(capsys, "results", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl: no such file" in err


def test_a_malformed_yaml_spec_is_one_line_with_its_position(tmp_path, capsys):
    spec = tmp_path / "s.yml"
    spec.write_text("datasets: [synthetic\nmodels: dnn\n")
    code, err = _cli(capsys, "sweep", "--spec", str(spec), "--dry-run")
    assert code == 2 and len(err.splitlines()) == 1
    assert "s.yml, line 2, column 7: not a YAML sweep spec" in err


def test_orphaned_staging_of_an_old_cache_key_is_removed_unless_its_lock_is_held(tmp_path):
    """A killed preprocess whose source then changed left its staging folder for ever: the
    next build of any cache in the folder removes it, unless a live build holds its lock."""
    from me_core.files import STAGING_MARK, keyed_lock

    root = tmp_path / "c"
    orphan = root / f".synthetic-0123456789abcdef{STAGING_MARK}x1"
    live = root / f".synthetic-fedcba9876543210{STAGING_MARK}x2"
    for folder in (orphan, live):
        (folder / "part").mkdir(parents=True)
    with keyed_lock(root, "synthetic-fedcba9876543210"):  # a live build of another key
        load_dataset("synthetic", cache_dir=root, **TINY)
    assert not orphan.exists() and live.exists()


def test_an_interrupted_preprocess_does_not_talk_about_epochs(tmp_path, capsys, monkeypatch):
    import me_core.cli.preprocess as command

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "run", interrupted)
    code, err = _cli(capsys, "preprocess", "synthetic", "--cache-dir", str(tmp_path))
    assert code == 130 and "no cache was written" in err and "epoch" not in err


def test_two_concurrent_analyses_of_one_file_analyse_each_run_once(tmp_path, cache):
    from concurrent.futures import ThreadPoolExecutor

    from me_core.companion.weights import analyse_runs
    from me_core.train.records import read_records

    runs = []
    for seed in (0, 1, 2):
        run_dir = tmp_path / f"run{seed}"
        train(_config(seed=seed, max_epochs=1), run_dir=run_dir, cache_dir=cache)
        runs.append(run_dir)
    out = tmp_path / "a.jsonl"
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: analyse_runs(runs, out, cache_dir=cache,
                                                      truth_only=True), range(2)))
    assert all(appended + skipped == 3 for appended, skipped in counts)
    assert sum(appended for appended, _ in counts) == 3  # each run analysed by one of them
    assert len(read_records(out)) == 3


def test_a_damaged_records_file_fails_before_training(tmp_path, capsys, monkeypatch):
    from me_core.train import RunConfig

    records = tmp_path / "r.jsonl"
    records.write_text('{"key": "k", "config": {}, "test": {}}\n{"broken\n')
    monkeypatch.setattr(RunConfig, "open_data", lambda *a, **k: pytest.fail("trained anyway"))
    with pytest.raises(Exception, match=r"records: .*r.jsonl, line 1"):
        train(_config(), run_dir=tmp_path / "run", records=records)


@pytest.mark.parametrize("address, named", [("127.0.0.1:1", "cannot reach the Ray cluster"),
                                            ("ray://127.0.0.1:1", "cannot reach the Ray cluster"),
                                            ("nohost", "is not host:port")])
def test_an_unreachable_ray_address_is_one_line_at_once(address, named, tmp_path, capsys):
    """ray.init used to retry an unreachable address for about 27 s and log 21 lines."""
    pytest.importorskip("ray")
    code, err = _cli(capsys, "sweep", "--backend", "ray", "--address", address, "--models", "dnn",
                     "--scales", "1", "--seeds", "0", "--rows", "3000", "--epochs", "1",
                     "--records", str(tmp_path / "r.jsonl"), "--run-root", str(tmp_path / "runs"))
    lines = [line for line in err.splitlines() if not line.startswith("me_core: warning")]
    assert code == 2 and len(lines) == 1 and named in lines[0] and address in lines[0], err


def test_a_parquet_file_with_a_repeated_column_name_is_named(tmp_path):
    """It used to surface pyarrow's raw ArrowInvalid."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array([0, 1] * 10), pa.array(["a"] * 20),
                                  pa.array(["b"] * 20)], names=["y", "x", "x"])
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(DataError, match=r"t.parquet: the Parquet schema names column\(s\) \['x'\]"):
        load_dataset("table", tmp_path / "t.parquet", label="y", cache_dir=tmp_path / "c")


def test_a_one_line_file_warns_that_its_split_is_empty(tmp_path):
    """A 1-line Criteo file used to preprocess into an empty train split without a word."""
    from me_core.data import DataWarning

    path = tmp_path / "one.txt"
    path.write_text("\t".join(["1"] + [str(i) for i in range(13)] + ["a"] * 26) + "\n")
    with pytest.warns(DataWarning, match="split leaves the train and valid part"):
        load_dataset("criteo", path, cache_dir=tmp_path / "c", progress=False)
