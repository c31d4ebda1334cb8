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
# # Evidence IV: less interaction collapses less, and over-fits
#
# *Paper: section 3.3, Evidence IV, Figure 6; appendix Figure 17b.*
#
# The DNN model has no explicit interaction: it concatenates the field embeddings and feeds an
# MLP. By the interaction-collapse theory its tables should collapse less, and the paper finds
# exactly that, but its test AUC *falls* as the embeddings grow while DCNv2 holds: suppressing
# interaction trades collapse for over-fitting. The appendix adds that multi-embedding makes
# even the DNN scale (Figure 17b).

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
rows = None  # synthetic only: rows generated (None: the protocol's)
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0]  # model seeds
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
max_epochs = None  # early stopping on validation AUC decides (None: the protocol's)
patience = None  # epochs without improvement before stopping (None: the protocol's)
batch_size = None  # None: the protocol's (the paper's 2048)
precision = None  # fp32, bf16, or auto: bf16 where measured faster (None: the protocol's)
device = "auto"  # auto, cpu, cuda, mps
run_dir = ""  # folder of finished runs to load instead of training ("": this build's runs)
results = "results/table1-synthetic/records.jsonl"  # committed records (more seeds) ("": none)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

import me_core
from me_core import paper
from me_core.experiments import evidence4 as E4
from me_core.experiments import runs as R
from me_core.plots import caption, scale_curves
from me_core.report import record_finding

me_core.setup_notebook()
chapter = R.chapter(dataset, data_path, rows, protocol=protocol, run_dir=run_dir,
                    max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                    precision=precision, device=device)
base, data_text = chapter.base, chapter.data_text

# %%
runs = chapter.train(R.grid(base, ["dnn", "dcnv2"], scales, ["se", "me"], seeds))
live = R.runs_frame(runs)
display(live.pivot_table(index=["model", "embedding"], columns="scale",
                         values=["test_auc", "mean_field_ia"]).round(4))

# %% [markdown]
# ## Figure 6: DNN vs DCNv2 (single embedding)
#
# IA is compared at equal size: the mean over fields of the IA of each table. Every comparison
# is paired by seed: the runs of this build plus the committed runs of the same protocol (the
# Table 1 sweep), where they exist.

# %% tags=["hide-input"]
frame, source_text = chapter.with_records(live, results)
frame = frame[frame.scale.isin(scales)]
se = frame[frame.embedding == "SE"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
scale_curves(axes[0], se, "mean_field_ia", group="model")
axes[0].set_ylabel("mean IA over fields")
caption(axes[0], "Figure 6a (ours): information abundance")
scale_curves(axes[1], se, "test_auc", group="model")
axes[1].set_ylabel("test AUC")
caption(axes[1], "Figure 6b (ours): test AUC")
fig.tight_layout()
plt.show()
fig6a, fig6b = E4.dnn_collapses_less(frame), E4.dnn_overfits(frame)
paper_auc = paper.table1_frame("criteo").set_index(["model", "embedding", "scale"]).auc
paper_6b = ", ".join(f"{m.upper()} {paper_auc[(m, 'SE', 1)]:.5f} -> "
                     f"{paper_auc[(m, 'SE', 10)]:.5f}" for m in ("dnn", "dcnv2"))
glue("e4_reading", Markdown(
    f"Data: {source_text}. Figure 6a: {fig6a.ours} ({fig6a.verdict}). Figure 6b: {fig6b.ours} "
    f"({fig6b.verdict}: {fig6b.reason}). *Reported in the paper* (Criteo, SE, base -> 10x): "
    f"{paper_6b}."), display=False)
_ = record_finding("evidence4_dnn", "fig6a", figure="Figure 6 (IA)",
                   finding="DNN tables have higher IA than DCNv2's", paper="DNN IA higher",
                   ours=fig6a.ours, verdict=fig6a.verdict, data=data_text, reason=fig6a.reason,
                   evidence=fig6a)
_ = record_finding("evidence4_dnn", "fig6b", figure="Figure 6 (AUC)",
                   finding="DNN AUC falls with size while DCNv2 holds",
                   paper=f"Criteo, SE, base -> 10x: {paper_6b}", ours=fig6b.ours,
                   verdict=fig6b.verdict, data=data_text, reason=fig6b.reason, evidence=fig6b)

# %% [markdown]
# {glue:md}`e4_reading`
#
# ## Figure 17b: SE and ME, DNN and DCNv2
#
# Mean over seeds with one-standard-deviation error bars, from the same runs as above.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=False)
for ax, model in zip(axes, ["dnn", "dcnv2"]):
    scale_curves(ax, R.with_shared_base(frame[frame.model == model]), group="embedding")
    ax.set_ylabel("test AUC")
    caption(ax, f"Figure 17b (ours): {model.upper()}")
fig.tight_layout()
plt.show()
fig17b = E4.me_scales_the_dnn(frame)
paper_17b = (f"Criteo, DNN base -> 10x: ME {paper_auc[('dnn', 'ME', 10)]:.5f}, SE "
             f"{paper_auc[('dnn', 'SE', 10)]:.5f} (base {paper_auc[('dnn', 'SE', 1)]:.5f})")
_ = record_finding("evidence4_dnn", "fig17b", figure="Figure 17b",
                   finding="ME makes the DNN scale where SE-DNN does not", paper=paper_17b,
                   ours=fig17b.ours, verdict=fig17b.verdict, data=data_text,
                   reason=fig17b.reason, evidence=fig17b)
glue("e4_17b", Markdown(f"{fig17b.ours}: {fig17b.verdict} ({fig17b.reason})."), display=False)

# %% [markdown]
# {glue:md}`e4_17b`
