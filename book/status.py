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
# One row per finding that a chapter checks: the paper's figure or table, what the paper reports,
# what this build of the book computed, on which data and with which profile, and a verdict
# computed by the chapter itself. The table is generated at build time from the summaries the
# chapters recorded; nothing on this page is typed by hand.

# %% tags=["parameters"]
summary_dir = ""  # empty: the folder of the current build ($ME_CORE_SUMMARY_DIR)

# %% tags=["hide-input", "full-width"]
import html
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd
import torch
import yaml
from IPython.display import HTML, display

import me_core
from me_core.experiments.runs import run_root
from me_core.report import current_profile, load_findings
from me_core.report import summary_dir as default_summary_dir
from me_core.train import read_records
from me_core.train.precision import bf16_speedup, resolve_precision

me_core.setup_notebook()
folder = Path(summary_dir) if summary_dir else default_summary_dir()
findings = load_findings(folder)
colors = {"reproduced": "#2e933c", "partly reproduced": "#edae49", "inconclusive": "#5f7a99",
          "not reproduced": "#d1495b",
          "not run": "#888888"}


def row_html(r: pd.Series) -> str:
    link = f'<a href="../notebooks/{r.chapter}.html">{html.escape(r.chapter)}</a>'
    verdict = (f'<span style="color:{colors[r.verdict]};font-weight:600">'
               f'{html.escape(r.verdict)}</span>')
    reason = f"<br><small>{html.escape(r.reason)}</small>" if r.reason else ""
    cells = [html.escape(r.figure), html.escape(r.finding), html.escape(r.paper),
             html.escape(r.ours), html.escape(r.data), html.escape(r.profile), verdict + reason,
             link]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


header = ["paper figure/table", "finding", "reported in the paper", "this build", "data",
          "profile", "verdict", "chapter"]
if findings.empty:
    display(HTML("<p><em>No chapter recorded a finding in this build.</em></p>"))
else:
    display(HTML('<table class="table"><thead><tr>'
                 + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead><tbody>"
                 + "".join(row_html(r) for _, r in findings.iterrows()) + "</tbody></table>"))
    print(findings.verdict.value_counts().to_string())

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
