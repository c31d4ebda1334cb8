"""The chapters' findings: every one is recorded against a worded claim, the chapters stay
prose plus one call per finding, and the rules moved out of the notebooks give the right verdict
on present, absent and reversed effects."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from me_core.companion import claims
from me_core.companion import runs as R
from me_core.companion.chapters import appendix_proofs as appendix
from me_core.companion.chapters import evidence2_toy as toy
from me_core.companion.chapters import evidence3_regularization as E
from me_core.companion.chapters import me_results as T
from me_core.companion.chapters import your_data as illustrations
from me_core.companion.report import finding_text, show_finding
from me_core.diagnosis import CollapseReport
from me_core.settings import PROTOCOLS
from me_core.stats import Finding, paired_effect

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
VERDICT_WORDS = {"reproduced", "partly reproduced", "not reproduced", "inconclusive",
                 "no meaningful effect"}


def _code(path: Path) -> str:
    """The chapter's code cells (markdown cells are comments to Python anyway)."""
    return path.read_text()


def test_chapters_are_prose_and_calls_not_logic():
    """An AST scan of every chapter: verdicts come from me_core, never from a notebook: no
    verdict word as a string, no Finding built or edited, no .verdict read, no record_finding,
    no replace(...) of a finding's text; committed runs only through Chapter.collect or
    Chapter.analysed; every training chapter starts with R.chapter_of."""
    import ast

    for path in NOTEBOOKS:
        tree = ast.parse(_code(path), filename=path.name)
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value.strip().lower() not in VERDICT_WORDS, where
            if isinstance(node, ast.Attribute):
                assert node.attr not in ("verdict", "reason"), f"{where}: reads .{node.attr}"
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                assert name not in ("Finding", "record_finding", "of_parts", "judge",
                                    "effect_verdict", "combine"), f"{where}: calls {name}"
                # runs come from the one stored-or-live source (Chapter.collect / analysed,
                # which checks the live slice against the records), never read beside it
                assert name not in ("records_frame", "read_records", "read_analyses"), \
                    f"{where}: reads committed runs with {name}, not chapter.collect"
                # one way to start a training chapter: R.chapter_of(name, globals(), ...)
                assert name != "chapter", f"{where}: starts with R.chapter, not R.chapter_of"
                if name == "chapter_of":
                    assert getattr(node.args[0], "value", None) == path.stem, \
                        f"{where}: chapter_of names {getattr(node.args[0], 'value', '?')!r}"
                if name == "replace":
                    keywords = {k.arg for k in node.keywords}
                    assert not keywords & {"verdict", "reason", "ours", "effects"}, where


def test_every_finding_a_chapter_records_has_a_claim_and_every_claim_is_used():
    used = set()
    for path in NOTEBOOKS:
        text = path.read_text()
        for key in re.findall(r'chapter\.report\(\s*"(\w+)"', text):
            used.add((path.stem, key))
        for chapter, key in re.findall(r'show_finding\(\s*"(\w+)",\s*"(\w+)"', text):
            assert chapter == path.stem, f"{path.name} records under chapter {chapter!r}"
            used.add((chapter, key))
    assert used == set(claims.CLAIMS), (sorted(used - set(claims.CLAIMS)),
                                        sorted(set(claims.CLAIMS) - used))


def test_claims_quote_the_paper_module_and_name_their_kind():
    for (chapter, key), said in claims.CLAIMS.items():
        assert said.kind in ("paper", "control", "illustration"), (chapter, key)
        if said.kind != "illustration":  # declared before any data: type, tests, rationale
            assert said.hypothesis and said.tests, (chapter, key)
            assert all(t.quantity and t.rationale for t in said.tests.values()), (chapter, key)
        assert said.figure and said.finding and said.paper, (chapter, key)
    assert "0.68" in claims.claim("me_mechanism", "fig9").paper  # paper.PARTNER_CORRELATION
    with pytest.raises(KeyError, match="no claim for chapter 'x', finding 'y'"):
        claims.claim("x", "y")


