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
# *Paper: section 3.3, Evidence III, Figure 5; appendix Figure 16. Spec: SPEC section 5.*
#
# If interaction with collapsed fields causes collapse, one could forbid the projections from
# shrinking directions. The paper adds
# $\ell_{reg} = \sum_{i,j} \lVert W_{i\to j}^\top W_{i\to j} - \lambda_{ij} I \rVert_F^2$ with
# learnable $\lambda_{ij}$ to DCNv2's loss, which pushes every block $W_{i\to j}$ towards a scaled
# orthogonal matrix, so a sub-embedding keeps its table's IA. It finds that IA rises, but AUC
# does not scale better, and the regularised model over-fits. Here: DCNv2 with and without the
# regulariser (the paper's form, weight $10^{-5}$ as in the official code, on all cross layers)
# at several sizes.

# %% tags=["parameters"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
rows = 300000  # synthetic only: rows generated
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0]  # model seeds
regularizer_model = "dcnv2_reg"  # dcnv2_reg (paper's form) or dcnv2_reg_code (official code's)
max_epochs = 10  # early stopping on validation AUC decides (paper: 100)
patience = 1  # epochs without improvement before stopping (paper: 3)
batch_size = 2048  # paper: 2048
device = "auto"  # auto, cpu, cuda, mps
run_dir = ""  # folder of finished runs to load instead of training ("": this build's runs)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

import me_core
from me_core.experiments import analysis as A
from me_core.experiments import runs as R
from me_core.plots import caption, heatmap, scale_curves
from me_core.report import record_finding, verdict

me_core.setup_notebook()
chapter = R.chapter(dataset, data_path, rows, run_dir=run_dir, max_epochs=max_epochs,
                    patience=patience, batch_size=batch_size, device=device)
base, data_text = chapter.base, chapter.data_text
names = {"dcnv2": "standard", regularizer_model: "regularised"}

# %%
runs = chapter.train(R.grid(base, ["dcnv2", regularizer_model], scales, ["se"], seeds))
table = R.runs_frame(runs).assign(variant=lambda f: f.model.map(names))
display(table.groupby(["variant", "scale"])[["test_auc", "mean_field_ia", "epochs"]].mean()
        .round(4))

# %% [markdown]
# ## Figure 5: AUC, IA and training dynamics

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
scale_curves(axes[0], table, "test_auc", group="variant")
axes[0].set_ylabel("test AUC")
caption(axes[0], "Figure 5a (ours): test AUC")
scale_curves(axes[1], table, "mean_field_ia", group="variant")
axes[1].set_ylabel("mean IA over fields")
caption(axes[1], "Figure 5b (ours): information abundance")
history = R.history_frame([r for r in runs if r.config.scale == max(scales)
                           and r.config.seed == seeds[0]])
ax2 = axes[2].twinx()
for color, (model, part) in zip(["C0", "C1"], history.groupby("model", sort=False)):
    axes[2].plot(part.epoch, part.train_loss, color=color, marker="o",
                 label=f"{names[model]}: training loss")
    ax2.plot(part.epoch, part.valid_auc, color=color, marker="s", linestyle="--",
             label=f"{names[model]}: validation AUC")
axes[2].set_xlabel("epoch")
axes[2].set_ylabel("training loss (solid)")
ax2.set_ylabel("validation AUC (dashed)")
ax2.grid(False)
axes[2].legend(fontsize=7, loc="lower left")
caption(axes[2], f"Figure 5c (ours): dynamics at {max(scales)}x")
fig.tight_layout()
plt.show()

# %% tags=["hide-input"]
means = table.groupby(["variant", "scale"])[["test_auc", "mean_field_ia"]].mean()
gain = {v: means.loc[v].test_auc.iloc[-1] - means.loc[v].test_auc.iloc[0] for v in names.values()}
ia_higher = [s for s in scales if means.loc[("regularised", s), "mean_field_ia"]
             > means.loc[("standard", s), "mean_field_ia"]]
auc_no_better = gain["regularised"] <= gain["standard"] + 1e-4
last = history.groupby("model").last()
best = history.groupby("model").valid_auc.max()
drop = {names[m]: float(best[m] - last.loc[m, "valid_auc"]) for m in best.index}
ours_a = (f"AUC gain from {min(scales)}x to {max(scales)}x: regularised "
          f"{gain['regularised']:+.4f}, standard {gain['standard']:+.4f}")
