"""The chapters' experiment layer: shared runs, the paper's analyses, the appendix checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from me_core.companion import analysis as A
from me_core.companion import paper
from me_core.companion import runs as R
from me_core.companion.chapters import appendix_proofs as appendix
from me_core.companion.plots import figure_widget
from me_core.metrics import information_abundance
from me_core.models import build

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"rows": 6000, "cardinalities": [4, 30, 60, 200, 500], "small_fields": 1}


@pytest.fixture()
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ME_CORE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv(R.RUN_DIR_ENV, str(tmp_path / "runs"))
    return tmp_path


def _base(**settings):
    config = R.data_config("synthetic", max_epochs=2, patience=1, batch_size=512, **settings)
    return config.__class__(**{**config.to_dict(), "data_options": SMALL})


# --- shared runs -----------------------------------------------------------------------------
def test_runs_are_trained_once_and_reused_with_their_weights(isolated, capsys):
    configs = R.grid(_base(), ["dcnv2"], [1, 2], ["se", "me"], [0])
    assert [(c.scale, c.multi_embedding) for c in configs] == [(1, False), (2, False), (2, True)]
    first = R.train_runs(configs)
    again = R.train_runs(configs)
    assert [r.reused for r in first] == [False] * 3 and [r.reused for r in again] == [True] * 3
    x = torch.randint(0, 4, (32, 5))
    for a, b in zip(first, again):
        assert a.record["key"] == b.record["key"]
        torch.testing.assert_close(a.model(x), b.model(x))  # best.pt restored, eval mode
    frame = R.runs_frame(again)
    assert list(frame.embedding) == ["SE", "SE", "ME"]
    assert frame.test_auc.between(0.5, 1).all()
    assert "reused" in capsys.readouterr().out


def test_collect_takes_recorded_runs_trains_the_rest_and_checks_the_live_slice(isolated,
                                                                             capsys):
    import json

    configs = R.grid(_base(), ["dcnv2"], [1, 2], ["se"], [0, 1])
    # a sweep wrote the records of seed 0 (both scales) and seed 1 at 1x
    sweep_root = isolated / "sweep"
    recorded = R.train_runs(configs[:3], root=sweep_root, verbose=False)
    records = isolated / "records.jsonl"
    records.write_text("".join(json.dumps(r.record) + "\n" for r in recorded))
    chapter = R.Chapter(_base(), None, "synthetic")
    live = {configs[0].key()}
    collected = chapter.collect(configs, [str(records), ""],
                                live=lambda config: config.key() in live)
    trained = {run.config.key() for run in collected.live}
    # the live slice and the one config without a record were trained; the rest came from
    # the records
    assert trained == {configs[0].key(), configs[3].key()}
    assert list(collected.frame.key) == [c.key() for c in configs]
    assert list(collected.frame.source) == ["this build", "record", "record", "this build"]
    # the live run repeats its record exactly (same code, same seed, same machine)
    assert collected.differences == {configs[0].key(): 0.0}
    text = collected.text()
    assert "2 runs of this build and 2 committed runs" in text and "equal it" in text
    assert str(records) in text
    # the records' provenance: their commit and device
    commit = recorded[0].record["provenance"]["git_commit"]
    assert f"git commit {commit[:10]}, device: " in text
    # no records, or a records file that is not there: everything is trained (here: reused
    # from this build's runs), and the sentence says so instead of failing
    for results in ("", str(isolated / "no-such.jsonl")):
        alone = chapter.collect(configs, results, live=lambda config: False)
        assert set(alone.frame.source) == {"this build"} and not alone.differences
        assert "no committed records used" in alone.text()


def test_analysed_reads_stored_weight_analyses_and_checks_the_live_slice(isolated):
    from me_core.cli import main
    from me_core.companion import weights as W

    configs = R.grid(_base(), ["dcnv2"], [2], ["se", "me"], [0, 1])
    sweep_root = isolated / "sweep"
    R.train_runs(configs[:3], root=sweep_root, verbose=False)  # the 4th is never stored
    stored = isolated / "analyses.jsonl"
    assert main(["analyse", "--run-root", str(sweep_root), "--out", str(stored)]) == 0
    assert main(["analyse", "--run-root", str(sweep_root), "--out", str(stored)]) == 0  # resumes
    lines = W.read_analyses([stored])
    assert set(lines) == {c.key() for c in configs[:3]}
    me = lines[configs[2].key()]["analyses"]
    assert {"set_diversity", "interaction_patterns", "initial_interaction_patterns",
            "sub_embedding_ia", "spectra"} <= set(me)
    assert "block_diversity" in lines[configs[0].key()]["analyses"]  # SE 2x in 2 blocks
    chapter = R.Chapter(_base(), None, "synthetic")
    live = {configs[0].key()}
    analysed = chapter.analysed(configs, [str(stored)], live=lambda c: c.key() in live)
    assert {r.config.key() for r in analysed.live} == {configs[0].key(), configs[3].key()}
    assert list(analysed.frame.source) == ["this build", "record", "record", "this build"]
    assert analysed.differences == {configs[0].key(): 0.0}  # same weights, same analyses
    assert "equal it" in analysed.text() and str(stored) in analysed.text()
    # a different analysis (another run's) is told apart; the last stored digit is tolerated
    assert W.largest_difference(me, lines[configs[1].key()]["analyses"]) != 0
    nudged = {**me, "field_ia": [v * (1 + 3e-7) for v in me["field_ia"]]}
    assert 0 < W.largest_difference(me, nudged) <= 1e-6
    analysed.differences[configs[0].key()] = 4e-7
    assert "equal it to the stored 7 significant digits" in analysed.text()
    analysed.differences[configs[0].key()] = 1e-3
    assert "differ from it by up to 1.0e-03" in analysed.text()


def test_initial_model_is_where_training_started(isolated):
    from dataclasses import replace

    from me_core.companion import weights as W
    from me_core.train.trainer import train

    # Adam with a learning rate too small to move float32 weights: the trained model is its
    # start, so the rebuilt start must give the same interaction patterns
    config = replace(R.grid(_base(), ["dcnv2"], [2], ["me"], [3])[0], lr=1e-30, max_epochs=1)
    result = train(config, run_dir=isolated / "run")
    analyses = W.analyse_config(config, result.model)
    np.testing.assert_array_equal(np.array(analyses["interaction_patterns"]),
                                  np.array(analyses["initial_interaction_patterns"]))


def test_analyse_names_a_folder_that_is_not_a_run(tmp_path, capsys):
    from me_core.cli import main

    assert main(["analyse", str(tmp_path), "--out", str(tmp_path / "a.jsonl")]) == 2
    assert "not a finished run folder" in capsys.readouterr().err


def test_committed_analyses_are_of_the_committed_runs():
    """Every stored analysis line (full and light) of a recorded run key repeats that record's
    test AUC exactly (the analysed run is the recorded run), every record has its light
    analysis, and every chapter's analysed grid finds its five seeds."""
    from me_core.companion import weights as W
    from me_core.train.records import read_records

    full = W.read_analyses([ROOT / "results/b1/analyses/analyses.jsonl"])
    light = W.read_analyses([ROOT / "results/b1/truth/analyses.jsonl"])
    files = [ROOT / f"results/b1/{name}/records.jsonl"
             for name in ("table1", "chapters", "autoint-input-norm", "ensemble")]
    records = {r["key"]: r for r in read_records(files)}
    assert set(records) <= set(light)
    for lines in (full, light):
        for key in set(lines) & set(records):
            assert lines[key]["test"] == records[key]["test"], lines[key]["label"]
    base = R.chapter("synthetic", "").base  # the quick protocol of the book
    for model, kind, scale in [("dcnv2", "se", 1), ("dcnv2", "se", 2), ("dcnv2", "se", 4),
                               ("dcnv2", "me", 4), ("ffm", "se", 1), ("dcnv2_reg", "se", 4),
                               ("dcnv2_shared", "me", 4), ("dcnv2_aligned", "me", 4)]:
        for config in R.grid(base, [model], [scale], [kind], [0, 1, 2, 3, 4]):
            assert config.key() in full, config.label()
            assert "ground_truth" in full[config.key()]["analyses"], config.label()


