"""Evidence III (section 3.3, Figure 5, appendix Figure 16): regularising DCNv2's projections.

Every verdict compares the regularised and the standard DCNv2 paired by seed
(:mod:`me_core.stats`). The input is a frame of run rows
(:func:`me_core.train.records.record_row`) with a ``variant`` column, "standard" or
"regularised"; the dynamics finding also reads each row's ``history``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.companion.analysis import unlisted
from me_core.companion.claims import claim
from me_core.stats import (
    Finding,
    by_seed,
    effect_verdict,
    gate,
    judge,
    not_learned,
    paired_effect,
)

__all__ = ["mechanism_by_seed", "regulariser_enforced", "sub_embeddings_keep_more",
           "mechanism_table", "mechanism_reading",
           "sub_embedding_share_higher", "fig16_panels", "auc_gains",
           "regularised_scales_no_better", "regulariser_raises_table_ia", "validation_drop",
           "regularised_overfits", "regularised_me_scales_below_plain"]


def auc_gains(frame: pd.DataFrame, variant: str) -> dict[int, float]:
    """Test AUC at the largest size minus the base, per seed, of one variant."""
    part = frame[frame.variant == variant]
    top = by_seed(part, "test_auc", scale=int(part.scale.max()))
    bottom = by_seed(part, "test_auc", scale=int(part.scale.min()))
    return {s: top[s] - bottom[s] for s in sorted(set(top) & set(bottom))}


def _test(key: str, part: str):
    return claim("evidence3_regularization", key).test(part)


def regularised_scales_no_better(frame: pd.DataFrame) -> Finding:
    """Figure 5a: the regularised model's AUC gain from the base to the largest size is no
    better than the standard model's: the gain difference (regularised - standard) per seed
    must stay below the minimum effect (a one-sided test,
    :data:`me_core.companion.claims.CLAIMS`)."""
    if why := gate(frame):
        return not_learned(why)
    effect = paired_effect(auc_gains(frame, "regularised"), auc_gains(frame, "standard"))
    scales = sorted(frame.scale.unique())
    ours = (f"AUC gain {scales[0]}x -> {scales[-1]}x, regularised minus standard: "
            f"{effect.text()}")
    return Finding.of_parts([judge(effect, _test("fig5a", "gain difference"),
                                   "gain difference")], ours)


def regulariser_raises_table_ia(frame: pd.DataFrame, mechanism: pd.DataFrame | None = None
                                ) -> Finding:
    """Figure 5b: the regularised model's embedding tables have a higher mean field IA than
    the standard model's at every size (paired by seed per size; every size must pass). With
    ``mechanism`` (:func:`mechanism_by_seed` at the largest size), a verdict other than
    reproduced says whether the regulariser acted on its target (:func:`mechanism_reading`)."""
    if why := gate(frame):
        return not_learned(why)
    test = _test("fig5b", "regularised - standard")
    effects = {f"{s}x": paired_effect(
        by_seed(frame, "mean_field_ia", variant="regularised", scale=s),
        by_seed(frame, "mean_field_ia", variant="standard", scale=s))
        for s in sorted(frame.scale.unique())}
    ours = ("mean field IA, regularised minus standard: "
            + "; ".join(f"{k}: {e.text(2)} ({e.mean / e.reference:+.1%})"
                        for k, e in effects.items()))
    finding = Finding.of_parts([judge(e, test, k) for k, e in effects.items()], ours)
    if mechanism is None or finding.verdict == "reproduced":
        return finding
    _, why_not = mechanism_reading(mechanism, int(frame.scale.max()))
    return Finding.of_parts(finding.parts, ours, why_not)


def validation_drop(history: list[dict]) -> float:
    """Best validation AUC minus the last epoch's: how far a run fell after its best epoch."""
    aucs = [h["valid_auc"] for h in history]
    return float(max(aucs) - aucs[-1])


def regularised_overfits(frame: pd.DataFrame) -> Finding:
    """Figure 5c, worded as what early stopping lets us see: at the largest size, in the epochs
    after its best one (one epoch with patience 1), the regularised model's validation AUC
    falls further than the standard model's (paired by seed)."""
    if why := gate(frame):
        return not_learned(why)
    largest = int(frame.scale.max())
    top = frame[frame.scale == largest].assign(
        drop=lambda f: [validation_drop(h) for h in f.history],
        after=lambda f: [len(h) - int(np.argmax([e["valid_auc"] for e in h])) - 1
                         for h in f.history])
    effect = paired_effect(by_seed(top, "drop", variant="regularised"),
                           by_seed(top, "drop", variant="standard"))
    ours = (f"validation AUC drop from the best to the last epoch at {largest}x, regularised "
            f"minus standard: {effect.text()}; epochs seen after the best: "
            f"{int(top.after.min())} to {int(top.after.max())}")
    return Finding.of_parts([judge(effect, _test("fig5c", "drop difference"),
                                   "drop difference")], ours)


