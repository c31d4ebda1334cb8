"""Chapter summaries for the reproduction-status page.

Each chapter reports a finding once through the companion (``Chapter.report`` or
:func:`show_finding`, which records it with :func:`record_finding`; chapters never call
:func:`record_finding` themselves, a test checks it); the book pipeline points
``ME_CORE_SUMMARY_DIR`` at one folder per build and the status page collects every record with
:func:`load_findings`. Records are written atomically, so a crashed chapter never leaves half a
file behind.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from me_core import environment
from me_core.companion.claims import claim
from me_core.files import atomic_write_text, user_cache_root
from me_core.stats import VERDICTS, Finding, smallest_resolved

SUMMARY_DIR_ENV = environment.SUMMARY_DIR
RUN_DIR_ENV = environment.RUN_DIR  # trained runs the chapters share (me_core.companion.runs)
PROFILE_ENV = environment.PROFILE
FINDING_KINDS = ("paper", "control", "illustration")

__all__ = ["summary_dir", "in_book_build", "current_profile", "record_finding", "show_finding",
           "glue_text", "load_findings", "resolve", "evidence_summary", "status_view", "status_csv",
           "StatusView", "FINDING_KINDS"]


def repository_root() -> Path:
    """The checkout this package lives in (falls back to the working directory)."""
    root = Path(__file__).resolve().parents[2]  # me_core/companion/report.py -> the checkout
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def interactive_root() -> Path:
    """Where a chapter run outside ``python -m me_core book`` (Jupyter, papermill) keeps its
    findings and trained runs unless $ME_CORE_SUMMARY_DIR / $ME_CORE_RUN_DIR say otherwise:
    ``<me_core cache>/interactive``, outside the repository, so it never touches a build."""
    return user_cache_root() / "interactive"


_RUN_ID = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"


def summary_dir() -> Path:
    """The findings folder: $ME_CORE_SUMMARY_DIR (a book build sets it), else one folder per
    interactive or papermill run (:func:`interactive_root`/summaries/<date-time-pid>), so a
    later run never overwrites an earlier one's findings."""
    if chosen := environment.value(SUMMARY_DIR_ENV):
        return Path(chosen)
    return interactive_root() / "summaries" / _RUN_ID


def in_book_build() -> bool:
    """Whether this process executes a chapter for ``python -m me_core book`` (which points
    $ME_CORE_SUMMARY_DIR at the build)."""
    return bool(environment.value(SUMMARY_DIR_ENV))


def current_profile() -> str:
    return environment.value(PROFILE_ENV) or "interactive"


def _num(value: float) -> str:
    return f"{value:+.3g}" if value == value else "nan"


def evidence_summary(evidence: Any) -> tuple[int | None, str]:
    """(n seeds, text) of a finding's evidence for the status page: per judged part of a
    :class:`me_core.stats.Finding`, the mean paired effect, its 95% interval, the declared
    minimum effect and the smallest effect this n and spread resolve
    (:func:`me_core.stats.smallest_resolved`); for bare effects (a dict of named
    ``PairedEffect``, one ``PairedEffect``) the mean and interval. None when there is no
    paired statistic. n is the smallest seed count among the effects."""
    if evidence is None:
        return None, ""
    parts = getattr(evidence, "parts", ())
    if parts:
        judged = [p for p in parts if p.effect.n]
        if not judged:
            return None, ""
        texts = []
        for p in judged:
            interval = (f" [{_num(p.interval[0])}, {_num(p.interval[1])}]"
                        if p.effect.n > 1 else "")
            resolved = smallest_resolved(p.effect)
            texts.append(f"{p.name + ': ' if p.name else ''}{_num(p.effect.mean)}{interval}; "
                         f"min effect {p.threshold:.3g}"
                         + (f", resolves {resolved:.2g}" if resolved == resolved else ""))
        return min(p.effect.n for p in judged), " · ".join(texts)
    effects = evidence if isinstance(evidence, dict) else getattr(evidence, "effects", None)
    effects = effects if effects is not None else {"": evidence}
    effects = {name: e for name, e in effects.items() if getattr(e, "n", 0)}
    if not effects:
        return None, ""
    texts = []
    for name, effect in effects.items():
        lo, hi = effect.interval()
        interval = f" [{_num(lo)}, {_num(hi)}]" if effect.n > 1 else ""
        texts.append(f"{name + ': ' if name else ''}{_num(effect.mean)}{interval}")
    return min(e.n for e in effects.values()), " · ".join(texts)


