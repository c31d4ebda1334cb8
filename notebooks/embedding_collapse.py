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
# measures all four.

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
rows = None  # synthetic only: rows generated (None: the protocol's)
scales = [1, 2, 4]  # embedding size as a multiple of the base (paper: 1, 2, 3, 4, 10)
seeds = [0]  # model seeds (initialisation, dropout, batch order); the split stays fixed
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
max_epochs = None  # early stopping on validation AUC decides (None: the protocol's)
patience = None  # epochs without improvement before stopping (None: the protocol's)
batch_size = None  # None: the protocol's (the paper's 2048)
precision = None  # fp32, bf16, or auto: bf16 where measured faster (None: the protocol's)
device = "auto"  # auto, cpu, cuda, mps
run_dir = ""  # folder of finished runs to load instead of training ("": this build's runs)
results = "results/table1-synthetic/records.jsonl"  # committed records for Fig. 1a ("": none)
analysis_seeds = [0, 1, 2]  # Figure 1b's seeds: those in `seeds` live, the others from `analyses`
analyses = "results/analyses-synthetic/analyses.jsonl"  # stored weight analyses ("": train all)

# %% tags=["hide-input"]
from dataclasses import replace

import numpy as np
from IPython.display import display

from me_core import plots as P
from me_core.claims import claim
from me_core.experiments import analysis as A
from me_core.experiments import collapse as C
from me_core.experiments import runs as R
from me_core.report import glue_text
from me_core.stats import effect_verdict

chapter = R.chapter_of("embedding_collapse", globals())
print(chapter.data_text)

# %% [markdown]
# ## Training SE DCNv2 at several sizes
#
# The base embedding size is $K = 10$ (the paper's); a model at scale $s$ has $K = 10s$. The
# protocol is the paper's (Adam, learning rate $10^{-3}$, weight decay $10^{-6}$, batch 2048,
# early stopping on validation AUC) with the patience, epoch cap and precision of the chosen
# protocol (`me_core.settings`; the quick book stops one epoch after the best).
# Runs are shared with the later chapters, which analyse the same models.

# %%
runs = chapter.train(chapter.grid(["dcnv2"], scales, ["se"], seeds))
live = R.runs_frame(runs)
largest = max(runs, key=lambda r: r.config.scale)

# %% [markdown]
# ## Figure 1a: test AUC against embedding size
#
# The solid line is DCNv2 trained above. Where the book has committed run records of the
# Table 1 sweep (all six models, several seeds; see the multi-embedding chapter for their
# provenance), their SE rows are drawn too, with one-standard-deviation error bars.

# %% tags=["hide-input"]
records = chapter.records(results)
ax = P.panel("Figure 1a (ours): SE models, test AUC against size", ylabel="test AUC")
if records is not None:
    P.scale_curves(ax, records[records.embedding == "SE"], group="model", linestyle=":",
                   label_prefix="records: ")
P.scale_curves(ax, live.assign(model="DCNv2 (live)"), group="model", markers="s")
_ = chapter.report("fig1a", C.se_gains_flat(C.se_gains(records, live)))
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
# equally would be a flat line at 1.

# %% tags=["hide-input"]
dims, K_large = largest.model.field_dims, largest.model.embed_dim
P.field_spectra(P.panel(f"Figure 1b (ours): normalised spectra, SE DCNv2 K = {K_large}, one "
                        "line per field"), A.field_spectra(largest.model), dims)

# %% tags=["hide-input"]
# judged against the matched null, a random table of the same shape (same K, same D_i), over
# every seed: this build's runs analysed live, the other seeds' analyses read from `analyses`
spectra_runs = chapter.analysed(chapter.grid(["dcnv2"], [largest.config.scale], ["se"],
                                       analysis_seeds), analyses,
                                live=lambda config: config.seed in seeds)
twin = A.random_twin(largest.config, dims)  # also Figure 2's reference
_ = chapter.report("fig1b", C.spectra_low_rank(spectra_runs.frame, A.model_analyses(twin)),
                   source=spectra_runs.text())

# %% [markdown]
# {glue:md}`fig1b`
#
# ## Figure 2: learned tables against random ones of the same shape
#
# The same model's initialisation rule (xavier-uniform over the fused table), drawn afresh,
# gives a random table of every field's shape; its IA is what "no collapse" looks like at that
# shape. Fields are sorted by cardinality.

