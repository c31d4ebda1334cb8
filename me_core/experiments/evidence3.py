"""Evidence III (section 3.3, Figure 5, appendix Figure 16): regularising DCNv2's projections.

Every verdict compares the regularised and the standard DCNv2 paired by seed
(:mod:`me_core.stats`). The input is a frame of run rows
(:func:`me_core.train.records.record_row`) with a ``variant`` column, "standard" or
"regularised"; the dynamics finding also reads each row's ``history``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.experiments.analysis import unlisted
from me_core.experiments.table1 import by_seed
from me_core.stats import Finding, combine_verdicts, effect_verdict, paired_effect, pooled_effect

__all__ = ["mechanism_by_seed", "regulariser_enforced", "mechanism_table", "mechanism_reading",
           "sub_embedding_share_higher", "fig16_panels", "auc_gains",
           "regularised_scales_no_better", "regulariser_raises_table_ia", "validation_drop",
           "regularised_overfits", "regularised_me_scales_below_plain"]


def auc_gains(frame: pd.DataFrame, variant: str) -> dict[int, float]:
    """Test AUC at the largest size minus the base, per seed, of one variant."""
    part = frame[frame.variant == variant]
    top = by_seed(part, "test_auc", scale=int(part.scale.max()))
    bottom = by_seed(part, "test_auc", scale=int(part.scale.min()))
    return {s: top[s] - bottom[s] for s in sorted(set(top) & set(bottom))}


def regularised_scales_no_better(frame: pd.DataFrame) -> Finding:
    """Figure 5a: the regularised model's AUC gain from the base to the largest size is no
    better, or worse, than the standard model's. The effect is the gain difference
    (regularised - standard) per seed, expected negative. A difference within the noise is
    ``inconclusive``: it does not contradict "no better", but a null result cannot show it."""
    effect = paired_effect(auc_gains(frame, "regularised"), auc_gains(frame, "standard"))
    verdict, reason = effect_verdict(effect, expected_sign=-1)
    if verdict == "inconclusive" and effect.n > 1 and abs(effect.mean) <= 2 * effect.sem:
        reason += " (no better within the noise, as the paper says, but not shown worse)"
    scales = sorted(frame.scale.unique())
    ours = (f"AUC gain {scales[0]}x -> {scales[-1]}x, regularised minus standard: "
            f"{effect.text()}")
    return Finding(verdict, ours, reason, {"gain difference": effect})


def regulariser_raises_table_ia(frame: pd.DataFrame, scales: list[int] | None = None) -> Finding:
    """Figure 5b (and the table half of Figure 16 with ``scales=[largest]``): the regularised
    model's embedding tables have higher mean field IA than the standard model's. Paired by
    seed per size; the verdict rests on the sizes' mean per seed
    (:func:`me_core.stats.pooled_effect`)."""
    scales = sorted(scales or frame.scale.unique())
    effects = {f"{s}x": paired_effect(
        by_seed(frame, "mean_field_ia", variant="regularised", scale=s),
        by_seed(frame, "mean_field_ia", variant="standard", scale=s)) for s in scales}
    overall = pooled_effect(effects)
    verdict, reason = effect_verdict(overall)
    ours = ("mean field IA, regularised minus standard: "
            + "; ".join(f"{k}: {e.text(2)}" for k, e in effects.items()))
    if len(effects) > 1:
        ours += f"; mean over sizes {overall.text(2)}"
    return Finding(verdict, ours, reason, {"regularised - standard": overall, **effects})


def validation_drop(history: list[dict]) -> float:
    """Best validation AUC minus the last epoch's: how far a run fell after its best epoch."""
    aucs = [h["valid_auc"] for h in history]
    return float(max(aucs) - aucs[-1])


def regularised_overfits(frame: pd.DataFrame) -> Finding:
    """Figure 5c: the regularised model over-fits more than the standard one at the largest
    size: its validation AUC falls further after its best epoch (paired by seed). Early
    stopping ends every run shortly after its best epoch, so only the difference between the
    variants is read, not either drop alone."""
    largest = int(frame.scale.max())
    top = frame[frame.scale == largest].assign(
        drop=lambda f: [validation_drop(h) for h in f.history])
    effect = paired_effect(by_seed(top, "drop", variant="regularised"),
                           by_seed(top, "drop", variant="standard"))
    verdict, reason = effect_verdict(effect)
    ours = (f"validation AUC drop from the best to the last epoch at {largest}x, regularised "
            f"minus standard: {effect.text()}")
    return Finding(verdict, ours, reason, {"drop difference": effect})


def regularised_me_scales_below_plain(frame: pd.DataFrame) -> Finding:
    """Appendix Figure 17a: ME DCNv2 with the Evidence III regulariser still gains AUC from the
    base to the largest size, but less than plain ME. ``frame`` has ``variant`` "ME" and
    "ME + regulariser", each with its own base (scale 1) runs. Two paired effects: the
    regularised gain (expected positive) and plain gain minus regularised gain (expected
    positive); ``reproduced`` when both are."""
    reg, plain = auc_gains(frame, "ME + regulariser"), auc_gains(frame, "ME")
    rises = paired_effect(reg, {s: 0.0 for s in reg})
    below = paired_effect(plain, reg)
    verdict, reason = combine_verdicts({"rises": effect_verdict(rises),
                                        "below plain ME": effect_verdict(below)})
    scales = sorted(frame.scale.unique())
    ours = (f"AUC gain {scales[0]}x -> {scales[-1]}x of ME + regulariser {rises.text()}; "
            f"plain ME minus it {below.text()}")
    return Finding(verdict, ours, reason, {"regularised gain": rises,
                                           "plain - regularised gain": below})


