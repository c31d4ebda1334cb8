"""me_core's layers point one way: a module imports only from its own layer or the ones below.

Run ``python tests/test_layers.py`` to print the import graph of me_core by layer.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "me_core"
# bottom first; a module may import from its own layer and every layer below it
LAYERS = [
    ("foundations", {"files", "catalog", "known", "settings", "metrics", "stats", "paper", "claims",
                     "runtime", "optim"}),
    ("data and models", {"data", "models"}),
    ("training", {"train", "diagnosis"}),
    ("analyses", {"experiments", "plots", "report"}),
    ("book and command line", {"toc", "book", "publish", "cli", "__main__", "__init__"}),
]
LAYER_OF = {name: depth for depth, (_, names) in enumerate(LAYERS) for name in names}


def _part(path: Path) -> str:
    first = path.relative_to(ROOT).parts[0]
    return first[:-3] if first.endswith(".py") else first


def import_graph() -> dict[str, set[str]]:
    """For every top-level part of me_core, the parts it imports (lazy imports included)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        part = _part(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "me_core":
                names = [f"me_core.{a.name}" for a in node.names]  # from me_core import x
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                names = []
            for name in names:
                pieces = name.split(".")
                if pieces[0] == "me_core" and len(pieces) > 1 and pieces[1] != part:
                    graph[part].add(pieces[1])
    return graph


def test_every_part_has_a_layer():
    parts = {_part(p) for p in ROOT.rglob("*.py")}
    assert parts <= set(LAYER_OF), sorted(parts - set(LAYER_OF))


def test_imports_point_down():
    upward = {(part, used) for part, uses in import_graph().items() for used in uses
              if LAYER_OF[used] > LAYER_OF[part]}
    assert not upward, sorted(upward)


if __name__ == "__main__":
    graph = import_graph()
    for depth, (title, names) in reversed(list(enumerate(LAYERS))):
        print(f"{depth} {title}")
        for name in sorted(names):
            print(f"    {name:<12} -> {', '.join(sorted(graph.get(name, ()))) or '-'}")
