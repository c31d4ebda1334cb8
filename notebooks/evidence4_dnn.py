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
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0, 1, 2, 3, 4]  # model seeds of every cell; the first is trained live, see below
live_scales = [1, 2]  # the DNN runs of the first seed retrained in this build
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)
results = "results/b1/table1/records.jsonl"  # committed records ("": train every run)

# %% tags=["hide-input"]
from IPython.display import display

from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import evidence4_dnn as E4
from me_core.companion.claims import claim

chapter = R.chapter_of("evidence4_dnn", globals())

# %% [markdown]
# Every cell has five seeds from the committed Table 1 records (`results/`); this build retrains
# the first seed of the DNN at the smallest sizes and says whether those runs equal their
# records.

# %%
collected = chapter.collect(chapter.grid(["dnn", "dcnv2"], scales, ["se", "me"], seeds),
                            results, live=lambda config: config.seed == seeds[0]
                            and config.model == "dnn" and config.scale in live_scales)
frame = collected.frame
display(frame.pivot_table(index=["model", "embedding"], columns="scale",
                          values=["test_auc", "mean_field_ia"]).round(4))

# %% [markdown]
# ## Figure 6: DNN vs DCNv2 (single embedding)
#
# IA is compared at equal size: the mean over fields of the IA of each table. Every comparison
# is paired by seed.

# %% tags=["hide-input"]
source_text = collected.text()
P.metric_panels(frame[frame.embedding == "SE"], group="model", metrics={
    "mean_field_ia": ("mean IA over fields", "Figure 6a (ours): information abundance"),
    "test_auc": ("test AUC", "Figure 6b (ours): test AUC")})
P.plt.show()
_ = chapter.report("fig6a", E4.dnn_collapses_less(frame), lead=f"Data: {source_text}. "
                   "Figure 6a: ")
_ = chapter.report("fig6b", E4.dnn_overfits(frame), lead="Figure 6b: ", readings={
    "otherwise": f"*Reported in the paper*: {claim('evidence4_dnn', 'fig6b').paper}."})

# %% [markdown]
# {glue:md}`fig6a`
#
# {glue:md}`fig6b`
#
# ## Figure 17b: SE and ME, DNN and DCNv2
#
# Mean over seeds with one-standard-deviation error bars, from the same runs as above.

# %% tags=["hide-input"]
P.scale_panels(R.with_shared_base(frame), ["dnn", "dcnv2"], title="Figure 17b (ours): ")
P.plt.show()
_ = chapter.report("fig17b", E4.me_scales_the_dnn(frame))
# %% [markdown]
# {glue:md}`fig17b`