# %% tags=["hide-input"]
per_field = A.field_abundance(largest.model, reference=twin).sort_values("cardinality")
_ = P.field_bars(per_field.cardinality.to_numpy(), {
    "random initialisation": per_field.ia_reference, "learned": per_field.ia},
    title=f"Figure 2 (ours): IA per field, SE DCNv2 K = {K_large}, learned vs random")

# %% tags=["hide-input"]
# every seed of the largest SE DCNv2: this build's runs plus the committed runs of the protocol
frame, source_text = chapter.with_records(live, results)
frame = frame[(frame.model == "dcnv2") & (frame.embedding == "SE") & frame.scale.isin(scales)]
base_dim = K_large // largest.config.scale
frame = frame.assign(width=frame.scale * base_dim)
random_ia = {s * base_dim: ia for s, ia in
             C.random_ia_by_scale(replace(chapter.base, model="dcnv2"), dims, scales).items()}
_ = chapter.report("fig2", C.learned_vs_random(frame[frame.scale == largest.config.scale],
                                               random_ia[K_large], dims, K_large),
                   lead=f"Data: {source_text}. ")

# %% [markdown]
# {glue:md}`fig2`
#
# ### What IA means here: the planted interactions
#
# On the synthetic benchmark the teacher is known: each field has a first-order weight, and a
# field in one of the planted pairs also has a latent of rank {glue:md}`collapse_rank` that
# its partner reads. The table below puts the rank of the teacher's signal for each field beside
# the learned IA (mean ± sd over the seeds above) and a random table's.

# %% tags=["hide-input"]
planted = chapter.planted
glue_text("collapse_rank", str(R.teacher_rank(chapter.base) or "r"))
if planted:
    truth, rho = C.planted_ground_truth(frame[frame.scale == largest.config.scale],
                                        random_ia[K_large], dims, K_large, planted,
                                        R.teacher_rank(chapter.base))
    large = truth[truth.cardinality > K_large]
    P.panel(f"SE DCNv2 K = {K_large}, fields with more than K values", "planted partners of "
            "the field", "learned IA / random IA", size=(5.5, 3.4)).scatter(
        large.planted_partners, large.ia_learned / large.ia_random)
    P.plt.show()
    display(truth.drop(columns=["ia_learned", "ia_learned_sd"]).round(2).set_index("field"))
    glue_text("collapse_truth", f"Spearman's rho between the share of a random table's IA a "
              f"field keeps and its number of planted partners, per seed: {rho.text(2)}: " + (
                  "negative beyond its noise." if effect_verdict(rho, expected_sign=-1)[0]
                  == "reproduced" else "not robustly negative here."))
else:
    glue_text("collapse_truth", "This data set has no known planted interactions.")

# %% [markdown]
# {glue:md}`collapse_truth`
#
# A negative rho means that the fields which interact in the teacher lose the most: their tables
# concentrate on the teacher's few directions, while a field with no partner only needs one
# direction (its first-order weight) and keeps much of its random start. Where that holds, a high
# IA on this data marks a table that training left largely alone, not a rich one. What matters
# for the paper's argument is the comparison at equal shape and data, as in every finding here,
# not a high IA as such.
#
# ## Figure 15: size-normalised IA against embedding size
#
# IA can only be compared at equal $K$, so the appendix normalises it; we use $\mathrm{IA}/K$
# (the first extension the appendix plots; its exact form is not in the text we could read),
# averaged over the fields with more than $K$ values, for every seed, beside the same for a
# random table of each width: a random table's IA/K falls with $K$ too (the fields' $D_i$ do
# not grow), so only a fall beyond it is collapse.

# %% tags=["hide-input"]
tidy15, fig15 = C.normalised_ia_by_size(frame, dims, random_ia)
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
twins = {scale: A.random_twin(run.config, dims) for scale, run in by_scale.items()}
controls = dict(field=P.choice("field", [(f"field {i} ({d:,} values)", i)
                                         for i, d in enumerate(dims)], int(np.argmax(dims))),
                scale=P.choice("scale", sorted(by_scale), max(by_scale)))
display(P.figure_widget(lambda field, scale: P.spectra_compare(
    {"random initialisation": A.field_spectra(twins[scale], [field]),
     "learned": A.field_spectra(by_scale[scale].model, [field])},
    f"field {field} ({dims[field]:,} values), SE DCNv2 K = {by_scale[scale].model.embed_dim}"),
    controls))
