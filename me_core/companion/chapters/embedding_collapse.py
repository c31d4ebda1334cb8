"""Embedding collapse (Figures 1b, 2 and 15) judged against random tables of the same shape.

A learned table's information abundance (IA) means little alone: a random D x K table has IA
below K too, and more so when D is close to K. Every verdict here therefore compares the learned
tables with the matched null, each run's own initialisation (a random table of the same shape
drawn with the run's seed, stored with its weight analyses as ``initial``), over the fields
with more values than the table has columns (D_i > K: smaller tables are full rank by
construction), paired by seed and judged by the claim's declared test
(:mod:`me_core.companion.claims`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from me_core.companion.claims import claim
from me_core.companion.weights import large_fields, per_seed
from me_core.metrics import information_abundance, normalized_singular_values
from me_core.stats import (
    Finding,
    PairedEffect,
    gate,
    judge,
    not_learned,
    paired_effect,
    paired_gains,
)

__all__ = ["random_field_ia", "learned_vs_random", "normalised_ia_by_size", "me_raises_ia",
           "spectra_low_rank", "se_gains", "se_gains_flat", "text_model_flatter",
           "random_gaussian_spectrum", "truth_fields", "truth_scores",
           "collapse_against_truth", "me_recovers_more", "truth_table", "has_truth",
           "NEEDS_TRUTH"]


def random_field_ia(model) -> np.ndarray:
    """Per-field IA of a model's tables (sets concatenated): pass a random twin for the null."""
    return np.array([information_abundance([t.float() for t in model.field_embeddings(f)])
                     for f in range(model.num_fields)])


def _large(cardinalities: Sequence[int], width: int) -> np.ndarray:
    return np.asarray(cardinalities) > width


def _mean_large(analyses: dict, values: Sequence[float]) -> float:
    return float(np.mean(np.asarray(values, dtype=float)[large_fields(analyses)]))


def _learned_ia(analyses: dict) -> float:
    return _mean_large(analyses, analyses["field_ia"])


def _initial_ia(analyses: dict) -> float:
    return _mean_large(analyses, analyses["initial"]["field_ia"])


def learned_vs_random(frame: pd.DataFrame) -> Finding:
    """Figure 2 (and Fig. 1b's low rank): per seed, the mean IA over the fields with D_i > K of
    the learned tables (rows of an ``Sourced`` frame, one per seed) against the same mean for
    the run's own random initialisation, a random table of the same shape drawn with that
    seed; the paper's direction is "learned far lower" (:data:`me_core.companion.claims.CLAIMS`)."""
    if why := gate(frame):
        return not_learned(why)
    effect = paired_effect(per_seed(frame, _learned_ia), per_seed(frame, _initial_ia))
    ratios = per_seed(frame, lambda a: float(np.median(
        np.asarray(a["field_ia"], float)[large_fields(a)]
        / np.asarray(a["initial"]["field_ia"], float)[large_fields(a)])))
    below = per_seed(frame, lambda a: float(np.mean(
        np.asarray(a["field_ia"], float)[large_fields(a)]
        < np.asarray(a["initial"]["field_ia"], float)[large_fields(a)])))
    first = frame.analyses.iloc[0]
    ours = (f"K = {first['width']}, {int(large_fields(first).sum())} fields with D_i > K: mean "
            f"learned IA minus random IA {effect.text(2)} (random {effect.reference:.2f}); "
            f"learned below random in {np.mean(list(below.values())):.0%} of these fields, "
            f"median learned/random ratio {np.mean(list(ratios.values())):.2f} (means over "
            f"seeds)")
    part = judge(effect, claim("embedding_collapse", "fig2").test("learned - random"),
                 "learned - random")
    return Finding.of_parts([part], ours)


