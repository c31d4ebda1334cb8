"""Publishing the book: the repository it links to, and the notebooks its launch buttons open.

The launch buttons (Binder, Colab; configured in ``_config.yml``) and the repository button need
the repository's URL. A clone cannot be sure of it, so the book command takes it from, in order,
``--repository-url``, the ``ME_CORE_REPOSITORY_URL`` variable (the publishing workflow sets it
from the CI system), or the git remote ``origin``; with none, the book is built without those
buttons rather than with links to a wrong place.

The book's pages are built from executed ``.ipynb`` files, so the buttons open
``notebooks/<chapter>.ipynb`` on the branch named by ``repository.branch`` in ``_config.yml``
(``launch``). :func:`write_launch_notebooks` writes
those files from the jupytext sources; the workflow commits them on top of ``main`` and pushes
that branch. Binder builds it from ``environment.yml``; on Colab, which ignores that file, the
notebooks' first cell clones the branch and installs ``me_core``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from me_core import environment

REPOSITORY_URL_ENV = environment.REPOSITORY_URL

_SSH_REMOTE = re.compile(r"^(?:ssh://)?git@(?P<host>[^:/]+)[:/](?P<path>.+?)(?:\.git)?/?$")
_HTTP_REMOTE = re.compile(r"^(?P<scheme>https?)://(?:[^@/]+@)?(?P<host>[^/]+)/(?P<path>.+?)"
                          r"(?:\.git)?/?$")

__all__ = ["REPOSITORY_URL_ENV", "normalize_repository_url", "repository_url", "launch_branch",
           "apply_repository", "write_launch_notebooks"]


def normalize_repository_url(url: str, source: str = "repository URL") -> str:
    """``https://HOST/OWNER/REPO`` from an https or ssh git URL; ValueError naming ``source``."""
    text = url.strip()
    match = _HTTP_REMOTE.match(text)
    if match:
        scheme, host, path = match["scheme"], match["host"], match["path"]
    elif (match := _SSH_REMOTE.match(text)):
        scheme, host, path = "https", match["host"], match["path"]
    else:
        raise ValueError(f"{source} {url!r}: expected https://HOST/OWNER/REPO "
                         f"(or git@HOST:OWNER/REPO.git)")
    if len([part for part in path.split("/") if part]) < 2:
        raise ValueError(f"{source} {url!r}: expected an OWNER/REPO path after the host")
    return f"{scheme}://{host}/{path.strip('/')}"


def repository_url(root: Path, explicit: str | None = None) -> str | None:
    """The repository URL from ``explicit``, then $ME_CORE_REPOSITORY_URL, then git's origin."""
    if explicit:
        return normalize_repository_url(explicit, "--repository-url")
    if chosen := environment.value(REPOSITORY_URL_ENV):
        return normalize_repository_url(chosen, REPOSITORY_URL_ENV)
    try:
        origin = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    try:
        return normalize_repository_url(origin, "git remote 'origin'")
    except ValueError:
        return None  # a local path or an unusual remote: no buttons rather than wrong ones


def launch_branch(root: Path) -> str:
    """The branch the launch buttons open (``repository.branch`` in ``_config.yml``)."""
    import yaml

    config = yaml.safe_load((Path(root) / "_config.yml").read_text()) or {}
    branch = (config.get("repository") or {}).get("branch")
    if not branch:
        raise ValueError(f"{Path(root) / '_config.yml'}: repository.branch is not set")
    return str(branch)


def apply_repository(config: dict[str, Any], url: str | None) -> dict[str, Any]:
    """The Jupyter Book config with ``url`` as the repository and its buttons switched on.

    ``_config.yml`` leaves ``repository.url`` empty. With ``url`` None the launch buttons are
    dropped: sphinx-book-theme fails on an executed .ipynb page with launch buttons and no URL.
    """
    config = dict(config)
    if url is None:
        config.pop("launch_buttons", None)
        return config
    config["repository"] = {**(config.get("repository") or {}), "url": url}
    config["html"] = {**(config.get("html") or {}), "use_repository_button": True,
                      "use_issues_button": True}
    return config


_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")


def check_branch(branch: str) -> str:
    """A branch name safe to paste into the generated setup cell (git's usual characters)."""
    if not _BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".", "/", ".lock")):
        raise ValueError(f"branch {branch!r}: not a plain git branch name (letters, digits, "
                         f"'.', '_', '-', '/')")
    return branch


def _colab_setup_cell(url: str, branch: str):
    import nbformat

    check_branch(branch)

    source = f'''\
# On Colab: fetch this repository's `{branch}` branch and install me_core, as Binder does from
# environment.yml. Anywhere else this cell does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    if not os.path.exists("/content/me_core"):
        subprocess.run(["git", "clone", "--depth", "1", "--branch", {json.dumps(branch)},
                        {json.dumps(url)}, "/content/me_core"], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e",
                        "/content/me_core", "safetensors"], check=True)
    sys.path.insert(0, "/content/me_core")
    os.chdir("/content/me_core/notebooks")'''
    return nbformat.v4.new_code_cell(source)


def write_launch_notebooks(root: Path, url: str, branch: str,
                           out: Path | None = None) -> list[Path]:
    """Write ``.ipynb`` twins of the book's jupytext notebooks (for Binder and Colab).

    Each keeps its cells and ``parameters`` tag, gains a first cell that sets up me_core on Colab,
    and is written next to its source (or under ``out`` at the same relative path).
    """
    import jupytext

    from me_core.companion.toc import read_notebook, toc_documents

    url = normalize_repository_url(url)
    root = Path(root).resolve()
    out = Path(out).resolve() if out else root
    written = []
    for document in toc_documents(root):
        if not document.is_notebook:
            continue
        notebook = read_notebook(document.source)
        notebook.cells.insert(0, _colab_setup_cell(url, branch))
        notebook.metadata.pop("jupytext", None)
        target = out / document.source.relative_to(root).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, target, fmt="ipynb")
        written.append(target)
    return written
