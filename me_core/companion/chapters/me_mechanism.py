"""Section 4 (Figures 9 and 10): how multi-embedding works, judged paired by seed.

:func:`variants_scale_worse` reads run rows (:func:`me_core.train.records.record_row`) with a
``variant`` column: "ME" (plain multi-embedding DCNv2) and the variants that take its separated
interaction away ("shared interaction", "aligned patterns"). The other findings read the
weight analyses of one model per seed (rows of an :class:`~me_core.companion.runs.Sourced`
frame, selected by the caller).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.companion.claims import claim
from me_core.companion.weights import per_seed
from me_core.stats import Finding, by_seed, gate, judge, not_learned, paired_effect

__all__ = ["variants_scale_worse", "me_less_partner_dependence", "mean_diversity",
           "diversity_by_seed",
           "me_sets_more_diverse", "between_set_correlation", "cross_seed_agreement",
           "cross_model_correlation",
           "sets_learn_own_patterns", "aligned_less_diverse"]


def _test(key: str, part: str):
    return claim("me_mechanism", key).test(part)


def variants_scale_worse(frame: pd.DataFrame, reference: str = "ME") -> Finding:
    """Figure 10c: at the largest size, plain ME beats every variant in test AUC, paired by
    seed (AUC(ME) - AUC(variant)); every variant must pass."""
    if why := gate(frame):
        return not_learned(why)
    largest = int(frame.scale.max())
    top = frame[frame.scale == largest]
    me = by_seed(top, "test_auc", variant=reference)
    effects = {v: paired_effect(me, by_seed(top, "test_auc", variant=v))
               for v in top.variant.unique() if v != reference}
    test = _test("fig10c", "ME - variant")
    ours = f"test AUC at {largest}x, ME minus: " + "; ".join(f"{k} {e.text()}"
                                                           for k, e in effects.items())
    return Finding.of_parts([judge(e, test, f"ME - {k}") for k, e in effects.items()], ours)


def me_less_partner_dependence(se_reads: dict[int, dict], me_reads: dict[int, dict]
                               ) -> Finding:
    """Figure 9: the SE partner correlation is positive (against its null of 0) and ME's is
    lower (ME - SE, paired by seed); both
    :func:`me_core.companion.chapters.evidence1_subembeddings.partner_reads`."""
    from me_core.companion.chapters.evidence1_subembeddings import reads_gate

    if why := reads_gate(se_reads, me_reads):
        return not_learned(why)
    se = {s: r["pearson_partner"] for s, r in se_reads.items()}
    me = {s: r["pearson_partner"] for s, r in me_reads.items()}
    effects = {"SE r": paired_effect(se, {s: 0.0 for s in se}),
               "ME r - SE r": paired_effect(me, se)}
    ours = (f"partner correlation r: SE {np.mean(list(se.values())):+.2f}, ME "
            f"{np.mean(list(me.values())):+.2f} (means over {len(se)} seeds); ME - SE "
            f"{effects['ME r - SE r'].text(2)}")
    return Finding.of_parts([judge(e, _test("fig9", k), k) for k, e in effects.items()], ours)


def mean_diversity(analyses: dict, key: str = "set_diversity") -> float:
    """Mean over the analysed fields of the sets' (or an SE table's blocks') diversity."""
    return float(np.nanmean(np.asarray(analyses[key], dtype=float)))


def diversity_by_seed(frame: pd.DataFrame, key: str = "set_diversity") -> list[float]:
    """:func:`mean_diversity` of each seed's analyses (rows of one cell), for the bar plots."""
    return list(per_seed(frame, lambda analyses: mean_diversity(analyses, key)).values())


def me_sets_more_diverse(me: pd.DataFrame, se: pd.DataFrame) -> Finding:
    """Figure 10a: the mean diversity of ME's sets exceeds that of the SE table of the same
    width split into as many blocks, paired by seed; each run's random initialisation split
    alike (stored with its analyses) is the no-training reference quoted beside them."""
    if why := gate(me, se):
        return not_learned(why)
    me_div = per_seed(me, mean_diversity)
    se_div = per_seed(se, lambda a: mean_diversity(a, "block_diversity"))
    random = per_seed(se, lambda a: mean_diversity(a["initial"], "block_diversity"))
    effect = paired_effect(me_div, se_div)
    ours = (f"mean diversity ME sets {np.mean(list(me_div.values())):.3f}, SE split into "
            f"blocks {np.mean(list(se_div.values())):.3f}, its random initialisation split "
            f"{np.mean(list(random.values())):.3f}; ME - SE {effect.text(3)}")
    return Finding.of_parts([judge(effect, _test("fig10a", "ME - SE blocks"),
                                   "ME - SE blocks")], ours)


