"""``python -m me_core findings``: the verdicts of an executed chapter or a findings folder,
outside the built book."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from me_core.cli.common import add_command, fail, output_file_problem

_GLUE = "application/papermill.record/text/markdown"


def add_to(commands) -> None:
    fi = add_command(
        commands, "findings", help="print the findings of an executed chapter or a folder",
        description="Print every finding of an executed notebook (.ipynb, from Jupyter, "
                    "papermill or nbconvert: the sentences its cells glued) or of a findings "
                    "folder (a build's summaries/, or one run's folder under "
                    "~/.cache/me-core/interactive/summaries/), and optionally write a "
                    "reproduction-status table for a folder.",
        examples=["python -m me_core findings out.ipynb",
                  "python -m me_core findings _build/summaries --status status.md"],
    )
    fi.add_argument("path", type=Path, help="an executed .ipynb or a folder of findings")
    fi.add_argument("--status", type=Path, default=None, metavar="OUT.md",
                    help="a folder only: also write its findings as a Markdown table "
                         "(default: none)")
    fi.set_defaults(func=run)


def notebook_findings(path: Path) -> list[tuple[str, str]]:
    """(name, sentence) of every Markdown glued in an executed notebook."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(_GLUE)
            if name and text:
                out.append((name, text if isinstance(text, str) else "".join(text)))
    return out


def run(args: argparse.Namespace) -> int:
    from me_core.companion.report import load_findings

    path = args.path
    if problem := output_file_problem("--status", args.status):
        return fail("findings", problem)
    if path.suffix == ".ipynb":
        if args.status is not None:
            return fail("findings", "--status takes a folder of findings, not a notebook")
        try:
            found = notebook_findings(path)
        except (OSError, ValueError) as exc:
            return fail("findings", f"{path}: not a readable notebook ({exc})")
        verdicts = [(n, t) for n, t in found if any(
            v in t for v in ("reproduced", "inconclusive", "no meaningful effect", "not run"))]
        if not verdicts:
            return fail("findings", f"{path}: no findings (was it executed?)")
        for name, text in verdicts:
            print(f"{name}: {text}\n")
        return 0
    if not path.is_dir():
        return fail("findings", f"{path}: no such notebook or folder")
    frame = load_findings(path)
    if frame.empty:
        return fail("findings", f"{path}: no findings here (*--*.json)")
    for _, r in frame.iterrows():
        column = f" [{r.column}]" if r.column else ""
        print(f"{r.chapter}/{r.key}{column} ({r.figure}): {r.verdict}\n  {r.ours}\n"
              f"  {r.reason}\n")
    if args.status is not None:
        rows = ["| figure | finding | data | verdict | seeds | evidence |",
                "|---|---|---|---|---|---|"]
        rows += [f"| {r.figure} | {r.finding} | {r.column or 'main'} | {r.verdict} | "
                 f"{'' if r.n != r.n or r.n is None else int(r.n)} | "
                 f"{str(r.margin).replace('|', '/')} |" for _, r in frame.iterrows()]
        args.status.write_text("\n".join(rows) + "\n", encoding="utf-8")
        print(f"status table: {args.status}")
    return 0