def test_show_finding_records_the_claim_and_says_the_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("ME_CORE_SUMMARY_DIR", str(tmp_path))
    effect = paired_effect({0: 0.01, 1: 0.012, 2: 0.011}, {0: 0.0, 1: 0.0, 2: 0.0})
    finding = Finding("reproduced", "ME - SE +0.011", "3 of 3 pairs", {"ME - SE": effect})
    text = show_finding("me_mechanism", "fig10a", finding, data="synthetic",
                        lead="At 4x, ", source="3 runs",
                        readings={"reproduced": "As in the paper.", "otherwise": "Not here."})
    assert text == ("At 4x, ME - SE +0.011: reproduced (3 of 3 pairs). As in the paper. "
                    "Data: 3 runs.")
    record = json.loads((tmp_path / "me_mechanism--fig10a.json").read_text())
    said = claims.claim("me_mechanism", "fig10a")
    assert (record["figure"], record["finding"], record["paper"]) == (said.figure,
                                                                     said.finding, said.paper)
    assert record["n"] == 3 and record["data"] == "synthetic" and record["kind"] == "paper"
    # an illustration on data of its own keeps its own data line and is not tallied
    show_finding("appendix_proofs", "linear", Finding("reproduced", "holds", "", {}),
                 data="synthetic")
    record = json.loads((tmp_path / "appendix_proofs--linear.json").read_text())
    assert record["kind"] == "illustration" and record["data"] == "random weights (float64)"
    assert record["n"] is None
    assert finding_text(Finding("inconclusive", "x", "", {}),
                        readings={"reproduced": "yes"}) == "x: inconclusive."


def test_chapter_of_reads_the_parameters_cell_and_names_what_is_missing():
    params = dict(dataset="synthetic", data_path="", rows=2000, protocol="quick", run_dir="",
                  max_epochs=None, patience=None, batch_size=None, precision=None,
                  device="cpu", seeds=[0])
    chapter = R.chapter_of("me_results", params)
    assert chapter.name == "me_results" and chapter.base.dataset == "synthetic"
    assert "2,000 rows" in chapter.data_text
    configs = chapter.grid(["dcnv2"], [1, 2], ["se", "me"], [0, 1])
    assert len(configs) == 6  # scale 1 once per seed, as SE: the base is shared
    assert all(c.data_path == chapter.base.data_path for c in configs)
    assert chapter.planted and chapter.planted == R.planted_pairs(chapter.base)
    assert chapter.feature_map.num_fields == len(chapter.feature_map.cardinalities) > 0
    # a protocol override need not be declared: the protocol's value (or its default) is used
    lean = {k: params[k] for k in ("dataset", "data_path", "protocol")}
    assert R.chapter_of("x", lean).base.max_epochs == PROTOCOLS["quick"]["max_epochs"]
    assert R.chapter_of("x", {**lean, "max_epochs": 3}).base.max_epochs == 3  # papermill -p
    assert R.chapter_of("x", lean, max_epochs=2).base.max_epochs == 2  # the chapter's call
    with pytest.raises(ValueError, match=r"chapter 'x': parameter max_epochs='3' must be an "
                                         r"int or None \(the protocol's\)"):
        R.chapter_of("x", {**lean, "max_epochs": "3"})
    del params["protocol"]
    with pytest.raises(ValueError, match="chapter 'x': its parameters cell lacks protocol"):
        R.chapter_of("x", params)


def _toy_curves(small: dict[int, float], large: dict[int, float]) -> pd.DataFrame:
    rows = [dict(iteration=0, ia=8.0, D3=d, seed=s) for d in (3, 100) for s in small]
    rows += [dict(iteration=100, ia=small[s], D3=3, seed=s) for s in small]
    rows += [dict(iteration=100, ia=large[s], D3=100, seed=s) for s in large]
    return pd.DataFrame(rows)


def test_figure4_rule_present_absent_negligible_and_reversed():
    assert toy.small_partner_collapses(_toy_curves(
        {0: 5.0, 1: 5.2, 2: 5.1}, {0: 7.0, 1: 7.1, 2: 6.9})).verdict == "reproduced"
    assert toy.small_partner_collapses(_toy_curves(  # no effect: within its noise
        {0: 6.0, 1: 7.0, 2: 6.5}, {0: 6.9, 1: 6.1, 2: 6.5})).verdict == "inconclusive"
    assert toy.small_partner_collapses(_toy_curves(  # 1% lower: below the minimum effect
        {0: 6.93, 1: 6.94, 2: 6.92}, {0: 7.0, 1: 7.01, 2: 6.99})).verdict == \
        "no meaningful effect"
    assert toy.small_partner_collapses(_toy_curves(
        {0: 7.0, 1: 7.1, 2: 6.9}, {0: 5.0, 1: 5.2, 2: 5.1})).verdict == "not reproduced"
    assert toy.gradient_check(seed=1)["gap"] < 1e-12


