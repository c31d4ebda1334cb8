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
# # Embedding collapse
#
# *Paper: section 1 and 3.1, Figures 1, 2 and 15.*
#
# Making the embeddings of a CTR model wider is the obvious way to scale it up, yet the paper
# finds that it barely helps (Figure 1a). The reason it gives: the learned tables *collapse*
# into a low-dimensional subspace. Their singular values decay fast (Figure 1b), their
# information abundance $\mathrm{IA}(E) = \sum_k \sigma_k / \max_k \sigma_k$ is far below that
# of a random table of the same shape (Figure 2), and per dimension it gets worse as the tables
# grow (Figure 15). This chapter trains single-embedding (SE) DCNv2 models at several sizes and
# measures all four, and then does what no real data set allows: it scores the same tables
# against the synthetic teacher's *truth*, to tell a table that collapsed from one that learned
# exactly the little the data holds.

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0]  # model seeds trained in this build (initialisation, dropout, batch order)
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)
results = "results/b1/table1/records.jsonl"  # committed records for Fig. 1a ("": train all)
sweep_models = ["dnn", "ipnn", "nfwfm", "xdeepfm", "dcnv2", "finalmlp", "autoint"]  # Fig. 1a
analysis_seeds = [0, 1, 2, 3, 4]  # the findings' seeds: those in `seeds` live, the others stored
analyses = "results/b1/analyses/analyses.jsonl"  # stored weight analyses ("": train all)

# %% tags=["hide-input"]
import numpy as np
from IPython.display import display

from me_core.companion import analysis as A
from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import embedding_collapse as C
from me_core.companion.claims import claim
from me_core.companion.report import glue_text
from me_core.companion.weights import initial_model
from me_core.data.synthetic import headroom_table

chapter = R.chapter_of("embedding_collapse", globals())
print(chapter.data_text)

# %% [markdown]
# ## Training SE DCNv2 at several sizes
#
# The base embedding size is $K = 10$ (the paper's); a model at scale $s$ has $K = 10s$. The
# protocol is the paper's (Adam, learning rate $10^{-3}$, weight decay $10^{-6}$, batch 2048,
# early stopping on validation AUC) with the patience, epoch cap and precision of the chosen
# protocol (`me_core.settings`; the quick book stops one epoch after the best).
# Runs are shared with the later chapters, which analyse the same models. This build trains
# the first seed; every finding reads all seeds, the others from committed records and weight
# analyses of the same runs (`results/`), and says whether the live runs equal them.

# %%
runs = chapter.train(chapter.grid(["dcnv2"], scales, ["se"], seeds))
live = R.runs_frame(runs)
largest = max(runs, key=lambda r: r.config.scale)
analysed = chapter.analysed(chapter.grid(["dcnv2"], scales, ["se"], analysis_seeds), analyses,
                            live=lambda config: config.seed in seeds)
frame = analysed.frame
top = frame[frame.scale == largest.config.scale]
glue_text("collapse_source", analysed.text() + ".")

# %% [markdown]
# The weight analyses: {glue:md}`collapse_source`
#
# ## Figure 1a: test AUC against embedding size
#
# The solid line is DCNv2 trained above. Beside it, SE runs of every model of the Table 1
# sweep at the same sizes, with one-standard-deviation error bars over the findings' seeds:
# from the committed records where they hold a run of this protocol and data (see the
# multi-embedding chapter for their provenance), trained in this build otherwise.
# "Barely raises" is judged per model as an equivalence: the gain from the base to the
# largest size, paired by seed, must lie within ±0.001 AUC.

# %% tags=["hide-input"]
fig1a = chapter.collect(chapter.grid(sweep_models, scales, ["se"], analysis_seeds), results,
                        live=lambda config: config.model == "dcnv2" and config.seed in seeds)
ax = P.panel("Figure 1a (ours): SE models, test AUC against size", ylabel="test AUC")
P.scale_curves(ax, fig1a.frame, group="model", linestyle=":")
P.scale_curves(ax, live.assign(model="DCNv2 (live)"), group="model", markers="s")
_ = chapter.report("fig1a", C.se_gains_flat(fig1a.frame), source=fig1a.text())
glue_text("collapse_fig1a_paper", f"*Reported in the paper (Table 1):* "
          f"{claim('embedding_collapse', 'fig1a').paper}.")

# %% [markdown]
# {glue:md}`fig1a`
#
# {glue:md}`collapse_fig1a_paper`
#
# ## Figure 1b: the singular spectrum of each field
#
# One line per field of the largest SE DCNv2: the singular values of its table divided by the
# largest. Darker lines are fields with more values. A table that used all $K$ directions
# equally would be a flat line at 1. The finding compares every seed's tables with that seed's
# own random initialisation (a random table of the same shape), over the fields with more
# values than columns.

# %% tags=["hide-input"]
dims, K_large = largest.model.field_dims, largest.model.embed_dim
P.field_spectra(P.panel(f"Figure 1b (ours): normalised spectra, SE DCNv2 K = {K_large}, one "
                        "line per field"), A.field_spectra(largest.model), dims)
_ = chapter.report("fig1b", C.spectra_low_rank(top))

