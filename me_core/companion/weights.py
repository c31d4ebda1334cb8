"""Weight analyses of finished runs, stored beside the run records.

A run record keeps what training produced (metrics, history, per-field IA); the chapters'
model-weight findings (Fig. 1b, 3, 9, 10a, 10b, 10d, 14, 16) need more of the trained weights:
spectra, sub-embedding IA matrices, set diversity, interaction patterns
(:func:`me_core.companion.analysis.model_analyses`). :func:`analyse_runs` computes them from
the best checkpoint of every finished run folder and appends one line per run to a JSON-lines
file, keyed by the run key like the records (``python -m me_core analyse``); a chapter reads
them for every seed and recomputes its live seed, which must equal its line
(:meth:`me_core.companion.runs.Chapter.analysed`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from me_core.companion.analysis import ground_truth, model_analyses, random_twin
from me_core.files import keyed_lock
from me_core.stats import cell_rows
from me_core.train.config import RunConfig
from me_core.train.provenance import git_commit
from me_core.train.records import (
    append_record,
    optimiser_steps,
    read_records,
    record_problem,
    recorded_keys,
)

__all__ = ["analyse_config", "initial_model", "per_seed", "large_fields", "analyse_runs",
           "read_analyses", "finished_runs", "largest_difference", "STORED_DIGITS"]


def initial_model(config: RunConfig, field_dims):
    """The untrained model a run of ``config`` started from: the trainer seeds torch with the
    run's seed and builds the model, which is :func:`random_twin` drawn with that seed."""
    return random_twin(config, field_dims, seed=config.seed)


def analyse_config(config: RunConfig, model, data=None, *, truth_only: bool = False
                   ) -> dict[str, Any]:
    """:func:`model_analyses` of ``config``'s trained ``model``; an SE model is also split into
    ``scale`` blocks, the reference of Fig. 10a for ME with ``scale`` sets. ``initial`` holds
    the same table analyses of the run's own initialisation (:func:`initial_model`: a random
    table of the same shape drawn with the run's seed, the per-seed null of Fig. 1b, 2, 10a, 11
    and 15); an ME model with interaction patterns also gets those of its initialisation
    (``initial_interaction_patterns``: what training changed in each set's pattern is the
    difference, Fig. 10b). On synthetic data with a known teacher, ``ground_truth`` scores the
    learned and the initial tables against the truth (:func:`ground_truth`; ``data``, the
    run's encoded data, is opened when not given). ``truth_only``: only the fields' IA (learned
    and initial) and the ground truth, for every run of a sweep."""

    blocks = None if config.multi_embedding else config.scale
    start = initial_model(config, model.field_dims)
    if truth_only:
        learned = model_analyses(model, tables_only=True)
        out = {k: learned[k] for k in ("field_ia", "cardinalities", "width")}
        out["initial"] = {"field_ia": model_analyses(start, tables_only=True)["field_ia"]}
    else:
        out = model_analyses(model, block_sets=blocks)
        out["initial"] = model_analyses(start, block_sets=blocks, tables_only=True)
    data = data or config.open_data()
    train = data.split("train", seed=config.split_seed, fraction=config.fraction)
    truth = ground_truth({"learned": model, "initial": start}, data, train)
    if truth:
        out["ground_truth"] = truth
    if "interaction_patterns" in out:
        out["initial_interaction_patterns"] = model_analyses(start)["interaction_patterns"]
    return out


def per_seed(frame, value: Callable[[dict[str, Any]], float], **where) -> dict[int, float]:
    """``value(analyses)`` of the rows of an :class:`~me_core.companion.runs.Sourced` frame
    matching every ``column=value`` in ``where``, keyed by seed (for
    :func:`me_core.stats.paired_effect`); two rows of one seed are an error, not a silent
    pick."""
    part = cell_rows(frame, **where)
    return {int(s): float(value(a)) for s, a in zip(part.seed, part.analyses)}