def _mean(values: dict[int, float]) -> float:
    finite = [v for v in values.values() if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def between_set_correlation(patterns) -> float:
    """Mean Pearson correlation between the (M, N, N) patterns of every pair of sets; NaN for
    one set or a constant pattern."""
    flat = np.asarray(patterns, dtype=float).reshape(len(patterns), -1)
    if len(flat) < 2 or np.any(np.ptp(flat, axis=1) == 0):
        return float("nan")
    corr = np.corrcoef(flat)
    return float(corr[~np.eye(len(corr), dtype=bool)].mean())


def cross_seed_agreement(frame: pd.DataFrame, key: str = "interaction_patterns"
                         ) -> dict[int, float]:
    """Pearson correlation between the set-averaged patterns of two runs of different seeds,
    one value per pair of seeds (keyed 0, 1, ... in sorted order): how much of a pattern the
    data, not the initialisation, decides. ``key``: ``initial_interaction_patterns`` gives the
    same for the untrained starts (about 0)."""
    means = {int(s): np.asarray(a[key], dtype=float).mean(axis=0).ravel()
             for s, a in zip(frame.seed, frame.analyses)}
    seeds = sorted(means)
    pairs = [(a, b) for i, a in enumerate(seeds) for b in seeds[i + 1:]]
    return {n: float(np.corrcoef(means[a], means[b])[0, 1]) for n, (a, b) in enumerate(pairs)}


def cross_model_correlation(frame: pd.DataFrame, key: str = "interaction_patterns"
                            ) -> dict[int, float]:
    """Per seed, the mean Pearson correlation between each of its sets' patterns and each set
    pattern of the runs with the other seeds: how alike sets of *independently trained* models
    are, the reference for sets of one model (:func:`between_set_correlation`)."""
    patterns = {int(s): np.asarray(a[key], dtype=float).reshape(len(a[key]), -1)
                for s, a in zip(frame.seed, frame.analyses)}
    out = {}
    for seed, mine in patterns.items():
        values = [np.corrcoef(a, b)[0, 1] for other, theirs in patterns.items()
                  if other != seed for a in mine for b in theirs]
        out[seed] = float(np.mean(values)) if values else float("nan")
    return out


def sets_learn_own_patterns(me: pd.DataFrame) -> Finding:
    """Figure 10b: the sets of ME learn interaction patterns ||W^(m)_{i->j}||_F of their own.
    Two parts, both needed, paired by seed:

    * *learned*: the set-averaged patterns of runs with different seeds agree more than their
      initialisations do (paired over pairs of seeds), so an untrained model cannot pass;
    * *their own*: the sets of one model are no more alike than sets of models trained with
      other seeds (between-set correlation within a model minus across models, one-sided: it
      must stay below the minimum effect). Sets pushed together by a shared signal would
      correlate more within a model than across models."""
    if why := gate(me):
        return not_learned(why)
    learned = paired_effect(cross_seed_agreement(me),
                            cross_seed_agreement(me, "initial_interaction_patterns"))
    within = per_seed(me, lambda a: between_set_correlation(a["interaction_patterns"]))
    across = cross_model_correlation(me)
    own = paired_effect(within, across)
    ours = (f"between-set correlation of the trained patterns within one ME model "
            f"{_mean(within):.2f}, between sets of models with other seeds {_mean(across):.2f} "
            f"({len(within)} seeds), within - across {own.text(2)}; agreement of ME's patterns "
            f"across seeds, trained minus initial {learned.text(2)}")
    name = "sets of one model vs of different seeds"
    return Finding.of_parts([judge(learned, _test("fig10b", "learned"), "learned"),
                             judge(own, _test("fig10b", name), name)], ours)


def aligned_less_diverse(me: pd.DataFrame, aligned: pd.DataFrame, shared: pd.DataFrame
                         ) -> Finding:
    """Figure 10d: the variants whose sets interact alike have less diverse sets than ME
    (mean diversity, variant - ME, paired by seed, each variant must pass); the aligned
    variant tests the claim only if its penalty aligned the patterns, so that is a third part
    (between-set pattern correlation, aligned - ME)."""
    if why := gate(me, aligned, shared):
        return not_learned(why)
    me_div = per_seed(me, mean_diversity)
    alignment = paired_effect(
        per_seed(aligned, lambda a: between_set_correlation(a["interaction_patterns"])),
        per_seed(me, lambda a: between_set_correlation(a["interaction_patterns"])))
    effects = {"aligned - ME": paired_effect(per_seed(aligned, mean_diversity), me_div),
               "shared - ME": paired_effect(per_seed(shared, mean_diversity), me_div),
               "pattern correlation, aligned - ME": alignment}
    test = _test("fig10d", "variant - ME")
    parts = [judge(effects["aligned - ME"], test, "aligned - ME"),
             judge(effects["shared - ME"], test, "shared - ME"),
             judge(alignment, _test("fig10d", "pattern correlation, aligned - ME"),
                   "pattern correlation, aligned - ME")]
    base = _mean(me_div)
    ours = (f"mean diversity, variant - ME: aligned {effects['aligned - ME'].text(3)} "
            f"({effects['aligned - ME'].mean / base:+.1%} of ME's {base:.3f}), shared "
            f"{effects['shared - ME'].text(3)} ({effects['shared - ME'].mean / base:+.1%}); "
            f"pattern correlation, aligned - ME {alignment.text(2)}")
    return Finding.of_parts(parts, ours)
