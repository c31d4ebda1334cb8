"""Run records: one JSON object per finished run, in a JSON-lines file, appended atomically.

A record holds the full config, per-epoch history, test metrics, per-field information
abundance of the final tables, parameter counts and provenance. :func:`records_frame` loads any
number of record files into one pandas table (one row per run) that the chapters plot from;
:func:`summarize` gives mean +- std over seeds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from me_core.files import atomic_write_text, file_lock

_REQUIRED = ("key", "config", "test")

__all__ = ["optimiser_steps", "record_problem", "append_record", "read_records",
           "recorded_keys", "records_frame", "record_row", "summarize", "ensure_recorded",
           "run_record"]


# what every reader of a record's config relies on (results, chapters, analyses)
_CONFIG_KEYS = ("dataset", "model", "multi_embedding", "scale", "seed", "fraction",
                "batch_size")


def _config_lacks(config: Any) -> str:
    """'config lacks KEYS' when a record's config misses what its readers rely on, else ''."""
    lacking = [k for k in _CONFIG_KEYS if not isinstance(config, dict) or k not in config]
    return f"config lacks {', '.join(lacking)}" if lacking else ""


def record_problem(record: Any) -> str:
    """Why ``record`` is not a finished run's record (empty when it is one): a JSON object with
    its key, config, test metrics and per-epoch history."""
    if not isinstance(record, dict):
        return f"a JSON {type(record).__name__}, not a run record"
    missing = [k for k in (*_REQUIRED, "history") if k not in record]
    if missing:
        return f"no {', '.join(missing)}"
    if not isinstance(record["config"], dict) or not isinstance(record["history"], list):
        return "config is not an object or history is not a list"
    if lacking := _config_lacks(record["config"]):
        return lacking
    if not isinstance(record["test"], dict) or not isinstance(record["test"].get("auc"),
                                                               (int, float)):
        return "no test AUC"
    return ""


def append_record(path: Path | str, record: dict[str, Any], *, unless_recorded: bool = False
                  ) -> bool:
    """Append ``record`` to ``path``: under a lock, the whole file is rewritten to a temporary
    file and renamed, so a crash never leaves a half-written line. ``unless_recorded``: do
    nothing if a record with the same key is there already. True if the line was appended."""
    path = Path(path)
    line = json.dumps(record, sort_keys=True, default=str) + "\n"
    with file_lock(path.with_name(path.name + ".lock")):
        if unless_recorded and path.exists() and record["key"] in recorded_keys(path):
            return False
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        atomic_write_text(path, old + line)
    return True


