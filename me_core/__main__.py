"""Command line: ``python -m me_core <command>``.

Commands:
  book   execute every notebook with a parameter profile and build the Jupyter Book
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _book(args: argparse.Namespace) -> int:
    from me_core.book import BookError, build

    try:
        build(args.profile, args.build_dir, only=args.only, jobs=args.jobs,
              html=not args.no_html)
    except BookError as exc:
        print(f"me_core book: {exc}", file=sys.stderr)
        return 1
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m me_core",
        description="Executable companion to 'On the Embedding Collapse When Scaling Up "
                    "Recommendation Models' (Guo et al., ICML 2024).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    book = commands.add_parser(
        "book", help="execute the notebooks with a profile and build the book",
        description="Execute every notebook in _toc.yml once with papermill under a parameter "
                    "profile (notebooks/profiles.yml), then build the Jupyter Book from the "
                    "executed notebooks in strict mode.",
    )
    book.add_argument("--profile", default="quick",
                      help="smoke (seconds, used by tests), quick (default book), "
                           "paper (the paper's settings; GPU and real data)")
    book.add_argument("--build-dir", type=Path, default=None,
                      help="output folder (default: _build in the repository); the book is "
                           "written to BUILD_DIR/html")
    book.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                      help="execute only these notebooks (no HTML build)")
    book.add_argument("--jobs", type=int, default=2, help="notebooks executed in parallel")
    book.add_argument("--no-html", action="store_true", help="execute only, skip the HTML build")
    book.set_defaults(func=_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
