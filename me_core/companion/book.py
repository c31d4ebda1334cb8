"""Execute the book's notebooks under a named parameter profile, then build the Jupyter Book.

One execution serves tests and book: every notebook listed in ``_toc.yml`` is converted from
jupytext py:percent, executed once by papermill with the profile's parameters injected, and
written as ``.ipynb`` into a staging copy of the book; Jupyter Book 1 then builds that copy with
execution switched off, in strict mode (warnings are errors). Profiles live in
``notebooks/profiles.yml``:

* ``smoke``  seconds per notebook; what the tests run;
* ``quick``  the default book, a few minutes per notebook on 2 CPU cores;
* ``paper``  the paper's settings (GPU, Criteo/Avazu).

Chapters run first (in parallel when ``jobs > 1``); pages under ``book/`` that are notebooks (the
reproduction-status page) run after them, because they read what the chapters recorded.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable

import yaml

from me_core import environment
from me_core.companion import publish
from me_core.companion.report import PROFILE_ENV, RUN_DIR_ENV, SUMMARY_DIR_ENV, repository_root
from me_core.companion.toc import (
    PROTOCOL_OVERRIDES,
    BookError,
    Document,
    chapter_parameters,
    notebook_parameters,
    read_notebook,
    toc_documents,
)
from me_core.files import atomic_write_text
from me_core.runtime import THREADS_ENV

PROFILES_FILE = Path("notebooks") / "profiles.yml"
# seconds each chapter took in the last measured build of a profile: only the order in which
# chapters start depends on it (longest first, so that no long chapter runs alone at the end)
TIMINGS_FILE = Path("notebooks") / "timings.yml"
_BOOK_EXTRA_DIRS = ("book/_extra", "book/_assets")

__all__ = ["BookError", "load_profiles", "toc_documents", "read_notebook", "notebook_parameters",
           "chapter_parameters", "build"]


def load_profiles(root: Path) -> dict[str, dict[str, dict[str, Any]]]:
    path = root / PROFILES_FILE
    profiles = yaml.safe_load(path.read_text()) or {}
    if not isinstance(profiles, dict):
        raise BookError(f"{path}: expected a mapping of profile -> notebook -> parameters")
    return profiles


def longest_first(documents: list[Document], seconds: dict[str, float]) -> list[Document]:
    """``documents`` in the order to start them on a few workers: by their measured
    ``seconds``, longest first; chapters without a time first of all (a new chapter may be
    long), in their table-of-contents order."""
    unknown = [d for d in documents if d.path not in seconds]
    known = sorted((d for d in documents if d.path in seconds), key=lambda d: -seconds[d.path])
    return unknown + known


def _measured_seconds(root: Path, profile: str) -> dict[str, float]:
    path = root / TIMINGS_FILE
    if not path.exists():
        return {}
    timings = (yaml.safe_load(path.read_text()) or {}).get(profile) or {}
    return {str(k): float(v) for k, v in timings.items()}


def check_parameter(key: str, value: Any, default: Any, where: str) -> None:
    """A parameter value must have the type of the parameters cell's default (an int where a
    float is expected is fine); a protocol override whose default is None must have the
    override's type (:data:`PROTOCOL_OVERRIDES`); any other default of None accepts
    anything."""
    if value is None:
        return
    if default is None:
        wanted = PROTOCOL_OVERRIDES[key][1] if key in PROTOCOL_OVERRIDES else None
        if wanted is not None and (not isinstance(value, wanted) or isinstance(value, bool)):
            raise BookError(f"parameter {key}={value!r} ({where}): expected "
                            f"{'an int' if wanted is int else 'a str'} or null (the "
                            f"protocol's value)")
        return
    kinds = {bool: (bool,), int: (int,), float: (int, float), str: (str,), list: (list, tuple),
             dict: (dict,)}
    allowed = kinds.get(type(default), (type(default),))
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise BookError(f"parameter {key}={value!r} ({where}): expected a "
                        f"{type(default).__name__} like the default {default!r}")


def _check_profile(profiles: dict, profile: str, documents: list[Document]) -> dict:
    if profile not in profiles:
        raise BookError(f"unknown profile {profile!r}; choose one of {sorted(profiles)}")
    chosen = profiles[profile] or {}
    names = {d.name: d for d in documents if d.is_notebook}
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        raise BookError(f"profile {profile!r} names notebooks not in _toc.yml: {unknown}; "
                        f"notebooks are {sorted(names)}")
    for name, params in chosen.items():
        try:
            declared = chapter_parameters(read_notebook(names[name].source))
        except BookError as exc:
            raise BookError(f"{names[name].source}: {exc}") from None
        extra = sorted(set(params or {}) - set(declared))
        if extra:
            raise BookError(f"profile {profile!r}, notebook {name!r}: it does not accept the "
                            f"parameters {extra} (its parameters cell declares "
                            f"{sorted(declared)})")
    return chosen


def _build_kernel_manager(env: dict[str, str]) -> type:
    """A kernel manager whose kernels get ``env`` on top of this process's environment (the
    build's findings folder, profile and threads): the build never changes its caller's
    ``os.environ``.

    It also keeps shutdowns quiet: jupyter_client 8 interrupts a kernel (SIGINT) before it
    asks it to shut down, so every executed notebook ended with "KeyboardInterrupt caught in
    kernel" in the build log, an ERROR that is not one. A finished notebook has nothing to
    interrupt, so the interrupt is skipped while shutting down (an interrupt during
    execution, e.g. on a cell timeout, is unchanged)."""
    from jupyter_client.manager import AsyncKernelManager

    class BuildKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = {**(kw.get("env") or os.environ), **env}
            return await super()._async_pre_start_kernel(**kw)

        async def _async_interrupt_kernel(self) -> None:
            if not self.shutting_down:
                await super()._async_interrupt_kernel()

    return BuildKernelManager


class _OverridesAreKnown(logging.Filter):
    """papermill warns of each parameter that a parameters cell does not assign; a protocol
    override is accepted by a training chapter without one (:func:`chapter_parameters`), so
    its warning would be noise in the build log (the build checked every parameter first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith("Passed unknown parameter: ")
                    and message.split(": ", 1)[1] in PROTOCOL_OVERRIDES)


