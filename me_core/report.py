"""Chapter summaries for the reproduction-status page.

Each chapter calls :func:`record_finding` once per finding it checks; the book pipeline points
``ME_CORE_SUMMARY_DIR`` at one folder per build and the status page collects every record with
:func:`load_findings`. Records are written atomically, so a crashed chapter never leaves half a
file behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from me_core.files import atomic_write_text, user_cache_root

SUMMARY_DIR_ENV = "ME_CORE_SUMMARY_DIR"
RUN_DIR_ENV = "ME_CORE_RUN_DIR"  # trained runs the chapters share (me_core.experiments.runs)
PROFILE_ENV = "ME_CORE_PROFILE"
VERDICTS = ("reproduced", "partly reproduced", "inconclusive", "not reproduced", "not run")

__all__ = ["summary_dir", "current_profile", "record_finding", "load_findings", "verdict",
           "resolve"]


def repository_root() -> Path:
    """The checkout this package lives in (falls back to the working directory)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").exists() else Path.cwd()


def interactive_root() -> Path:
    """Where a chapter run outside ``python -m me_core book`` (Jupyter, papermill) keeps its
    findings and trained runs unless $ME_CORE_SUMMARY_DIR / $ME_CORE_RUN_DIR say otherwise:
    ``<me_core cache>/interactive``, outside the repository, so it never touches a build."""
    return user_cache_root() / "interactive"


def summary_dir() -> Path:
    """The findings folder: $ME_CORE_SUMMARY_DIR (a book build sets it), else
    :func:`interactive_root`/summaries."""
    if os.environ.get(SUMMARY_DIR_ENV):
        return Path(os.environ[SUMMARY_DIR_ENV])
    return interactive_root() / "summaries"


def current_profile() -> str:
    return os.environ.get(PROFILE_ENV, "interactive")


def record_finding(
    chapter: str, key: str, *, figure: str, finding: str, paper: str, ours: str, verdict: str,
    data: str, reason: str = "",
) -> dict[str, Any]:
    """Store one finding of ``chapter`` (one JSON file per chapter and key)."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    record = dict(chapter=chapter, key=key, figure=figure, finding=finding, paper=paper,
                  ours=ours, verdict=verdict, data=data, reason=reason,
                  profile=current_profile())
    atomic_write_text(summary_dir() / f"{chapter}--{key}.json", json.dumps(record, indent=1))
    return record


def load_findings(directory: Path | None = None) -> pd.DataFrame:
    """All findings recorded in ``directory`` (default: this build's summary folder)."""
    directory = Path(directory) if directory else summary_dir()
    rows = [json.loads(p.read_text()) for p in sorted(directory.glob("*--*.json"))]
    columns = ["chapter", "key", "figure", "finding", "paper", "ours", "verdict", "data",
               "reason", "profile"]
    return pd.DataFrame(rows, columns=columns)


def verdict(shows: bool, partly: bool = False) -> str:
    """The verdict of a finding: it showed, it showed in part, or it did not."""
    return "reproduced" if shows else ("partly reproduced" if partly else "not reproduced")


def resolve(path: str | Path) -> Path:
    """A path parameter of a chapter: absolute as given, else relative to the repository root
    (notebooks execute in ``notebooks/``, so parameters name paths from the root)."""
    path = Path(path).expanduser()
    return path if path.is_absolute() else repository_root() / path
