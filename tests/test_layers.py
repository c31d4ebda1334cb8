"""me_core has two wings: a library, and a companion (the book) built on it.

The library never imports the companion; inside each wing a module imports only from its own
layer or the ones below; the command line (``cli``, ``__main__``) sits on both. Run
``python tests/test_layers.py`` to print the layers (the text README.md and
``me_core/__init__.py`` carry, checked here) and the import graph.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "me_core"
COMPANION = PACKAGE / "companion"

# bottom first; each layer: (title, what it holds, its parts)
LIBRARY_LAYERS = [
    ("foundations", "environment variables, atomic files and locks, names without torch, typed "
     "options, protocols, collapse metrics, seed-paired statistics, threads, the optimiser",
     {"environment", "files", "catalog", "known", "settings", "metrics", "stats", "runtime",
      "optim"}),
    ("data and models", "data sets in one cached format; the paper's CTR models, SE and ME",
     {"data", "models"}),
    ("training and diagnosis", "trainer, checkpoints, records, sweeps; the collapse report",
     {"train", "diagnosis"}),
]
COMPANION_LAYERS = [
    ("the paper and its claims", "reported numbers, claims declared before any data, the "
     "table of contents", {"paper", "claims", "toc"}),
    ("findings for the page", "findings and verdict text, plots and static widgets, the "
     "analyses of trained tables", {"report", "plots", "analysis"}),
    ("records and live runs", "committed records beside this build's runs, weight "
     "analyses, the ensemble control", {"runs", "weights", "ensemble"}),
    ("chapters", "one finding module per chapter of notebooks/, named after it",
     {"chapters"}),
    ("the book", "papermill and Jupyter Book, launch notebooks, a chapter's first cell",
     {"book", "publish", "__init__"}),
]
ENTRY = {"cli", "__main__"}  # the command line: both wings
LIBRARY_ROOT = {"__init__"}  # me_core/__init__.py: the library's front door


def _part(path: Path) -> tuple[str, str]:
    """(wing, part) of a module file: ('companion', 'runs'), ('library', 'data'), ..."""
    inside = path.relative_to(PACKAGE).parts
    if inside[0] == "companion":
        first, wing = inside[1], "companion"
    else:
        first = inside[0]
        wing = "entry" if first[:-3] in ENTRY or first in ENTRY else "library"
    return wing, first[:-3] if first.endswith(".py") else first


def _imported(name: str) -> tuple[str, str] | None:
    pieces = name.split(".")
    if pieces[0] != "me_core" or len(pieces) < 2:
        return None
    if pieces[1] == "companion":
        return ("companion", pieces[2]) if len(pieces) > 2 else ("companion", "__init__")
    wing = "entry" if pieces[1] in ENTRY else "library"
    return wing, pieces[1]


def import_graph() -> dict[tuple[str, str], set[tuple[str, str]]]:
    """For every (wing, part) of me_core, the (wing, part)s it imports (lazy imports too)."""
    graph: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        me = _part(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("me_core",
                                                                    "me_core.companion"):
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                names = []
            for name in names:
                used = _imported(name)
                if used and used != me:
                    graph[me].add(used)
    return graph


def _depth() -> dict[tuple[str, str], int]:
    depth = {("library", p): d for d, (_, _, parts) in enumerate(LIBRARY_LAYERS) for p in parts}
    depth |= {("library", p): len(LIBRARY_LAYERS) - 1 for p in LIBRARY_ROOT}  # on top of it
    depth |= {("companion", p): len(LIBRARY_LAYERS) + d
              for d, (_, _, parts) in enumerate(COMPANION_LAYERS) for p in parts}
    depth |= {("entry", p): 99 for p in ENTRY}
    return depth


def description() -> str:
    """The layers in words: the text README.md and me_core/__init__.py carry."""
    lines = ["Library (never imports the companion; a layer imports only its own and "
             "lower-numbered layers):"]
    number = 0
    for title, holds, parts in LIBRARY_LAYERS:
        lines.append(f"{number}. {title} ({holds}): {', '.join(sorted(parts))}")
        number += 1
    lines.append("Companion (`me_core.companion`, the book; imports the library, and its own "
                 "lower-numbered layers):")
    for title, holds, parts in COMPANION_LAYERS:
        lines.append(f"{number}. {title} ({holds}): "
                     f"{', '.join(sorted(p for p in parts if p != '__init__'))}")
        number += 1
    lines.append("Command line (`cli`, `__main__`): both wings.")
    return "\n".join(textwrap.fill(line, width=96, subsequent_indent="   ") for line in lines)


def test_every_part_has_a_layer():
    parts = {_part(p) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(_depth()), sorted(parts - set(_depth()))


def test_the_library_never_imports_the_companion():
    leaks = sorted((part, used) for (wing, part), uses in import_graph().items()
                   if wing == "library" for (used_wing, used) in uses
                   if used_wing in ("companion", "entry"))
    assert not leaks, leaks


def test_imports_point_down():
    depth = _depth()
    upward = sorted((part, used) for part, uses in import_graph().items() for used in uses
                    if depth[used] > depth[part] and part[0] != "entry")
    assert not upward, upward


def test_readme_and_package_docstring_carry_the_layer_description():
    import me_core

    text = description()
    assert text in (ROOT / "README.md").read_text(encoding="utf-8"), \
        "README.md: paste the output of python tests/test_layers.py --description"
    assert text in (me_core.__doc__ or ""), \
        "me_core/__init__.py: paste the output of python tests/test_layers.py --description"


def test_every_chapter_has_its_finding_module_named_after_it():
    chapters = {p.stem for p in (ROOT / "notebooks").glob("*.py")}
    modules = {p.stem for p in (COMPANION / "chapters").glob("*.py")} - {"__init__"}
    assert modules <= chapters, sorted(modules - chapters)


if __name__ == "__main__":
    print(description())
    if "--description" in sys.argv:
        raise SystemExit(0)
    print()
    graph, depth = import_graph(), _depth()
    for (wing, part), d in sorted(depth.items(), key=lambda kv: (-kv[1], kv[0])):
        uses = ", ".join(f"{w[0]}:{u}" for w, u in sorted(graph.get((wing, part), ())))
        print(f"  {d:>2} {wing:<9} {part:<12} -> {uses or '-'}")
