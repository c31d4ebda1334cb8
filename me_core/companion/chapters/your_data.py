"""The paper's two headline checks on a reader's own table (the "your data" chapter).

Illustrations, not reproductions: one data set the paper never used, one seed by default, and
rules on bare thresholds (half of a random table's IA, ME above SE in mean AUC), so the status
page shows them apart and does not tally them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from me_core.diagnosis import collapsed_share
from me_core.stats import Finding, threshold_verdict

__all__ = ["collapse_on_table", "me_on_table", "auc_by_size"]


def collapse_on_table(se_fields: pd.DataFrame, label: str) -> Finding:
    """Figure 2 on the reader's table: the share of fields with more values than columns whose
    learned IA is below half of a random table's of the same shape (``se_fields``:
    :func:`me_core.companion.analysis.field_abundance` with a reference)."""
    share = collapsed_share(se_fields.ia / se_fields.ia_reference,
                            se_fields.cardinality > se_fields.width)
    ours = (f"{share:.0%} of fields with more than K values have less than half the IA of a "
            f"random table ({label})")
    return Finding(threshold_verdict(share >= 0.5, share > 0), ours, "", {})


def me_on_table(frame: pd.DataFrame, models: Sequence[str], se_fields: pd.DataFrame,
                me_fields: pd.DataFrame | None) -> Finding:
    """Table 1 and Figure 8b on the reader's table: for how many models ME's mean test AUC is
    above SE's at the largest size (``frame``: run rows of every model, SE and ME), and in what
    share of the fields with more values than columns ME's IA is above SE's."""
    top = int(frame.scale.max())
    means = frame[frame.scale == top].groupby(["model", "embedding"]).test_auc.mean()
    wins = sum(means[(m, "ME")] > means[(m, "SE")] for m in models)
    big = se_fields.cardinality > se_fields.width
    higher = float((me_fields.ia[big] > se_fields.ia[big]).mean()) \
        if me_fields is not None and big.any() else 0.0
    ours = (f"ME above SE in test AUC at {top}x for {wins} of {len(models)} models; ME IA "
            f"above SE in {higher:.0%} of those fields")
    seeds = frame.seed.nunique()
    verdict = threshold_verdict(wins == len(models) and higher >= 0.9,
                                wins > 0 or higher >= 0.5)
    return Finding(verdict, ours, "one seed" if seeds == 1 else f"{seeds} seeds", {})


def auc_by_size(frame: pd.DataFrame, models: Sequence[str]) -> str:
    """Per model, SE's mean test AUC at the base and the largest size and ME's at the largest
    (``frame``: run rows with the base shared by SE and ME)."""
    means = frame.groupby(["model", "embedding", "scale"]).test_auc.mean()
    top = int(frame.scale.max())
    return "; ".join(f"{m}: SE {means[(m, 'SE', 1)]:.4f} -> {means[(m, 'SE', top)]:.4f}, ME -> "
                     f"{means[(m, 'ME', top)]:.4f} at {top}x" for m in models
                     if np.isfinite(means.get((m, "ME", top), np.nan)))
