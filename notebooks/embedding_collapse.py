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

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

import me_core
from me_core import paper
from me_core.experiments import analysis as A
from me_core.experiments import collapse as C
from me_core.experiments import runs as R
from me_core.experiments import table1 as T
from me_core.plots import PALETTE, caption, figure_widget, scale_curves
from me_core.report import record_finding

me_core.setup_notebook()
chapter = R.chapter(dataset, data_path, rows, protocol=protocol, run_dir=run_dir,
                    max_epochs=max_epochs, patience=patience, batch_size=batch_size,
                    precision=precision, device=device)
base, data_text = chapter.base, chapter.data_text
print(data_text)

# %% [markdown]
# ## Training SE DCNv2 at several sizes
#
# The base embedding size is $K = 10$ (the paper's); a model at scale $s$ has $K = 10s$. The
# protocol is the paper's (Adam, learning rate $10^{-3}$, weight decay $10^{-6}$, batch 2048,
# early stopping on validation AUC) with the patience, epoch cap and precision of the chosen
# protocol (`me_core.settings`; the quick book stops one epoch after the best).
# Runs are shared with the later chapters, which analyse the same models.

# %%
runs = chapter.train(R.grid(base, ["dcnv2"], scales, ["se"], seeds))
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
fig, ax = plt.subplots(figsize=(7, 4))
if records is not None:
    se = records[records.embedding == "SE"]
    scale_curves(ax, se, group="model", linestyle=":", label_prefix="records: ")
scale_curves(ax, live.assign(model="DCNv2 (live)"), group="model", markers="s")
ax.set_ylabel("test AUC")
caption(ax, "Figure 1a (ours): SE models, test AUC against size")
plt.show()
# SE gain (largest size minus base) paired by seed, per model of the records
gains = {m: T.paired_gains(records, m)["SE gain"] for m in sorted(records.model.unique())
         if "SE gain" in T.paired_gains(records, m)} if records is not None else {}
gains["dcnv2 (live)"] = T.paired_gains(live.assign(model="dcnv2"), "dcnv2")["SE gain"]
display(Markdown("SE test AUC at the largest scale minus the base, paired by seed: "
                 + ", ".join(f"{m} {g.text()}" for m, g in gains.items())))

# %% tags=["hide-input"]
fig1a = C.se_gains_flat(gains)
reading = f"{fig1a.ours}: {fig1a.verdict} ({fig1a.reason}). " + (
    "As in the paper, no SE model gains beyond its seed noise." if fig1a.verdict == "reproduced"
    else "More SE models gain than in the paper on Criteo (a different data set; this one is "
    "far smaller and synthetic).")
paper_gains = paper.table1_gains("criteo", "SE")
paper_text = "Criteo, SE, 10x minus base: " + ", ".join(f"{m} {g:+.5f}"
                                                         for m, g in paper_gains.items())
glue("collapse_fig1a", Markdown(reading), display=False)
glue("collapse_fig1a_paper", Markdown(f"*Reported in the paper (Table 1):* {paper_text}."),
     display=False)
_ = record_finding("embedding_collapse", "fig1a", figure="Figure 1a",
                   finding="Enlarging SE embeddings barely raises test AUC",
                   paper=paper_text,
                   ours=fig1a.ours, verdict=fig1a.verdict, data=data_text, reason=fig1a.reason,
                   evidence=fig1a)

# %% [markdown]
# {glue:md}`collapse_fig1a`
#
# {glue:md}`collapse_fig1a_paper`
#
# ## Figure 1b: the singular spectrum of each field
#
# One line per field of the largest SE DCNv2: the singular values of its table divided by the
# largest. Darker lines are fields with more values. A table that used all $K$ directions
# equally would be a flat line at 1.

# %% tags=["hide-input"]
spectra = A.field_spectra(largest.model)
dims = largest.model.field_dims
fig, ax = plt.subplots(figsize=(7, 4))
cmap = plt.get_cmap("viridis_r")
rank = np.argsort(np.argsort(dims))
for field, part in spectra.groupby("field"):
    ax.plot(part.k, part.sigma, color=cmap(rank[field] / max(len(dims) - 1, 1)), lw=1)
ax.set_xlabel("singular value index k")
ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")
K_large = largest.model.embed_dim
caption(ax, f"Figure 1b (ours): normalised spectra, SE DCNv2 K = {K_large}, one line per field")
plt.show()

