"""Interfaces do what they say: no silent side effects, no silently ignored flags, inputs read as
documented (each case once surprised a new user)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from torch import nn

import me_core
from me_core.__main__ import main
from me_core.data.tabular import read_table
from me_core.metrics import information_abundance
from me_core.train import RunConfig, train

TINY = {"rows": 3000, "cardinalities": [5, 10, 20, 50], "interacting_pairs": 2}


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