def _record_files(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for path in map(Path, paths):
        files += sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return files


def read_records(paths: Path | str | Iterable[Path | str]) -> list[dict[str, Any]]:
    """Every record in the given files (or folders of ``*.jsonl`` files); missing files are
    empty."""
    records = []
    for path in _record_files(paths):
        if not path.exists():
            continue
        if path.is_dir():
            raise ValueError(f"{path}: a folder inside a folder of records; give .jsonl files")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{path}: not a text file of JSON records ({exc.reason} at byte "
                             f"{exc.start})") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {number}: not a JSON record ({exc})") from None
            missing = [k for k in _REQUIRED if not isinstance(record, dict) or k not in record]
            if missing:
                what = (f"a JSON {type(record).__name__}, not a run record" if
                        not isinstance(record, dict) else f"no {', '.join(missing)}")
                raise ValueError(f"{path}, line {number}: not a run record ({what})")
            config = record["config"]
            if lacking := _config_lacks(config):
                raise ValueError(f"{path}, line {number}: not a run record ({lacking})")
            records.append(record)
    return records


def recorded_keys(paths) -> set[str]:
    return {record["key"] for record in read_records(paths)}


def records_frame(paths) -> pd.DataFrame:
    """One row per run (:func:`record_row`). A run recorded twice (two sweeps that raced on
    the same configuration) counts once."""
    rows, seen = [], set()
    for record in read_records(paths):
        if record["key"] not in seen:
            seen.add(record["key"])
            rows.append(record_row(record))
    return pd.DataFrame(rows)


def optimiser_steps(r: dict[str, Any]) -> int:
    """The optimiser steps a run took: epochs x batches per epoch of its training rows."""
    rows = r.get("data", {}).get("train_rows")
    if rows is None:
        return -1  # unknown (a record without its data block)
    return len(r["history"]) * math.ceil(rows / r["config"]["batch_size"])


def record_row(r: dict[str, Any]) -> dict[str, Any]:
    """One run record as a flat row: config columns, test metrics, epochs, sizes, IA,
    provenance."""
    config, test = r["config"], r["test"]
    ia = r.get("information_abundance", {}).get("per_field", [])
    return {
        "key": r["key"], "settings": settings_text(config), "dataset": config["dataset"],
        "model": config["model"],
        "embedding": "ME" if config["multi_embedding"] else "SE", "scale": config["scale"],
        "seed": config["seed"], "fraction": config["fraction"],
        "test_auc": test["auc"], "test_logloss": test["logloss"],
        "best_epoch": r["best_epoch"], "epochs": len(r["history"]), "history": r["history"],
        "steps": optimiser_steps(r),
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
    }


_GRID_FIELDS = ("dataset", "model", "multi_embedding", "scale", "fraction", "seed", "device")


def settings_text(config: dict[str, Any]) -> str:
    """Every setting of a run config except the grid's own columns, the seed and the device,
    as canonical JSON: runs that differ only by seed share this text."""
    from me_core.train.config import RunConfig  # reads old records (``amp``) as the key does

    normalised = RunConfig.from_dict(config).to_dict()
    rest = {k: v for k, v in normalised.items() if k not in _GRID_FIELDS}
    return json.dumps(rest, sort_keys=True, default=str, separators=(",", ":"))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of the test metrics over seeds, per (dataset, model, embedding, scale,
    fraction) *and* every other setting (row count, lr, epochs, model options, ...): runs that
    differ in anything but the seed are never pooled. ``seeds`` counts the seeds behind a row;
    ``settings`` names only the settings that differ between rows (empty when none do)."""
    if frame.empty:
        return frame
    keys = ["dataset", "model", "embedding", "scale", "fraction", "settings"]
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(runs=("seed", "count"), seeds=("seed", "nunique"),
                      auc_mean=("test_auc", "mean"), auc_std=("test_auc", "std"),
                      logloss_mean=("test_logloss", "mean"),
                      logloss_std=("test_logloss", "std"),
                      mean_field_ia=("mean_field_ia", "mean")).reset_index()
    out["settings"] = _differing_settings(out["settings"])
    return out


def _differing_settings(texts: pd.Series) -> list[str]:
    parsed = [json.loads(text) for text in texts]
    names = sorted({k for p in parsed for k in p})
    short = [{k: json.dumps(p.get(k, "-"), sort_keys=True, separators=(",", ":"))
              for k in names} for p in parsed]
    varying = [k for k in names if len({p[k] for p in short}) > 1]
    return [" ".join(f"{k}={p[k]}" for k in varying) for p in short]


def ensure_recorded(records: Path | None, record: dict[str, Any]) -> bool:
    """Append ``record`` to ``records`` unless its key is there already; True if appended."""
    if records is None:
        return False
    return append_record(records, record, unless_recorded=True)


def run_record(config, *, history: list[dict[str, Any]], best_epoch: int, best_auc: float,
               test: dict[str, float], stopped: str, model_facts: dict[str, Any], data,
               train_rows: int, session_seconds: float, resumed_from: int | None,
               precision: str, device) -> dict[str, Any]:
    """The record of a finished run: its config and key, the epochs' history, the best epoch
    and its test metrics, what the model says about itself (``model_facts``: IA per field,
    parameter counts, diagnostics), where the data came from, times and provenance."""
    from me_core.train.provenance import provenance

    fmap = data.feature_map
    return {
        "key": config.key(), "config": config.to_dict(), "history": history,
        "best_epoch": best_epoch, "valid": {"auc": best_auc}, "test": test,
        "stopped": stopped,
        **model_facts,
        "data": {"dataset": fmap.dataset, "rows": fmap.rows, "fields": fmap.num_fields,
                 "sum_cardinalities": int(sum(fmap.cardinalities)), "source": fmap.source,
                 "preprocessing": fmap.preprocessing, "cache": data.path.name,
                 "train_rows": int(train_rows), "synthetic": bool(
                     fmap.details.get("synthetic", False))},
        "train_seconds": sum(h["seconds"] for h in history),
        "session_seconds": session_seconds,
        "resumed_from_epoch": resumed_from,
        "precision": precision,
        "provenance": provenance(device),
    }
