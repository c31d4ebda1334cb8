"""Evidence IV (Figure 6, appendix Figure 17b): less interaction collapses less, and over-fits.

Both findings compare runs paired by seed (:mod:`me_core.stats`): Figure 6a the mean field IA
of SE DNN minus SE DCNv2 at every enlarged size; Figure 6b the SE AUC gain (largest size minus
base) of each model; Figure 17b the ME and SE gains of the DNN.
"""

from __future__ import annotations

import pandas as pd

from me_core.companion.claims import claim
from me_core.stats import (
    Finding,
    PairedEffect,
    gate,
    judge,
    not_learned,
    paired_effect,
    paired_gains,
    values_by_seed,
)

__all__ = ["Finding", "dnn_collapses_less", "dnn_overfits", "me_scales_the_dnn"]


def _test(key: str, part: str):
    return claim("evidence4_dnn", key).test(part)


def dnn_collapses_less(frame: pd.DataFrame) -> Finding:
    """Figure 6a: SE DNN tables keep more IA than SE DCNv2's at every enlarged size (paired by
    seed, every size must pass)."""
    if why := gate(frame[frame.model.isin(["dnn", "dcnv2"])]):
        return not_learned(why)
    scales = sorted(s for s in frame[frame.model == "dnn"].scale.unique() if s > 1)
    effects = {f"{s}x": paired_effect(values_by_seed(frame, "dnn", "SE", s, "mean_field_ia"),
                                      values_by_seed(frame, "dcnv2", "SE", s, "mean_field_ia"))
               for s in scales}
    test = _test("fig6a", "DNN - DCNv2")
    ours = "mean field IA, DNN - DCNv2: " + "; ".join(f"{k}: {e.text(2)}"
                                                       for k, e in effects.items())
    return Finding.of_parts([judge(e, test, k) for k, e in effects.items()], ours)


def dnn_overfits(frame: pd.DataFrame) -> Finding:
    """Figure 6b, a contrast: the SE DNN loses AUC from base to the largest size, SE DCNv2
    holds (does not fall by a meaningful amount), and the DNN's gain is below DCNv2's, all
    paired by seed; the three parts are combined as an intersection."""
    if why := gate(frame[frame.model.isin(["dnn", "dcnv2"])]):
        return not_learned(why)
    gains = {m: paired_gains(frame, m).get("SE gain", PairedEffect()) for m in ("dnn", "dcnv2")}
    effects = {"DNN falls": gains["dnn"], "DCNv2 holds": gains["dcnv2"],
               "DNN gain - DCNv2 gain": gains["dnn"] - gains["dcnv2"]}
    parts = [judge(e, _test("fig6b", k), k) for k, e in effects.items()]
    ours = (f"SE AUC gain base -> largest: DNN {gains['dnn'].text()}, DCNv2 "
            f"{gains['dcnv2'].text()}; DNN minus DCNv2 {effects['DNN gain - DCNv2 gain'].text()}")
    return Finding.of_parts(parts, ours)


def me_scales_the_dnn(frame: pd.DataFrame) -> Finding:
    """Figure 17b: ME makes the DNN gain with size (ME gain), ME beats SE at the largest size,
    and the SE DNN does not gain meaningfully; each paired by seed."""
    if why := gate(frame[frame.model == "dnn"]):
        return not_learned(why)
    gains = paired_gains(frame, "dnn")
    top = [k for k in gains if k.startswith("ME - SE")]
    effects = {"ME gain": gains.get("ME gain", PairedEffect()),
               "ME - SE": gains[top[-1]] if top else PairedEffect(),
               "SE does not gain": gains.get("SE gain", PairedEffect())}
    parts = [judge(e, _test("fig17b", k), k) for k, e in effects.items()]
    ours = (f"DNN, paired by seed: ME gain base -> largest {effects['ME gain'].text()}, SE gain "
            f"{effects['SE does not gain'].text()}, ME - SE at the largest size "
            f"{effects['ME - SE'].text()}")
    return Finding.of_parts(parts, ours)
