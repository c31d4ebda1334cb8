"""Numbers reported in the paper (Tables 1-7 and the section-5 analyses), for the chapters to show
beside ours.

Everything here is quoted from the paper (arXiv v1 Table 1 and Tables 5/6, v2 text), labelled
"reported in the paper" wherever it is shown; nothing here is computed. ``None`` marks a cell
the paper does not report (Avazu NFwFM 10x in v1).
"""

from __future__ import annotations

import pandas as pd

SCALES = (1, 2, 3, 4, 10)

#: Table 1, test AUC (mean of 3 runs); SE row then ME row per model; ME at 1x is SE's base.
TABLE1 = {
    "criteo": {
        "dnn": ([0.81228, 0.81222, 0.81207, 0.81213, 0.81142],
                [0.81228, 0.81261, 0.81288, 0.81289, 0.81287]),
        "ipnn": ([0.81272, 0.81273, 0.81272, 0.81271, 0.81262],
                 [0.81272, 0.81268, 0.81270, 0.81273, 0.81311]),
        "nfwfm": ([0.81059, 0.81087, 0.81090, 0.81112, 0.81113],
                  [0.81059, 0.81128, 0.81153, 0.81171, 0.81210]),
        "xdeepfm": ([0.81217, 0.81180, 0.81167, 0.81137, 0.81116],
                    [0.81217, 0.81236, 0.81239, 0.81255, 0.81299]),
        "dcnv2": ([0.81339, 0.81341, 0.81345, 0.81346, 0.81357],
                  [0.81339, 0.81348, 0.81361, 0.81382, 0.81385]),
        "finalmlp": ([0.81259, 0.81262, 0.81248, 0.81240, 0.81175],
                     [0.81259, 0.81290, 0.81302, 0.81303, 0.81303]),
    },
    "avazu": {
        "dnn": ([0.78744, 0.78759, 0.78752, 0.78728, 0.78648],
                [0.78744, 0.78805, 0.78826, 0.78862, 0.78884]),
        "ipnn": ([0.78732, 0.78741, 0.78738, 0.78750, 0.78745],
                 [0.78732, 0.78806, 0.78868, 0.78902, 0.78949]),
        "nfwfm": ([0.78684, 0.78757, 0.78783, 0.78794, None],
                  [0.78684, 0.78868, 0.78901, 0.78932, None]),
        "xdeepfm": ([0.78743, 0.78750, 0.78714, 0.78735, 0.78693],
                    [0.78743, 0.78848, 0.78886, 0.78894, 0.78927]),
        "dcnv2": ([0.78786, 0.78835, 0.78854, 0.78852, 0.78856],
                  [0.78786, 0.78862, 0.78882, 0.78907, 0.78942]),
        "finalmlp": ([0.78751, 0.78797, 0.78795, 0.78742, 0.78662],
                     [0.78751, 0.78821, 0.78831, 0.78836, 0.78830]),
    },
}

#: Tables 5 and 6 (appendix): standard deviation of test AUC over the 3 runs of each Table 1
#: cell, same layout as TABLE1 (ME at 1x is SE's base, so its entry is None there).
_STD_1E5 = {
    "criteo": {"dnn": ((4, 2, 7, 11, 6), (None, 4, 15, 7, 5)),
               "ipnn": ((3, 13, 4, 7, 16), (None, 9, 2, 15, 8)),
               "nfwfm": ((12, 8, 12, 11, 22), (None, 17, 2, 12, 10)),
               "xdeepfm": ((3, 2, 8, 5, 9), (None, 6, 22, 11, 9)),
               "dcnv2": ((2, 7, 9, 11, 4), (None, 5, 14, 15, 5)),
               "finalmlp": ((9, 7, 8, 2, 20), (None, 17, 5, 4, 12))},
    "avazu": {"dnn": ((8, 11, 31, 36, 13), (None, 17, 13, 26, 5)),
              "ipnn": ((20, 22, 10, 7, 18), (None, 12, 23, 9, 28)),
              "nfwfm": ((17, 20, 9, 22, None), (None, 38, 29, 35, None)),
              "xdeepfm": ((9, 25, 30, 4, 50), (None, 6, 26, 4, 19)),
              "dcnv2": ((22, 23, 10, 3, 16), (None, 11, 12, 11, 24)),
              "finalmlp": ((26, 19, 17, 15, 25), (None, 13, 29, 18, 22))},
}
TABLE1_STD = {dataset: {model: tuple([None if v is None else v * 1e-5 for v in row]
                                     for row in rows)
                        for model, rows in models.items()}
              for dataset, models in _STD_1E5.items()}

#: Table 4: the data sets (instances, fields, sum / max / min of the field cardinalities).
DATASETS = {
    "criteo": {"instances": 45.8e6, "fields": 39, "sum_cardinality": 1.08e6,
               "max_cardinality": 0.19e6, "min_cardinality": 4},
    "avazu": {"instances": 40.4e6, "fields": 22, "sum_cardinality": 2.02e6,
              "max_cardinality": 1.61e6, "min_cardinality": 5},
}

#: Fig. 9 / section 5: Pearson correlation of sub-embedding IA with the partner field's IA.
PARTNER_CORRELATION = {"SE": 0.68, "ME": 0.52}

