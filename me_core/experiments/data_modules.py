"""Section 5, Tables 2 and 3: is collapse only a lack of data, and is the embedding the module
worth scaling?

Every verdict compares runs paired by seed (:mod:`me_core.stats`). The input is a frame of run
rows (:func:`me_core.train.records.record_row`): ``model``, ``embedding`` ("SE"/"ME"),
``scale``, ``fraction`` (share of the training split), ``seed``, ``mean_field_ia``,
``test_auc``, and for Table 3 a ``variant`` column naming the non-embedding change.
"""

from __future__ import annotations

import pandas as pd

from me_core.experiments.table1 import by_seed
from me_core.stats import (
    Finding,
    PairedEffect,
    combine_verdicts,
    effect_verdict,
    paired_effect,
    pooled_effect,
)

__all__ = ["table2_cells", "module_table", "share_of_random", "distance_from_init",
           "me_above_se_at_every_size", "data_raises_small_model_ia", "data_helps_small_more",
           "large_model_ia_not_monotone", "embeddings_beat_other_modules"]


def table2_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 2: mean field IA per (scale, SE/ME) and training fraction, as ``mean ± std`` over
    seeds (scale 1 shows once, as SE; it is shared by SE and ME)."""
    stats = frame.groupby(["scale", "embedding", "fraction"]).mean_field_ia.agg(
        ["mean", "std", "count"])
    text = stats.apply(lambda r: f"{r['mean']:.2f}" + (f" ± {r['std']:.2f}" if r["count"] > 1
                                                        else ""), axis=1)
    return text.unstack("fraction").rename(columns=lambda f: f"{f:.0%} of the data")


def module_table(modules: pd.DataFrame) -> pd.DataFrame:
    """Table 3: per variant of the base model, its non-embedding parameters and test AUC (mean
    and sd over seeds, and the seed count), formatted for people."""
    table = modules.groupby("variant", sort=False).agg(
        non_embedding_parameters=("other_params", "first"), test_auc=("test_auc", "mean"),
        sd=("test_auc", "std"), seeds=("seed", "nunique"))
    return table.assign(non_embedding_parameters=table.non_embedding_parameters.map("{:,}".format),
                        test_auc=table.test_auc.round(4), sd=table.sd.round(4))


def share_of_random(frame: pd.DataFrame, random_ia: dict[int, float]) -> pd.DataFrame:
    """Mean field IA of every (scale, SE/ME, fraction) cell, averaged over seeds, beside the
    mean field IA of a random table of the same width (``random_ia``: scale -> IA, the
    initialisation's own IA) and their ratio: how far training moved the tables from it."""
    cells = frame.groupby(["scale", "embedding", "fraction"]).mean_field_ia.mean().reset_index()
    cells["random_ia"] = cells.scale.map(random_ia)
    cells["share_of_random"] = cells.mean_field_ia / cells.random_ia
    return cells


def distance_from_init(cells: pd.DataFrame) -> str:
    """The sentence a Table 2 reading needs on data where IA falls with data at every size:
    the share of a random table's IA the tables keep at the smallest and at the largest
    fraction (from :func:`share_of_random`). Fewer samples also mean fewer training steps, so
    a table trained on less data sits closer to its random (high-IA) initialisation."""
    small, large = cells.fraction.min(), cells.fraction.max()
    at = {f: cells[cells.fraction == f].share_of_random for f in (small, large)}
    return (f"trained on {small:.0%} of the data the tables keep {at[small].min():.0%} to "
            f"{at[small].max():.0%} of a random table's IA, on {large:.0%} {at[large].min():.0%} "
            f"to {at[large].max():.0%}: fewer samples also mean fewer training steps, which "
            f"leave a table closer to its random initialisation, whose IA is high")


def _cell(frame: pd.DataFrame, embedding: str, scale: int, fraction: float) -> dict[int, float]:
    return by_seed(frame, "mean_field_ia", embedding=embedding, scale=scale, fraction=fraction)


def me_above_se_at_every_size(frame: pd.DataFrame) -> Finding:
    """Table 2: ME tables keep a higher mean field IA than SE tables of the same size at every
    data size. ME - SE is paired by seed in every (enlarged size, fraction) cell; the verdict
    rests on the cells' mean per seed (:func:`me_core.stats.pooled_effect`): ``reproduced``
    when it is robustly positive and no cell is robustly negative, ``partly reproduced`` when
    some cell is."""
    effects = {f"{s}x, {f:.0%}": paired_effect(_cell(frame, "ME", s, f), _cell(frame, "SE", s, f))
               for s in sorted(frame[frame.embedding == "ME"].scale.unique())
               for f in sorted(frame.fraction.unique())}
    overall = pooled_effect(effects)
    verdict, reason = effect_verdict(overall)
    cells = {k: effect_verdict(e)[0] for k, e in effects.items()}
    reversed_ = [k for k, v in cells.items() if v == "not reproduced"]
    if verdict == "reproduced" and reversed_:
        verdict = "partly reproduced"
        reason += f"; robustly reversed in {', '.join(reversed_)}"
    robust = sum(v == "reproduced" for v in cells.values())
    ours = (f"ME - SE mean field IA, mean over the {len(effects)} (size, data) cells "
            f"{overall.text(2)}; robustly positive in {robust} of them; "
            + "; ".join(f"{k}: {e.text(2)}" for k, e in effects.items()))
    return Finding(verdict, ours, reason, {"ME - SE (cell mean)": overall, **effects})


def data_raises_small_model_ia(frame: pd.DataFrame) -> Finding:
    """Table 2: at the smallest size, more data raises IA (all data minus the smallest
    fraction, SE, paired by seed)."""
    scale, fractions = int(frame.scale.min()), sorted(frame.fraction.unique())
    effect = paired_effect(_cell(frame, "SE", scale, fractions[-1]),
                           _cell(frame, "SE", scale, fractions[0]))
    verdict, reason = effect_verdict(effect)
    ours = (f"SE {scale}x mean field IA, {fractions[-1]:.0%} minus {fractions[0]:.0%} of the "
            f"data: {effect.text(2)}")
    return Finding(verdict, ours, reason, {"more data": effect})


def data_helps_small_more(frame: pd.DataFrame, random_ia: dict[int, float]) -> Finding:
    """Table 2's contrast between sizes ("data limits IA only for the smallest sizes"): the
    rise in IA from the smallest to the largest fraction of the data, as a share of a random
    table's IA of the same width (``random_ia``: scale -> mean field IA), is larger for the
    smallest SE model than for the largest; paired by seed. Dividing by the random table's IA
    puts both sizes on one scale, and both arms train on the same fractions (the same steps),
    so what fewer steps do to IA cancels in the difference."""
    small, large = int(frame.scale.min()), int(frame.scale.max())
    fractions = sorted(frame.fraction.unique())

    def rise(scale: int) -> dict[int, float]:
        more, less = (_cell(frame, "SE", scale, f) for f in (fractions[-1], fractions[0]))
        return {s: (more[s] - less[s]) / random_ia[scale] for s in set(more) & set(less)}

    effect = paired_effect(rise(small), rise(large))
    verdict, reason = effect_verdict(effect)
    ours = (f"rise in IA / random IA from {fractions[0]:.0%} to {fractions[-1]:.0%} of the "
            f"data, SE {small}x minus SE {large}x: {effect.text(3)}")
    return Finding(verdict, ours, reason, {"small - large": effect})


def large_model_ia_not_monotone(frame: pd.DataFrame) -> Finding:
    """Table 2's headline: for the largest SE model, IA is not monotone in data size.

    Each step between consecutive fractions is a paired effect. ``reproduced`` when some step
    robustly lowers IA (2-standard-error rule, every seed); ``not reproduced`` when every step
    robustly raises it (IA monotone in data); otherwise ``inconclusive``."""
    scale, fractions = int(frame.scale.max()), sorted(frame.fraction.unique())
    steps = {f"{a:.0%} -> {b:.0%}": paired_effect(_cell(frame, "SE", scale, b),
                                                  _cell(frame, "SE", scale, a))
             for a, b in zip(fractions, fractions[1:])}
    falls = {k: effect_verdict(e, expected_sign=-1) for k, e in steps.items()}
    rises = {k: effect_verdict(e, expected_sign=+1) for k, e in steps.items()}
    verdict = ("reproduced" if any(v == "reproduced" for v, _ in falls.values()) else
               "not reproduced" if steps and all(v == "reproduced" for v, _ in rises.values())
               else "inconclusive")
    reason = "; ".join(f"{k}: falls {falls[k][0]}, rises {rises[k][0]}" for k in steps)
    ours = (f"SE {scale}x mean field IA per data step: "
            + "; ".join(f"{k}: {e.text(2)}" for k, e in steps.items()))
    return Finding(verdict, ours, reason, steps)


def embeddings_beat_other_modules(modules: pd.DataFrame, embeddings: pd.DataFrame) -> Finding:
    """Table 3: scaling the embeddings (ME, largest size) beats every deeper or shallower
    cross network or MLP of the base model: AUC(ME largest) - AUC(variant), paired by seed,
    per variant. ``modules`` has one row per (variant, seed) with ``test_auc``; ``embeddings``
    the ME runs of the same seeds (and the base, which is variant "default")."""
    me = embeddings[embeddings.embedding == "ME"]
    largest = int(me.scale.max())
    top = by_seed(me, "test_auc", scale=largest)
    effects = {v: paired_effect(top, by_seed(modules, "test_auc", variant=v))
               for v in modules.variant.unique()}
    verdict, reason = combine_verdicts({k: effect_verdict(e) for k, e in effects.items()})
    best = max(effects, key=lambda v: float(pd.Series(by_seed(modules, "test_auc",
                                                              variant=v)).mean()))
    gain = effects.get("default", PairedEffect())
    ours = (f"ME {largest}x over the base: {gain.text()}; over the best other-module variant "
            f"({best}): {effects[best].text()}")
    return Finding(verdict, ours, reason, effects)