def record_finding(
    chapter: str, key: str, *, figure: str, finding: str, paper: str, ours: str, verdict: str,
    data: str, reason: str = "", evidence: Any = None, kind: str = "paper", column: str = "",
) -> dict[str, Any]:
    """Store one finding of ``chapter`` (one JSON file per chapter, key and column).

    ``column``: empty for the book's main data (the synthetic benchmark in the quick book), or
    the name of another data set the same claim is judged on (a real table): the status page
    shows it as a column of its own, with its own n and interval.

    ``evidence``: the paired effects behind the verdict (a ``stats.Finding`` or
    ``PairedEffect``); the status page shows their seed count, 95% intervals, minimum effects
    and the smallest effects their n resolves (:func:`evidence_summary`). ``kind``: ``paper``
    (a finding of the paper, tallied) or ``illustration`` (a constructed example, an
    identity, the reader's own data or model: shown, not tallied).
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if kind not in FINDING_KINDS:
        raise ValueError(f"kind must be one of {FINDING_KINDS}, got {kind!r}")
    n, margin = evidence_summary(evidence)
    record = dict(chapter=chapter, key=key, figure=figure, finding=finding, paper=paper,
                  ours=ours, verdict=verdict, data=data, reason=reason,
                  profile=current_profile(), n=n, margin=margin, kind=kind, column=column,
                  order=time.time_ns())
    suffix = f"--{column}" if column else ""
    atomic_write_text(summary_dir() / f"{chapter}--{key}{suffix}.json",
                      json.dumps(record, indent=1))
    return record


def finding_text(finding: Finding, *, lead: str = "", readings: dict[str, str] | None = None,
                 source: str = "") -> str:
    """The sentence a chapter shows for a finding: ``{lead}{ours}: {verdict} ({reason}).``, then
    the reading for that verdict (``readings[verdict]``, else ``readings["otherwise"]``), then
    ``Data: {source}.`` when the chapter says where its numbers come from."""
    text = f"{lead}{finding.ours}: {finding.verdict}" + (
        f" ({finding.reason})." if finding.reason else ".")
    reading = (readings or {}).get(finding.verdict, (readings or {}).get("otherwise", ""))
    return text + (f" {reading}" if reading else "") + (f" Data: {source}." if source else "")


def glue_text(name: str, text: str) -> None:
    """Glue ``text`` as Markdown under ``name`` for the page's ``{glue:md}`` role (a no-op
    outside a notebook kernel)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown
        from myst_nb import glue
    except ImportError:  # the book extra is not installed: nothing to glue into
        return
    if get_ipython() is not None:
        glue(name, Markdown(text), display=False)


def show_finding(chapter: str, key: str, finding: Finding, *, data: str = "", lead: str = "",
                 readings: dict[str, str] | None = None, source: str = "",
                 column: str = "") -> str:
    """Record ``finding`` for the status page against its claim
    (:func:`me_core.companion.claims.claim`)
    and glue its sentence (:func:`finding_text`, with the claim's readings unless ``readings``
    overrides them) under ``key`` (``chapter--key--column`` with a ``column``: two chapters'
    claims may share a key) for the chapter's prose;
    returns the sentence. ``data``: the chapter's data line (the claim's note is added to it,
    or replaces it for a finding on data of its own); ``column``: another data set's verdict on
    the same claim (:func:`record_finding`)."""
    said = claim(chapter, key)
    if said.own_data or not data:
        data = said.data_note or data
    elif said.data_note:
        data = f"{data}; {said.data_note}"
    record_finding(chapter, key, figure=said.figure, finding=said.finding, paper=said.paper,
                   ours=finding.ours, verdict=finding.verdict, data=data,
                   reason=finding.reason, evidence=finding if finding.effects else None,
                   kind=said.kind, column=column)
    text = finding_text(finding, lead=lead, readings={**said.readings, **(readings or {})},
                        source=source)
    glue_text(f"{chapter}--{key}--{column}" if column else key, text)
    if not in_book_build():  # Jupyter, papermill, nbconvert: the verdict is the cell's output
        _display_markdown(f"**{said.figure}**: {text}")
    return text