# %% tags=["hide-input"]
# judged against the matched null, a random table of the same shape (same K, same D_i), over
# every seed: this build's runs analysed live, the other seeds' analyses read from `analyses`
spectra_runs = chapter.analysed(R.grid(base, ["dcnv2"], [largest.config.scale], ["se"],
                                       analysis_seeds), analyses,
                                live=lambda config: config.seed in seeds)
twin = A.random_twin(largest.config, dims)  # also Figure 2's reference
fig1b = C.spectra_low_rank(spectra_runs.frame, A.model_analyses(twin))
glue("collapse_fig1b", Markdown(
    f"{fig1b.ours}: {fig1b.verdict} ({fig1b.reason}). " + (
        "Most of the spectrum is tiny, far more than in a random table: the tables are nearly "
        "low-rank, as in the paper." if fig1b.verdict == "reproduced" else
        "The learned tables use fewer directions than random ones, but most of their spectrum "
        "is not below 0.1." if fig1b.verdict == "partly reproduced" else
        "The spectra are not robustly below a random table's.")
    + f" Data: {spectra_runs.text()}."), display=False)
_ = record_finding("embedding_collapse", "fig1b", figure="Figure 1b",
                   finding="Learned tables of an enlarged model are nearly low-rank",
                   paper="most normalised singular values are tiny (from the figure)",
                   ours=fig1b.ours, verdict=fig1b.verdict, data=data_text,
                   reason=fig1b.reason, evidence=fig1b)

# %% [markdown]
# {glue:md}`collapse_fig1b`
#
# ## Figure 2: learned tables against random ones of the same shape
#
# The same model's initialisation rule (xavier-uniform over the fused table), drawn afresh,
# gives a random table of every field's shape; its IA is what "no collapse" looks like at that
# shape. Fields are sorted by cardinality.

# %% tags=["hide-input"]
per_field = A.field_abundance(largest.model, reference=twin).sort_values("cardinality")
fig, ax = plt.subplots(figsize=(7, 3.8))
x = np.arange(len(per_field))
ax.bar(x - 0.2, per_field.ia_reference, 0.4, label="random initialisation", color=PALETTE[0])
ax.bar(x + 0.2, per_field.ia, 0.4, label="learned", color=PALETTE[1])
ax.set_xticks(x, [f"{d:,}" for d in per_field.cardinality], rotation=60, fontsize=7)
ax.set_xlabel("field (by cardinality $D_i$)")
ax.set_ylabel("information abundance")
ax.legend()
caption(ax, f"Figure 2 (ours): IA per field, SE DCNv2 K = {K_large}, learned vs random")
plt.show()

# %% tags=["hide-input"]
# every seed of the largest SE DCNv2: this build's runs plus the committed runs of the protocol
frame, source_text = chapter.with_records(live, results)
frame = frame[(frame.model == "dcnv2") & (frame.embedding == "SE") & frame.scale.isin(scales)]
base_dim = largest.model.embed_dim // largest.config.scale
frame = frame.assign(width=frame.scale * base_dim)
random_ia = {int(s) * base_dim: C.random_field_ia(A.random_twin(replace(base, model="dcnv2",
                                                                        scale=int(s)), dims))
             for s in scales}
fig2 = C.learned_vs_random(frame[frame.scale == largest.config.scale], random_ia[K_large],
                           dims, K_large)
glue("collapse_fig2", Markdown(f"Data: {source_text}. {fig2.ours}: {fig2.verdict} "
                               f"({fig2.reason}). " + (
    "Training collapses the tables below what their shape allows, as in the paper."
    if fig2.verdict == "reproduced" else "The learned tables are not robustly below random "
    "ones here.")), display=False)
_ = record_finding("embedding_collapse", "fig2", figure="Figure 2",
                   finding="Learned IA is far below the IA of random tables of the same shape",
                   paper="learned IA far lower for every field (from the figure)",
                   ours=fig2.ours, verdict=fig2.verdict, data=data_text, reason=fig2.reason,
                   evidence=fig2)

