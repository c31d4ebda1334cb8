"""Findings for the status page: evidence summarised as seeds and margin, paper findings apart
from illustrations, book order, shared columns said once."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from me_core.companion.report import (
    evidence_summary,
    load_findings,
    record_finding,
    status_csv,
    status_view,
)
from me_core.stats import Finding, paired_effect


def test_evidence_summary_gives_seeds_intervals_and_minimum_effects():
    from me_core.stats import Test, judge

    effect = paired_effect({0: 0.012, 1: 0.010, 2: 0.014}, {0: 0.0, 1: 0.0, 2: 0.0})
    assert evidence_summary(effect) == (3, "+0.012 [+0.00703, +0.017]")
    two = paired_effect({0: 1.0, 1: 2.0}, {0: 0.0, 1: 0.0})
    finding = Finding("reproduced", "ours", "why", {"a": effect, "b": two})
    n, margin = evidence_summary(finding)
    assert n == 2 and margin.startswith("a: +0.012") and "b: +1.5 [" in margin
    assert evidence_summary(None) == (None, "")
    one = paired_effect({0: 0.3}, {0: 0.1})  # one seed: no interval to show
    assert evidence_summary(one) == (1, "+0.2")
    judged = Finding.of_parts([judge(effect, Test("AUC", 0.001, "why"), "gain")], "ours")
    n, text = evidence_summary(judged)
    assert n == 3 and text.startswith("gain: +0.012 [+0.00703, +0.017]; min effect 0.001, "
                                      "resolves 0.0")


def test_findings_round_trip_and_kinds_are_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("ME_CORE_SUMMARY_DIR", str(tmp_path))
    common = dict(figure="Fig. 1", finding="f", paper="p", ours="o", data="d")
    record_finding("b_chapter", "z", verdict="reproduced", **common,
                   evidence=paired_effect({0: 1.0, 1: 3.0}, {0: 0.0, 1: 0.0}))
    record_finding("a_chapter", "y", verdict="inconclusive", **common, kind="illustration")
    with pytest.raises(ValueError, match="kind must be one of"):
        record_finding("a_chapter", "x", verdict="reproduced", **common, kind="anecdote")
    frame = load_findings(tmp_path)
    assert list(frame.key) == ["z", "y"]  # the order they were recorded, not file names
    assert frame.n.iloc[0] == 2 and frame.margin.iloc[0] == "+2 [-10.7, +14.7]"
    assert pd.isna(frame.n.iloc[1]) and frame.kind.tolist() == ["paper", "illustration"]


def _rows(**columns) -> pd.DataFrame:
    n = len(columns["chapter"])
    base = {"key": list("abcdefgh")[:n], "figure": ["F"] * n, "finding": ["f"] * n,
            "paper": ["p"] * n, "ours": ["o"] * n, "reason": [""] * n, "n": [3] * n,
            "margin": [""] * n, "profile": ["quick"] * n, "data": ["synthetic"] * n,
            "kind": ["paper"] * n, "order": list(range(n))}
    return pd.DataFrame({**base, **columns})


def test_status_view_orders_by_book_and_tallies_paper_findings_only():
    frame = _rows(chapter=["appendix", "me_results", "collapse", "me_results"],
                  kind=["illustration", "paper", "paper", "paper"],
                  verdict=["reproduced", "inconclusive", "reproduced", "not reproduced"],
                  order=[0, 2, 3, 1])
    view = status_view(frame, ["collapse", "me_results", "appendix"])
    assert list(view.paper.chapter) == ["collapse", "me_results", "me_results"]
    assert list(view.paper.key) == ["c", "d", "b"]  # within a chapter: recorded order
    assert list(view.illustrations.chapter) == ["appendix"]
    assert view.tally.to_dict() == {"reproduced": 1, "inconclusive": 1, "not reproduced": 1}
    assert view.shared == {"data": "synthetic", "profile": "quick"}


def test_status_view_keeps_columns_that_differ():
    frame = _rows(chapter=["a", "b"], verdict=["reproduced"] * 2, data=["synthetic", "criteo"])
    assert status_view(frame, ["a", "b"]).shared == {"profile": "quick"}


def test_other_data_sets_are_columns_with_their_own_tally(tmp_path, monkeypatch):
    monkeypatch.setenv("ME_CORE_SUMMARY_DIR", str(tmp_path))
    common = dict(figure="Fig. 1", finding="f", paper="p", ours="o", data="d")
    record_finding("a", "x", verdict="reproduced", **common)
    record_finding("a", "x", verdict="not reproduced", column="movielens", **common)
    record_finding("a", "y", verdict="not run", column="movielens", **common)
    view = status_view(load_findings(tmp_path), ["a"])
    assert list(view.paper.key) == ["x"] and view.tally.to_dict() == {"reproduced": 1}
    assert view.columns["movielens"].loc[("a", "x")].verdict == "not reproduced"
    assert view.tallies["movielens"].to_dict() == {"not reproduced": 1, "not run": 1}
    assert sorted(p.name for p in tmp_path.glob("*.json")) == [
        "a--x--movielens.json", "a--x.json", "a--y--movielens.json"]
    # the page's CSV: one row per main finding, the other data set's verdict beside it
    table = pd.read_csv(io.StringIO(status_csv(view)))
    assert list(table.key) == ["x"] and table.loc[0, "movielens verdict"] == "not reproduced"
    assert table.loc[0, "verdict"] == "reproduced" and table.loc[0, "data"] == "d"


def test_findings_command_reads_a_folder_and_an_executed_notebook(tmp_path, monkeypatch,
                                                                   capsys):
    import json as json_

    from me_core.cli import main

    monkeypatch.setenv("ME_CORE_SUMMARY_DIR", str(tmp_path / "summaries"))
    record_finding("a", "x", verdict="reproduced", figure="Fig. 1", finding="f", paper="p",
                   ours="ours text", data="d", reason="why")
    status = tmp_path / "status.md"
    assert main(["findings", str(tmp_path / "summaries"), "--status", str(status)]) == 0
    out = capsys.readouterr().out
    assert "a/x (Fig. 1): reproduced" in out and "ours text" in out
    assert "| Fig. 1 | f | main | reproduced |" in status.read_text()
    glued = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "x"}},
             "data": {"application/papermill.record/text/markdown": "ours: reproduced (why)."}}
    notebook = tmp_path / "run.ipynb"
    notebook.write_text(json_.dumps({"cells": [{"cell_type": "code", "outputs": [glued]}]}))
    assert main(["findings", str(notebook)]) == 0
    assert "x: ours: reproduced (why)." in capsys.readouterr().out
    assert main(["findings", str(tmp_path / "none")]) == 2
    assert "no such notebook or folder" in capsys.readouterr().err


def test_repository_root_is_the_checkout():
    """Chapters resolve their records' paths from the repository root; a wrong root would
    find no records and silently retrain what they hold."""
    from pathlib import Path

    from me_core.companion.report import repository_root, resolve

    root = Path(__file__).resolve().parents[1]
    assert repository_root() == root
    assert resolve("results/README.md").is_file()