def test_default_rows_give_the_key_of_a_sweep_run_without_rows():
    assert R.data_config("synthetic", rows=300000).data_options == {"teacher": "B1"}
    assert R.data_config("synthetic", rows=20000).data_options == {"rows": 20000,
                                                                    "teacher": "B1"}
    assert R.data_config("synthetic", rows=300000).key() == R.data_config("synthetic").key()


# --- analyses --------------------------------------------------------------------------------
def _dcn(multi: bool = False, scale: int = 2) -> torch.nn.Module:
    torch.manual_seed(0)
    return build("dcnv2", [40, 7, 90, 300], scale=scale, multi_embedding=multi).eval()


def test_sub_embedding_matrix_is_ia_of_table_times_projection():
    model = _dcn()
    matrix = A.sub_embedding_abundance(model)
    E = model.field_embeddings(2)[0]
    W = model.cross.blocks(model.cross.effective_weight(0))[0, 0, 1, 2]  # target 1, source 2
    assert matrix[2, 1] == pytest.approx(information_abundance(E @ W.T.detach()))
    me = A.sub_embedding_abundance(_dcn(multi=True))
    assert me.shape == (4, 4) and np.isfinite(me).all()


def test_ffm_sub_embeddings_leave_the_diagonal_empty():
    model = build("ffm", [20, 30, 40])
    matrix = A.sub_embedding_abundance(model)
    assert np.isnan(np.diag(matrix)).all() and np.isfinite(matrix[~np.eye(3, dtype=bool)]).all()


