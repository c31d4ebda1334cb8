"""Sweeps: a grid of runs (data sets x models x scales x SE/ME x seeds x fractions) that skips
runs already recorded, so an interrupted sweep resumes where it stopped.

Backends:

* ``local``: one run after another in this process; with several CUDA GPUs and ``workers > 1``,
  one worker process per GPU, each taking the next run from a shared queue;
* ``ray``: every run is a Ray task (``pip install -e ".[ray]"`` in the repository), on a local
  Ray instance (ended by :mod:`me_core.train.ray_reaper` even if the sweep is killed) or the
  cluster at ``address``; tasks return their records and the driver appends them, so only
  one process writes the records file. Checkpoints go to ``run_root``, which must be a shared
  folder on a multi-node cluster for a killed task to resume on another node.
"""

from __future__ import annotations

import itertools
import multiprocessing
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from me_core.catalog import BACKENDS, SWEEP_DEFAULTS, with_default_teacher
from me_core.files import keyed_lock
from me_core.known import check_known_fields
from me_core.train.config import ConfigError, RunConfig
from me_core.train.records import append_record, recorded_keys
from me_core.train.trainer import check_outputs

__all__ = ["SweepSpec", "SweepReport", "run_sweep", "load_spec", "plan", "BACKENDS"]


def _default(axis: str) -> list:
    return list(SWEEP_DEFAULTS[axis])  # a fresh list per spec


@dataclass
class SweepSpec:
    """The grid. ``settings`` are RunConfig fields shared by every run (e.g. max_epochs);
    ``data`` maps a data set to its data_path/data_options."""

    datasets: list[str] = field(default_factory=lambda: _default("datasets"))
    models: list[str] = field(default_factory=lambda: _default("models"))
    scales: list[int] = field(default_factory=lambda: _default("scales"))
    embeddings: list[str] = field(default_factory=lambda: _default("embeddings"))
    seeds: list[int] = field(default_factory=lambda: _default("seeds"))
    fractions: list[float] = field(default_factory=lambda: _default("fractions"))
    settings: dict[str, Any] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def configs(self) -> list[RunConfig]:
        """Every run of the grid. At scale 1, SE and ME are the same model (one set of base
        size, "base is shared by SE and ME" in Table 1), so it runs once, as SE."""
        bad = sorted(set(self.embeddings) - {"se", "me"})
        if bad:
            raise ConfigError(f"embeddings: {bad} is not 'se' or 'me'")
        out, seen = [], set()
        for dataset, model, scale, kind, seed, fraction in itertools.product(
                self.datasets, self.models, self.scales, self.embeddings, self.seeds,
                self.fractions):
            multi = kind == "me" and scale > 1
            data = dict(self.data.get(dataset, {}))
            options = with_default_teacher(dataset, data.pop("data_options", None))
            if options:
                data["data_options"] = options
            config = RunConfig(model=model, dataset=dataset, scale=scale, multi_embedding=multi,
                               seed=seed, fraction=fraction, **data, **self.settings)
            if config.key() not in seen:
                seen.add(config.key())
                out.append(config)
        return out


def load_spec(path: Path | str) -> SweepSpec:
    """A SweepSpec from a YAML file with the same keys."""
    path = Path(path)
    try:
        payload = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:  # one line: where and what, not the YAML excerpt
        mark = exc.problem_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not a YAML sweep spec ({exc.problem})") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the sweep spec ({exc})") from exc
    if not isinstance(payload, dict):
        raise ConfigError(f"{path}: a sweep spec is a YAML mapping (models: [...], scales: "
                          f"[...], ...), not a {type(payload).__name__}")
    check_known_fields(payload, SweepSpec, "key(s)", ConfigError, where=str(path))
    for name, value in payload.items():
        wanted = dict if name in ("settings", "data") else list
        if not isinstance(value, wanted):
            example = "{max_epochs: 10}" if wanted is dict else "[1, 2]"
            raise ConfigError(f"{path}: {name} must be a YAML "
                              f"{'mapping' if wanted is dict else 'list'} such as "
                              f"{name}: {example}, got {value!r}")
    return SweepSpec(**payload)


