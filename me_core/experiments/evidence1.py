"""Evidence I and Figure 9: does a sub-embedding's IA depend on its partner field?

Input: rows of an :class:`~me_core.experiments.runs.Analysed` frame, one per seed, whose
analyses hold the sub-embedding IA matrix IA(E_i^{->j}) (DCNv2's first cross layer, or the
FFM's own sub-embeddings). Each seed is read with
:func:`me_core.experiments.analysis.co_influence`, whose partner correlation has expectation 0
when the matrix depends on the source field only; the verdict pairs the seeds' correlations
with that zero.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from me_core.claims import claim
from me_core.experiments.analysis import co_influence, unlisted
from me_core.experiments.table1 import cell_rows
from me_core.stats import Finding, PairedEffect, effect_verdict, judge, p_text, paired_effect

__all__ = ["partner_reads", "co_influence_over_seeds", "planted_contrast",
           "planted_contrast_difference", "planted_me_vs_se", "describe"]


def partner_reads(frame: pd.DataFrame, planted: Sequence[Sequence[int]] | None = None, *,
                  permutations: int = 2000, **where) -> dict[int, dict]:
    """:func:`co_influence` of every seed among the rows matching ``where``, keyed by seed."""
    part = cell_rows(frame, **where)
    return {int(seed): co_influence(unlisted(a["sub_embedding_ia"]), a["field_ia"],
                                    cardinalities=a["cardinalities"], width=a["width"],
                                    planted_pairs=planted, permutations=permutations)
            for seed, a in zip(part.seed, part.analyses)}


def _correlations(reads: dict[int, dict]) -> dict[int, float]:
    return {s: read["pearson_partner"] for s, read in reads.items()}


def co_influence_over_seeds(reads: dict[int, dict], key: str = "fig3") -> Finding:
    """Figure 3 (``key`` fig3) / 14 (fig14): the partner correlation r(IA(E_j), partner
    effect) is positive, paired over seeds with its null of 0 (declared test: a correlation of
    at least the minimum effect)."""
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