def test_co_influence_is_zero_without_a_partner_effect():
    field_ia = np.array([3.0, 1.0, 2.0, 4.0, 6.0, 5.0])
    # IA(E_i->j) = IA(E_i): nothing depends on the partner. The raw column sums (diagonal
    # dropped) correlate -1 with IA(E_j); the partner effect is exactly zero.
    matrix = np.repeat(field_ia[:, None], len(field_ia), axis=1)
    read = A.co_influence(matrix, field_ia, permutations=200)
    assert read["pearson_column_sums"] == pytest.approx(-1.0)
    assert abs(read["pearson_partner"]) < 0.1 and np.allclose(read["partner_effect"], 0)
    assert list(read["order"]) == [1, 2, 0, 3, 5, 4]


def test_co_influence_is_unbiased_on_noisy_null_matrices():
    rng = np.random.default_rng(0)
    raw, corrected = [], []
    for _ in range(200):
        field_ia = rng.uniform(2, 10, 15)
        # the diagonal tracks the field's own IA, as in trained DCNv2 (r = 0.93 measured)
        matrix = field_ia[:, None] * 0.8 + rng.normal(0, 0.3, (15, 15))
        read = A.co_influence(matrix, field_ia, permutations=0)
        raw.append(read["pearson_column_sums"])
        corrected.append(read["pearson_partner"])
    assert np.mean(raw) < -0.8  # the old estimator's bias
    assert abs(np.mean(corrected)) < 0.05


