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
# # Reproduction status
#
# One row per finding of the paper that a chapter checks, in the book's order (which follows the
# paper's argument): the paper's figure or table, what the paper reports, what this build
# computed, the number of seeds, the evidence behind the verdict (per part: the mean paired
# difference, its 95% interval, the claim's declared minimum effect, and the smallest effect
# this many seeds with this spread would resolve), and the verdict the chapter computed with its
# reason. A dash in the seeds column means the verdict has no seed-paired statistic.
# Illustrations (the appendix's identities, constructed examples, your data and your model)
# follow in their own table and are not counted. The tables are generated at build time from
# what the chapters recorded; nothing on this page is typed by hand.
#
# ## How to read the verdicts
#
# Every claim declares, before any data is seen, what kind of statement it is and the smallest
# effect that would matter (`me_core.companion.claims`; e.g. 0.001 test AUC, 5% of the control's
# IA, a
# correlation of 0.1). Each effect is paired by seed (the two arms of one seed share the data
# and the initialisation's randomness) and gets a 95% Student-t interval, which at 5 seeds is
# 2.78 standard errors wide on each side (4.30 at 3). **Reproduced**: the interval excludes zero
# in the paper's direction and the mean exceeds the minimum effect (for "no meaningful change"
# claims: the interval lies inside the band). **Not reproduced**: the effect is robustly the
# other way (for several parts, beyond a Bonferroni margin over the parts). **No meaningful
# effect**: the interval lies inside plus or minus the minimum effect, so whatever the true
# effect is, it is too small to matter. **Partly reproduced**: some parts of a claim pass and
# the rest are undecided. **Inconclusive**: the seeds cannot tell, or the models did not learn
# (test AUC below 0.55 or fewer than 100 optimiser steps). The table below is measured in this
# build by simulating each rule through the same code (seed differences with standard deviation
# 1, minimum effect 0.5): under no effect, a rule claims an effect, a reversal or a partial
# pass at most about 5% of the time; an effect twice the seed spread is found at 5 seeds about
# 9 times in 10, at 3 seeds about half the time.

# %% tags=["parameters"]
summary_dir = ""  # empty: the folder of the current build ($ME_CORE_SUMMARY_DIR)

# %% tags=["hide-input", "full-width"]
import base64
import html
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd
import torch
import yaml
from IPython.display import HTML, Markdown, display

from me_core.companion import setup_notebook
from me_core.companion.report import (
    current_profile,
    load_findings,
    repository_root,
    status_csv,
    status_view,
)
from me_core.companion.report import summary_dir as default_summary_dir
from me_core.companion.runs import run_root
from me_core.companion.toc import toc_documents
from me_core.stats import calibration_table
from me_core.train import read_records
from me_core.train.precision import bf16_speedup, resolve_precision
from me_core.train.provenance import git_commit

setup_notebook()
folder = Path(summary_dir) if summary_dir else default_summary_dir()
chapters = [d.name for d in toc_documents(repository_root()) if d.is_notebook]
view = status_view(load_findings(folder), chapters)
colors = {"reproduced": "#2e933c", "partly reproduced": "#edae49", "inconclusive": "#5f7a99",
          "no meaningful effect": "#8c6bb1", "not reproduced": "#d1495b", "not run": "#888888"}
columns = {"figure": "paper figure/table", "finding": "finding",
           "paper": "reported in the paper", "ours": "this build", "n": "seeds",
           "margin": "effect [95% interval]; min effect, smallest resolved", "data": "data",
           "profile": "profile", "verdict": "verdict",
           "chapter": "chapter"}


def cell(r: pd.Series, column: str) -> str:
    if column == "chapter":
        return f'<a href="../notebooks/{r.chapter}.html">{html.escape(r.chapter)}</a>'
    if column == "verdict":
        reason = f"<br><small>{html.escape(r.reason)}</small>" if r.reason else ""
        return (f'<span style="color:{colors[r.verdict]};font-weight:600">'
                f"{html.escape(r.verdict)}</span>{reason}")
    if column == "n":
        return "&mdash;" if pd.isna(r.n) else str(int(r.n))
    return html.escape(str(r[column]))


