"""Collapse diagnostics for models me_core did not build (and for its own)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import me_core
from me_core.diagnosis import load_tables
from me_core.models import build
from me_core.train import RunConfig, train

ROOT = Path(__file__).resolve().parents[1]


class PlainDLRM(nn.Module):
    """A DLRM-style model written without me_core: tables, a bag, an MLP."""

    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(2000, 16)
        self.item = nn.Embedding(700, 16)
        self.tags = nn.EmbeddingBag(300, 16, mode="sum")
        self.top = nn.Sequential(nn.Linear(48, 32), nn.ReLU(), nn.Linear(32, 1))


def test_finds_tables_and_flags_the_collapsed_one():
    model = PlainDLRM()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # item: rank one plus a little noise
        model.item.weight.copy_(torch.randn(700, 1, generator=g) @ torch.randn(1, 16, generator=g)
                                + 1e-3 * torch.randn(700, 16, generator=g))
        model.user.weight.normal_(generator=g)
    report = me_core.diagnose(model)
    f = report.fields
    assert list(f.index) == ["user", "item", "tags"]
    assert f.loc["item", "ia"] < 1.2 and f.loc["item", "ia_ratio"] < 0.1
    assert f.loc["user", "ia_ratio"] == pytest.approx(1.0, abs=0.05)  # Gaussian vs Gaussian
    assert "item 0.0" in report.summary()
    assert report.spectra["item"][0] == pytest.approx(1.0) and len(report.spectra["tags"]) == 16


def test_fused_table_slices_and_errors():
    fused = nn.Sequential(nn.Embedding(1200, 8))
    f = me_core.diagnose(fused, field_slices={"a": (0, 1000), "b": (1000, 1200)}).fields
    assert list(f.rows) == [1000, 200]
    with pytest.raises(ValueError, match="outside the table"):
        me_core.diagnose(fused, field_slices={"a": (0, 5000)})
    with pytest.raises(ValueError, match="no nn.Embedding"):
        me_core.diagnose(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="same rows"):
        me_core.diagnose({"x": [torch.randn(10, 3), torch.randn(9, 3)]})


def test_embedding_sets_get_their_diversity():
    model = build("dcnv2", [50, 400], scale=3, multi_embedding=True)
    f = me_core.diagnose(model).fields
    assert list(f.sets) == [3, 3] and list(f.width) == [30, 30]
    assert np.isfinite(f.diversity).all()
    table = torch.randn(400, 10)
    same = me_core.diagnose({"copy": [table, table.clone()]}).fields
    assert same.loc["copy", "diversity"] == pytest.approx(0.0, abs=1e-6)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "me_core", "diagnose", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.mark.slow
def test_cli_on_a_state_dict_and_on_a_run_folder(tmp_path):
    torch.save(PlainDLRM().state_dict(), tmp_path / "plain.pt")
    result = _cli(tmp_path / "plain.pt", "--pattern", "weight", "--plot", tmp_path / "p.png")
    assert result.returncode == 0, result.stderr
    assert "item.weight" in result.stdout and (tmp_path / "p.png").stat().st_size > 1000
    config = RunConfig(model="dcnv2", data_options={"rows": 3000, "cardinalities": [5, 40, 300],
                                                    "teacher": "A3", "interacting_pairs": 1},
                       max_epochs=1, batch_size=256)
    train(config, run_dir=tmp_path / "run", cache_dir=tmp_path / "cache")
    tables = load_tables(tmp_path / "run" / "best.pt")
    assert list(tables) == ["f0", "f1", "f2"]  # the data set's field names
    bad = _cli(tmp_path / "missing.pt")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "no such checkpoint" in bad.stderr


def test_diagnose_cli_lists_skipped_tensors_cuts_fused_tables_and_says_a_verdict(tmp_path,
                                                                                 capsys):
    from me_core.cli import main

    model = torch.nn.Module()
    model.emb = torch.nn.Embedding(300, 8)
    model.lin = torch.nn.Linear(8, 4)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    assert main(["diagnose", str(tmp_path / "sd.pt"), "--field-sizes", "100", "150", "50"]) == 0
    out = capsys.readouterr().out
    assert "skipped 1 2-D tensor(s) whose name lacks 'emb': lin.weight" in out
    assert "field 2" in out and "Verdict: not collapsed" in out
    assert "look untrained" in out  # a freshly initialised table scores like a random one
    assert main(["diagnose", str(tmp_path / "sd.pt"), "--field-sizes", "100", "100"]) == 2
    assert "add up to 200, but table 'emb.weight' has 300 rows" in capsys.readouterr().err
    torch.save(model, tmp_path / "whole.pt")
    assert main(["diagnose", str(tmp_path / "whole.pt")]) == 2
    assert "torch.save(model.state_dict(), path)" in capsys.readouterr().err


def test_a_collapsed_table_gets_the_collapsed_verdict():
    from me_core.diagnosis import diagnose

    low_rank = torch.randn(500, 2) @ torch.randn(2, 16) + 1e-4 * torch.randn(500, 16)
    summary = diagnose({"user": low_rank}).summary()
    assert "Verdict: collapsed" in summary and "untrained" not in summary