@pytest.mark.slow
def test_co_influence_recovers_a_planted_partner_effect():
    rng = np.random.default_rng(1)
    field_ia = rng.uniform(2, 10, 15)
    matrix = field_ia[:, None] + 0.5 * field_ia[None, :] + rng.normal(0, 0.3, (15, 15))
    cardinalities = [5] * 5 + [1000] * 10
    read = A.co_influence(matrix, field_ia, cardinalities=cardinalities, width=10)
    assert read["pearson_partner"] > 0.9 and read["p_value"] < 0.01
    assert read["partners_large"] == 10 and read["pearson_partner_large"] > 0.9
    reversed_read = A.co_influence(-matrix, field_ia)  # partner effect the other way
    assert reversed_read["pearson_partner"] < -0.9 and reversed_read["p_value"] > 0.9


@pytest.mark.slow
def test_co_influence_planted_pair_contrast():
    rng = np.random.default_rng(2)
    field_ia = rng.uniform(2, 10, 12)
    matrix = field_ia[:, None] + rng.normal(0, 0.3, (12, 12))
    pairs = [(0, 1), (2, 5), (3, 7), (8, 11)]
    null = A.co_influence(matrix, field_ia, planted_pairs=pairs)
    assert abs(null["planted_contrast"]) < 0.3 and null["planted_p_value"] > 0.05
    lowered = matrix.copy()
    for i, j in pairs:
        lowered[i, j] -= 2.0
        lowered[j, i] -= 2.0
    read = A.co_influence(lowered, field_ia, planted_pairs=pairs)
    assert read["planted_contrast"] < -1.5 and read["planted_p_value"] < 0.01


def test_set_diversity_is_zero_for_copies_and_one_for_orthogonal_sets():
    model = _dcn(multi=True)
    with torch.no_grad():
        weight = model.embedding.weight
        K = model.embed_dim
        weight[:, K:2 * K] = weight[:, :K]  # set 2 = set 1
    div = A.set_diversity(model)
    assert set(div.cardinality) == {40, 90, 300}  # D_i <= K is skipped
    assert np.allclose(div.diversity, 0, atol=1e-9)
    q, _ = torch.linalg.qr(torch.randn(300, 20, dtype=torch.float64))
    se = build("dcnv2", [300], scale=2)
    with torch.no_grad():
        se.embedding.weight.copy_(q.float())
    assert A.set_diversity(se, sets=2).diversity.iloc[0] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="sets >= 2"):
        A.set_diversity(se)


def test_field_abundance_and_random_twin():
    config = _base()
    model = _dcn()
    twin = A.random_twin(config.__class__(**{**config.to_dict(), "scale": 2}), model.field_dims)
    frame = A.field_abundance(model, reference=twin)
    assert list(frame.width) == [20] * 4 and (frame.ia <= frame.width).all()
    assert frame.ia_per_dim.between(1 / 20, 1).all()
    assert not torch.equal(twin.embedding.weight, model.embedding.weight)
    spectra = A.field_spectra(model, [0])
    assert spectra.sigma.iloc[0] == pytest.approx(1.0) and spectra.sigma.is_monotonic_decreasing


# --- appendix --------------------------------------------------------------------------------
def test_linear_identities_hold_and_break_with_a_relu():
    frame = appendix.linear_identities()
    assert (frame[frame.linear].max_abs_deviation < 1e-10).all()
    assert (frame[~frame.linear].max_abs_deviation > 1e-2).all()


def test_isometric_pair_closed_form_and_range():
    frame = appendix.isometric_pair_abundance(K=6)
    np.testing.assert_allclose(frame.ia_measured, frame.ia_closed_form, atol=1e-6)
    assert frame.ia_measured.iloc[0] == pytest.approx(6) and frame.ia_measured.iloc[-1] == \
        pytest.approx(12)
    example = appendix.diversity_example()
    assert example.ia.iloc[2] == pytest.approx(2 * example.ia.iloc[0])


# --- paper numbers, widgets, book overrides -------------------------------------------------
def test_paper_table1_cells():
    criteo = paper.table1_frame("criteo").set_index(["model", "embedding", "scale"]).auc
    assert criteo[("dcnv2", "SE", 10)] == 0.81357 and criteo[("dnn", "ME", 4)] == 0.81289
    avazu = paper.table1_frame("avazu")
    assert len(avazu) == 6 * 2 * 5 - 2  # Avazu NFwFM 10x is not in v1
    with pytest.raises(ValueError, match="movielens"):
        paper.table1_frame("movielens")