def normalised_ia_by_size(frame: pd.DataFrame) -> tuple[pd.DataFrame, Finding]:
    """Figure 15: IA/K averaged over the fields with D_i > K, per table width K and seed
    (rows of an ``Sourced`` frame of one model at several sizes), beside the same for each
    run's random initialisation. A random table's IA/K falls with K too (the fields' D_i do
    not grow), so the claim is judged on the share of the random table's IA/K the learned
    table keeps: it must fall at every enlargement (paired by seed, declared test). The tidy
    frame has one row per (K, seed, learned/random)."""
    rows = []
    for seed, analyses in zip(frame.seed, frame.analyses):
        width = int(analyses["width"])
        for kind, ia in (("learned", _learned_ia(analyses)), ("random", _initial_ia(analyses))):
            rows.append({"K": width, "seed": int(seed), "kind": kind, "ia_per_dim": ia / width})
    tidy = pd.DataFrame(rows)
    if why := gate(frame):
        return tidy, not_learned(why)
    kept = tidy.pivot_table(index=["K", "seed"], columns="kind", values="ia_per_dim")
    kept = (kept["learned"] / kept["random"]).rename("kept").reset_index()
    widths = sorted(kept.K.unique())
    test = claim("embedding_collapse", "fig15").test("step")
    parts = [judge(paired_effect(kept[kept.K == big].set_index("seed").kept.to_dict(),
                                 kept[kept.K == small].set_index("seed").kept.to_dict()),
                   test, f"K {small} -> {big}") for small, big in zip(widths, widths[1:])]
    means = tidy.groupby(["K", "kind"]).ia_per_dim.mean().unstack("kind")
    ours = ("mean IA/K learned (random) " + ", ".join(
        f"K = {k}: {r['learned']:.3f} ({r['random']:.3f})" for k, r in means.iterrows())
        + "; share of the random table's IA/K kept, change per enlargement "
        + ", ".join(f"{p.name}: {p.effect.text(3)}" for p in parts))
    return tidy, Finding.of_parts(parts, ours)


def me_raises_ia(runs: pd.DataFrame, model: str, scale: int, cardinalities: Sequence[int],
                 width: int) -> Finding:
    """Figure 8b: at ``scale``, the ME tables (sets concatenated, ``width`` = M K columns) keep
    more IA than the SE table of the same width (mean over the fields with D_i > width of
    IA(ME) - IA(SE), paired by seed), most for high-cardinality fields (per seed, Spearman's
    rho of the per-field gain with the cardinality, against 0)."""
    large = _large(cardinalities, width)
    arms, cells = {}, []
    for kind in ("ME", "SE"):
        part = runs[(runs.model == model) & (runs.scale == scale) & (runs.embedding == kind)]
        cells.append(part)
        arms[kind] = {int(s): np.asarray(ia, dtype=float)[large]
                      for s, ia in zip(part.seed, part.field_ia)}
    if why := gate(*cells):
        return not_learned(why)
    effect = paired_effect({s: float(v.mean()) for s, v in arms["ME"].items()},
                           {s: float(v.mean()) for s, v in arms["SE"].items()})
    shared = sorted(set(arms["ME"]) & set(arms["SE"]))
    dims = np.asarray(cardinalities)[large]
    rho = {s: float(stats.spearmanr(arms["ME"][s] - arms["SE"][s], dims)[0]) for s in shared}
    higher = np.mean([np.mean(arms["ME"][s] > arms["SE"][s]) for s in shared]) if shared \
        else float("nan")
    said = claim("me_results", "fig8b")
    by_cardinality = paired_effect(rho, {s: 0.0 for s in rho})
    parts = [judge(effect, said.test("ME - SE"), "ME - SE"),
             judge(by_cardinality, said.test("gain rises with cardinality"),
                   "gain rises with cardinality")]
    ours = (f"{model} {scale}x, {int(large.sum())} fields with D_i > {width}: mean IA, ME - SE "
            f"{effect.text(2)}; ME higher in {higher:.0%} of these fields (mean over seeds); "
            f"Spearman's rho of the per-field gain with cardinality {by_cardinality.text(2)}")
    return Finding.of_parts(parts, ours)


def _ia_per_dim(analyses: dict) -> float:
    return _learned_ia(analyses) / analyses["width"]


def _tiny(analyses: dict, below: float = 0.1) -> tuple[float, float, int]:
    """(learned, random) share of sigma_k / sigma_max below ``below`` over the fields with
    D_i > K, and how many singular values that counts."""
    large = np.flatnonzero(large_fields(analyses))
    learned = np.concatenate([np.asarray(analyses["spectra"][f], dtype=float) for f in large])
    random = np.concatenate([np.asarray(analyses["initial"]["spectra"][f], dtype=float)
                             for f in large])
    return float(np.mean(learned < below)), float(np.mean(random < below)), len(learned)