#: Table 7 (AutoInt, Criteo): ME gains about 6e-4 AUC at 4x; SE does not scale (cells not
#: available to us).
AUTOINT_ME_GAIN_4X = 6e-4


def table1_frame(dataset: str = "criteo") -> pd.DataFrame:
    """Table 1 of the paper for one data set: one row per (model, SE/ME, scale), with the
    standard deviation over its 3 runs (Tables 5/6)."""
    if dataset not in TABLE1:
        raise ValueError(f"the paper's Table 1 covers {sorted(TABLE1)}, not {dataset!r}")
    rows = []
    for model, (se, me) in TABLE1[dataset].items():
        for kind, values in (("SE", se), ("ME", me)):
            std = TABLE1_STD[dataset][model][0 if kind == "SE" else 1]
            for scale, auc, sd in zip(SCALES, values, std):
                if auc is not None:
                    rows.append({"model": model, "embedding": kind, "scale": scale, "auc": auc,
                                 # ME's base cell is SE's base model, with SE's spread
                                 "auc_std": sd if sd is not None or scale > 1
                                 else TABLE1_STD[dataset][model][0][0]})
    return pd.DataFrame(rows)


def table1_cells(dataset: str = "criteo", with_std: bool = False) -> pd.DataFrame:
    """Table 1 as the paper prints it: one row per (model, SE/ME), one column per size
    (``with_std``: each cell with its standard deviation of 3 runs, Tables 5 and 6)."""
    frame = table1_frame(dataset)
    frame["cell"] = [f"{a:.5f} ± {s:.5f}" if with_std else f"{a:.5f}"
                     for a, s in zip(frame.auc, frame.auc_std)]
    return frame.pivot_table(index=["model", "embedding"], columns="scale", values="cell",
                             aggfunc="first", sort=False).rename(
        columns=lambda s: "base" if s == 1 else f"{s}x").fillna("")


def table4() -> pd.DataFrame:
    """Table 4 (the data sets) formatted for people."""
    stats = pd.DataFrame(DATASETS).T
    return pd.DataFrame({
        "instances": stats.instances.map(lambda v: f"{v / 1e6:.1f}M"),
        "fields": stats.fields.map(lambda v: f"{int(v)}"),
        "sum of cardinalities": stats.sum_cardinality.map(lambda v: f"{v / 1e6:.2f}M"),
        "largest": stats.max_cardinality.map(lambda v: f"{v / 1e6:.2f}M"),
        "smallest": stats.min_cardinality.map(lambda v: f"{int(v)}")})


def protocol_table() -> pd.DataFrame:
    """The paper's training protocol and preprocessing (section 5 and the appendix), as this
    companion runs it (:mod:`me_core.settings`)."""
    from me_core.settings import PAPER, PAPER_OPTIMIZER

    return pd.DataFrame([
        ("optimiser", f"Adam, learning rate {PAPER_OPTIMIZER['lr']:g}, weight decay "
                      f"{PAPER_OPTIMIZER['weight_decay']:g} on every parameter (coupled L2)"),
        ("batch size", f"{PAPER['batch_size']:,}"),
        ("early stopping", f"on validation AUC, patience {PAPER['patience']} "
                           f"(at most {PAPER['max_epochs']} epochs in the official code)"),
        ("split", "random 8:1:1 train / validation / test, seed 0"),
        ("runs", "3 per cell, the mean reported in Table 1, the SD in Tables 5 and 6"),
        ("sizes", "SE K = 10, 20, 30, 40, 100 (NFwFM 50 to 500); ME 2, 3, 4, 10 sets of the "
                  "base"),
        ("networks", "MLP of 2 hidden layers of 400 (BatchNorm, ReLU, dropout 0.2); DCNv2: 4 "
                     "full-rank cross layers; xDeepFM: CIN 16, 16"),
        ("Criteo", "integer value v: empty -> NULL, v > 2 -> int(ln(v)^2), else v - 2; values "
                   "seen fewer than 10 times -> one out-of-vocabulary id per field"),
        ("Avazu", "22 fields (id dropped); values seen fewer than 4 times -> out of vocabulary"),
        ("significance", "an AUC gain of about 0.001 is called significant"),
    ], columns=["setting", "the paper's (as this companion runs it)"])


def table1_gains(dataset: str = "criteo", embedding: str = "SE") -> dict[str, float]:
    """Per model: AUC at the largest reported size minus the base AUC (from Table 1)."""
    frame = table1_frame(dataset)
    out = {}
    for model, part in frame[frame.embedding == embedding].groupby("model", sort=False):
        part = part.sort_values("scale")
        out[model] = float(part.auc.iloc[-1] - part.auc.iloc[0])
    return out


def table1_me_above_se(dataset: str = "criteo") -> dict[str, bool]:
    """Per model: is ME above SE at every enlarged size reported in Table 1?"""
    wide = table1_frame(dataset).pivot_table(index=["model", "scale"], columns="embedding",
                                             values="auc")
    wide = wide[wide.index.get_level_values("scale") > 1]
    return {model: bool((part.ME > part.SE).all()) for model, part in wide.groupby(level=0)}
