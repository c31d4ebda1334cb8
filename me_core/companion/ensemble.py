"""The ensemble control: is multi-embedding more than an ensemble of single-embedding models?

CETNet (arXiv 2411.13700) reports that several independent models with their own embedding
tables, fused, match or beat ME at smaller sizes. If ME's gain were only an ensemble effect, the
paper's explanation (diverse sets escape interaction-collapse) would be unnecessary. The control:
M independent SE models of the base size (each its own table, interaction and head, trained
with its own seed), their logits averaged, against ME with M sets of the same base size: equal
embedding parameters (M x K x sum D_i), paired by seed. Seed s's ensemble of M members is the
base runs with seeds s, s + 5, s + 10, s + 15 (the first M), so members never repeat within an
ensemble and seed s's first member is the base run Table 1 pairs with seed s.

:func:`ensemble_auc` evaluates an ensemble from its members' checkpoints;
:func:`ensemble_records` stores one line per (model, M, seed) so a build reads them instead of
keeping every member's weights; :func:`me_beats_ensemble` is the finding.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score

from me_core.companion.claims import claim
from me_core.stats import Finding, by_seed, gate, judge, not_learned, paired_effect
from me_core.train.config import RunConfig
from me_core.train.provenance import git_commit
from me_core.train.records import append_record, read_records

__all__ = ["MEMBER_OFFSETS", "members", "ensemble_auc", "ensemble_records", "read_ensembles",
           "compare_live", "ensemble_table", "me_beats_ensemble"]

#: seed s's ensemble members are the base runs with seeds s + these offsets (the first M)
MEMBER_OFFSETS = (0, 5, 10, 15)


def members(base: RunConfig, size: int) -> list[RunConfig]:
    """The member runs of seed ``base.seed``'s ensemble of ``size`` base SE models."""
    if not 1 <= size <= len(MEMBER_OFFSETS):
        raise ValueError(f"ensemble size must be 1 to {len(MEMBER_OFFSETS)}, got {size}")
    return [replace(base, scale=1, multi_embedding=False, seed=base.seed + offset)
            for offset in MEMBER_OFFSETS[:size]]