def spectra_low_rank(frame: pd.DataFrame) -> Finding:
    """Figure 1b: the learned tables of one model (rows of an ``Sourced`` frame, one per seed)
    are nearly low-rank, judged per seed against the run's own random initialisation (a random
    table of the same shape) over the fields with D_i > K: their IA / K is lower, more of their
    normalised singular values are tiny (below 0.1), and most are (the share exceeds one half).
    The shares are counts of singular values: their resolution is one value."""
    if why := gate(frame):
        return not_learned(why)
    said = claim("embedding_collapse", "fig1b")
    tiny = {int(s): _tiny(a) for s, a in zip(frame.seed, frame.analyses)}
    count = min(c for _, _, c in tiny.values())
    share_test = replace(said.test("share below 0.1, learned - random"), resolution=1 / count)
    half_test = replace(said.test("share below 0.1, minus one half"), resolution=1 / count)
    ia = per_seed(frame, _ia_per_dim)
    null_ia = per_seed(frame, lambda a: _initial_ia(a) / a["width"])
    effects = {"IA/K, learned - random": paired_effect(ia, null_ia),
               "share below 0.1, learned - random": paired_effect(
                   {s: t[0] for s, t in tiny.items()}, {s: t[1] for s, t in tiny.items()}),
               "share below 0.1, minus one half": paired_effect(
                   {s: t[0] for s, t in tiny.items()}, {s: 0.5 for s in tiny})}
    tests = {"IA/K, learned - random": said.test("IA/K, learned - random"),
             "share below 0.1, learned - random": share_test,
             "share below 0.1, minus one half": half_test}
    parts = [judge(e, tests[k], k) for k, e in effects.items()]
    first = frame.analyses.iloc[0]
    ours = (f"K = {first['width']}, {int(large_fields(first).sum())} fields with D_i > K, "
            f"{len(ia)} seeds: IA/K {np.mean(list(ia.values())):.2f} learned vs "
            f"{np.mean(list(null_ia.values())):.2f} random; normalised singular values below "
            f"0.1: {np.mean([t[0] for t in tiny.values()]):.0%} learned vs "
            f"{np.mean([t[1] for t in tiny.values()]):.0%} random (of {count} values)")
    return Finding.of_parts(parts, ours)


def se_gains(frame: pd.DataFrame) -> dict[str, PairedEffect]:
    """Figure 1a's effects: per model of ``frame`` (runs of a grid, e.g. a
    :meth:`~me_core.companion.runs.Chapter.collect` frame), the SE test AUC at the largest
    size minus the base, paired by seed."""
    gains = {}
    for model in sorted(frame.model.unique()):
        gain = paired_gains(frame, model).get("SE gain")
        if gain is not None:
            gains[model] = gain
    return gains


def se_gains_flat(frame: pd.DataFrame) -> Finding:
    """Figure 1a: enlarging SE embeddings barely raises test AUC. Per model of ``frame``, the
    SE test AUC at the largest size minus the base, paired by seed (:func:`se_gains`), is
    judged by an equivalence test against the declared band, and every model must pass (a gain
    beyond the band, or a fall, contradicts "barely")."""
    if why := gate(frame):
        return not_learned(why)
    gains = se_gains(frame)
    test = claim("embedding_collapse", "fig1a").test("SE gain")
    parts = [judge(g, test, m) for m, g in gains.items()]
    ours = "largest-minus-base SE test AUC " + ", ".join(f"{m} {g.text()}"
                                                        for m, g in gains.items())
    return Finding.of_parts(parts, ours)