def mechanism_by_seed(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """What the regulariser acts on, per model and seed, from stored weight analyses (rows of an
    ``Analysed`` frame; ``names`` maps a model to its variant name): the median over blocks
    i != j of IA(W_{i->j}) / K (1: orthogonal), the median of IA(E_i^{->j}) / IA(E_i) (the
    share of its table's IA a sub-embedding keeps) and the tables' mean IA."""
    rows = []
    for model, seed, analyses in zip(frame.model, frame.seed, frame.analyses):
        projection = unlisted(analyses["projection_ia_per_dim"])
        off = ~np.eye(len(projection), dtype=bool)
        table = np.asarray(analyses["field_ia"], dtype=float)
        sub = unlisted(analyses["sub_embedding_ia"]) / table[:, None]
        rows.append({"variant": names[model], "seed": int(seed),
                     "projection_ia_per_dim": float(np.median(projection[off])),
                     "sub_over_table_ia": float(np.median(sub[off])),
                     "table_ia": float(table.mean())})
    return pd.DataFrame(rows)


def regulariser_enforced(mechanism: pd.DataFrame) -> tuple[str, str]:
    """Does the regulariser act on its target? Median IA(W_{i->j}) / K, regularised minus
    standard, paired by seed (:func:`mechanism_by_seed`): ``reproduced`` when the blocks are
    robustly closer to orthogonal."""
    effect = paired_effect(by_seed(mechanism, "projection_ia_per_dim", variant="regularised"),
                           by_seed(mechanism, "projection_ia_per_dim", variant="standard"))
    return effect_verdict(effect)


MECHANISM_COLUMNS = {"projection_ia_per_dim": "median IA(W_i->j)/K",
                     "sub_over_table_ia": "median IA(E_i->j)/IA(E_i)",
                     "table_ia": "mean table IA"}


def mechanism_table(mechanism: pd.DataFrame) -> pd.DataFrame:
    """:func:`mechanism_by_seed` as a table for people: mean ± sd over seeds per variant."""
    summary = mechanism.groupby("variant")[list(MECHANISM_COLUMNS)].agg(["mean", "std"])
    return pd.DataFrame({label: [f"{m:.3f} ± {sd:.3f}" for m, sd in
                                 zip(summary[(c, "mean")], summary[(c, "std")])]
                         for c, label in MECHANISM_COLUMNS.items()}, index=summary.index)


def mechanism_reading(mechanism: pd.DataFrame, scale: int) -> tuple[str, str]:
    """What the regulariser did at ``scale`` (a sentence for the page) and, for Figure 5b's
    reason, why the tables' IA may not follow: the blocks did become more orthogonal
    (:func:`regulariser_enforced`) but the tables' IA did not move, or they did not."""
    means = mechanism.groupby("variant")[list(MECHANISM_COLUMNS)].mean().to_dict("index")
    std, reg = means["standard"], means["regularised"]
    verdict, reason = regulariser_enforced(mechanism)
    enforced = verdict == "reproduced"
    projection = (f"median IA(W)/K {std['projection_ia_per_dim']:.2f} -> "
                  f"{reg['projection_ia_per_dim']:.2f}")
    text = (f"At {scale}x the regulariser {'does' if enforced else 'does not robustly'} make "
            f"the blocks closer to orthogonal: {projection} (standard -> regularised), paired by "
            f"seed {reason}; the sub-embeddings keep {std['sub_over_table_ia']:.0%} -> "
            f"{reg['sub_over_table_ia']:.0%} of their table's IA; the tables' own mean IA is "
            f"{std['table_ia']:.2f} -> {reg['table_ia']:.2f} (means over seeds)")
    why = (f"the regulariser does act on its target ({projection} at {scale}x, mean over "
           f"seeds), but that does not carry over to the tables' IA" if enforced else
           f"the regulariser did not make the blocks more orthogonal here ({projection})")
    return text, why


def sub_embedding_share_higher(analyses: dict[str, dict]) -> float:
    """Figure 16's sub-embedding half for one seed (``variant -> weight analyses``): the share
    of (i, j) pairs whose IA(E_i->j) is higher in the regularised model than in the standard
    one: what an orthogonal W enforces by construction."""
    standard = unlisted(analyses["standard"]["sub_embedding_ia"])
    regularised = unlisted(analyses["regularised"]["sub_embedding_ia"])
    return float(np.nanmean(regularised > standard))


def fig16_panels(frame: pd.DataFrame, names: dict[str, str], seed: int
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float]:
    """Figure 16's panels for one seed of an ``Analysed`` frame (``names``: model -> variant):
    each variant's sub-embedding IA matrix and table IA per field, both with the fields sorted
    by the standard model's IA, and :func:`sub_embedding_share_higher`."""
    first = frame[frame.seed == seed]
    analyses = dict(zip(first.model.map(names), first.analyses))
    order = np.argsort(np.asarray(analyses["standard"]["field_ia"], dtype=float))
    matrices = {name: unlisted(a["sub_embedding_ia"])[np.ix_(order, order)]
                for name, a in analyses.items()}
    field_ia = {name: np.asarray(a["field_ia"], dtype=float)[order]
                for name, a in analyses.items()}
    return matrices, field_ia, sub_embedding_share_higher(analyses)
