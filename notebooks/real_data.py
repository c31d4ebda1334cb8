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
# # Does it hold on real data?
#
# *Paper: every finding that needs no known truth, on real tables.*
#
# Every other chapter judges the paper's findings on the synthetic benchmark, which we
# designed. The paper's data sets (Criteo, Avazu) cannot be fetched here, but three real tables
# ship with the project through registry packages: **MovieLens-100k** (100,000 ratings, 10
# fields, the label is a rating of 4 or more), **NYC flights 2013** (327,346 flights, 11
# fields, the label is an arrival more than 15 minutes late) and **InstEval** (73,421 ratings of
# lectures at ETH Zurich by 2,972 students of 1,128 lecturers, 6 fields, the label is a rating
# of 4 or more, as for MovieLens). None is a click log or one of the paper's data sets; each
# has a CTR table's shape (a binary label, high-cardinality id fields beside small ones). On
# each, committed run records (`results/real/`, five seeds, the
# book's quick protocol) train DCNv2 and DNN, SE and ME, at 1x, 2x and 4x, the regularised
# DCNv2, and the ensemble control's extra base models. Every finding below is computed by the
# same function, declared test and minimum effect as its synthetic counterpart; the status page
# shows each as a column beside the synthetic verdict. Findings judged against the synthetic
# teacher's truth say "needs a known truth"; those whose runs the real-data grid does not have
# (Tables 2, 3 and 7, the FFM, the ME variants, the text model) are not run here.

# %% tags=["parameters", "hide-input"]
datasets = ["movielens", "flights", "insteval"]  # real data sets with committed records
seeds = [0, 1, 2, 3, 4]  # model seeds; the first seed's base DCNv2 is trained live
scales = [1, 2, 4]  # embedding size as a multiple of the base
records = "results/real/{dataset}/records.jsonl"  # committed records per data set
ensembles = "results/real/{dataset}/ensembles.jsonl"  # the ensemble control per data set
truth = "results/real/truth/analyses.jsonl"  # light weight analyses of every run
analyses = "results/real/analyses/analyses.jsonl"  # full weight analyses of DCNv2
protocol = "quick"  # training protocol (me_core.settings): quick (the book's) or paper
# protocol overrides, the protocol's value unless given here, by papermill -p or book --param:
# rows, max_epochs, patience, batch_size, precision, device, run_dir (see the rerun page)

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from me_core.companion import ensemble as En
from me_core.companion import plots as P
from me_core.companion import runs as R
from me_core.companion.chapters import real_data as RD
from me_core.companion.report import show_finding

# %% [markdown]
# For each data set: the records, the light and full weight analyses of the same runs, and the
# stored ensembles; this build retrains the first seed's base DCNv2 and analyses it, and says
# whether it equals its record and its stored analyses. Then every computable finding.

# %% tags=["hide-input"]
for dataset in datasets:
    chapter = R.chapter_of("real_data", globals(), dataset=dataset, data_path=None, rows=None)
    grid = (chapter.grid(list(RD.MODELS), scales, ["se", "me"], seeds)
            + chapter.grid(["dcnv2_reg"], scales, ["se"], seeds))
    live = lambda config: config.seed == seeds[0] and config.model == "dcnv2" \
        and config.scale == 1  # noqa: E731
    collected = chapter.collect(grid, records.format(dataset=dataset), live=live)
    light = chapter.analysed(grid, truth, live=live, truth_only=True)
    full = chapter.analysed(chapter.grid(["dcnv2"], scales, ["se"], seeds)
                            + chapter.grid(["dcnv2"], [max(scales)], ["me"], seeds), analyses,
                            live=live)
    display(Markdown(f"### {dataset}: {chapter.data_text}\n\nRuns: {collected.text()}. "
                     f"Light analyses: {light.text()}. Full analyses: {full.text()}."))
    P.scale_panels(R.with_shared_base(collected.frame[collected.frame.model.isin(RD.MODELS)]),
                   list(RD.MODELS), title=f"{dataset} (real data): ")
    P.plt.show()
    stored = En.read_ensembles(ensembles.format(dataset=dataset), chapter.base)
    if not stored.empty:
        display(En.ensemble_table(collected.frame, stored))
    for (owner, key), finding in RD.real_findings(collected.frame, light.frame, full.frame,
                                                  stored).items():
        display(Markdown(f"**{owner} / {key}**: " + show_finding(
            owner, key, finding, data=f"{dataset} (real data): {chapter.data_text}",
            column=dataset)))
