# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Evidence III: regularising the interaction does not help
#
# *Paper: section 3.3, Evidence III, Figure 5; appendix Figure 16.*
#
# If interaction with collapsed fields causes collapse, one could forbid the projections from
# shrinking directions. The paper adds
# $\ell_{reg} = \sum_{i,j} \lVert W_{i\to j}^\top W_{i\to j} - \lambda_{ij} I \rVert_F^2$ with
# learnable $\lambda_{ij}$ to DCNv2's loss, which pushes every block $W_{i\to j}$ towards a scaled
# orthogonal matrix, so a sub-embedding keeps its table's IA. It finds that IA rises, but AUC
# does not scale better, and the regularised model over-fits. Here: DCNv2 with and without the
# regulariser (the paper's form, weight $10^{-5}$ as in the official code, on all cross layers)
# at several sizes.

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0, 1, 2, 3, 4]  # model seeds; the first is trained live at the smallest size
results = ["results/b1/table1/records.jsonl",
           "results/b1/chapters/records.jsonl"]  # committed records ([]: train all)
analyses = "results/b1/analyses/analyses.jsonl"  # stored weight analyses ("": train all)
regularizer_model = "dcnv2_reg"  # dcnv2_reg (paper's form) or dcnv2_reg_code (official code's)
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
import numpy as np
from IPython.display import display

from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import evidence3_regularization as E
from me_core.companion.report import glue_text

chapter = R.chapter_of("evidence3_regularization", globals())
names = {"dcnv2": "standard", regularizer_model: "regularised"}

# %% [markdown]
# Every size has five seeds. They come from committed run records (`results/`, written by the
# command in its README with this code); this build retrains the first seed of both models at
# the smallest size and compares them with their records. The analyses of the trained weights
# at the largest size (every seed) are read from the committed weight analyses of the same runs.

# %%
collected = chapter.collect(
    chapter.grid(["dcnv2", regularizer_model], scales, ["se"], seeds), results,
    live=lambda config: config.seed == seeds[0] and config.scale == min(scales))
table = collected.frame.assign(variant=lambda f: f.model.map(names))
glue_text("e3_source", collected.text() + ".")
display(table.groupby(["variant", "scale"])[["test_auc", "mean_field_ia", "epochs"]].mean()
        .round(4))

# %% [markdown]
# Means over seeds; {glue:md}`e3_source`
#
# ## Figure 5: AUC, IA and training dynamics

# %% tags=["hide-input"]
axes = P.metric_panels(table, {"test_auc": ("test AUC", "Figure 5a (ours): test AUC"),
                               "mean_field_ia": ("mean IA over fields",
                                                 "Figure 5b (ours): information abundance")},
                       group="variant", extra=1)
P.training_dynamics(P.panel(f"Figure 5c (ours): dynamics at {max(scales)}x, seed {seeds[0]}",
                            ax=axes[2]),
                    table[(table.scale == max(scales)) & (table.seed == seeds[0])])
P.plt.show()

# %% [markdown]
# ## What the regulariser does, measured
#
# The regulariser acts on the cross layer's blocks $W_{i\to j}$, pushing each towards a multiple
# of an orthogonal matrix. Three quantities, for the standard and the regularised model at the
# largest size, separate what it enforces from what the paper claims follows: the blocks'
# $\mathrm{IA}(W_{i\to j})/K$ (1: orthogonal; median over pairs $i \ne j$), the share of its
# table's IA a sub-embedding keeps, $\mathrm{IA}(E_i^{\to j})/\mathrm{IA}(E_i)$ (an orthogonal
# projection keeps all of it), and the embedding tables' own IA, which is what Figure 5b is
# about.

# %% tags=["hide-input"]
weights = chapter.analysed(chapter.grid(["dcnv2", regularizer_model], [max(scales)], ["se"],
                                  seeds), analyses, live=lambda config: False)
mechanism = E.mechanism_by_seed(weights.frame, names)
display(E.mechanism_table(mechanism))
glue_text("e3_mechanism", f"{E.mechanism_reading(mechanism, max(scales))[0]} (data: "
          f"{weights.text()}).")

# %% [markdown]
# {glue:md}`e3_mechanism` (A description of what the regulariser enforces, mean ± standard
# deviation over the seeds, not one of the paper's findings.)

# %% tags=["hide-input"]
_ = chapter.report("fig5a", E.regularised_scales_no_better(table), lead="Figure 5a: ")
_ = chapter.report("fig5b", E.regulariser_raises_table_ia(table, mechanism),
                   lead="Figure 5b: ")
_ = chapter.report("fig5c", E.regularised_overfits(table), lead="Figure 5c: ")

# %% [markdown]
# {glue:md}`fig5a`
#
# {glue:md}`fig5b`
#
# {glue:md}`fig5c`
#
# *Reported in the paper (Figure 5):* with the regulariser, IA is higher at every size, the test
# AUC does not improve with size, and training loss keeps falling while validation AUC drops.
# Our Figure 5c plots the binary cross-entropy for both models; the regularised model's
# penalty is recorded apart, so the curves compare like with like. Early stopping with
# patience 1 ends every run one epoch after its best, so the over-fitting we can measure is the
# fall of validation AUC in that one epoch, and the claim is worded as such.
#
# ## Figure 16: IA of embeddings and sub-embeddings, standard vs regularised
#
# Left: the sub-embedding matrices $\mathrm{IA}(E_i^{\to j})$ (first cross layer) with the
# fields in the same order for both models (sorted by the standard model's IA); right: each
# field's own table IA. Figure 5b already judges the tables' IA, so this finding is about the
# sub-embeddings: the share of its table's IA a sub-embedding keeps (median over pairs
# $i \ne j$), regularised against standard, paired over the seeds of the stored analyses (the
# panels show the first seed's trained weights). An orthogonal projection keeps all of it, so
# this shows the regulariser at work on the sub-embeddings, as the paper's heatmaps do.

# %% tags=["hide-input"]
matrices, field_ia, share_higher = E.fig16_panels(weights.frame, names, seeds[0])
P.heatmaps({f"Figure 16 (ours): {name}": m for name, m in matrices.items()}, label="IA",
           xlabel="partner j (sorted by IA)", ylabel="field i (sorted by IA)", vmin=1,
           vmax=max(np.nanmax(m) for m in matrices.values()))
P.plt.show()
P.field_bars(np.arange(len(field_ia["standard"])), field_ia, title="IA($E_i$) per field",
             xlabel="field (sorted by the standard model's IA)")
glue_text("e3_share", f"{share_higher:.0%}")
_ = chapter.report("fig16", E.sub_embeddings_keep_more(mechanism), lead=f"At {max(scales)}x, ")

# %% [markdown]
# {glue:md}`fig16` In the plotted seed, the regularised sub-embedding has the higher IA in
# {glue:md}`e3_share` of the (i, j) pairs.