def _ipnn(se_gain: float, noise: float = 1e-4) -> pd.DataFrame:
    rows = []
    for seed in (0, 1, 2, 3, 4):
        base = 0.78 + 0.001 * seed
        rows.append(dict(model="ipnn", embedding="SE", scale=1, seed=seed, test_auc=base))
        for kind, gain in (("SE", se_gain), ("ME", 0.004)):
            rows.append(dict(model="ipnn", embedding=kind, scale=4, seed=seed,
                             test_auc=base + gain + noise * (seed - 2)))
    return pd.DataFrame(rows)


def test_ipnn_exception_flat_scaling_and_absent():
    widened = T.ipnn_exception(_ipnn(0.010))
    assert widened.verdict == "not reproduced" and "beats ME" in widened.reason
    assert T.ipnn_exception(_ipnn(0.0)).verdict == "reproduced"  # flat: within the band
    assert T.ipnn_exception(_ipnn(-0.003)).verdict == "not reproduced"  # a loss is not flat
    assert T.ipnn_exception(_ipnn(0.0, noise=2e-3)).verdict == "inconclusive"
    assert T.ipnn_exception(_ipnn(0.010).assign(model="dnn")).verdict == "not run"


def _autoint(me_gain: float, entropy: float, seeds=(0, 1, 2, 3, 4)) -> pd.DataFrame:
    rows = []
    for model in ("autoint", "dnn"):
        for seed in seeds:
            base = 0.78 + 0.001 * seed
            rows.append(dict(model=model, embedding="SE", scale=1, seed=seed, test_auc=base,
                             attention_entropy_share=entropy))
            if model == "autoint":
                for kind, gain in (("SE", 0.0), ("ME", me_gain)):
                    rows.append(dict(model=model, embedding=kind, scale=4, seed=seed,
                                     test_auc=base + gain + 2e-4 * (seed - 1) * (kind == "SE"),
                                     attention_entropy_share=entropy))
    return pd.DataFrame(rows)


def test_autoint_table7_rule_and_the_uniform_attention_note():
    scaled = T.autoint_table7(_autoint(0.003, 0.80))
    assert scaled.verdict == "reproduced" and "uniform" not in scaled.reason
    assert "80.0% to 80.0% of log N" in scaled.ours
    flat = T.autoint_table7(_autoint(0.0, 1.0))
    assert flat.verdict == "no meaningful effect" and "the attention is uniform" in flat.reason
    assert T.autoint_table7(_autoint(0.003, 0.8)[lambda f: f.model == "dnn"]).verdict == "not run"


def test_appendix_rules_fail_when_the_identities_do():
    identities = pd.DataFrame({"linear": [True, True, False],
                               "max_abs_deviation": [1e-15, 2e-15, 0.3]})
    assert appendix.linear_finding(identities).verdict == "reproduced"
    broken = identities.assign(max_abs_deviation=[1e-15, 1e-4, 0.3])
    assert appendix.linear_finding(broken).verdict == "not reproduced"
    pairs = pd.DataFrame({"ia_measured": [1.0, 1.5], "ia_closed_form": [1.0, 1.5]})
    example = pd.DataFrame({"table": ["K = 2", "enlarged", "two sets"], "ia": [1.1, 1.15, 2.1]})
    assert appendix.diversity_finding(pairs, example).verdict == "reproduced"
    assert appendix.diversity_finding(pairs, example.assign(ia=[1.1, 1.9, 2.1])
                                      ).verdict == "not reproduced"