def test_paper_standard_deviations_follow_table1():
    """Tables 5/6 have one SD per Table 1 cell: none where Table 1 has no cell, none for ME's
    base (it is SE's base model), which the frame fills with SE's base SD."""
    for dataset, models in paper.TABLE1.items():
        for model, rows in models.items():
            for auc, std in zip(rows, paper.TABLE1_STD[dataset][model]):
                assert len(std) == len(auc) == len(paper.SCALES)
                assert all((a is None) == (s is None) for a, s in zip(auc[1:], std[1:]))
            assert paper.TABLE1_STD[dataset][model][1][0] is None
    criteo = paper.table1_frame("criteo").set_index(["model", "embedding", "scale"]).auc_std
    assert criteo[("dcnv2", "SE", 4)] == pytest.approx(11e-5)
    assert criteo[("dcnv2", "ME", 1)] == criteo[("dcnv2", "SE", 1)] == pytest.approx(2e-5)


def test_figure_widget_precomputes_every_combination_and_links_the_controls():
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    drawn = []

    def render(n: int, style: str):
        drawn.append((n, style))
        fig, ax = plt.subplots()
        ax.plot(range(n), style)
        return fig

    size = widgets.Dropdown(options=[("two", 2), ("nine", 9)], value=9)
    style = widgets.ToggleButtons(options=["-", "--", ":"], value="--")
    box = figure_widget(render, {"n": size, "style": style})
    assert drawn == [(n, s) for n in (2, 9) for s in ("-", "--", ":")]  # the whole grid, once
    outer = box.children[1]
    assert outer.selected_index == 1 and all(c.selected_index == 1 for c in outer.children)
    pngs = {bytes(image.value) for inner in outer.children for image in inner.children}
    assert len(pngs) == 6 and all(p.startswith(b"\x89PNG") for p in pngs)
    # the switching is client-side: each control's index is jslinked to its level's stacks
    from ipywidgets.widgets.widget_link import Link

    links = [w for w in widgets.Widget.widgets.values() if isinstance(w, Link)]
    assert any(link.source == (size, "index") and link.target == (outer, "selected_index")
               for link in links)
    assert sum(link.source == (style, "index") for link in links) == 2
    with pytest.raises(TypeError, match="control 'n': a selection widget"):
        figure_widget(render, {"n": widgets.IntSlider(value=2, min=2, max=9)})


@pytest.mark.slow
def test_book_param_override_must_be_declared(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "me_core", "book", "--profile", "smoke", "--only", "appendix_proofs",
         "--build-dir", str(tmp_path), "--param", "no_such_parameter=3"],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "no_such_parameter" in result.stderr


def test_shared_base_rows():

    frame = pd.DataFrame({"scale": [1, 2, 2], "embedding": ["SE", "SE", "ME"],
                          "test_auc": [0.7, 0.71, 0.72]})
    out = R.with_shared_base(frame)
    assert sorted(zip(out.embedding, out.scale)) == [("ME", 1), ("ME", 2), ("SE", 1), ("SE", 2)]
    variants = R.with_shared_base(frame, "embedding", ["A", "B"])
    assert (variants.embedding == "A").sum() == 1 and len(variants) == 5


def test_paper_summaries_are_computed_from_table1():
    gains = paper.table1_gains("criteo", "SE")
    assert gains["dcnv2"] == pytest.approx(0.81357 - 0.81339)
    assert max(gains.values()) == pytest.approx(gains["nfwfm"])
    above = paper.table1_me_above_se("criteo")
    assert not above["ipnn"] and sum(above.values()) == 5  # ME IPNN is below SE at 2x and 3x
