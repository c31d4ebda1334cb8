"""Trainer, checkpoints/resume, run records, sweeps (local and Ray), and the CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from me_core.train import (
    ConfigError,
    RunConfig,
    TrainingError,
    evaluate,
    read_records,
    records_frame,
    summarize,
    train,
)
from me_core.train.sweep import SweepSpec, load_spec, run_sweep

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"rows": 30_000, "cardinalities": [5, 10, 20, 50, 100, 200, 300, 500],
         "small_fields": 2}


def _config(**kwargs) -> RunConfig:
    base = dict(model="dcnv2", data_options=SMALL, max_epochs=8, patience=2, batch_size=256)
    return RunConfig(**{**base, **kwargs})


@pytest.mark.slow
def test_learns_the_synthetic_task_and_stops_early(cache):
    result = train(_config(), cache_dir=cache)
    record = result.record
    aucs = [h["valid_auc"] for h in record["history"]]
    assert record["test"]["auc"] > 0.72  # chance is 0.5; the teacher's Bayes AUC is ~0.9
    assert record["best_epoch"] == aucs.index(max(aucs)) + 1
    # patience 2 within 8 epochs: stopped two epochs after the best, or ran out of epochs
    assert (record["stopped"], len(aucs)) in {("early stopping", record["best_epoch"] + 2),
                                              ("max_epochs", 8)}
    # the best epoch's weights were restored before testing
    from me_core.data import BatchLoader
    data = _config().open_data(cache_dir=cache)
    valid = BatchLoader(data, data.split("valid"), 4096)
    assert evaluate(result.model, valid)["auc"] == pytest.approx(max(aucs), abs=1e-12)
    assert len(record["information_abundance"]["per_field"]) == 8
    assert record["parameters"]["embedding"] == sum(data.feature_map.cardinalities) * 10
    assert record["data"]["synthetic"] is True
    assert record["provenance"]["git_commit"] and "CPU" in record["provenance"]["device"]


@pytest.mark.slow
def test_early_stopping_restores_the_best_epoch(cache):
    record = train(_config(max_epochs=30, patience=1, lr=1e-2), cache_dir=cache).record
    assert record["stopped"] == "early stopping"
    aucs = [h["valid_auc"] for h in record["history"]]
    assert len(aucs) == record["best_epoch"] + 1 and aucs[-1] <= max(aucs)
    assert record["valid"]["auc"] == max(aucs)


@pytest.mark.slow
def test_same_seed_same_metrics_on_cpu(cache):
    a = train(_config(max_epochs=2, model="dnn", scale=2, multi_embedding=True), cache_dir=cache)
    b = train(_config(max_epochs=2, model="dnn", scale=2, multi_embedding=True), cache_dir=cache)
    c = train(_config(max_epochs=2, model="dnn", scale=2, multi_embedding=True, seed=1),
              cache_dir=cache)
    assert a.record["history"][-1]["valid_auc"] == b.record["history"][-1]["valid_auc"]
    assert a.record["test"] == b.record["test"]
    assert a.record["test"] != c.record["test"]


def test_non_finite_loss_names_epoch_and_step(cache, monkeypatch):
    from me_core.train.config import RunConfig

    real_build = RunConfig.build_model

    def poisoned(*args, **kwargs):
        model = real_build(*args, **kwargs)
        calls = {"n": 0}
        forward = model.forward

        def broken(x):
            calls["n"] += 1
            out = forward(x)
            return out * float("nan") if calls["n"] == 3 else out

        model.forward = broken
        return model

    monkeypatch.setattr(RunConfig, "build_model", poisoned)
    with pytest.raises(TrainingError, match=r"loss became nan at epoch 1, step 3 "):
        train(_config(max_epochs=1), cache_dir=cache)


def test_bad_settings_name_the_parameter():
    with pytest.raises(ConfigError, match=r"model: unknown model 'dcn3'"):
        RunConfig(model="dcn3")
    with pytest.raises(ConfigError, match=r"scale: 0 must be 1 to 100"):
        RunConfig(scale=0)
    with pytest.raises(ConfigError, match=r"lr: -0.1 must be > 0"):
        RunConfig(lr=-0.1)
    with pytest.raises(ConfigError, match=r"data_path: data set 'criteo' needs the path"):
        RunConfig(dataset="criteo")
    with pytest.raises(ConfigError, match=r"unknown run setting"):
        RunConfig.from_dict({"modle": "dnn"})
    assert RunConfig(device="cpu").key() == RunConfig(device="auto").key()
    assert RunConfig(seed=1).key() != RunConfig(seed=0).key()


# --- kill and resume -----------------------------------------------------------------------------

def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "me_core", *args], capture_output=True,
                          text=True, cwd=kwargs.pop("cwd", ROOT), **kwargs)


TRAIN_ARGS = ["train", "--model", "dcnv2", "--rows", "30000", "--epochs", "4", "--patience", "4",
              "--batch-size", "128", "--quiet"]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_metrics(tmp_path, cache):
    common = [*TRAIN_ARGS, "--cache-dir", str(cache)]
    straight = _cli(*common, "--run-root", str(tmp_path / "a"), "--records",
                    str(tmp_path / "a.jsonl"))
    assert straight.returncode == 0, straight.stderr
    # same run, killed (SIGKILL) once its first epoch is checkpointed, then restarted
    command = [sys.executable, "-m", "me_core", *common, "--run-root", str(tmp_path / "b"),
               "--records", str(tmp_path / "b.jsonl")]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list((tmp_path / "b").glob("*/last.pt")) and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL and not (tmp_path / "b.jsonl").exists()
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after epoch" in resumed.stdout
    (a,), (b,) = read_records(tmp_path / "a.jsonl"), read_records(tmp_path / "b.jsonl")
    assert b["resumed_from_epoch"] >= 1
    assert a["test"] == b["test"]
    assert [h["valid_auc"] for h in a["history"]] == [h["valid_auc"] for h in b["history"]]
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert "already finished" in again.stdout


# --- sweeps --------------------------------------------------------------------------------

def _spec(**settings) -> SweepSpec:
    return SweepSpec(models=["dnn"], scales=[1, 2], embeddings=["se", "me"], seeds=[0],
                     settings={"max_epochs": 1, "batch_size": 512, **settings},
                     data={"synthetic": {"data_options": SMALL}})


@pytest.mark.slow
def test_sweep_skips_recorded_runs_and_resumes(tmp_path, cache):
    spec = _spec()
    assert [c.label() for c in spec.configs()] == [
        "synthetic/dnn/SEx1/seed0", "synthetic/dnn/SEx2/seed0", "synthetic/dnn/MEx2/seed0"]
    records = tmp_path / "records.jsonl"
    first = run_sweep(spec.configs()[:2], records, tmp_path / "runs", cache_dir=cache)
    assert len(first.finished) == 2 and first.skipped == 0
    rest = run_sweep(spec, records, tmp_path / "runs", cache_dir=cache)  # "interrupted" sweep
    assert rest.skipped == 2 and rest.finished == ["synthetic/dnn/MEx2/seed0"]
    again = run_sweep(spec, records, tmp_path / "runs", cache_dir=cache)
    assert again.skipped == 3 and not again.finished
    frame = records_frame(records)
    assert list(frame.embedding) == ["SE", "SE", "ME"] and len(set(frame.key)) == 3
    summary = summarize(frame)
    assert list(summary.runs) == [1, 1, 1]
    # two sweeps that raced on one configuration recorded it twice: it counts once
    with open(records, "a") as handle:
        handle.write(records.read_text().splitlines()[0] + "\n")
    assert len(records_frame(records)) == 3


def test_two_sweeps_on_one_run_root_train_a_shared_run_once(tmp_path, cache, monkeypatch):
    import threading

    from me_core.train import trainer

    trained, real_train = [], trainer.train

    def counting_train(*args, **kwargs):
        result = real_train(*args, **kwargs)
        trained.append(result.reused)
        return result

    monkeypatch.setattr(trainer, "train", counting_train)
    config = _spec().configs()[0]
    records = tmp_path / "records.jsonl"
    sweeps = [threading.Thread(target=run_sweep, args=([config], records, tmp_path / "runs"),
                               kwargs={"cache_dir": cache}) for _ in range(2)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    # one trained it, the other waited on the run's lock and found it finished
    assert sorted(trained) == [False, True]
    assert len(records.read_text().splitlines()) == 1


@pytest.mark.slow
def test_sweep_spec_file_and_cli_results(tmp_path, cache):
    spec_file = tmp_path / "sweep.yml"
    spec_file.write_text(
        "models: [dnn]\nscales: [1]\nseeds: [0, 1]\n"
        "settings: {max_epochs: 1, batch_size: 512}\n"
        f"data: {{synthetic: {{data_options: {json.dumps(SMALL)}}}}}\n")
    assert len(load_spec(spec_file).configs()) == 2
    records = tmp_path / "r.jsonl"
    done = _cli("sweep", "--spec", str(spec_file), "--records", str(records), "--run-root",
                str(tmp_path / "runs"), "--cache-dir", str(cache), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "2 run(s): 0 already recorded, 2 finished now" in done.stdout
    shown = _cli("results", str(records))
    assert shown.returncode == 0 and "+-" in shown.stdout and "dnn" in shown.stdout
    bad = tmp_path / "bad.yml"
    bad.write_text("modelz: [dnn]\n")
    done = _cli("sweep", "--spec", str(bad), "--records", str(records))
    assert done.returncode == 2 and "unknown key(s) ['modelz']" in done.stderr


@pytest.mark.slow
def test_ray_backend_runs_the_same_sweep(tmp_path, cache):
    pytest.importorskip("ray")
    spec = _spec()
    local = tmp_path / "local.jsonl"
    run_sweep(spec.configs()[:2], local, tmp_path / "runs-local", cache_dir=cache)
    remote = tmp_path / "ray.jsonl"
    import ray
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"ME_CORE_TORCH_THREADS": "1"}})
    try:
        report = run_sweep(spec.configs()[:2], remote, tmp_path / "runs-ray", backend="ray",
                           cache_dir=cache)
    finally:
        ray.shutdown()
    assert len(report.finished) == 2 and not report.failed
    by_key = {r["key"]: r["test"] for r in read_records(local)}
    assert {r["key"]: r["test"] for r in read_records(remote)} == by_key  # CPU: identical


@pytest.mark.slow
def test_a_killed_ray_sweep_leaves_no_ray_process(tmp_path, cache):
    """SIGKILL of a sweep on a local Ray cluster runs no clean-up code; the reaper ends the
    cluster's processes (GCS, raylet, agents, workers) once the sweep's pipe closes."""
    pytest.importorskip("ray")
    psutil = pytest.importorskip("psutil")
    import signal
    import time

    spec = tmp_path / "spec.yml"
    spec.write_text("models: [dnn]\nscales: [1]\nembeddings: [se]\nseeds: [0, 1, 2]\n"
                    "settings: {max_epochs: 50, batch_size: 512}\n"
                    f"data: {{synthetic: {{data_options: {json.dumps(SMALL)}}}}}\n")
    sweep = subprocess.Popen([sys.executable, "-m", "me_core", "sweep", "--spec", str(spec),
                              "--records", str(tmp_path / "r.jsonl"), "--run-root",
                              str(tmp_path / "runs"), "--cache-dir", str(cache),
                              "--backend", "ray"], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    driver = psutil.Process(sweep.pid)
    seen: dict[int, object] = {}
    deadline = time.monotonic() + 300  # a loaded machine starts Ray slowly
    while time.monotonic() < deadline:  # until a Ray worker runs a training task (its
        # process title is ray::_run_one; the agents' titles appear as soon as Ray starts)
        for child in driver.children(recursive=True):
            seen.setdefault(child.pid, child)
        if any("ray::_run_one" in " ".join(p.cmdline() or [])
               for p in driver.children(recursive=True) if p.is_running()):
            break
        time.sleep(0.5)
    else:
        sweep.kill()
        pytest.fail("no Ray task started within 300 s")
    ray_processes = [p for p in seen.values()
                     if "reaper" not in " ".join(p.cmdline() if p.is_running() else [])]
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    _, alive = psutil.wait_procs(ray_processes, timeout=60)
    names = [" ".join(p.cmdline())[:80] for p in alive if p.is_running()]
    for p in alive:
        p.kill()
    assert not names, names


@pytest.mark.slow
def test_cli_errors_are_one_line(tmp_path):
    cases = [(["train", "--model", "dcn3"], "unknown model 'dcn3'"),
             (["train", "--scale", "0"], "scale: 0 must be 1 to 100"),
             (["train", "--lr", "-1"], "lr: -1.0 must be > 0"),
             (["train", "--dataset", "criteo"], "needs the path"),
             (["train", "--dataset", "criteo", "--data-path", str(tmp_path / "x.txt")],
              "no such file"),
             (["results", str(tmp_path / "none.jsonl")], "none.jsonl: no such file")]
    for args, message in cases:
        done = _cli(*args, "--records", str(tmp_path / "r.jsonl")) if args[0] == "train" \
            else _cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_sweep_dry_run_counts_the_grid_and_estimates_from_records(tmp_path, capsys):
    from me_core.cli import main

    records, runs = tmp_path / "records.jsonl", tmp_path / "runs"
    common = ["sweep", "--models", "dnn", "--protocol", "quick", "--epochs", "1",
              "--records", str(records), "--run-root", str(runs), "--data-option", "rows=4000",
              "--cache-dir", str(tmp_path / "cache")]
    grid = ["--scales", "1", "2", "--seeds", "0", "1"]
    assert main([*common, *grid, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("6 run(s) in the grid, 0 already in") and "no recorded time" in out
    assert not records.exists() and not runs.exists()  # nothing trained
    assert main([*common, "--scales", "1", "--seeds", "0"]) == 0  # one real run
    capsys.readouterr()
    assert main([*common, *grid, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "1 already in" in out and "(median of 1 recorded)" in out
    assert "estimated time left" in out