def large_fields(analyses: dict[str, Any]) -> np.ndarray:
    """Mask of the fields with more values than the table has columns (D_i > K): a smaller
    table is full rank by construction, so the collapse analyses read only the others."""
    return np.asarray(analyses["cardinalities"]) > analyses["width"]


def finished_runs(run_root: Path | str) -> Iterator[Path]:
    """The run folders under ``run_root`` with a ``record.json`` and a ``best.pt``."""
    for path in sorted(Path(run_root).iterdir()):
        if (path / "record.json").is_file() and (path / "best.pt").is_file():
            yield path


def analyse_runs(run_dirs: Iterable[Path | str], out: Path | str, *,
                 cache_dir: Path | str | None = None, truth_only: bool = False
                 ) -> tuple[int, int]:
    """Append the analyses of every finished run in ``run_dirs`` not yet in ``out`` (each line
    atomically, so an interrupted call resumes); returns (appended, already there).
    ``truth_only``: the light analyses of :func:`analyse_config`."""
    from me_core.train.trainer import load_run_model

    done = recorded_keys(out) if Path(out).exists() else set()
    appended = skipped = 0
    for run_dir in map(Path, run_dirs):
        try:
            record = json.loads((run_dir / "record.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{run_dir / 'record.json'}: not a finished run's record ({exc})"
                             ) from None
        if problem := record_problem(record):
            raise ValueError(f"{run_dir / 'record.json'}: not a finished run's record "
                             f"({problem})")
        if record["key"] in done:
            skipped += 1
            continue
        # two analyse commands on one file: each run is analysed once, and each command
        # counts what it did (the other's lines are "already there")
        with keyed_lock(Path(out).parent, f"{Path(out).name}:{record['key']}"):
            if record["key"] in recorded_keys(out):
                skipped += 1
                continue
            config = RunConfig.from_dict(record["config"])
            model = load_run_model(config, run_dir, cache_dir=cache_dir)
            line = {"key": record["key"], "config": record["config"], "test": record["test"],
                    "steps": optimiser_steps(record), "label": config.label(),
                    "run_commit": record["provenance"]["git_commit"],
                    "analysis_commit": git_commit(),
                    "analyses": analyse_config(config, model, truth_only=truth_only)}
            if append_record(out, line, unless_recorded=True):
                appended += 1
            else:
                skipped += 1
    return appended, skipped


def read_analyses(paths: Iterable[Path | str]) -> dict[str, dict[str, Any]]:
    """The analysis lines of the given files by run key (the first line of a key wins; a
    missing file has none)."""
    out: dict[str, dict[str, Any]] = {}
    for line in read_records([p for p in map(Path, paths) if p.exists()]):
        if "analyses" not in line:
            raise ValueError(f"run {line['key']}: a run record, not an analysis line (give "
                             f"the analyses file, see results/README.md)")
        out.setdefault(line["key"], line)
    return out


def _flat(value) -> list[float]:
    if isinstance(value, dict):  # nested analyses (the run's initialisation): by key
        return [x for key in sorted(value) for x in _flat(value[key])]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flat(item)]
    return [float("nan") if value is None else float(value)]


STORED_DIGITS = 7  # significant digits of the stored analyses (analysis._listed)


def largest_difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    """The largest relative difference |x - y| / max(|x|, |y|) between two analyses of one run
    over every number they hold (NaN when their shapes or missing values differ). Up to
    10^(1 - STORED_DIGITS), the two agree to the stored precision: the last digit can differ
    when an SVD ran with another thread count."""
    if set(a) != set(b):
        return float("nan")
    largest = 0.0
    for name in a:
        x, y = np.array(_flat(a[name])), np.array(_flat(b[name]))
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            return float("nan")
        finite = np.isfinite(x) & ((x != 0) | (y != 0))
        if finite.any():
            scale = np.maximum(np.abs(x[finite]), np.abs(y[finite]))
            largest = max(largest, float((np.abs(x[finite] - y[finite]) / scale).max()))
    return largest