@torch.no_grad()
def _test_logits(model: torch.nn.Module, data, config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    from me_core.data.batches import BatchLoader

    rows = data.split("test", seed=config.split_seed)
    loader = BatchLoader(data, rows, config.eval_batch_size)
    logits, labels = [], []
    model.eval()
    for x, y in loader.epoch(0):
        logits.append(model(x).float().numpy())
        labels.append(y.numpy())
    return np.concatenate(logits).astype(np.float64), np.concatenate(labels)


def ensemble_auc(models: Sequence[torch.nn.Module], data, config: RunConfig) -> float:
    """Test AUC of the mean logit of ``models`` on ``data``'s test split (``config`` gives the
    split and the evaluation batch size)."""
    total, labels = None, None
    for model in models:
        logits, labels = _test_logits(model, data, config)
        total = logits if total is None else total + logits
    return float(roc_auc_score(labels, total / len(models)))


def ensemble_records(bases: Sequence[RunConfig], sizes: Sequence[int], run_root: Path | str,
                     out: Path | str, cache_dir: Path | str | None = None) -> int:
    """Evaluate every ensemble (each base config's seed, each size) from its members' finished
    run folders under ``run_root`` and append one line per (model, size, seed) to ``out``
    (skipped when its key is there); returns how many were added."""
    from me_core.train.trainer import load_run_model

    done = {line["key"] for line in read_records(out)} if Path(out).exists() else set()
    added = 0
    for base in bases:
        data = base.open_data(cache_dir=cache_dir)
        for size in sizes:
            team = members(base, size)
            key = f"{base.key()}-ensemble{size}"
            if key in done:
                continue
            models = [load_run_model(c, Path(run_root) / c.key(), data) for c in team]
            line = {"key": key, "model": base.model, "size": size, "seed": base.seed,
                    "members": [c.key() for c in team], "config": base.to_dict(),
                    "test": {"auc": ensemble_auc(models, data, base)},
                    "commit": git_commit()}
            added += append_record(out, line, unless_recorded=True)
    return added


def read_ensembles(path: Path | str, base: RunConfig | None = None) -> pd.DataFrame:
    """The stored ensembles as rows: model, size, seed, test_auc (empty when none; a relative
    path is from the repository root, as the chapters' parameters are). With ``base`` (a
    chapter's base config), only ensembles of that protocol and data: their base run is
    ``base`` with its model and seed."""
    from me_core.companion.report import resolve

    lines = read_records(resolve(path)) if path and resolve(path).exists() else []
    if base is not None:
        lines = [x for x in lines if RunConfig.from_dict(x["config"]).key() == replace(
            base, model=x["model"], seed=x["seed"], scale=1, multi_embedding=False).key()]
    return pd.DataFrame([{"model": x["model"], "size": x["size"], "seed": x["seed"],
                          "test_auc": x["test"]["auc"], "key": x["key"]} for x in lines],
                        columns=["model", "size", "seed", "test_auc", "key"])


def compare_live(stored: pd.DataFrame, model: str, size: int, seed: int, auc: float) -> str:
    """A sentence on whether an ensemble evaluated in this build equals its stored line."""
    line = stored[(stored.model == model) & (stored["size"] == size) & (stored.seed == seed)]
    if line.empty:
        return f"the {model} ensemble of {size} (seed {seed}) evaluated in this build has no " \
               f"stored line"
    difference = abs(float(line.test_auc.iloc[0]) - auc)
    return (f"the {model} ensemble of {size} base models of seed {seed}, retrained and evaluated "
            f"in this build, " + ("equals its stored test AUC" if difference == 0 else
                                  f"differs from its stored test AUC by {difference:.1e}"))


def ensemble_table(tables: pd.DataFrame, ensembles: pd.DataFrame) -> pd.DataFrame:
    """Per model and M: SE at M x base width, ME with M sets and the ensemble of M base models,
    test AUC mean ± sd over seeds."""
    rows = []
    for (model, size), part in ensembles.groupby(["model", "size"]):
        arms = {"SE (one table, M x K)": by_seed(tables, "test_auc", model=model,
                                                  embedding="SE", scale=int(size)),
                "ME (M sets of K)": by_seed(tables, "test_auc", model=model, embedding="ME",
                                            scale=int(size)),
                "ensemble of M base SE models": dict(zip(part.seed, part.test_auc))}
        rows.append({"model": model, "M": int(size), **{
            name: f"{np.mean(list(v.values())):.4f} ± {np.std(list(v.values()), ddof=1):.4f}"
            if len(v) > 1 else "n/a" for name, v in arms.items()}})
    return pd.DataFrame(rows).set_index(["model", "M"])


def me_beats_ensemble(tables: pd.DataFrame, ensembles: pd.DataFrame) -> Finding:
    """ME with M sets beats the ensemble of M independent base SE models, for every model and
    M of ``ensembles`` (test AUC, ME minus ensemble, paired by seed; every cell must pass).
    ``tables``: Table 1 run rows (the ME runs at scale M of the same seeds)."""
    if ensembles.empty:
        return Finding("not run", "no ensemble runs", "", {})
    if why := gate(tables, ensembles):
        return not_learned(why)
    test = claim("me_results", "ensemble").test("ME - ensemble")
    parts, texts = [], []
    for (model, size), part in ensembles.groupby(["model", "size"]):
        me = by_seed(tables, "test_auc", model=model, embedding="ME", scale=int(size))
        effect = paired_effect(me, dict(zip(part.seed, part.test_auc)))
        parts.append(judge(effect, test, f"{model} M = {size}"))
        texts.append(f"{model} M = {size}: {effect.text()}")
    ours = "test AUC, ME minus an equal-size ensemble of base SE models: " + "; ".join(texts)
    return Finding.of_parts(parts, ours)