def _display_markdown(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Markdown(text))


def load_findings(directory: Path | None = None) -> pd.DataFrame:
    """All findings recorded in ``directory`` (default: this build's summary folder), in the
    order they were recorded."""
    directory = Path(directory) if directory else summary_dir()
    rows = [json.loads(p.read_text()) for p in sorted(directory.glob("*--*.json"))]
    columns = ["chapter", "key", "figure", "finding", "paper", "ours", "verdict", "data",
               "reason", "profile", "n", "margin", "kind", "column", "order"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["kind"] = frame["kind"].fillna("paper")
    frame["column"] = frame["column"].fillna("")
    frame["margin"] = frame["margin"].fillna("")
    frame["order"] = frame["order"].fillna(0)
    return frame.sort_values("order", kind="stable").reset_index(drop=True)


@dataclass
class StatusView:
    """The reproduction-status page's content: the paper's findings in book order (tallied),
    the controls and illustrations apart (not tallied), the columns whose value every row
    shares, and the verdicts on other data sets (``columns``: data set -> its rows, keyed by
    chapter and key like the main rows, each with its own tally)."""

    paper: pd.DataFrame
    illustrations: pd.DataFrame
    shared: dict[str, str]
    tally: pd.Series
    columns: dict[str, pd.DataFrame] = field(default_factory=dict)
    tallies: dict[str, pd.Series] = field(default_factory=dict)


def _tally(frame: pd.DataFrame) -> pd.Series:
    tally = frame.verdict.value_counts().reindex(VERDICTS, fill_value=0)
    return tally[tally > 0]


def status_view(findings: pd.DataFrame, chapter_order: Sequence[str]) -> StatusView:
    """Split and order ``findings`` (from :func:`load_findings`) for the status page: rows by
    the chapters' order in the book (which follows the paper's argument), then by the order
    the chapter recorded them; ``data`` and ``profile`` said once when every row has the same;
    the findings of other data sets (``column``) apart, one frame per data set."""
    rank = {name: i for i, name in enumerate(chapter_order)}
    if "column" not in findings:
        findings = findings.assign(column="")
    ordered = findings.assign(_rank=findings.chapter.map(lambda c: rank.get(c, len(rank))))
    ordered = ordered.sort_values(["_rank", "order"], kind="stable").drop(columns="_rank")
    main, other = ordered[ordered.column == ""], ordered[ordered.column != ""]
    shared = {column: str(main[column].iloc[0]) for column in ("data", "profile")
              if len(main) and main[column].nunique() == 1}
    paper = main[main.kind == "paper"].reset_index(drop=True)
    columns = {name: part.set_index(["chapter", "key"])
               for name, part in other.groupby("column", sort=True)}
    tallies = {name: _tally(part[part.kind == "paper"]) for name, part in columns.items()}
    return StatusView(paper, main[main.kind != "paper"].reset_index(drop=True), shared,
                      _tally(paper), columns, tallies)


STATUS_CSV_COLUMNS = ("chapter", "key", "kind", "figure", "finding", "paper", "ours", "n",
                      "margin", "verdict", "reason", "data", "profile")


def status_csv(view: StatusView) -> str:
    """The status page's rows as CSV: the paper's findings, then the controls and
    illustrations, with every shared column spelled out and, per other data set, its verdict,
    n and evidence (``<data set> verdict``, ``<data set> n``, ``<data set> margin``)."""
    rows = pd.concat([view.paper, view.illustrations], ignore_index=True)
    for name, value in view.shared.items():
        rows[name] = value
    table = rows.reindex(columns=list(STATUS_CSV_COLUMNS))
    for name, other in view.columns.items():
        matched = other.reindex(pd.MultiIndex.from_frame(rows[["chapter", "key"]]))
        for column in ("verdict", "n", "margin"):
            table[f"{name} {column}"] = matched[column].to_numpy()
    return table.to_csv(index=False)


def resolve(path: str | Path) -> Path:
    """A path parameter of a chapter: absolute as given, else relative to the repository root
    (notebooks execute in ``notebooks/``, so parameters name paths from the root)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else repository_root() / path
