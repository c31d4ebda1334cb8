"""Section 5, Tables 2 and 3: is collapse only a lack of data, and is the embedding the module
worth scaling?

Every verdict compares runs paired by seed (:mod:`me_core.stats`). The input is a frame of run
rows (:func:`me_core.train.records.record_row`): ``model``, ``embedding`` ("SE"/"ME"),
``scale``, ``fraction`` (share of the training split), ``seed``, ``mean_field_ia``,
``test_auc``, and for Table 3 a ``variant`` column naming the non-embedding change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.companion.claims import claim
from me_core.stats import (
    Finding,
    PairedEffect,
    by_seed,
    gate,
    judge,
    not_learned,
    not_monotone,
    paired_effect,
)

__all__ = ["table2_cells", "truth_cells", "random_ia", "module_table", "share_of_random",
           "distance_from_init",
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


def truth_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 2 against the synthetic teacher's truth: per (scale, SE/ME, fraction), the mean
    over the fields whose truth a table can miss of the recovered dimensions, learned (mean ±
    std over seeds) and of the runs' random tables (``frame``: an ``Sourced`` frame of the
    Table 2 runs with ground-truth scores and their ``fraction``)."""
    from me_core.companion.chapters.embedding_collapse import truth_scores

    rows = []
    for scale, kind, fraction, analyses in zip(frame.scale, frame.embedding, frame.fraction,
                                               frame.analyses):
        scores = truth_scores(analyses)[lambda f: f.eligible]
        rows.append({"scale": scale, "embedding": kind, "fraction": fraction,
                     "learned": scores.recovered.mean(),
                     "random": scores.recovered_random.mean()})
    stats_ = pd.DataFrame(rows).groupby(["scale", "embedding", "fraction"]).agg(
        learned=("learned", "mean"), sd=("learned", "std"), random=("random", "mean"))
    text = stats_.apply(lambda r: f"{r['learned']:.2f} ± {r['sd']:.2f} (random "
                                  f"{r['random']:.2f})", axis=1)
    return text.unstack("fraction").rename(columns=lambda f: f"{f:.0%} of the data")


def random_ia(config, field_dims, scales, seeds) -> dict[int, dict[int, float]]:
    """The mean field IA of each run's random initialisation, per scale and seed (the model of
    ``config`` rebuilt with the run's seed, :func:`me_core.companion.weights.initial_model`):
    the per-seed random tables Table 2 is read against."""
    from dataclasses import replace as _replace

    from me_core.companion.weights import initial_model
    from me_core.metrics import information_abundance

    out: dict[int, dict[int, float]] = {}
    for scale in scales:
        for seed in seeds:
            model = initial_model(_replace(config, scale=int(scale), seed=int(seed)), field_dims)
            out.setdefault(int(scale), {})[int(seed)] = float(np.mean(
                [information_abundance([t.float() for t in model.field_embeddings(f)])
                 for f in range(model.num_fields)]))
    return out


def module_table(modules: pd.DataFrame) -> pd.DataFrame:
    """Table 3: per variant of the base model, its non-embedding parameters and test AUC (mean
    and sd over seeds, and the seed count), formatted for people."""
    table = modules.groupby("variant", sort=False).agg(
        non_embedding_parameters=("other_params", "first"), test_auc=("test_auc", "mean"),
        sd=("test_auc", "std"), seeds=("seed", "nunique"))
    return table.assign(non_embedding_parameters=table.non_embedding_parameters.map("{:,}".format),
                        test_auc=table.test_auc.round(4), sd=table.sd.round(4))


def share_of_random(frame: pd.DataFrame, random_ia: dict[int, dict[int, float]]
                    ) -> pd.DataFrame:
    """Mean field IA of every (scale, SE/ME, fraction) cell, averaged over seeds, beside the
    mean field IA of a random table of the same width (``random_ia``: scale -> seed -> IA, each
    seed's initialisation; averaged over seeds here) and their ratio: how far training moved
    the tables from it."""
    cells = frame.groupby(["scale", "embedding", "fraction"]).mean_field_ia.mean().reset_index()
    cells["random_ia"] = cells.scale.map({k: float(np.mean(list(v.values())))
                                          for k, v in random_ia.items()})
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