def test_collapse_illustrations_on_known_tables():
    fields = pd.DataFrame({"rows": [100, 100, 5], "width": [10, 10, 10],
                           "ia_ratio": [0.3, 0.4, 1.0]}, index=["a", "b", "c"])
    report = CollapseReport(fields, {"a": np.ones(3)})
    assert report.finding("m").verdict == "reproduced"
    assert report.renamed({"a": "user"}).fields.index.tolist() == ["user", "b", "c"]
    assert "user" in report.renamed({"a": "user"}).spectra
    healthy = CollapseReport(fields.assign(ia_ratio=[0.9, 0.8, 1.0]))
    assert healthy.finding("m").verdict == "not reproduced"
    se = pd.DataFrame({"cardinality": [100, 100, 5], "width": [10, 10, 10],
                       "ia": [2.0, 3.0, 4.0], "ia_reference": [8.0, 8.0, 4.5]})
    assert illustrations.collapse_on_table(se, "x").verdict == "reproduced"
    assert illustrations.collapse_on_table(se.assign(ia=[7.0, 7.5, 4.0]), "x"
                                           ).verdict == "not reproduced"
    runs = pd.DataFrame([dict(model="dnn", embedding=e, scale=s, seed=0, test_auc=a)
                         for e, s, a in (("SE", 1, 0.70), ("SE", 4, 0.71), ("ME", 4, 0.72))])
    me = illustrations.me_on_table(runs, ["dnn"], se, se.assign(ia=[3.0, 4.0, 4.0]))
    assert me.verdict == "reproduced" and me.reason == "one seed"
    assert "SE 0.7000 -> 0.7100, ME -> 0.7200 at 4x" in illustrations.auc_by_size(
        pd.concat([runs, runs[runs.scale == 1].assign(embedding="ME")]), ["dnn"])


def test_evidence3_reading_says_whether_the_regulariser_acted():
    rows = []
    for seed in (0, 1, 2):
        rows.append(dict(variant="standard", seed=seed, projection_ia_per_dim=0.3 + 0.01 * seed,
                         sub_over_table_ia=0.5, table_ia=10.0))
        rows.append(dict(variant="regularised", seed=seed,
                         projection_ia_per_dim=0.8 + 0.02 * seed, sub_over_table_ia=0.95,
                         table_ia=10.0))
    text, why = E.mechanism_reading(pd.DataFrame(rows), 4)
    assert text.startswith("At 4x the regulariser does make") and "acts on its target" not in text
    assert "does act on its target" in why
    inert = pd.DataFrame(rows).assign(projection_ia_per_dim=lambda f: 0.3 + 0.01 * f.seed)
    assert "did not make the blocks more orthogonal" in E.mechanism_reading(inert, 4)[1]
    assert E.mechanism_table(pd.DataFrame(rows)).loc["regularised"].iloc[0] == "0.820 ± 0.020"
    analyses = {"standard": {"sub_embedding_ia": [[1.0, 2.0], [3.0, 4.0]]},
                "regularised": {"sub_embedding_ia": [[2.0, 2.0], [4.0, 5.0]]}}
    assert E.sub_embedding_share_higher(analyses) == 0.75


def _input_norm_runs(shares: list[float], auc_change: float) -> pd.DataFrame:
    return pd.DataFrame([dict(model="autoint", embedding="SE", scale=1, seed=seed,
                              test_auc=0.78 + 0.001 * seed + auc_change,
                              attention_entropy_share=share)
                         for seed, share in enumerate(shares)])


def test_table7_reads_the_input_norm_runs_against_the_official_design():
    official = _autoint(0.0, 1.0, seeds=(0, 1, 2))
    near = T.autoint_table7(official, _input_norm_runs([0.99, 0.95, 0.97], 0.002))
    assert "0 of 3 runs below 90% of log N, so even then the attention stays near uniform" \
        in near.reason
    assert "paired: -0.030 [-0.080, +0.020] (n = 3)" in near.reason  # 0.99, 0.95, 0.97 - 1
    assert "test AUC changes by +0.0020" in near.reason
    moved = T.autoint_table7(official, _input_norm_runs([0.5, 0.6, 0.7], -0.001))
    assert "3 of 3 runs below 90% of log N, so the attention then departs clearly" in moved.reason
    assert "-0.0010" in moved.reason
    partly = T.autoint_table7(official, _input_norm_runs([0.5, 0.95, 0.97], 0.0))
    assert "1 of 3 runs below" in partly.reason and "stays near uniform" in partly.reason
    assert "input_norm" not in T.autoint_table7(official, pd.DataFrame()).reason
