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
# # The role of data, and of the other modules
#
# *Paper: section 5, Tables 2 and 3.*
#
# Two objections to the collapse story. **Is it just too little data?** With fewer samples a
# large table cannot be learned, so its IA stays low. The paper trains on fractions of Criteo
# and finds that more data raises IA for small models but interaction-collapse dominates for
# large ones, where IA can even fall as data grows; ME beats SE at every data size (Table 2).
# **Why scale the embeddings at all?** Adding cross layers or MLP layers to DCNv2 does not raise
# AUC either (Table 3), so the embedding is the module worth scaling.

# %% tags=["parameters", "hide-input"]
dataset = "synthetic"  # synthetic (quick default), movielens, criteo or avazu
data_path = ""  # criteo/avazu: the Kaggle file; movielens: optional ml-100k folder
fractions = [0.1, 0.3, 1.0]  # shares of the training split (nested subsets)
scales = [1, 2, 4]  # model sizes for Table 2
cross_layers = [2, 4, 6, 8]  # Table 3: DCNv2 base size with this many cross layers (paper: 4)
mlp_depths = [1, 2, 3]  # Table 3: hidden MLP layers of width 400 (paper: 2)
seeds = [0, 1, 2, 3, 4]  # model seeds of every cell; the first is trained live, see below
results = ["results/b1/table1/records.jsonl",
           "results/b1/chapters/records.jsonl"]  # committed records ([]: train all)
truth = "results/b1/truth/analyses.jsonl"  # stored ground-truth scores of the same runs
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
from dataclasses import replace

from IPython.display import Markdown, display

from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import data_and_modules as D
from me_core.companion.report import glue_text

chapter = R.chapter_of("data_and_modules", globals())

# %% [markdown]
# ## Table 2: information abundance against data size
#
# Mean IA over fields of DCNv2 trained on nested fractions of the training split (the
# validation and test splits stay whole). IA is only comparable at equal width, so read each
# row (one model size) across the fractions, and SE against ME at the same size.
#
# Every cell has five seeds. Training them all would take longer than this whole book, so the
# cells come from committed run records (`results/`, written by the command in its README with
# this code), and this build retrains the first seed at the smallest and the full fraction:
# those live runs must equal their records, and the text below says whether they do.

# %%
table2_configs = [config for fraction in fractions for config in
                  chapter.grid(["dcnv2"], scales, ["se", "me"], seeds, fraction=float(fraction))]
table2_runs = chapter.collect(table2_configs, results, live=lambda config: (
    config.seed == seeds[0] and config.fraction in (min(fractions), 1.0)))
t2 = table2_runs.frame
glue_text("data_table2_source", table2_runs.text() + ".")
display(D.table2_cells(t2))

# %% [markdown]
# Mean ± standard deviation over seeds; {glue:md}`data_table2_source`

# %% tags=["hide-input"]
random_ia = D.random_ia(replace(chapter.base, model="dcnv2"),
                        table2_runs.live[0].model.field_dims, scales, seeds)
P.ia_against_data(P.panel(f"Table 2 (ours) as a plot: IA against data size (mean ± SD, "
                          f"{len(seeds)} seeds; dotted: a random table of the same width)",
                          size=(6.5, 3.8)), t2, random_ia)
P.plt.show()
_ = chapter.report("table2", D.me_above_se_at_every_size(t2))
_ = chapter.report("table2_sizes", D.data_helps_small_more(t2, random_ia))
_ = chapter.report("table2_small", D.data_raises_small_model_ia(t2, random_ia))
_ = chapter.report("table2_large", D.large_model_ia_not_monotone(t2, random_ia))

# %% [markdown]
# {glue:md}`table2`
#
# {glue:md}`table2_small`
#
# {glue:md}`table2_large`
#
# {glue:md}`table2_sizes`
#
# *Reported in the paper:* more data raises IA and interaction-collapse lowers it, so IA is not
# monotone in data size; data is the limiting factor only for the smallest sizes; ME beats SE at
# every data size. (The cell values are not available to us.) Each statement is judged above on
# its own, paired by seed: ME against SE, the smallest model's rise with data, the largest
# model's steps, and the contrast between the two sizes, each size's rise divided by a random
# table's IA of its width so that the sizes are on one scale. The status page lists them.
#
# Two things to read them with. Every fraction trains to its own early stop, so a run on 10%
# of the data also takes fewer optimiser steps (the rows give the counts): the rows compare
# data sizes *as the protocol trains them*, and fewer steps leave a table closer to its random
# start, whose IA is high. And IA is not information: the same tables scored against the
# teacher's truth (the dimensions of it they hold, over the fields whose truth a table can
# miss; the collapse chapter explains the score) follow.

# %% tags=["hide-input"]
table2_truth = chapter.analysed(table2_configs, truth, live=lambda config: (
    config.seed == seeds[0] and config.fraction in (min(fractions), 1.0)), truth_only=True)
display(Markdown(f"**Recovered dimensions of the truth** ({table2_truth.text()})"),
        D.truth_cells(table2_truth.frame))

# %% [markdown]
# ## Table 3: scaling the other modules of DCNv2
#
# The base DCNv2 ($K = 10$) with more or fewer cross layers, and with more or fewer hidden MLP
# layers of width 400 (the first of which is the projection after the cross network), each
# compared, seed by seed, with scaling the embeddings instead (ME at the largest size). Again
# five seeds from the records, and the first seed of the default and of the shallowest cross
# network retrained in this build.

# %%
variants = {"default": {},  # the paper's DCNv2: 4 cross layers, 2 MLP layers
            **{f"{n} cross layers": {"cross_layers": n} for n in cross_layers if n != 4},
            **{f"{d} MLP layers": {"mlp_dims": [400] * d} for d in mlp_depths if d != 2}}
module_configs = {name: chapter.grid(["dcnv2"], [1], ["se"], seeds, model_options=options)
                  for name, options in variants.items()}
live_keys = {c.key() for name in list(variants)[:2] for c in module_configs[name]}
module_runs = chapter.collect([c for cs in module_configs.values() for c in cs], results,
                              live=lambda config: config.seed == seeds[0]
                              and config.key() in live_keys)
variant_of = {c.key(): name for name, cs in module_configs.items() for c in cs}
modules = module_runs.frame.assign(variant=lambda f: f.key.map(variant_of))
glue_text("data_table3_source", module_runs.text() + ".")
display(D.module_table(modules))

# %% [markdown]
# Test AUC, mean and standard deviation over seeds; {glue:md}`data_table3_source`

# %% tags=["hide-input"]
_ = chapter.report("table3", D.embeddings_beat_other_modules(modules, t2[t2.fraction == 1.0]))

# %% [markdown]
# {glue:md}`table3`