@dataclass
class SweepReport:
    total: int
    skipped: int = 0
    finished: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> str:
        text = (f"{self.total} run(s): {self.skipped} already recorded, "
                f"{len(self.finished)} finished now, {len(self.failed)} failed")
        for label, error in self.failed[:5]:
            text += f"\n  failed {label}: {error.strip().splitlines()[-1]}"
        return text


def _run_one(config_dict: dict, run_root: str, cache_dir: str | None, threads: int | None,
             progress: bool) -> dict:
    from me_core.train.trainer import train

    config = RunConfig.from_dict(config_dict)
    # two sweeps sharing a run root (e.g. one per seed list) wait for each other on a run
    # instead of training it twice into the same folder; the second finds it finished
    with keyed_lock(run_root, config.key()):
        result = train(config, run_dir=Path(run_root) / config.key(), cache_dir=cache_dir,
                       threads=threads, progress=progress)
    return result.record


def _gpu_worker(device_queue, config_dict, run_root, cache_dir, threads):  # pragma: no cover
    device = device_queue.get()
    try:
        config_dict = {**config_dict, "device": device}
        return _run_one(config_dict, run_root, cache_dir, threads, False)
    finally:
        device_queue.put(device)


def run_sweep(configs: SweepSpec | Iterable[RunConfig], records: Path | str,
              run_root: Path | str, *, backend: str = "local", workers: int = 1,
              address: str | None = None, cpus_per_run: float = 1, gpus_per_run: float = 0,
              cache_dir: Path | str | None = None, threads: int | None = None,
              progress: bool = False) -> SweepReport:
    """Run every config not yet in ``records``; append each finished run's record there."""
    if backend not in BACKENDS:
        raise ConfigError(f"backend: {backend!r} is not one of {BACKENDS}")
    configs = configs.configs() if isinstance(configs, SweepSpec) else list(configs)
    check_outputs(Path(run_root) / "run", Path(records))  # before any run, not after the first
    done = recorded_keys(records)
    todo = [c for c in configs if c.key() not in done]
    report = SweepReport(total=len(configs), skipped=len(configs) - len(todo))
    cache = str(cache_dir) if cache_dir is not None else None
    if not todo:
        return report

    def collect(config: RunConfig, record: dict | None, error: str | None) -> None:
        if record is not None:
            append_record(records, record, unless_recorded=True)
            report.finished.append(config.label())
        else:
            report.failed.append((config.label(), error or "unknown error"))

    if backend == "ray":
        _run_ray(todo, collect, str(run_root), cache, address, cpus_per_run, gpus_per_run)
        return report
    import torch

    gpus = torch.cuda.device_count()
    if workers > 1 and gpus > 1:  # pragma: no cover - needs several GPUs
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        queue = context.Manager().Queue()
        for i in range(gpus):
            queue.put(f"cuda:{i}")
        with ProcessPoolExecutor(min(workers, gpus), mp_context=context) as pool:
            futures = {pool.submit(_gpu_worker, queue, c.to_dict(), str(run_root), cache,
                                   threads): c for c in todo}
            for future, config in futures.items():
                try:
                    collect(config, future.result(), None)
                except Exception:
                    collect(config, None, traceback.format_exc())
        return report
    for config in todo:
        try:
            record = _run_one(config.to_dict(), str(run_root), cache, threads, progress)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            collect(config, None, traceback.format_exc())
        else:
            collect(config, record, None)
    return report