def _test(key: str, part: str):
    return claim("data_and_modules", key).test(part)


def _steps(frame: pd.DataFrame, scale: int, fractions) -> str:
    """How many optimiser steps the runs of one size took per data fraction (median over
    seeds): every fraction trains to its own early stop, so less data also means fewer steps."""
    part = frame[(frame.embedding == "SE") & (frame.scale == scale)]
    if "steps" not in part:
        return ""
    return ("; optimiser steps (median over seeds) " + ", ".join(
        f"{f:.0%}: {int(part[part.fraction == f].steps.median()):,}" for f in fractions)
            + " (each fraction trains to its own early stop, so less data also means fewer "
              "steps: the rows are confounded with training length)")


def me_above_se_at_every_size(frame: pd.DataFrame) -> Finding:
    """Table 2: ME tables keep a higher mean field IA than SE tables of the same size at every
    data size: ME - SE paired by seed in every (enlarged size, fraction) cell, each judged by
    the declared test; every cell must pass (intersection)."""
    if why := gate(frame):
        return not_learned(why)
    test = _test("table2", "ME - SE")
    effects = {f"{s}x, {f:.0%}": paired_effect(_cell(frame, "ME", s, f), _cell(frame, "SE", s, f))
               for s in sorted(frame[frame.embedding == "ME"].scale.unique())
               for f in sorted(frame.fraction.unique())}
    parts = [judge(e, test, k) for k, e in effects.items()]
    robust = sum(p.verdict == "reproduced" for p in parts)
    ours = (f"ME - SE mean field IA, robustly above the minimum effect in {robust} of the "
            f"{len(parts)} (size, data) cells: "
            + "; ".join(f"{k}: {e.text(2)}" for k, e in effects.items()))
    return Finding.of_parts(parts, ours)


def _reading(frame: pd.DataFrame, scale: int, fractions,
             random_ia: dict[int, dict[int, float]] | None) -> str:
    """What a Table 2 row needs beside its verdict: the steps behind each fraction and, given a
    random table's IA per size and seed, how far the tables are from it
    (:func:`distance_from_init`)."""
    text = _steps(frame, scale, fractions).lstrip("; ")
    if random_ia is not None:
        text += "; " + distance_from_init(share_of_random(frame, random_ia))
    return text


def data_raises_small_model_ia(frame: pd.DataFrame,
                               random_ia: dict[int, dict[int, float]] | None = None) -> Finding:
    """Table 2: at the smallest size, more data raises IA (all data minus the smallest
    fraction, SE, paired by seed); ``random_ia`` adds how far the tables are from random."""
    if why := gate(frame):
        return not_learned(why)
    scale, fractions = int(frame.scale.min()), sorted(frame.fraction.unique())
    effect = paired_effect(_cell(frame, "SE", scale, fractions[-1]),
                           _cell(frame, "SE", scale, fractions[0]))
    ours = (f"SE {scale}x mean field IA, {fractions[-1]:.0%} minus {fractions[0]:.0%} of the "
            f"data: {effect.text(2)}")
    return Finding.of_parts([judge(effect, _test("table2_small", "more data"), "more data")],
                            ours, _reading(frame, scale, fractions, random_ia))