ours_b = f"regularised has higher mean IA at {len(ia_higher)} of {len(scales)} scales"
ours_c = (f"validation AUC drop from best to last epoch at {max(scales)}x: regularised "
          f"{drop['regularised']:.4f}, standard {drop['standard']:.4f}")
glue("e3_reading", Markdown(
    f"{ours_a}; {ours_b}; {ours_c}. "
    + ("The regulariser raises IA without making AUC scale better, as the paper reports. "
       if auc_no_better and len(ia_higher) == len(scales) else
       "The paper's pattern (higher IA, no better scaling) shows only in part here. ")
    + ("Both variants over-fit after their best epoch (validation AUC falls while the training "
       "loss keeps falling); the one-epoch-per-pass regime of CTR training makes this quick."
       if min(drop.values()) > 0 else "")), display=False)
_ = record_finding("evidence3_regularization", "fig5a", figure="Figure 5a",
                   finding="Regularised DCNv2 does not scale better in AUC",
                   paper="regularised DCNv2 AUC no better (or worse) across sizes", ours=ours_a,
                   verdict=verdict(auc_no_better), data=data_text)
_ = record_finding("evidence3_regularization", "fig5b", figure="Figure 5b",
                   finding="The regulariser raises information abundance",
                   paper="higher IA with the regulariser", ours=ours_b,
                   verdict=verdict(len(ia_higher) == len(scales), len(ia_higher) > 0),
                   data=data_text, reason="" if len(ia_higher) == len(scales) else
                   "weight 1e-5 (the code's) acts weakly over few epochs")
_ = record_finding("evidence3_regularization", "fig5c", figure="Figure 5c",
                   finding="The regularised model over-fits (validation AUC falls as loss falls)",
                   paper="over-fitting of the regularised model over epochs", ours=ours_c,
                   verdict=verdict(drop["regularised"] > drop["standard"],
                                   drop["regularised"] > 0), data=data_text)

# %% [markdown]
# {glue:md}`e3_reading`
#
# *Reported in the paper (Figure 5):* with the regulariser, IA is higher at every size, the test
# AUC does not improve with size, and training loss keeps falling while validation AUC drops.
#
# ## Figure 16: IA of embeddings and sub-embeddings, standard vs regularised
#
# Left column: the sub-embedding matrix $\mathrm{IA}(E_i^{\to j})$ (first cross layer) with the
# fields in the same order for both models (sorted by the standard model's IA); right: each
# field's own IA.

# %% tags=["hide-input"]
pair = {r.config.model: r for r in runs if r.config.scale == max(scales)
        and r.config.seed == seeds[0]}
matrices = {m: A.sub_embedding_abundance(run.model) for m, run in pair.items()}
field_ia = {m: A.field_abundance(run.model).ia.to_numpy() for m, run in pair.items()}
order = np.argsort(field_ia["dcnv2"])
vmax = max(np.nanmax(m) for m in matrices.values())
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1, 1, 1.1]})
for ax, model in zip(axes[:2], ["dcnv2", regularizer_model]):
    heatmap(ax, matrices[model][np.ix_(order, order)], label="IA", vmin=1, vmax=vmax)
    ax.set_xlabel("partner j")
    ax.set_ylabel("field i")
    caption(ax, f"Figure 16 (ours): {names[model]}")
for model in ["dcnv2", regularizer_model]:
    axes[2].plot(field_ia[model][order], marker="o", label=names[model])
axes[2].set_xlabel("field (sorted by the standard model's IA)")
axes[2].set_ylabel("IA($E_i$)")
axes[2].legend()
fig.tight_layout()
plt.show()
sub_higher = float(np.nanmean(matrices[regularizer_model] > matrices["dcnv2"]))
ours = (f"regularised sub-embedding IA higher in {sub_higher:.0%} of (i, j) pairs; mean "
        f"{np.nanmean(matrices[regularizer_model]):.2f} vs {np.nanmean(matrices['dcnv2']):.2f}")
_ = record_finding("evidence3_regularization", "fig16", figure="Figure 16",
                   finding="Regularised DCNv2 has higher IA in embeddings and sub-embeddings",
                   paper="higher IA throughout with the regulariser (from the figure)", ours=ours,
                   verdict=verdict(sub_higher > 0.8, sub_higher > 0.5), data=data_text)
glue("e3_fig16", Markdown(f"At {max(scales)}x, {ours}."), display=False)

# %% [markdown]
# {glue:md}`e3_fig16`
