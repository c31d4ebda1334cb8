"""Interfaces do what they say: no silent side effects, no silently ignored flags, inputs read as
documented (each case once surprised a new user)."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import me_core
from me_core.__main__ import main
from me_core.data.table import read_table
from me_core.metrics import information_abundance
from me_core.train import RunConfig, train

TINY = {"rows": 3000, "cardinalities": [5, 10, 20, 50], "teacher": "A3", "interacting_pairs": 2}


def test_train_leaves_the_callers_thread_count_alone(tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train(RunConfig(model="dnn", data_options=TINY, max_epochs=1, batch_size=512),
              cache_dir=tmp_path, threads=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("text", ["user,click\n", "user\tclick\n", "user;click\n"])
def test_txt_tables_have_their_delimiter_sniffed(tmp_path, text):
    sep = text[4]
    path = tmp_path / "t.txt"
    path.write_text(text + "".join(f"u{i % 7}{sep}{i % 2}\n" for i in range(40)))
    frame = read_table(path)
    assert list(frame.columns) == ["user", "click"] and len(frame) == 40


def test_information_abundance_takes_bfloat16_and_nested_lists():
    table = torch.randn(200, 8, generator=torch.Generator().manual_seed(0))
    assert information_abundance(table.bfloat16()) == pytest.approx(
        information_abundance(table.bfloat16().float()))
    nested = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]  # one 3 x 2 table, not three sets
    assert information_abundance(nested) == pytest.approx(
        information_abundance(np.array(nested)))
    sets = [np.eye(4)[:, :2], np.eye(4)[:, 2:]]  # two 4 x 2 sets: concatenated
    assert information_abundance(sets) == pytest.approx(4.0)


def test_diagnose_has_a_real_signature_and_names_fields(tmp_path):
    assert list(inspect.signature(me_core.diagnose).parameters) == [
        "model_or_tables", "field_slices", "seed"]
    from me_core.diagnosis import tables_of
    from me_core.train.trainer import load_run_model

    config = RunConfig(model="dnn", data_options=TINY, max_epochs=1, batch_size=512)
    train(config, run_dir=tmp_path / "run", cache_dir=tmp_path)
    model = load_run_model(config, tmp_path / "run", cache_dir=tmp_path)
    assert list(tables_of(model))[:2] == ["f0", "f1"]


def test_field_slices_can_name_one_of_several_tables():
    from me_core.diagnosis import tables_of

    class TwoTables(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.users = nn.Embedding(30, 4)
            self.items = nn.Embedding(50, 4)

    model = TwoTables()
    tables = tables_of(model, {"young": ("users", 0, 10), "old": ("users", 10, 30),
                               "item": ("items", 0, 50)})
    assert [t[0].shape[0] for t in tables.values()] == [10, 20, 50]
    with pytest.raises(ValueError, match="name one: \\(table, start, stop\\)"):
        tables_of(model, {"young": (0, 10)})


def test_sweep_refuses_flags_it_would_ignore(tmp_path, capsys):
    spec = tmp_path / "s.yml"
    spec.write_text("models: [dnn]\n")
    assert main(["sweep", "--spec", str(spec), "--seeds", "0", "1"]) == 2
    assert "--seeds" in capsys.readouterr().err
    if torch.cuda.device_count() < 2:
        assert main(["sweep", "--workers", "2", "--records", str(tmp_path / "r.jsonl")]) == 2
        assert "one per GPU" in capsys.readouterr().err


def test_sweep_help_names_every_default(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = capsys.readouterr().out
    for flag in ("--datasets", "--models", "--scales", "--embeddings", "--seeds", "--fractions",
                 "--backend", "--workers"):
        block = text[text.index(f"\n  {flag}"):]  # the option's entry, not the usage line
        assert "default" in block[:300], flag
    assert "synthetic" in text and "dcnv2" in text


def test_chapters_run_outside_a_build_write_outside_the_repository(tmp_path, monkeypatch):
    from me_core.companion.report import repository_root, summary_dir
    from me_core.companion.runs import run_root

    monkeypatch.delenv("ME_CORE_SUMMARY_DIR", raising=False)
    monkeypatch.delenv("ME_CORE_RUN_DIR", raising=False)
    monkeypatch.setenv("ME_CORE_CACHE", str(tmp_path))
    # one folder per interactive run: a later run never overwrites an earlier one's findings
    assert summary_dir().parent == tmp_path / "interactive" / "summaries"
    assert summary_dir().name.endswith(f"-{os.getpid()}")
    assert run_root() == tmp_path / "interactive" / "runs"
    assert repository_root() not in summary_dir().parents
    monkeypatch.setenv("ME_CORE_SUMMARY_DIR", str(tmp_path / "build" / "summaries"))
    assert run_root() == tmp_path / "build" / "runs"  # a book build: runs beside findings
    monkeypatch.setenv("ME_CORE_RUN_DIR", str(tmp_path / "finished"))
    assert run_root() == tmp_path / "finished"


def test_preprocess_table_warns_about_bucketed_ids_and_prints_the_train_command(
        tmp_path, capsys):
    import shlex

    import pandas as pd

    rng = np.random.default_rng(0)
    pd.DataFrame({"user": rng.integers(0, 500, 2000), "color": rng.choice(list("rgb"), 2000),
                  "click": rng.integers(0, 2, 2000)}).to_csv(tmp_path / "t.csv", index=False)
    cache = str(tmp_path / "c")
    with pytest.warns(UserWarning, match="'user' holds integers .* bucketed into 10 quantile"):
        assert main(["preprocess", "table", str(tmp_path / "t.csv"), "--label", "click",
                     "--cache-dir", cache]) == 0
    out = capsys.readouterr().out
    assert "numeric: 10 quantile bins" in out and "categorical" in out
    command = next(line for line in out.splitlines() if line.startswith("train on this"))
    argv = shlex.split(command.split(": ", 1)[1])[3:]  # drop "python -m me_core"
    assert main([*argv, "--cache-dir", cache, "--epochs", "1", "--quiet", "--run-root",
                 str(tmp_path / "runs"), "--records", str(tmp_path / "r.jsonl")]) == 0
    trained = capsys.readouterr().out
    cache_name = next(line for line in out.splitlines() if line.startswith("cache:"))
    assert f"table encoding ({Path(cache_name.split(': ')[1]).name})" in trained


def test_missing_paths_are_explained_for_every_interface():
    from me_core.data import DataError, load_dataset

    for name in ("criteo", "table"):
        with pytest.raises(DataError, match="preprocess: the PATH argument; train and sweep: "
                                            "--data-path"):
            load_dataset(name, label="click")


def test_the_catalog_matches_the_libraries_and_help_needs_no_torch():
    import subprocess
    import sys

    from me_core import catalog
    from me_core.data import DATASETS
    from me_core.models import MODEL_NAMES
    from me_core.settings import PROTOCOLS
    from me_core.train.precision import PRECISIONS

    assert catalog.MODEL_NAMES == MODEL_NAMES and catalog.DATASETS == DATASETS
    assert catalog.PRECISIONS == PRECISIONS and set(catalog.PROTOCOL_NAMES) == set(PROTOCOLS)
    code = ("import sys; from me_core.__main__ import make_parser; make_parser(); "
            "print(sorted(m for m in ('torch', 'pandas', 'pyarrow') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_every_cli_option_has_help_and_says_its_default():
    import argparse

    from me_core.__main__ import make_parser

    commands = next(a for a in make_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    for name, parser in commands.choices.items():
        assert parser.epilog and "examples:" in parser.epilog, name
        for action in parser._actions:
            assert action.help, (name, action.dest)
            if action.default not in (None, False, argparse.SUPPRESS):
                assert "default" in action.help or "(" in action.help, (name, action.dest)


def test_protocol_defaults_in_help_are_the_librarys(monkeypatch):
    """The training flags' help states RunConfig's defaults, read from me_core.settings."""
    import argparse

    from me_core import settings
    from me_core.__main__ import make_parser
    from me_core.train import RunConfig

    config = RunConfig()
    assert (config.max_epochs, config.patience, config.batch_size) == (
        settings.PAPER["max_epochs"], settings.PAPER["patience"], settings.PAPER["batch_size"])
    assert (config.lr, config.weight_decay) == (settings.PAPER_OPTIMIZER["lr"],
                                                settings.PAPER_OPTIMIZER["weight_decay"])
    monkeypatch.setitem(settings.PAPER, "patience", 7)  # the help follows the library
    commands = next(a for a in make_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    train = commands.choices["train"]
    helps = {a.dest: a.help for a in train._actions}
    assert helps["patience"].endswith("(7)") and "(patience 7)" in train.description
    assert helps["lr"].endswith(f"({settings.PAPER_OPTIMIZER['lr']:g})")


def test_preprocessing_criteo_imports_neither_torch_nor_sklearn(tmp_path):
    """(pandas may come in: pyarrow imports it on its own when it converts numpy arrays)"""
    import subprocess
    import sys

    from me_core.data.generate import write_criteo_format

    path = write_criteo_format(tmp_path / "train.txt", 2000)
    code = ("import sys; from me_core.__main__ import main; "
            f"code = main(['preprocess', 'criteo', {str(path)!r}, '--cache-dir', "
            f"{str(tmp_path / 'c')!r}, '--quiet', '--min-count', '1']); "
            "print(code, sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
    assert "split {'train': 1600, 'valid': 200, 'test': 200}" in done.stdout


def test_book_param_of_a_protocol_setting_is_typed_before_any_notebook_runs(tmp_path, capsys):
    from me_core.cli import main
    from me_core.companion.book import BookError, check_parameter

    assert main(["book", "--param", "max_epochs=abc", "--build-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "max_epochs='abc'" in err and "expected an int or null" in err
    assert not any(tmp_path.iterdir())  # no notebook ran
    check_parameter("max_epochs", 3, None, "x")
    check_parameter("precision", "bf16", None, "x")
    check_parameter("path", "anything", None, "x")  # not a protocol setting: free
    with pytest.raises(BookError, match="rows=True"):
        check_parameter("rows", True, None, "x")