def check_reachable(address: str | None, timeout_s: float = 3.0) -> None:
    """Refuse a Ray ``address`` (``host:port`` or ``ray://host:port``) that does not answer a
    TCP connection within ``timeout_s``, in one line naming it (``ray.init`` would retry for
    about half a minute and log twenty lines); None, ``auto`` and ``local`` are not checked."""
    import socket

    if not address or address in ("auto", "local"):
        return
    host, sep, port = address.split("://")[-1].rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"address: {address!r} is not host:port (or ray://host:port)")
    try:
        socket.create_connection((host or "localhost", int(port)), timeout=timeout_s).close()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"address: cannot reach the Ray cluster at {address} "
                          f"({reason.lower()} within {timeout_s:g} s)") from None


def _run_ray(todo: list[RunConfig], collect, run_root: str, cache: str | None,
             address: str | None, cpus_per_run: float, gpus_per_run: float) -> None:
    try:
        import ray
    except ImportError as exc:
        raise ConfigError('backend: ray is not installed; pip install -e ".[ray]" in the '
                          'repository') from exc
    started_here = not ray.is_initialized()
    reaper = None
    if started_here:
        check_reachable(address)
        if address is None:  # a local cluster, our children: ended even if we are killed
            from me_core.train.ray_reaper import watch

            reaper = watch()
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 ignore_reinit_error=True)
    try:
        task = ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=0)(_run_one)
        pending = {task.remote(c.to_dict(), run_root, cache, 1, False): c for c in todo}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            config = pending.pop(ready[0])
            try:
                collect(config, ray.get(ready[0]), None)
            except Exception:
                collect(config, None, traceback.format_exc())
    finally:
        if started_here:
            ray.shutdown()
        if reaper is not None:
            reaper.stdin.close()
            reaper.wait()


def plan(configs: SweepSpec | Iterable[RunConfig], records: Path | str,
         measured: Iterable[Path | str] = ()) -> str:
    """What a sweep would do, without training (``sweep --dry-run``): the grid's run count,
    the runs ``records`` already holds, the runs left per (data set, model, SE/ME, scale), and
    an estimate of the time left from the median recorded time of runs of the same cell in
    ``records`` and the ``measured`` record files (wall-clock on the machine that ran them; a
    cell without such runs is named, not guessed)."""
    import statistics

    from me_core.train.records import read_records

    configs = configs.configs() if isinstance(configs, SweepSpec) else list(configs)
    done = recorded_keys(records) if Path(records).exists() else set()
    todo = [c for c in configs if c.key() not in done]

    def cell(c: RunConfig) -> tuple:
        return c.dataset, c.model, "ME" if c.multi_embedding else "SE", c.scale, c.fraction

    seconds: dict[tuple, list[float]] = {}
    for path in [records, *measured]:
        for r in read_records(path) if Path(path).exists() else []:
            c = RunConfig.from_dict(r["config"])
            seconds.setdefault(cell(c), []).append(float(r.get("train_seconds", 0.0)))
    counts: dict[tuple, int] = {}
    for c in todo:
        counts[cell(c)] = counts.get(cell(c), 0) + 1
    lines = [f"{len(configs)} run(s) in the grid, {len(configs) - len(todo)} already in "
             f"{records}, {len(todo)} to run"]
    total, unknown = 0.0, []
    for key, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        dataset, model, kind, scale, fraction = key
        label = f"{dataset}/{model}/{kind}x{scale}" + (f"/{fraction:g}" if fraction < 1 else "")
        if key in seconds:
            each = statistics.median(seconds[key])
            total += n * each
            lines.append(f"  {label:<40} {n:4d} run(s) x {each:7.0f} s (median of "
                         f"{len(seconds[key])} recorded)")
        else:
            unknown.append(label)
            lines.append(f"  {label:<40} {n:4d} run(s), no recorded time")
    lines.append(f"estimated time left: {total / 3600:.1f} h of one worker's wall-clock"
                 + (f", plus {len(unknown)} cell(s) without a recorded time" if unknown
                    else ""))
    return "\n".join(lines)