def regularised_me_scales_below_plain(frame: pd.DataFrame) -> Finding:
    """Appendix Figure 17a: ME DCNv2 with the Evidence III regulariser still gains AUC from the
    base to the largest size, but less than plain ME. ``frame`` has ``variant`` "ME" and
    "ME + regulariser", each with its own base (scale 1) runs. Two paired effects, both
    needed: the regularised gain and plain gain minus regularised gain."""
    if why := gate(frame):
        return not_learned(why)
    said = claim("me_results", "fig17a")
    reg, plain = auc_gains(frame, "ME + regulariser"), auc_gains(frame, "ME")
    rises = paired_effect(reg, {s: 0.0 for s in reg})
    below = paired_effect(plain, reg)
    scales = sorted(frame.scale.unique())
    ours = (f"AUC gain {scales[0]}x -> {scales[-1]}x of ME + regulariser {rises.text()}; "
            f"plain ME minus it {below.text()}")
    return Finding.of_parts([judge(rises, said.test("regularised gain"), "regularised gain"),
                             judge(below, said.test("plain - regularised gain"),
                                   "plain - regularised gain")], ours)


def mechanism_by_seed(frame: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """What the regulariser acts on, per model and seed, from stored weight analyses (rows of an
    ``Sourced`` frame; ``names`` maps a model to its variant name): the median over blocks
    i != j of IA(W_{i->j}) / K (1: orthogonal), the median of IA(E_i^{->j}) / IA(E_i) (the
    share of its table's IA a sub-embedding keeps) and the tables' mean IA."""
    rows = []
    learned = frame.assign(test_auc=frame.get("test_auc", np.nan), steps=frame.get("steps", -1))
    for model, seed, analyses, auc, steps in zip(frame.model, frame.seed, frame.analyses,
                                                 learned.test_auc, learned.steps):
        projection = unlisted(analyses["projection_ia_per_dim"])
        off = ~np.eye(len(projection), dtype=bool)
        table = np.asarray(analyses["field_ia"], dtype=float)
        sub = unlisted(analyses["sub_embedding_ia"]) / table[:, None]
        rows.append({"variant": names[model], "seed": int(seed),
                     "projection_ia_per_dim": float(np.median(projection[off])),
                     "sub_over_table_ia": float(np.median(sub[off])),
                     "table_ia": float(table.mean()), "test_auc": auc, "steps": steps})
    return pd.DataFrame(rows)


def regulariser_enforced(mechanism: pd.DataFrame) -> tuple[str, str]:
    """Does the regulariser act on its target? Median IA(W_{i->j}) / K, regularised minus
    standard, paired by seed (:func:`mechanism_by_seed`): ``reproduced`` when the blocks are
    robustly closer to orthogonal."""
    effect = paired_effect(by_seed(mechanism, "projection_ia_per_dim", variant="regularised"),
                           by_seed(mechanism, "projection_ia_per_dim", variant="standard"))
    return effect_verdict(effect, min_effect=ENFORCED_MIN)


#: how much closer to orthogonal (median IA(W_i->j) / K, in [1/K, 1]) the regularised blocks
#: must be to count as enforced: five points of the unit interval
ENFORCED_MIN = 0.05


def sub_embeddings_keep_more(mechanism: pd.DataFrame) -> Finding:
    """Figure 16: the regularised model's sub-embeddings E_i->j keep a larger share of their
    table's IA (median over pairs i != j of IA(E_i->j) / IA(E_i), :func:`mechanism_by_seed`),
    regularised minus standard, paired by seed; the tables' own IA is Figure 5b's."""
    if why := gate(mechanism.dropna(subset=["test_auc"])):
        return not_learned(why)
    effect = paired_effect(by_seed(mechanism, "sub_over_table_ia", variant="regularised"),
                           by_seed(mechanism, "sub_over_table_ia", variant="standard"))
    tables = paired_effect(by_seed(mechanism, "table_ia", variant="regularised"),
                           by_seed(mechanism, "table_ia", variant="standard"))
    ours = (f"median IA(E_i->j) / IA(E_i) over pairs i != j, regularised minus standard: "
            f"{effect.text(3)} (standard {effect.reference:.2f}); the tables' mean IA, "
            f"regularised minus standard {tables.text(2)}")
    return Finding.of_parts([judge(effect, _test("fig16", "regularised - standard"),
                                   "regularised - standard")], ours)


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
    """Figure 16's panels for one seed of an ``Sourced`` frame (``names``: model -> variant):
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
