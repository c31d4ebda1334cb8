"""The book's table of contents and its notebooks: which documents ``_toc.yml`` lists, each read
as a notebook (jupytext py:percent) with its ``parameters`` cell. Shared by the build
(``me_core.companion.book``) and the launch notebooks (``me_core.companion.publish``), so
neither imports the other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

__all__ = ["BookError", "Document", "toc_documents", "read_notebook", "notebook_parameters",
           "PROTOCOL_OVERRIDES", "chapter_parameters"]

#: The protocol overrides: what every training chapter (a parameters cell that declares
#: ``protocol``) accepts without declaring it, each at its default unless papermill ``-p``,
#: ``book --param``, a profile or a line under the parameters cell sets it. Name ->
#: (default, type, meaning); the defaults leave the protocol's settings (``me_core.settings``)
#: as they are.
PROTOCOL_OVERRIDES: dict[str, tuple[Any, type, str]] = {
    "rows": (None, int, "synthetic data only: rows generated (None: the protocol's)"),
    "max_epochs": (None, int, "epoch cap; early stopping on validation AUC decides "
                              "(None: the protocol's)"),
    "patience": (None, int, "epochs without improvement before stopping (None: the protocol's)"),
    "batch_size": (None, int, "training batch (None: the protocol's, the paper's 2048)"),
    "precision": (None, str, "fp32, bf16, or auto: bf16 where measured faster "
                             "(None: the protocol's)"),
    "device": ("auto", str, "auto, cpu, cuda or mps"),
    "run_dir": ("", str, 'folder of finished runs to load instead of training ("": this '
                         "build's runs)"),
}


class BookError(RuntimeError):
    """A notebook failed, a profile is wrong, or the book build failed."""


@dataclass(frozen=True)
class Document:
    """One entry of _toc.yml: ``path`` without suffix, and the source file found for it."""

    path: str
    source: Path

    @property
    def is_notebook(self) -> bool:
        return self.source.suffix == ".py"

    @property
    def name(self) -> str:
        return Path(self.path).name


def _toc_paths(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                yield str(node[key])
        for key in ("parts", "chapters", "sections"):
            for child in node.get(key, []) or []:
                yield from _toc_paths(child)
    elif isinstance(node, list):
        for child in node:
            yield from _toc_paths(child)


def toc_documents(root: Path) -> list[Document]:
    """Documents of ``root/_toc.yml`` in book order, each resolved to its .py/.md/.ipynb file."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    documents = []
    for path in _toc_paths(toc):
        stem = path.rsplit(".", 1)[0] if path.endswith((".md", ".py", ".ipynb")) else path
        found = [root / f"{stem}{suffix}" for suffix in (".py", ".md", ".ipynb")
                 if (root / f"{stem}{suffix}").exists()]
        if len(found) != 1:
            raise BookError(f"_toc.yml entry {path!r}: expected one .py/.md/.ipynb file, "
                            f"found {[str(p.relative_to(root)) for p in found] or 'none'}")
        documents.append(Document(stem, found[0]))
    return documents


def read_notebook(source: Path):
    """A py:percent notebook as nbformat, with the python3 kernel named (papermill and the
    launch notebooks need it; the sources carry no kernelspec)."""
    import jupytext

    notebook = jupytext.read(source, fmt="py:percent")
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook


def notebook_parameters(notebook) -> dict[str, Any]:
    """Names and default values assigned in the cell tagged ``parameters``."""
    for cell in notebook.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            values = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            values[target.id] = ast.literal_eval(node.value)
            return values
    raise BookError("no cell tagged 'parameters'")


def chapter_parameters(notebook) -> dict[str, Any]:
    """The parameters a notebook accepts, with their defaults: those its parameters cell
    declares and, when it declares ``protocol`` (a training chapter), every protocol override
    (:data:`PROTOCOL_OVERRIDES`) it does not declare itself."""
    declared = notebook_parameters(notebook)
    if "protocol" not in declared:
        return declared
    return {**{k: default for k, (default, _, _) in PROTOCOL_OVERRIDES.items()}, **declared}