# %% [markdown]
# {glue:md}`fig1b`
#
# ## Figure 2: learned tables against random ones of the same shape
#
# The run's own initialisation (xavier-uniform over the fused table, drawn with the run's seed)
# is a random table of every field's shape; its IA is what "no collapse" looks like at that
# shape. Fields are sorted by cardinality.

# %% tags=["hide-input"]
start = initial_model(largest.config, dims)
per_field = A.field_abundance(largest.model, reference=start).sort_values("cardinality")
_ = P.field_bars(per_field.cardinality.to_numpy(), {
    "random initialisation": per_field.ia_reference, "learned": per_field.ia},
    title=f"Figure 2 (ours): IA per field, SE DCNv2 K = {K_large}, learned vs random")
_ = chapter.report("fig2", C.learned_vs_random(top))

# %% [markdown]
# {glue:md}`fig2`
#
# ## What the teacher's truth says about the same tables
#
# On real data nobody knows how many directions a table *should* use, so a low IA can mean
# collapse or a field with little to learn. The synthetic teacher (B1) knows: every field's
# influence on the label is a matrix $H_f$ (its first-order weight and one block per planted
# partner), and its rank is the number of directions a perfect table of that field would use.
# Here every field that has more than 40 values has a truth of rank 73 or 76, more than the
# widest table ($K = 40$), so a perfect table would use all its columns: a learned table with
# few directions has collapsed, it has not found a poor truth. We score each table by the
# canonical correlations between its column space and the truth's (values weighted by how often
# they occur in training): their sum of squares is the number of the truth's dimensions the
# table holds. A random table holds some by chance; its room is $\min(K, \text{rank})$.
#
# How much could a wider table gain on this data? Cutting every field's truth to its best
# rank-$r$ approximation (frequency-weighted) and ranking the rows by the cut teacher's logit
# gives a ceiling for tables of width $r$ that needs no training:

# %% tags=["hide-input"]
display(headroom_table(chapter.feature_map).round(4))

# %% [markdown]
# The learned tables, scored against the truth:

# %% tags=["hide-input"]
truth = C.truth_table(top, chapter.planted)
order = truth.cardinality.argsort(kind="stable").to_numpy()
_ = P.field_bars(truth.cardinality.to_numpy()[order], {
    "room": truth.room.to_numpy()[order],
    "random table": truth.recovered_random.to_numpy()[order],
    "learned": truth.recovered.to_numpy()[order]},
    title=f"SE DCNv2 K = {K_large}: dimensions of the truth held (mean over seeds)",
    ylabel="recovered dimensions")
display(truth[["cardinality", "planted_partners", "truth_rank", "room", "recovered",
               "recovered_sd", "recovered_random", "filled", "ia", "ia_random"]]
        .rename(columns={"recovered_sd": "sd", "filled": "share of room filled"}).round(2))
_ = chapter.report("truth", C.collapse_against_truth(frame))

# %% [markdown]
# {glue:md}`truth`
#
# The table reads IA against the truth, field by field: the columns *ia* and *ia_random* are
# the learned and random tables' IA (mean over seeds), *recovered* the truth's dimensions the
# learned table holds (sd over seeds), and *share of room filled* how much of the room above
# the random table's chance level training filled. The fields of 50 or fewer values have a
# truth of full rank (any table spans part of it by construction) and are left out of the
# finding.
#
# ## Figure 15: size-normalised IA against embedding size
#
# IA can only be compared at equal $K$, so the appendix normalises it; we use $\mathrm{IA}/K$
# (the first extension the appendix plots; its exact form is not in the text we could read),
# averaged over the fields with more than $K$ values, for every seed, beside the same for each
# run's random initialisation: a random table's IA/K falls with $K$ too (the fields' $D_i$ do
# not grow), so the finding is judged on the share of the random table's IA/K that the learned
# table keeps, which must fall at every enlargement.

# %% tags=["hide-input"]
tidy15, fig15 = C.normalised_ia_by_size(frame)
P.errorbar_lines(P.panel("Figure 15 (ours): size-normalised IA, SE DCNv2", "embedding size K",
                         "mean IA / K", size=(5.5, 3.5)), tidy15, "K", "ia_per_dim", "kind")
_ = chapter.report("fig15", fig15)

# %% [markdown]
# {glue:md}`fig15`
#
# ## Explore a field's spectrum
#
# Pick a field and a model size to compare its learned spectrum with a random table's (every
# combination is drawn when the page is built, so the controls work in the static book too).

# %% tags=["hide-input"]
by_scale = {run.config.scale: run for run in runs if run.config.seed == seeds[0]}
starts = {scale: initial_model(run.config, dims) for scale, run in by_scale.items()}
controls = dict(field=P.choice("field", [(f"field {i} ({d:,} values)", i)
                                         for i, d in enumerate(dims)], int(np.argmax(dims))),
                scale=P.choice("scale", sorted(by_scale), max(by_scale)))
display(P.figure_widget(lambda field, scale: P.spectra_compare(
    {"random initialisation": A.field_spectra(starts[scale], [field]),
     "learned": A.field_spectra(by_scale[scale].model, [field])},
    f"field {field} ({dims[field]:,} values), SE DCNv2 K = {by_scale[scale].model.embed_dim}"),
    controls))