def _execute(document: Document, target: Path, parameters: dict[str, Any],
             env: dict[str, str]) -> float:
    import papermill

    papermill_log = logging.getLogger("papermill")
    if not any(isinstance(f, _OverridesAreKnown) for f in papermill_log.filters):
        papermill_log.addFilter(_OverridesAreKnown())
    start = time.perf_counter()
    notebook = read_notebook(document.source)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            notebook, str(target), parameters=parameters, kernel_name="python3",
            cwd=str(document.source.parent), progress_bar=False, log_output=False,
            # the kernel listens on localhost only; its per-notebook "running over TCP without
            # encryption" warning is noise in the build log (kernel errors still show)
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            kernel_manager_class=_build_kernel_manager(env),
        )
    except papermill.PapermillExecutionError as exc:
        raise BookError(f"{document.source}: cell {exc.exec_count} raised {exc.ename}: "
                        f"{exc.evalue} (executed notebook kept at {target})") from None
    _collapse_parameters(target)
    return time.perf_counter() - start


def _collapse_parameters(path: Path) -> None:
    """Collapse papermill's injected-parameters cell on the page, as the notebooks' own
    parameters cells are (tag ``hide-input``: the values stay one click away)."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=4)
    changed = False
    for cell in notebook.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
            changed = True
    if changed:
        nbformat.write(notebook, str(path))


def _stage_sources(root: Path, stage: Path, documents: list[Document],
                   repository: str | None) -> None:
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    config = yaml.safe_load((root / "_config.yml").read_text())
    config = publish.apply_repository(config, repository)
    config.setdefault("execute", {})["execute_notebooks"] = "off"
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    shutil.copy2(root / "_toc.yml", stage / "_toc.yml")
    for document in documents:
        if not document.is_notebook:
            target = stage / document.source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(document.source, target)
    for extra in _BOOK_EXTRA_DIRS:
        if (root / extra).exists():
            shutil.copytree(root / extra, stage / extra)
    for name in ("references.bib", "logo.png"):
        if (root / name).exists():
            shutil.copy2(root / name, stage / name)


BUILD_MARK = ".me_core-build"


def claim_build_dir(build_dir: Path, default: bool = False) -> None:
    """Make sure ``build_dir`` is ours to write into: new, empty, or marked by an earlier
    build (the repository's own ``_build`` counts as ours). A folder that holds anything
    else is refused, so a build never deletes files it did not make."""
    mark = build_dir / BUILD_MARK
    if build_dir.exists() and not build_dir.is_dir():
        raise BookError(f"--build-dir {build_dir}: is a file, not a folder")
    if build_dir.is_dir() and not mark.exists() and not default and any(build_dir.iterdir()):
        raise BookError(f"--build-dir {build_dir}: the folder is not empty and was not made by "
                        f"'me_core book' (no {BUILD_MARK}); a build would replace its src/, "
                        f"runs/ and summaries/. Choose a new or empty folder")
    build_dir.mkdir(parents=True, exist_ok=True)
    if not mark.exists():
        atomic_write_text(mark, "a book build folder of me_core: 'python -m me_core book' "
                                "may replace src/, runs/, summaries/, jb/ and html/ here\n")


def _jupyter_book_command() -> list[str]:
    script = Path(sys.executable).with_name("jupyter-book")
    return [str(script)] if script.exists() else ["jupyter-book"]


def build(
    profile: str = "quick", build_dir: Path | None = None, *, root: Path | None = None,
    only: Iterable[str] | None = None, jobs: int = 2, html: bool = True,
    overrides: dict[str, Any] | None = None, repository_url: str | None = None, echo=print,
) -> Path:
    """Execute every notebook with ``profile`` and build the HTML book; return the html folder.

    ``only`` restricts execution to the named notebooks (the HTML build then needs all of them,
    so ``only`` implies ``html=False``). ``overrides`` set a parameter in every notebook that
    accepts it (:func:`chapter_parameters`: its parameters cell declares it, or it is a
    protocol override of a training chapter), on top of the profile (e.g. a Criteo path for
    all chapters).
    ``repository_url`` is the repository the launch and repository buttons link to (default:
    $ME_CORE_REPOSITORY_URL, then the git remote origin; none known: no such buttons).
    """
    root = Path(root or repository_root()).resolve()
    build_dir = Path(build_dir or root / "_build").resolve()
    documents = toc_documents(root)
    chosen = _check_profile(load_profiles(root), profile, documents)
    notebooks = [d for d in documents if d.is_notebook]
    if only is not None:
        only = set(only)
        missing = only - {d.name for d in notebooks}
        if missing:
            raise BookError(f"--only: unknown notebooks {sorted(missing)}; "
                            f"choose from {sorted(d.name for d in notebooks)}")
        notebooks = [d for d in notebooks if d.name in only]
        html = False

    declared = {d.name: chapter_parameters(read_notebook(d.source)) for d in notebooks}
    overrides = dict(overrides or {})
    unused = sorted(k for k in overrides if not any(k in p for p in declared.values()))
    if unused:
        raise BookError(f"no notebook accepts the parameter(s) {unused}")
    for name, params in declared.items():
        given = {**(chosen.get(name) or {}),
                 **{k: v for k, v in overrides.items() if k in params}}
        for key, value in given.items():
            check_parameter(key, value, params[key], f"notebook {name!r}")

    try:
        repository = publish.repository_url(root, repository_url)
        branch = publish.launch_branch(root) if repository else None
    except ValueError as exc:
        raise BookError(str(exc)) from None
    if repository:
        echo(f"[{profile}] launch buttons: {repository}, branch {branch}")
    else:
        echo(f"[{profile}] launch buttons off: no repository URL (--repository-url, "
             f"${publish.REPOSITORY_URL_ENV} or a git remote 'origin')")
    claim_build_dir(build_dir, default=build_dir == (root / "_build").resolve())
    stage = build_dir / "src"
    summaries = build_dir / "summaries"
    if only is None:
        # a full build starts clean: trained runs are shared by the chapters of one build only
        # (stale runs of older code are never reused), unless ME_CORE_RUN_DIR points at a
        # folder of finished runs
        _stage_sources(root, stage, documents, repository)
        for folder in [summaries] + ([] if environment.value(RUN_DIR_ENV) else
                                     [build_dir / "runs"]):
            if folder.exists():
                shutil.rmtree(folder)
    else:
        # --only: the other chapters' executed notebooks, findings and trained runs stay; the
        # chosen chapters' findings are replaced, and their runs are reused where finished
        if not (stage / "_toc.yml").exists():
            _stage_sources(root, stage, documents, repository)
        for document in notebooks:
            for old in summaries.glob(f"{document.name}--*.json"):
                old.unlink()
        kept = len(list((build_dir / "runs").glob("*/record.json")))
        if kept and not environment.value(RUN_DIR_ENV):
            echo(f"[{profile}] --only: keeping {build_dir / 'runs'} ({kept} finished runs of "
                 f"the previous build are reused; delete the folder to retrain them)")
    summaries.mkdir(parents=True, exist_ok=True)
    kernel_env = {SUMMARY_DIR_ENV: str(summaries), PROFILE_ENV: profile,
                  THREADS_ENV: environment.value(THREADS_ENV) or "1"}

    chapters = longest_first([d for d in notebooks if not d.path.startswith("book/")],
                             _measured_seconds(root, profile))
    pages = [d for d in notebooks if d.path.startswith("book/")]
    timings: dict[str, float] = {}
    failures: list[str] = []

    def run(document: Document) -> None:
        target = stage / f"{document.path}.ipynb"
        params = dict(chosen.get(document.name) or {})
        params.update({k: v for k, v in overrides.items() if k in declared[document.name]})
        echo(f"[{profile}] executing {document.source.relative_to(root)} {params or ''}")
        try:
            seconds = _execute(document, target, params, kernel_env)
        except BookError as exc:
            failures.append(str(exc))
            echo(f"[{profile}] FAILED {exc}")
            return
        timings[document.path] = round(seconds, 1)
        echo(f"[{profile}] done {document.path} in {seconds:.1f} s")

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(run, chapters))
    timing_file = summaries / "_timings.json"
    if only is not None and timing_file.exists():  # keep the other chapters' times
        timings = {**(yaml.safe_load(timing_file.read_text()) or {}), **timings}
    atomic_write_text(timing_file, yaml.safe_dump(timings))
    if not failures:
        for page in pages:
            run(page)
    if failures:
        raise BookError(f"{len(failures)} notebook(s) failed:\n" + "\n".join(failures))
    if not html:
        for document in notebooks:
            echo(f"[{profile}] executed notebook: {stage / (document.path + '.ipynb')}")
        echo(f"[{profile}] findings: {summaries}; trained runs: "
             f"{environment.value(RUN_DIR_ENV) or build_dir / 'runs'}")
        return stage

    out = build_dir / "jb"
    command = [*_jupyter_book_command(), "build", str(stage), "--path-output", str(out),
               "--all", "-W", "-n", "--keep-going"]
    echo(f"[{profile}] building the book: {' '.join(command)}")
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BookError(f"jupyter-book build failed (exit {result.returncode}):\n"
                        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    final = build_dir / "html"
    if final.exists():
        shutil.rmtree(final)
    os.replace(out / "_build" / "html", final)
    echo(f"[{profile}] book written to {final}")
    return final
