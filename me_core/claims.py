"""What each chapter checks: the paper's claim behind every row of the reproduction-status page.

One :class:`Claim` per ``(chapter, key)``: the figure or table it comes from, the finding in
words, and what the paper reports (numbers from :mod:`me_core.paper`, labelled as the paper's).
The chapters compute *our* side (a :class:`me_core.stats.Finding`) and record it against its
claim with :func:`me_core.report.show_finding`, so a claim is worded once, here, and the status
page and the chapter say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from me_core import paper

__all__ = ["Claim", "CLAIMS", "claim"]


@dataclass(frozen=True)
class Claim:
    """``kind``: ``paper`` (a finding of the paper, tallied on the status page) or
    ``illustration`` (an identity, a constructed example, the reader's data or model: shown,
    not tallied). ``data_note``: said after the chapter's data line (what else the finding
    uses), or instead of it for an illustration on data of its own (``own_data``).
    ``readings``: what the verdict means, in words, after the computed sentence (the key is a
    verdict, or ``otherwise``)."""

    figure: str
    finding: str
    paper: str
    kind: str = "paper"
    data_note: str = ""
    own_data: bool = False
    readings: dict[str, str] = field(default_factory=dict, compare=False)


def _se_gains() -> str:
    gains = paper.table1_gains("criteo", "SE")
    return "Criteo, SE, 10x minus base: " + ", ".join(f"{m} {g:+.5f}" for m, g in gains.items())


def _me_above_se() -> str:
    return "; ".join(f"{d.capitalize()}: ME above SE at every enlarged size for "
                     f"{sum(v.values())} of {len(v)} models"
                     for d, v in ((d, paper.table1_me_above_se(d)) for d in ("criteo", "avazu")))


_CRITEO = paper.table1_frame("criteo").set_index(["model", "embedding", "scale"]).auc


def _criteo_auc(model: str, embedding: str, scale: int) -> float:
    return float(_CRITEO[(model, embedding, scale)])


def _dnn_dcn_se() -> str:
    return "Criteo, SE, base -> 10x: " + ", ".join(
        f"{m.upper()} {_criteo_auc(m, 'SE', 1):.5f} -> {_criteo_auc(m, 'SE', 10):.5f}"
        for m in ("dnn", "dcnv2"))


_R = paper.PARTNER_CORRELATION
_IPNN_SE = paper.TABLE1["criteo"]["ipnn"][0]

CLAIMS: dict[tuple[str, str], Claim] = {
    ("data_and_modules", "table2"): Claim(
        "Table 2", "ME has higher IA than SE at every data size",
        "ME beats SE at every data size"),
    ("data_and_modules", "table2_small"): Claim(
        "Table 2", "More data raises the IA of the smallest model",
        "more data raises IA; data limits IA only for the smallest sizes"),
    ("data_and_modules", "table2_sizes"): Claim(
        "Table 2", "More data raises IA more for the smallest model than for the largest "
        "(each relative to a random table of its size)",
        "data limits IA only for the smallest sizes; for larger ones interaction-collapse "
        "dominates"),
    ("data_and_modules", "table2_large"): Claim(
        "Table 2", "For the largest model, IA is not monotone in data size",
        "interaction-collapse dominates for large models: IA can fall as data grows"),
    ("data_and_modules", "table3"): Claim(
        "Table 3", "Scaling the embeddings beats adding or removing cross or MLP layers",
        "no AUC gain from more cross layers or MLP layers (values not available)"),
    ("embedding_collapse", "fig1a"): Claim(
        "Figure 1a", "Enlarging SE embeddings barely raises test AUC", _se_gains(),
        readings={
            "reproduced": "As in the paper, no SE model gains beyond its seed noise.",
            "otherwise": "More SE models gain than in the paper on Criteo (a different data "
                         "set; this one is far smaller and synthetic)."}),
    ("embedding_collapse", "fig1b"): Claim(
        "Figure 1b", "Learned tables of an enlarged model are nearly low-rank",
        "most normalised singular values are tiny (from the figure)",
        readings={
            "reproduced": "Most of the spectrum is tiny, far more than in a random table: the "
                          "tables are nearly low-rank, as in the paper.",
            "partly reproduced": "The learned tables use fewer directions than random ones, but "
                                 "most of their spectrum is not below 0.1.",
            "otherwise": "The spectra are not robustly below a random table's."}),
    ("embedding_collapse", "fig2"): Claim(
        "Figure 2", "Learned IA is far below the IA of random tables of the same shape",
        "learned IA far lower for every field (from the figure)",
        readings={
            "reproduced": "Training collapses the tables below what their shape allows, as in "
                          "the paper.",
            "otherwise": "The learned tables are not robustly below random ones here."}),
    ("embedding_collapse", "fig15"): Claim(
        "Figure 15", "Size-normalised IA falls as the embedding size grows",
        "normalised IA decreases with size (from the figure)"),
    ("evidence1_subembeddings", "fig3"): Claim(
        "Figure 3", "A sub-embedding's IA rises with its partner field's IA (co-influence)",
        f"rising column sums; r = {_R['SE']:.2f} for SE DCNv2 (Fig. 9)",
        readings={
            "reproduced": "The partner effect rises with the partner's IA in every seed: "
                          "sub-embeddings projected for a collapsed partner have lower IA, the "
                          "paper's co-influence.",
            "otherwise": "The partner effect does not robustly rise with the partner's IA over "
                         "the seeds here."}),
    ("evidence1_subembeddings", "fig14"): Claim(
        "Figure 14", "FFM sub-embeddings' IA depends on the partner field",
        "same co-influence pattern as Figure 3 (from the figure)",
        readings={
            "reproduced": "Independent sub-embeddings of one field end up with different IA "
                          "depending on the partner, as in the paper's Figure 14.",
            "otherwise": "The partner dependence is not robust over the seeds here."}),
    ("evidence2_toy", "figure4"): Claim(
        "Figure 4", "A low-IA partner field (small D3) makes the trained E1 collapse (lower IA)",
        "IA(E1) clearly lower for small D3 than for large D3 (qualitative, from the figure)",
        data_note="toy data of the paper (random labels), exact setting", own_data=True,
        readings={
            "reproduced": "The small partner field collapses E1, in every seed, as the paper "
                          "reports.",
            "otherwise": "The paper's effect did not show robustly in this run."}),
    ("evidence3_regularization", "fig5a"): Claim(
        "Figure 5a", "Regularised DCNv2 does not scale better in AUC",
        "regularised DCNv2 AUC no better (or worse) across sizes"),
    ("evidence3_regularization", "fig5b"): Claim(
        "Figure 5b", "The regulariser raises the embedding tables' information abundance",
        "higher IA with the regulariser"),
    ("evidence3_regularization", "fig5c"): Claim(
        "Figure 5c", "The regularised model over-fits more (validation AUC falls further after "
        "its best epoch)", "over-fitting of the regularised model over epochs"),
    ("evidence3_regularization", "fig16"): Claim(
        "Figure 16", "Regularised DCNv2 tables have higher IA (sub-embeddings shown as "
        "enforced)", "higher IA throughout with the regulariser (from the figure)"),
    ("evidence4_dnn", "fig6a"): Claim(
        "Figure 6 (IA)", "DNN tables have higher IA than DCNv2's", "DNN IA higher"),
    ("evidence4_dnn", "fig6b"): Claim(
        "Figure 6 (AUC)", "DNN AUC falls with size while DCNv2 holds", _dnn_dcn_se()),
    ("evidence4_dnn", "fig17b"): Claim(
        "Figure 17b", "ME makes the DNN scale where SE-DNN does not",
        f"Criteo, DNN base -> 10x: ME {_criteo_auc('dnn', 'ME', 10):.5f}, SE "
        f"{_criteo_auc('dnn', 'SE', 10):.5f} (base {_criteo_auc('dnn', 'SE', 1):.5f})"),
    ("me_results", "table1"): Claim(
        "Table 1 / Figures 8a, 12, 13",
        "ME scales (AUC rises with size) and beats SE for every model", _me_above_se()),
    ("me_results", "ipnn"): Claim(
        "Table 1 (IPNN)", "SE IPNN does not scale (the paper's flat row)",
        f"SE IPNN flat ({_IPNN_SE[0]:.5f} at base, {_IPNN_SE[-1]:.5f} at 10x, Criteo); the "
        f"official code builds it with K = 10 at every size"),
    ("me_results", "fig8b"): Claim(
        "Figure 8b", "ME raises IA, most for high-cardinality fields",
        "ME higher for every field, most for large fields (10x)"),
    ("me_results", "table7"): Claim(
        "Table 7", "ME AutoInt scales, SE does not",
        f"ME {paper.AUTOINT_ME_GAIN_4X:+.4f} AUC at 4x; SE flat (Criteo)"),
    ("me_results", "fig17a"): Claim(
        "Figure 17a", "Regularised ME still scales, below plain ME",
        "ME + regulariser rises with size, below plain ME"),
    ("me_mechanism", "fig9"): Claim(
        "Figure 9", "SE sub-embeddings depend on the partner field (r > 0); ME less so",
        f"r = {_R['SE']} (SE) vs {_R['ME']} (ME), 10x DCNv2",
        readings={
            "reproduced": "The SE partner dependence is positive and weaker under ME, as in the "
                          "paper."}),
    ("me_mechanism", "fig10a"): Claim(
        "Figure 10a", "ME embedding sets are more diverse than blocks of an SE table",
        "ME much more diverse (lower similarity) than SE (from the figure)",
        readings={
            "reproduced": "ME's sets are more diverse than the blocks of an SE table, as in the "
                          "paper.",
            "otherwise": "ME's sets are not robustly more diverse than SE's blocks here."}),
    ("me_mechanism", "fig10b"): Claim(
        "Figure 10b", "Different sets learn different interaction patterns",
        "patterns differ across sets (from the figure)",
        readings={
            "reproduced": "The patterns are learned, and the sets' are less alike than when "
                          "they are pushed together: each set learns its own interaction."}),
    ("me_mechanism", "fig10c"): Claim(
        "Figure 10c", "Shared or aligned interaction loses ME's scalability",
        "both variants scale worse than ME"),
    ("me_mechanism", "fig10d"): Claim(
        "Figure 10d", "Aligned interaction patterns make the embedding sets less diverse",
        "aligned and shared variants less diverse than ME"),
    ("text_models", "fig11"): Claim(
        "Figure 11", "A pretrained text model's token embedding collapses less than DCNv2's",
        "T5 has larger normalised singular values and fewer tiny ones",
        data_note="all-MiniLM-L6-v2 (in place of T5, which no registry package ships)",
        readings={
            "reproduced": "The text model keeps a flatter spectrum at a much larger K, as the "
                          "paper found for T5.",
            "otherwise": "The text model's spectrum is not robustly flatter here."}),
    ("appendix_proofs", "linear"): Claim(
        "Appendix (linear interaction)",
        "With linear interaction ME equals SE up to permutation/scale/special case",
        "exact identities (proofs in the appendix)", kind="illustration",
        data_note="random weights (float64)", own_data=True),
    ("appendix_proofs", "diversity"): Claim(
        "Appendix (set similarity)",
        "Diverse sets concatenate to higher IA; a collapsed enlargement does not",
        "enlarged table keeps the IA; two diverse sets roughly double it", kind="illustration",
        data_note="constructed matrices (ours; the paper's are not available)", own_data=True),
    ("diagnose_your_model", "plain_dlrm"): Claim(
        "Diagnosis (cf. Figure 2)", "A model written outside me_core shows the same collapse",
        "learned IA far below random for every field (DCNv2, Criteo)", kind="illustration"),
    ("your_data", "collapse"): Claim(
        "Your data (cf. Figure 2)",
        "Learned tables collapse below random tables of the same shape",
        "(Criteo/Avazu) learned IA far below random init", kind="illustration",
        readings={
            "reproduced": "The embedding is collapsed, as the paper found for Criteo and "
                          "Avazu.",
            "otherwise": "The tables keep much of their dimensionality."}),
    ("your_data", "me"): Claim(
        "Your data (cf. Table 1, Fig. 8b)", "ME beats SE at the largest size and raises IA",
        "(Criteo/Avazu) ME above SE for every model; higher IA", kind="illustration"),
}


def claim(chapter: str, key: str) -> Claim:
    """The claim a chapter's finding ``key`` is checked against (a KeyError names both)."""
    try:
        return CLAIMS[(chapter, key)]
    except KeyError:
        raise KeyError(f"no claim for chapter {chapter!r}, finding {key!r}: add it to "
                       f"me_core.claims.CLAIMS") from None