# %% [markdown]
# {glue:md}`collapse_fig2`
#
# ### What IA means here: the planted interactions
#
# On the synthetic benchmark the teacher is known: each field has a first-order weight, and a
# field in one of the planted pairs also has a latent of rank {glue:text}`collapse_rank` that
# its partner reads. The table below puts the rank of the teacher's signal for each field beside
# the learned IA (mean ± sd over the seeds above) and a random table's.

# %% tags=["hide-input"]
planted = R.planted_pairs(base)
if planted:
    truth, rho = C.planted_ground_truth(frame[frame.scale == largest.config.scale],
                                        random_ia[K_large], dims, K_large, planted,
                                        R.teacher_rank(base))
    glue("collapse_rank", str(R.teacher_rank(base)), display=False)
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    large = truth[truth.cardinality > K_large]
    ax.scatter(large.planted_partners, large.ia_learned / large.ia_random)
    ax.set_xlabel("planted partners of the field")
    ax.set_ylabel("learned IA / random IA")
    caption(ax, f"SE DCNv2 K = {K_large}, fields with more than K values")
    plt.show()
    display(truth.assign(ia_learned=[f"{m:.2f} ± {sd:.2f}" for m, sd in
                                     zip(truth.ia_learned, truth.ia_learned_sd)],
                         ia_random=truth.ia_random.round(2))
            .drop(columns="ia_learned_sd").set_index("field"))
    truth_text = (
        f"Spearman's rho between the share of a random table's IA a field keeps and its number "
        f"of planted partners, per seed: {rho.text(2)}. "
        + ("Fields that interact in the teacher lose the most: their tables concentrate on the "
           "teacher's few directions, while a field with no partner only needs one direction "
           "(its first-order weight) and keeps much of its random start. So on this data high "
           "IA means a table training left largely alone, not a rich one; what matters for the "
           "paper's argument is the comparison at equal shape and data, as in every finding "
           "here, not a high IA as such." if rho.mean < 0 else
           "The interacting fields do not lose more of their IA than the others here."))
else:
    truth_text = "This data set has no known planted interactions."
    glue("collapse_rank", "r", display=False)
glue("collapse_truth", Markdown(truth_text), display=False)

# %% [markdown]
# {glue:md}`collapse_truth`
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
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for kind, part in tidy15.groupby("kind"):
    means = part.groupby("K").ia_per_dim
    ax.errorbar(means.mean().index, means.mean().values, yerr=means.std().fillna(0).values,
                marker="o", capsize=3, label=kind)
ax.set_xlabel("embedding size K")
ax.set_ylabel("mean IA / K")
ax.legend()
caption(ax, "Figure 15 (ours): size-normalised IA, SE DCNv2")
plt.show()
glue("collapse_fig15", Markdown(f"{fig15.ours}: {fig15.verdict} ({fig15.reason})."),
     display=False)
_ = record_finding("embedding_collapse", "fig15", figure="Figure 15",
                   finding="Size-normalised IA falls as the embedding size grows",
                   paper="normalised IA decreases with size (from the figure)", ours=fig15.ours,
                   verdict=fig15.verdict, data=data_text, reason=fig15.reason, evidence=fig15)

# %% [markdown]
# {glue:md}`collapse_fig15`
#
# ## Explore a field's spectrum
#
# Pick a field and a model size to compare its learned spectrum with a random table's (every
# combination is drawn when the page is built, so the controls work in the static book too).

# %% tags=["hide-input"]
by_scale = {run.config.scale: run for run in runs if run.config.seed == seeds[0]}
twins = {scale: A.random_twin(run.config, dims) for scale, run in by_scale.items()}


def show_field(field: int, scale: int):
    run = by_scale[scale]
    learned = A.field_spectra(run.model, [field])
    random = A.field_spectra(twins[scale], [field])
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(random.k, random.sigma, label="random initialisation")
    ax.plot(learned.k, learned.sigma, label="learned")
    ax.set_xlabel("k")
    ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")
    ax.legend()
    caption(ax, f"field {field} ({dims[field]:,} values), SE DCNv2 K = {run.model.embed_dim}")
    return fig


controls = dict(field=widgets.Dropdown(options=[(f"field {i} ({d:,} values)", i)
                                                for i, d in enumerate(dims)],
                                       value=int(np.argmax(dims)), description="field"),
                scale=widgets.Dropdown(options=sorted(by_scale), value=max(by_scale),
                                       description="scale"))
display(figure_widget(show_field, controls))