def text_model_flatter(frame: pd.DataFrame, text_sigma: Sequence[float],
                       text_random: dict[int, Sequence[float]]) -> Finding:
    """Figure 11: a pretrained text model's token embedding (normalised singular values
    ``text_sigma``) collapses less than a CTR model's tables (rows of an ``Sourced`` frame,
    one per seed; fields with D_i > K), **each against a random table of its own shape** drawn
    per seed (``text_random``: seed -> the normalised singular values of a Gaussian table of
    the text model's shape; the CTR tables' own initialisation): the text model keeps a larger
    share of its random table's IA/K, and the CTR tables have more tiny singular values beyond
    their random table's share than the text model has beyond its own."""
    if why := gate(frame):
        return not_learned(why)
    said = claim("text_models", "fig11")
    sigma = np.asarray(text_sigma, dtype=float)
    text_kept = {s: float(sigma.sum() / np.sum(r)) for s, r in text_random.items()}
    text_tiny = {s: float(np.mean(sigma < 0.1) - np.mean(np.asarray(r) < 0.1))
                 for s, r in text_random.items()}
    ctr_kept = per_seed(frame, lambda a: _learned_ia(a) / _initial_ia(a))
    ctr_tiny = {int(s): t[0] - t[1] for s, t in ((s, _tiny(a)) for s, a in
                                                 zip(frame.seed, frame.analyses))}
    kept = paired_effect(text_kept, ctr_kept)
    tiny = paired_effect(ctr_tiny, text_tiny)
    count = min(_tiny(a)[2] for a in frame.analyses)
    parts = [judge(kept, said.test("IA/K of random kept, text - CTR"),
                   "IA/K of random kept, text - CTR"),
             judge(tiny, replace(said.test("excess tiny share, CTR - text"),
                                 resolution=1 / count), "excess tiny share, CTR - text")]
    ours = (f"share of a random table's IA/K kept: text model "
            f"{np.mean(list(text_kept.values())):.2f}, CTR tables "
            f"{np.mean(list(ctr_kept.values())):.2f} (fields with D_i > K, {len(ctr_kept)} "
            f"seeds); normalised singular values below 0.1 beyond a random table's: text "
            f"{np.mean(list(text_tiny.values())):+.0%}, CTR "
            f"{np.mean(list(ctr_tiny.values())):+.0%}")
    return Finding.of_parts(parts, ours)


def random_gaussian_spectrum(rows: int, columns: int, seed: int) -> np.ndarray:
    """The normalised singular values of a rows x columns table of N(0, 1) entries drawn with
    ``seed``: the random table of a pretrained embedding's shape (Fig. 11's null)."""
    table = np.random.default_rng(seed).standard_normal((rows, columns), dtype=np.float32)
    return normalized_singular_values(table)


#: the finding of a claim judged against the synthetic teacher, on data without a known truth
NEEDS_TRUTH = Finding("not run", "needs a known truth (the synthetic teacher's)",
                      "real data has no known truth to score the tables against", {})


def has_truth(frame: pd.DataFrame) -> bool:
    """Whether every row of an ``Sourced`` frame carries ground-truth scores."""
    return not frame.empty and all("ground_truth" in a for a in frame.analyses)


def truth_fields(analyses: dict) -> np.ndarray:
    """Mask of the fields whose truth a table can miss: the truth's rank is below the number
    of kept values (otherwise any table spans part of it by construction) and there are more
    kept values than the table has columns."""
    truth = analyses["ground_truth"]
    kept, rank = np.asarray(truth["kept"]), np.asarray(truth["truth_rank"])
    return (rank < kept - 1) & (kept > analyses["width"])


def truth_scores(analyses: dict) -> pd.DataFrame:
    """Per field of one run: the truth's rank, the room (min(K, rank)), the recovered
    dimensions of the learned table and of the run's random initialisation, and the share of
    the room above the random table that the learned table fills."""
    truth = analyses["ground_truth"]
    width = int(analyses["width"])
    rank = np.asarray(truth["truth_rank"])
    learned = np.asarray(truth["learned"]["recovered"], dtype=float)
    initial = np.asarray(truth["initial"]["recovered"], dtype=float)
    room = np.minimum(width, rank)
    with np.errstate(divide="ignore", invalid="ignore"):
        filled = np.where(room - initial > 1e-9, (learned - initial) / (room - initial), np.nan)
    return pd.DataFrame({"field": np.arange(len(rank)), "cardinality": analyses["cardinalities"],
                         "truth_rank": rank, "room": room, "recovered": learned,
                         "recovered_random": initial, "filled": filled,
                         "eligible": truth_fields(analyses)})


def _truth_mean(column: str) -> Callable[[dict], float]:
    def value(analyses: dict) -> float:
        scores = truth_scores(analyses)
        return float(scores[scores.eligible][column].mean())
    return value


def _room_left(analyses: dict) -> float:
    scores = truth_scores(analyses)[lambda f: f.eligible]
    return float((scores.room - scores.recovered).mean())