def data_helps_small_more(frame: pd.DataFrame, random_ia: dict[int, dict[int, float]]
                          ) -> Finding:
    """Table 2's contrast between sizes ("data limits IA only for the smallest sizes"): the
    rise in IA from the smallest to the largest fraction of the data, as a share of a random
    table's IA of the same width (``random_ia``: scale -> seed -> mean field IA of that seed's
    random table), must be positive for the smallest SE model **and** larger than for the
    largest; both paired by seed. Dividing by the random table's IA puts both sizes on one
    scale; both sizes train on the same fractions to their own early stops."""
    if why := gate(frame):
        return not_learned(why)
    small, large = int(frame.scale.min()), int(frame.scale.max())
    fractions = sorted(frame.fraction.unique())

    def rise(scale: int) -> dict[int, float]:
        more, less = (_cell(frame, "SE", scale, f) for f in (fractions[-1], fractions[0]))
        return {s: (more[s] - less[s]) / random_ia[scale][s]
                for s in set(more) & set(less) & set(random_ia[scale])}

    rises = {scale: rise(scale) for scale in (small, large)}
    effects = {"small model rises": paired_effect(rises[small], {s: 0.0 for s in rises[small]}),
               "small - large": paired_effect(rises[small], rises[large])}
    parts = [judge(e, _test("table2_sizes", k), k) for k, e in effects.items()]
    ours = (f"rise in IA / random IA from {fractions[0]:.0%} to {fractions[-1]:.0%} of the "
            f"data: SE {small}x {effects['small model rises'].text(3)}, SE {large}x "
            f"{paired_effect(rises[large], {s: 0.0 for s in rises[large]}).text(3)}; small "
            f"minus large {effects['small - large'].text(3)}")
    return Finding.of_parts(parts, ours, _steps(frame, small, fractions).lstrip("; "))


def large_model_ia_not_monotone(frame: pd.DataFrame,
                                random_ia: dict[int, dict[int, float]] | None = None
                                ) -> Finding:
    """Table 2's headline: for the largest SE model, IA is not monotone in data size: some step
    between consecutive fractions robustly rises **and** some step robustly falls
    (:func:`me_core.stats.not_monotone`); every step robustly one way is monotone (not
    reproduced). ``random_ia`` adds how far the tables are from random."""
    if why := gate(frame):
        return not_learned(why)
    scale, fractions = int(frame.scale.max()), sorted(frame.fraction.unique())
    steps = {f"{a:.0%} -> {b:.0%}": paired_effect(_cell(frame, "SE", scale, b),
                                                  _cell(frame, "SE", scale, a))
             for a, b in zip(fractions, fractions[1:])}
    verdict, reason, parts = not_monotone(steps, _test("table2_large", "step"))
    ours = (f"SE {scale}x mean field IA per data step: "
            + "; ".join(f"{k}: {e.text(2)}" for k, e in steps.items()))
    return Finding(verdict, ours, f"{reason}; {_reading(frame, scale, fractions, random_ia)}",
                   dict(steps), tuple(parts))


def embeddings_beat_other_modules(modules: pd.DataFrame, embeddings: pd.DataFrame) -> Finding:
    """Table 3: scaling the embeddings (ME, largest size) beats every deeper or shallower
    cross network or MLP of the base model: AUC(ME largest) - AUC(variant), paired by seed,
    per variant, every variant must pass. ``modules`` has one row per (variant, seed) with
    ``test_auc``; ``embeddings`` the ME runs of the same seeds (and the base, which is variant
    "default")."""
    if why := gate(modules, embeddings):
        return not_learned(why)
    me = embeddings[embeddings.embedding == "ME"]
    largest = int(me.scale.max())
    top = by_seed(me, "test_auc", scale=largest)
    effects = {v: paired_effect(top, by_seed(modules, "test_auc", variant=v))
               for v in modules.variant.unique()}
    test = _test("table3", "ME - variant")
    parts = [judge(e, test, f"ME - {k}") for k, e in effects.items()]
    best = max(effects, key=lambda v: float(pd.Series(by_seed(modules, "test_auc",
                                                              variant=v)).mean()))
    gain = effects.get("default", PairedEffect())
    ours = (f"ME {largest}x over the base: {gain.text()}; over the best other-module variant "
            f"({best}): {effects[best].text()}")
    return Finding.of_parts(parts, ours)
