"""Does it hold on real data? The paper's findings that need no known truth, judged on the real
tables that ship with the project (MovieLens-100k, NYC flights 2013, InstEval) by the same
functions,
tests and minimum effects as on the synthetic benchmark.

:func:`real_findings` maps each claim (chapter, key) to its finding on one data set, from that
data set's run records, light and full weight analyses and stored ensembles; a claim judged
against the synthetic teacher's truth says "needs a known truth". Claims whose runs the
real-data grid does not have (Table 2 and 3, the FFM, the ME variants, AutoInt, IPNN, the text
model) are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from me_core.companion.chapters import embedding_collapse as C
from me_core.companion.chapters import evidence1_subembeddings as E1
from me_core.companion.chapters import evidence3_regularization as E3
from me_core.companion.chapters import evidence4_dnn as E4
from me_core.companion.chapters import me_mechanism as V
from me_core.companion.chapters import me_results as T
from me_core.companion.ensemble import me_beats_ensemble
from me_core.stats import Finding, cell_rows

__all__ = ["REAL_DATASETS", "MODELS", "real_findings", "recorded_curves"]

REAL_DATASETS = ("movielens", "flights", "insteval")
MODELS = ("dcnv2", "dnn")


def real_findings(records: pd.DataFrame, light: pd.DataFrame, full: pd.DataFrame,
                  ensembles: pd.DataFrame) -> dict[tuple[str, str], Finding]:
    """Every computable claim's finding on one real data set. ``records``: run rows of the
    real-data grid (DCNv2 and DNN SE/ME, the regularised DCNv2); ``light``: their light
    analyses (``Sourced`` rows); ``full``: the full analyses of DCNv2 SE at every size and ME
    at the largest; ``ensembles``: :func:`me_core.companion.ensemble.read_ensembles`."""
    table1 = records[records.model.isin(MODELS)]
    largest = int(table1.scale.max())
    se_dcn = light[(light.model == "dcnv2") & (light.embedding == "SE")]
    top_light = se_dcn[se_dcn.scale == largest]
    se_full = cell_rows(full, model="dcnv2", embedding="SE", scale=largest)
    me_full = cell_rows(full, model="dcnv2", embedding="ME", scale=largest)
    first = se_full.analyses.iloc[0]
    reads = {kind: E1.partner_reads(part, None, permutations=200)
             for kind, part in (("SE", se_full), ("ME", me_full))}
    regular = records[records.model.isin(["dcnv2", "dcnv2_reg"])
                      & (records.embedding == "SE")].assign(
        variant=lambda f: f.model.map({"dcnv2": "standard", "dcnv2_reg": "regularised"}))
    return {
        ("embedding_collapse", "fig1a"): C.se_gains_flat(table1),
        ("embedding_collapse", "fig1b"): C.spectra_low_rank(se_full),
        ("embedding_collapse", "fig2"): C.learned_vs_random(top_light),
        ("embedding_collapse", "truth"): C.collapse_against_truth(se_dcn),
        ("embedding_collapse", "fig15"): C.normalised_ia_by_size(se_dcn)[1],
        ("evidence1_subembeddings", "fig3"): E1.co_influence_over_seeds(reads["SE"]),
        ("evidence1_subembeddings", "truth"): E1.low_rank_partners_recover_less(se_full, None),
        ("evidence3_regularization", "fig5a"): E3.regularised_scales_no_better(regular),
        ("evidence3_regularization", "fig5b"): E3.regulariser_raises_table_ia(regular),
        ("evidence3_regularization", "fig5c"): E3.regularised_overfits(regular),
        ("evidence4_dnn", "fig6a"): E4.dnn_collapses_less(table1),
        ("evidence4_dnn", "fig6b"): E4.dnn_overfits(table1),
        ("evidence4_dnn", "fig17b"): E4.me_scales_the_dnn(table1),
        ("me_results", "table1"): T.me_scales_and_beats_se(table1, list(MODELS)),
        ("me_results", "fig8b"): C.me_raises_ia(table1, "dcnv2", largest,
                                                np.asarray(first["cardinalities"]),
                                                int(first["width"])),
        ("me_results", "fig8b_truth"): C.me_recovers_more(me_full, se_full),
        ("me_results", "ensemble"): me_beats_ensemble(table1, ensembles),
        ("me_mechanism", "fig9"): V.me_less_partner_dependence(reads["SE"], reads["ME"]),
        ("me_mechanism", "fig10a"): V.me_sets_more_diverse(me_full, se_full),
    }


def recorded_curves(pattern: str, datasets=REAL_DATASETS, seeds=range(5)
                    ) -> dict[str, pd.DataFrame]:
    """Each real data set's committed Table 1 runs of ``seeds`` (``pattern`` with
    ``{dataset}``; the ensemble control's extra members are other seeds), base rows shared by
    SE and ME (:func:`me_core.stats.with_shared_base`), for the models chapter's widget; a data set
    without records is left out (nothing is trained here)."""
    from me_core.companion.report import resolve
    from me_core.stats import with_shared_base
    from me_core.train import records_frame

    frames = {}
    for name in datasets:
        path = resolve(pattern.format(dataset=name))  # from the repository root
        if path.is_file():
            frame = records_frame(path)
            frames[name] = with_shared_base(frame[frame.model.isin(MODELS)
                                                  & frame.seed.isin(list(seeds))
                                                  & (frame.fraction == 1.0)])
    return frames
