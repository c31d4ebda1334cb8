"""Run records: one JSON object per finished run, in a JSON-lines file, appended atomically.

A record holds the full config, per-epoch history, test metrics, per-field information
abundance of the final tables, parameter counts and provenance. :func:`records_frame` loads any
number of record files into one pandas table (one row per run) that the chapters plot from;
:func:`summarize` gives mean +- std over seeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from me_core.report import atomic_write_text, file_lock

__all__ = ["append_record", "read_records", "recorded_keys", "records_frame", "summarize"]


def append_record(path: Path | str, record: dict[str, Any]) -> None:
    """Append ``record`` to ``path``: under a lock, the whole file is rewritten to a temporary
    file and renamed, so a crash never leaves a half-written line."""
    path = Path(path)
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    with file_lock(path.with_name(path.name + ".lock")):
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        atomic_write_text(path, old + line)


def _record_files(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for path in map(Path, paths):
        files += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return files


def read_records(paths: Path | str | Iterable[Path | str]) -> list[dict[str, Any]]:
    """Every record in the given files (or folders of ``*.jsonl`` files); missing files are empty."""
    records = []
    for path in _record_files(paths):
        if not path.exists():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {number}: not a JSON record ({exc})") from exc
    return records


def recorded_keys(paths) -> set[str]:
    return {record["key"] for record in read_records(paths)}


def records_frame(paths) -> pd.DataFrame:
    """One row per run: config columns, test metrics, epochs, sizes, IA, provenance. A run
    recorded twice (two sweeps that raced on the same configuration) counts once."""
    rows, seen = [], set()
    for r in read_records(paths):
        if r["key"] in seen:
            continue
        seen.add(r["key"])
        config, test = r["config"], r["test"]
        ia = r.get("information_abundance", {}).get("per_field", [])
        rows.append({
            "key": r["key"], "dataset": config["dataset"], "model": config["model"],
            "embedding": "ME" if config["multi_embedding"] else "SE", "scale": config["scale"],
            "seed": config["seed"], "fraction": config["fraction"],
            "test_auc": test["auc"], "test_logloss": test["logloss"],
            "best_epoch": r["best_epoch"], "epochs": len(r["history"]),
            "embedding_params": r["parameters"]["embedding"],
            "other_params": r["parameters"]["other"],
            "mean_field_ia": float(np.mean(ia)) if ia else float("nan"),
            "field_ia": list(ia),
            "train_seconds": r["train_seconds"], "device": r["provenance"]["device"],
            "git_commit": r["provenance"]["git_commit"],
            "precision": r.get("precision", "fp32"),
            # AutoInt: the lowest per-layer attention entropy as a share of log N (1: uniform)
            "attention_entropy_share": min(r["attention_entropy"]["per_layer"])
            / r["attention_entropy"]["uniform"] if "attention_entropy" in r else float("nan"),
        })
    return pd.DataFrame(rows)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of the test metrics over seeds, per (dataset, model, embedding, scale, fraction)."""
    if frame.empty:
        return frame
    keys = ["dataset", "model", "embedding", "scale", "fraction"]
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(runs=("seed", "count"), auc_mean=("test_auc", "mean"),
                      auc_std=("test_auc", "std"), logloss_mean=("test_logloss", "mean"),
                      logloss_std=("test_logloss", "std"),
                      mean_field_ia=("mean_field_ia", "mean")).reset_index()
    return out
