"""Evidence I and Figure 9: does a sub-embedding's IA depend on its partner field?

Input: rows of an :class:`~me_core.companion.runs.Sourced` frame, one per seed, whose
analyses hold the sub-embedding IA matrix IA(E_i^{->j}) (DCNv2's first cross layer, or the
FFM's own sub-embeddings). Each seed is read with
:func:`me_core.companion.analysis.co_influence`, whose partner correlation has expectation 0
when the matrix depends on the source field only; the verdict pairs the seeds' correlations
with that zero.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from me_core.companion.analysis import co_influence, unlisted
from me_core.companion.claims import claim
from me_core.stats import (
    Finding,
    PairedEffect,
    cell_rows,
    effect_verdict,
    gate,
    judge,
    learning_gate,
    not_learned,
    p_text,
    paired_effect,
)

__all__ = ["partner_reads", "reads_gate", "co_influence_over_seeds", "partner_truth_ranks",
           "low_rank_partners_recover_less", "planted_contrast",
           "planted_contrast_difference", "planted_me_vs_se", "describe"]


def partner_reads(frame: pd.DataFrame, planted: Sequence[Sequence[int]] | None = None, *,
                  permutations: int = 2000, **where) -> dict[int, dict]:
    """:func:`co_influence` of every seed among the rows matching ``where``, keyed by seed."""
    part = cell_rows(frame, **where)
    learned = {int(s): {"test_auc": auc, "steps": steps} for s, auc, steps in
               zip(part.seed, part.get("test_auc", [np.nan] * len(part)),
                   part.get("steps", [-1] * len(part)))}
    return {int(seed): {**co_influence(unlisted(a["sub_embedding_ia"]), a["field_ia"],
                                       cardinalities=a["cardinalities"], width=a["width"],
                                       planted_pairs=planted, permutations=permutations),
                        **learned[int(seed)]}
            for seed, a in zip(part.seed, part.analyses)}


def reads_gate(*reads: dict[int, dict]) -> str:
    """:func:`me_core.stats.learning_gate` over the runs behind :func:`partner_reads`."""
    runs = [r for group in reads for r in group.values()]
    return learning_gate([r["test_auc"] for r in runs if "test_auc" in r
                          and np.isfinite(r["test_auc"])],
                         [r.get("steps", -1) for r in runs])


def _correlations(reads: dict[int, dict]) -> dict[int, float]:
    return {s: read["pearson_partner"] for s, read in reads.items()}


def co_influence_over_seeds(reads: dict[int, dict], key: str = "fig3") -> Finding:
    """Figure 3 (``key`` fig3) / 14 (fig14): the partner correlation r(IA(E_j), partner
    effect) is positive, paired over seeds with its null of 0 (declared test: a correlation of
    at least the minimum effect)."""
    if why := reads_gate(reads):
        return not_learned(why)
    r = _correlations(reads)
    effect = paired_effect(r, {s: 0.0 for s in r})
    ours = (f"partner correlation r(IA(E_j), partner effect) {effect.text(2)} over "
            f"{next(iter(reads.values()))['partners']} fields; per seed " + ", ".join(
                f"{s}: {v:+.2f} ({p_text(reads[s]['p_value'])})" for s, v in sorted(r.items())))
    test = claim("evidence1_subembeddings", key).test("r")
    return Finding.of_parts([judge(effect, test, "r")], ours)


def planted_contrast(reads: dict[int, dict]) -> PairedEffect:
    """Ground truth of the synthetic teacher: per seed, the mean row-centred IA of the
    sub-embeddings projected for a planted partner (negative: more collapsed than the rest of
    their row), as an effect against 0."""
    values = {s: read["planted_contrast"] for s, read in reads.items()
              if np.isfinite(read.get("planted_contrast", np.nan))}
    return paired_effect(values, {s: 0.0 for s in values})


def planted_contrast_difference(treated: dict[int, dict], control: dict[int, dict]
                                ) -> PairedEffect:
    """:func:`planted_contrast` of one model minus another's, paired by seed (e.g. ME - SE:
    positive when the sub-embeddings projected for a true interaction are less collapsed)."""
    a, b = planted_contrast(treated), planted_contrast(control)
    return paired_effect({s: a.differences[s] for s in a.seeds},
                         {s: b.differences[s] for s in b.seeds})


def planted_me_vs_se(se_reads: dict[int, dict], me_reads: dict[int, dict]) -> str:
    """Fig. 9 where the interactions are known: the planted contrast of SE and of ME, and
    ME - SE paired by seed (positive: ME's projections for true interactions are less
    collapsed, the paper's mechanism)."""
    gap = planted_contrast_difference(me_reads, se_reads)
    return (f"Ground truth of the synthetic teacher: a sub-embedding projected for a planted "
            f"partner has IA {planted_contrast(se_reads).text(2)} relative to its row mean in SE "
            f"and {planted_contrast(me_reads).text(2)} in ME; ME - SE {gap.text(2)}, paired by "
            f"seed: " + ("under ME the projections for true interactions are less collapsed, "
                         "the paper's mechanism measured where the interactions are known."
                         if effect_verdict(gap)[0] == "reproduced" else "no robust difference."))


def describe(read: dict) -> str:
    """The partner dependence of one model and seed (a :func:`partner_reads` value), for prose."""
    text = (f"Pearson r(IA(E_j), partner effect) = {read['pearson_partner']:+.2f} over "
            f"{read['partners']} partners (permutation {p_text(read['p_value'])})")
    if read.get("partners_large", 0) >= 3:
        text += (f"; over the {read['partners_large']} partners with D_j > K: "
                 f"{read['pearson_partner_large']:+.2f} ({p_text(read['p_value_large'])})")
    return text


def partner_truth_ranks(analyses: dict, planted: Sequence[Sequence[int]]) -> np.ndarray:
    """Per field, the mean truth rank of its planted partners (0 for a field without one)."""
    rank = np.asarray(analyses["ground_truth"]["truth_rank"], dtype=float)
    total, count = np.zeros(len(rank)), np.zeros(len(rank))
    for i, j in planted:
        total[i] += rank[j]
        total[j] += rank[i]
        count[i] += 1
        count[j] += 1
    return np.divide(total, count, out=np.zeros(len(rank)), where=count > 0)


def low_rank_partners_recover_less(frame: pd.DataFrame, planted: Sequence[Sequence[int]]
                                   ) -> Finding:
    """Evidence I against the truth: among the fields whose truth a table can miss, those whose
    planted partners have low-rank truths (below the median partner rank) fill a smaller share
    of their room above a random table than those with high-rank partners; per seed the
    difference of the two groups' means (rows of an ``Sourced`` frame of one model). An
    untrained model fills nothing in either group, so its contrast is 0."""
    from me_core.companion.chapters.embedding_collapse import NEEDS_TRUTH, has_truth, truth_scores

    if not planted or not has_truth(frame):
        return NEEDS_TRUTH
    if why := gate(frame):
        return not_learned(why)

    def contrast(analyses: dict) -> float:
        scores = truth_scores(analyses)
        ranks = partner_truth_ranks(analyses, planted)
        eligible = scores.eligible.to_numpy() & (ranks > 0)
        low = eligible & (ranks < np.median(ranks[eligible]))
        high = eligible & ~low
        return float(scores.filled[low].mean() - scores.filled[high].mean())

    first = frame.analyses.iloc[0]
    ranks = partner_truth_ranks(first, planted)
    eligible = truth_scores(first).eligible.to_numpy() & (ranks > 0)
    low = eligible & (ranks < np.median(ranks[eligible]))
    values = {int(s): contrast(a) for s, a in zip(frame.seed, frame.analyses)}
    effect = paired_effect(values, {s: 0.0 for s in values})
    ours = (f"{int(low.sum())} fields with low-rank partners (mean partner truth rank "
            f"{ranks[low].mean():.0f}), {int((eligible & ~low).sum())} with high-rank ones "
            f"({ranks[eligible & ~low].mean():.0f}); share of the room above random filled, "
            f"low minus high: {effect.text(3)}")
    test = claim("evidence1_subembeddings", "truth").test("low-rank partners - high-rank "
                                                          "partners")
    return Finding.of_parts([judge(effect, test, "low-rank partners - high-rank partners")],
                            ours)