def collapse_against_truth(frame: pd.DataFrame) -> Finding:
    """The collapse findings (Fig. 1b, 2, 15) against the synthetic teacher's truth, over the
    fields whose truth a table can miss (:func:`truth_fields`), for one model at several sizes
    (rows of an ``Sourced`` frame with ground-truth scores): the learned tables hold more of
    the truth than their random initialisation (the null: learning found something), fewer
    dimensions than their room (min(K, truth rank)) at the largest size, and fill a smaller
    share of their room above the random table at the largest size than at the smallest."""
    if not has_truth(frame):
        return NEEDS_TRUTH
    if why := gate(frame):
        return not_learned(why)
    said = claim("embedding_collapse", "truth")
    small, large = int(frame.scale.min()), int(frame.scale.max())
    top, bottom = frame[frame.scale == large], frame[frame.scale == small]
    learned = per_seed(top, _truth_mean("recovered"))
    random = per_seed(top, _truth_mean("recovered_random"))
    left = per_seed(top, _room_left)
    filled = {k: per_seed(part, _truth_mean("filled")) for k, part in
              (("large", top), ("small", bottom))}
    effects = {"learned - random table": paired_effect(learned, random),
               "room left": paired_effect(left, {s: 0.0 for s in left}),
               "filled share, largest - smallest": paired_effect(filled["large"],
                                                                 filled["small"])}
    first = top.analyses.iloc[0]
    room = float(truth_scores(first)[lambda f: f.eligible].room.mean())
    ours = (f"{int(truth_fields(first).sum())} fields whose truth a table can miss; at "
            f"{large}x (K = {first['width']}, room {room:.1f} per field) the learned tables "
            f"recover {np.mean(list(learned.values())):.1f} dimensions, a random table "
            f"{np.mean(list(random.values())):.1f}; share of the room above random filled: "
            f"{np.mean(list(filled['small'].values())):.1%} at {small}x, "
            f"{np.mean(list(filled['large'].values())):.1%} at {large}x")
    return Finding.of_parts([judge(e, said.test(k), k) for k, e in effects.items()], ours)


def me_recovers_more(me: pd.DataFrame, se: pd.DataFrame) -> Finding:
    """Figure 8b against the truth: at equal size, ME's tables (sets concatenated) recover more
    of the teacher's truth than SE's, mean over the fields whose truth a table can miss,
    paired by seed."""
    if not (has_truth(me) and has_truth(se)):
        return NEEDS_TRUTH
    if why := gate(me, se):
        return not_learned(why)
    effect = paired_effect(per_seed(me, _truth_mean("recovered")),
                           per_seed(se, _truth_mean("recovered")))
    random = per_seed(se, _truth_mean("recovered_random"))
    first = se.analyses.iloc[0]
    ours = (f"K = {first['width']}, {int(truth_fields(first).sum())} fields: recovered "
            f"dimensions ME - SE {effect.text(2)} (SE {effect.reference:.2f}, a random table "
            f"{np.mean(list(random.values())):.2f})")
    return Finding.of_parts([judge(effect, claim("me_results", "fig8b_truth").test("ME - SE"),
                                   "ME - SE")], ours)


def truth_table(frame: pd.DataFrame, planted: Sequence[Sequence[int]] | None) -> pd.DataFrame:
    """What IA means on the synthetic benchmark, field by field, over the seeds of one model
    and size (rows of an ``Sourced`` frame): cardinality, planted partners, the truth's rank,
    the room, recovered dimensions (learned and random, mean ± sd over seeds), the share of
    the room above random filled, and learned and random IA. Empty without a known truth."""
    if not has_truth(frame):
        return pd.DataFrame()
    scores = pd.concat([truth_scores(a).assign(seed=s, ia=a["field_ia"],
                                               ia_random=a["initial"]["field_ia"])
                        for s, a in zip(frame.seed, frame.analyses)])
    partners = np.zeros(len(scores.field.unique()), dtype=int)
    for i, j in planted or []:
        partners[i] += 1
        partners[j] += 1
    stats_ = scores.groupby("field").agg(
        cardinality=("cardinality", "first"), truth_rank=("truth_rank", "first"),
        room=("room", "first"), recovered=("recovered", "mean"),
        recovered_sd=("recovered", "std"), recovered_random=("recovered_random", "mean"),
        filled=("filled", "mean"), ia=("ia", "mean"), ia_random=("ia_random", "mean"),
        eligible=("eligible", "first"))
    return stats_.assign(planted_partners=partners[stats_.index])