def other_data_cell(r: pd.Series, name: str) -> str:
    """The verdict of the same claim on another data set: verdict, n and evidence, or a dash."""
    rows = view.columns[name]
    if (r.chapter, r.key) not in rows.index:
        return "&mdash;"
    o = rows.loc[(r.chapter, r.key)]
    n = "" if pd.isna(o.n) else f"n = {int(o.n)}; "
    return (f'<span style="color:{colors[o.verdict]};font-weight:600">'
            f"{html.escape(o.verdict)}</span><br><small>{n}{html.escape(o.margin or o.ours)}"
            f"</small>")


def table_html(frame: pd.DataFrame) -> str:
    shown = [c for c in columns if c not in view.shared]
    others = list(view.columns)
    head = "".join(f"<th>{columns[c]}</th>" for c in shown) + "".join(
        f"<th>on {html.escape(name)}</th>" for name in others)
    body = "".join("<tr>" + "".join(f"<td>{cell(r, c)}</td>" for c in shown)
                   + "".join(f"<td>{other_data_cell(r, name)}</td>" for name in others)
                   + "</tr>" for _, r in frame.iterrows())
    return (f'<div style="overflow-x:auto"><table class="table" style="font-size:0.85em">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


rates = calibration_table()
display(Markdown("**Simulated verdict rates of each rule** (share of 2,000 simulated findings; "
                 "true effect in units of the seed standard deviation)"),
        rates.style.format({c: "{:.1%}" for c in rates.columns[3:]}).hide(axis="index"))

if view.paper.empty and view.illustrations.empty:
    display(HTML("<p><em>No chapter recorded a finding in this build.</em></p>"))
else:
    if view.shared:
        display(Markdown("Every row: " + "; ".join(
            f"**{columns[c]}** {html.escape(v)}" for c, v in view.shared.items()) + "."))
    display(Markdown(f"**The paper's findings** ({len(view.paper)}), on the build's main data: "
                     + ", ".join(f"{count} {name}" for name, count in view.tally.items())
                     + "." + "".join(
                         f" On {name} (real data; 'not run': the claim needs a known truth or "
                         f"a run the real-data grid does not have): "
                         + ", ".join(f"{c} {v}" for v, c in tally.items())
                         + "." for name, tally in view.tallies.items())))
    display(HTML(table_html(view.paper)))
    csv_bytes = base64.b64encode(status_csv(view).encode("utf-8")).decode("ascii")
    display(HTML(f'<p><a download="reproduction-status.csv" href="data:text/csv;charset=utf-8;'
                 f'base64,{csv_bytes}">Download this page\'s findings as CSV</a> (every row '
                 f"below too, with the other data sets' verdicts)</p>"))
    if not view.illustrations.empty:
        display(Markdown(f"**Controls and illustrations** ({len(view.illustrations)}, not "
                         f"counted above: tests the paper did not run, judged alike, and "
                         f"identities, constructed examples, your data and your model)"))
        display(HTML(table_html(view.illustrations)))

# %% [markdown]
# ## Environment of this build

# %% tags=["hide-input"]
timings_file = folder / "_timings.json"
timings = yaml.safe_load(timings_file.read_text()) if timings_file.exists() else {}
packages = ["torch", "numpy", "scipy", "scikit-learn", "pandas", "matplotlib", "jupyter-book",
            "myst-nb", "papermill", "jupytext", "ipywidgets"]
versions = {name: metadata.version(name) for name in packages}
built = read_records(run_root() / "records.jsonl")
precisions = pd.Series([r.get("precision", "fp32") for r in built], dtype=object).value_counts()
cpu = torch.device("cpu")
environment = {
    "git commit of this build": git_commit(),
    "built (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
    "profile": current_profile(),
    "python": platform.python_version(),
    "machine": f"{platform.machine()}, {platform.processor() or 'unknown CPU'}",
    "torch threads": torch.get_num_threads(),
    "CUDA device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    "precision of the runs trained in this build": ", ".join(
        f"{name} ({count} runs)" for name, count in precisions.items()) or "no runs",
    "bfloat16 matmul speed-up on this CPU (probe)":
        f"{bf16_speedup(cpu):.2f}x, so precision=auto means {resolve_precision('auto', cpu)}",
    **versions,
}
display(pd.DataFrame({"value": environment}))
if timings:
    times = pd.DataFrame({"execution time (s)": timings}).rename_axis("chapter")
    times.loc["all chapters (sum)"] = times["execution time (s)"].sum()
    display(times.style.format("{:,.0f}"))
