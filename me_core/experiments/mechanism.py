"""Section 4 (Figures 10c and 10d): what multi-embedding needs, judged on AUC paired by seed.

The input is a frame of run rows (:func:`me_core.train.records.record_row`) with a ``variant``
column: "ME" (plain multi-embedding DCNv2) and the variants that take its separated
interaction away ("shared interaction", "aligned patterns").
"""

from __future__ import annotations

import pandas as pd

from me_core.experiments.table1 import by_seed
from me_core.stats import Finding, combine_verdicts, effect_verdict, paired_effect

__all__ = ["variants_scale_worse"]


def variants_scale_worse(frame: pd.DataFrame, reference: str = "ME") -> Finding:
    """Figure 10c: at the largest size, plain ME beats every variant in test AUC, paired by
    seed (AUC(ME) - AUC(variant), expected positive); ``reproduced`` when it does for every
    variant, ``partly reproduced`` for some."""
    largest = int(frame.scale.max())
    top = frame[frame.scale == largest]
    me = by_seed(top, "test_auc", variant=reference)
    effects = {v: paired_effect(me, by_seed(top, "test_auc", variant=v))
               for v in top.variant.unique() if v != reference}
    verdict, reason = combine_verdicts({f"ME - {k}": effect_verdict(e)
                                        for k, e in effects.items()})
    ours = f"test AUC at {largest}x, ME minus: " + "; ".join(f"{k} {e.text()}"
                                                           for k, e in effects.items())
    return Finding(verdict, ours, reason, effects)
