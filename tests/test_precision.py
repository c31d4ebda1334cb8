"""Precision: ``auto`` resolves by measurement, bf16 runs are keyed apart and deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from me_core.settings import PROTOCOLS, protocol_settings
from me_core.stats import paired_effect, seed_spread
from me_core.train import ConfigError, RunConfig, train
from me_core.train import precision as P

ROOT = Path(__file__).resolve().parents[1]
TINY = {"rows": 4_000, "cardinalities": [5, 10, 20, 40], "teacher": "A3", "interacting_pairs": 2}


def _config(**kwargs) -> RunConfig:
    base = dict(model="dcnv2", data_options=TINY, max_epochs=2, patience=1, batch_size=512,
                device="cpu")
    return RunConfig(**{**base, **kwargs})


@pytest.fixture
def fake_speedup(monkeypatch):
    """Replace the matmul probe by a fixed bf16/fp32 speed ratio."""
    def set_ratio(ratio: float) -> None:
        monkeypatch.setattr(P, "bf16_speedup", lambda device: ratio)
    return set_ratio


def test_auto_falls_back_to_fp32_without_a_faster_bf16_path(fake_speedup):
    fake_speedup(0.07)  # bf16 emulated, as on an AVX2-only CPU: 14x slower
    assert RunConfig(precision="auto", device="cpu").precision == "fp32"
    fake_speedup(1.1)  # faster, but under the threshold: not worth the numerics change
    assert RunConfig(precision="auto", device="cpu").precision == "fp32"


def test_auto_picks_bf16_where_it_is_measured_faster(fake_speedup):
    fake_speedup(3.5)
    config = RunConfig(precision="auto", device="cpu")
    assert config.precision == "bf16" and config.label().endswith("/bf16")
    assert RunConfig.from_dict(config.to_dict()).precision == "bf16"


def test_the_probe_is_the_ratio_of_two_timed_products_measured_once(monkeypatch):
    calls = []

    def timed(device, dtype, rows, width, repeats):
        calls.append(dtype)
        return {torch.float32: 2.0, torch.bfloat16: 0.5}[dtype]

    monkeypatch.setattr(P, "_time_matmul", timed)
    P._probe.cache_clear()
    try:
        assert P.bf16_speedup(torch.device("cpu")) == 4.0  # fp32 time / bf16 time
        assert P.bf16_speedup(torch.device("cpu")) == 4.0
        assert calls == [torch.float32, torch.bfloat16]  # once per process and thread count
        assert P.resolve_precision("auto", torch.device("cpu")) == "bf16"
    finally:
        P._probe.cache_clear()


@pytest.mark.slow
def test_the_probe_measures_this_machine():
    ratio = P.bf16_speedup(torch.device("cpu"))
    assert ratio > 0
    expected = "bf16" if ratio >= P.AUTO_MIN_SPEEDUP else "fp32"
    assert P.resolve_precision("auto", torch.device("cpu")) == expected


def test_bad_precision_is_named():
    with pytest.raises(ConfigError, match="precision: 'fp16'"):
        RunConfig(precision="fp16")


def test_precision_is_part_of_the_run_key_and_old_fp32_keys_are_kept():
    fp32, bf16 = RunConfig(), RunConfig(precision="bf16")
    assert fp32.key() != bf16.key()
    # a record written before the precision setting (it had amp: false) keeps its key
    old = {k: v for k, v in fp32.to_dict().items() if k != "precision"} | {"amp": False}
    assert RunConfig.from_dict(old).key() == fp32.key() == "fe32f5572e94c304"
    records = (ROOT / "results" / "b1" / "table1" / "records.jsonl").read_text().splitlines()
    for line in records[:5]:
        record = json.loads(line)
        assert RunConfig.from_dict(record["config"]).key() == record["key"]


@pytest.mark.slow
def test_a_bf16_record_is_not_reused_for_an_fp32_run(tmp_path):
    bf16 = train(_config(precision="bf16"), run_dir=tmp_path / "run", cache_dir=tmp_path / "c")
    assert bf16.record["precision"] == "bf16" and bf16.record["config"]["precision"] == "bf16"
    fp32 = train(_config(), run_dir=tmp_path / "run", cache_dir=tmp_path / "c")
    assert not fp32.reused and fp32.record["precision"] == "fp32"
    assert fp32.record["test"]["auc"] != bf16.record["test"]["auc"]
    again = train(_config(precision="bf16"), run_dir=tmp_path / "run", cache_dir=tmp_path / "c")
    # the folder now holds the fp32 run; the bf16 config is retrained, not read from it
    assert not again.reused and again.record["test"] == bf16.record["test"]


@pytest.mark.slow
def test_bf16_training_on_cpu_is_deterministic_for_a_fixed_seed(tmp_path):
    first = train(_config(precision="bf16"), cache_dir=tmp_path).record
    second = train(_config(precision="bf16"), cache_dir=tmp_path).record
    assert first["test"] == second["test"]
    assert [h["train_loss"] for h in first["history"]] == \
        [h["train_loss"] for h in second["history"]]
    assert first["information_abundance"] == second["information_abundance"]


@pytest.mark.slow
def test_cli_precision_flag_reaches_the_record(tmp_path):
    records = tmp_path / "records.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "me_core", "train", "--model", "dnn", "--rows", "3000",
         "--epochs", "1", "--precision", "bf16", "--device", "cpu", "--quiet",
         "--records", str(records), "--run-root", str(tmp_path / "runs"),
         "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "/bf16" in result.stdout
    assert json.loads(records.read_text())["precision"] == "bf16"


def test_protocols_fill_only_unset_values():
    assert protocol_settings("quick", max_epochs=None) == PROTOCOLS["quick"]
    assert protocol_settings("quick", max_epochs=3)["max_epochs"] == 3
    assert protocol_settings("paper")["patience"] == 3
    with pytest.raises(ValueError, match="protocol: 'fast'"):
        protocol_settings("fast")


def test_paired_effect_uses_shared_seeds_only():
    effect = paired_effect({0: 0.80, 1: 0.81, 2: 0.79, 3: 0.5}, {0: 0.79, 1: 0.80, 2: 0.78})
    assert effect.seeds == [0, 1, 2] and effect.n == 3
    assert effect.mean == pytest.approx(0.01) and effect.std == pytest.approx(0, abs=1e-12)
    null = paired_effect({0: 0.80, 1: 0.78, 2: 0.79}, {0: 0.78, 1: 0.80, 2: 0.79})
    assert null.mean == pytest.approx(0, abs=1e-12) and null.sem > 0.005
    assert paired_effect({0: 1.0}, {1: 1.0}).text() == "no shared seeds"
    assert seed_spread({0: 0.80, 1: 0.82}) == pytest.approx(0.0141421, rel=1e-4)
    assert seed_spread({0: 0.80}) != seed_spread({0: 0.80})  # nan below two seeds


def test_chapters_and_cli_sweeps_train_the_same_runs():
    """The quick settings live in me_core.settings only: a chapter's base config and a
    ``--protocol quick`` sweep give the same run keys."""
    from me_core.cli import make_parser
    from me_core.cli.common import data_settings, run_settings
    from me_core.companion import runs as R

    args = make_parser().parse_args(["sweep", "--protocol", "quick", "--models", "dnn"])
    cli = RunConfig(model="dnn", **data_settings(args, "synthetic"), **run_settings(args))
    chapter = R.chapter("synthetic", "", None, device="auto").base
    assert cli.key() == RunConfig.from_dict({**chapter.to_dict(), "model": "dnn"}).key()
    assert chapter.max_epochs == PROTOCOLS["quick"]["max_epochs"]
    # a flag still overrides the protocol
    args = make_parser().parse_args(["train", "--protocol", "quick", "--epochs", "3"])
    assert run_settings(args)["max_epochs"] == 3


def test_no_parameters_cell_repeats_a_protocol_setting():
    """A training chapter's parameters cell holds ``protocol`` (the book's: quick) and no
    protocol override: those come from the protocol unless papermill, the book or the reader
    sets one, and every training chapter still accepts each of them."""
    from me_core.companion.book import chapter_parameters, notebook_parameters, read_notebook
    from me_core.companion.toc import PROTOCOL_OVERRIDES

    training = 0
    for source in sorted((ROOT / "notebooks").glob("*.py")):
        notebook = read_notebook(source)
        declared = notebook_parameters(notebook)
        if "protocol" not in declared:  # not a training chapter: no override to accept
            assert not set(chapter_parameters(notebook)) - set(declared), source.name
            continue
        training += 1
        assert declared["protocol"] == "quick", source.name
        repeated = sorted(set(declared) & set(PROTOCOL_OVERRIDES))
        assert not repeated, f"{source.name}: its parameters cell repeats {repeated}"
        assert set(PROTOCOL_OVERRIDES) <= set(chapter_parameters(notebook)), source.name
    assert training >= 10


def test_autoint_records_keep_their_attention_entropy(tmp_path):
    record = train(_config(model="autoint", max_epochs=1), cache_dir=tmp_path).record
    entropy = record["attention_entropy"]
    assert len(entropy["per_layer"]) == 3
    assert entropy["uniform"] == pytest.approx(np.log(4))  # TINY has 4 fields
    assert all(0 < h <= entropy["uniform"] + 1e-6 for h in entropy["per_layer"])
    assert "attention_entropy" not in train(_config(max_epochs=1), cache_dir=tmp_path).record


def test_p_values_read_as_bounds_at_the_permutation_floor():
    from me_core.stats import p_text

    assert p_text(0.0004998) == "p < 0.001" and p_text(0.0421) == "p = 0.042"
