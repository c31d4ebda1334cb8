"""``python -m me_core book``: execute every notebook with a parameter profile and build the
Jupyter Book."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, fail, key_values


def add_to(commands) -> None:
    book = add_command(
        commands, "book", help="execute the notebooks with a profile and build the book",
        description="Execute every notebook in _toc.yml once with papermill under a parameter "
                    "profile (notebooks/profiles.yml), then build the Jupyter Book from the "
                    "executed notebooks in strict mode.",
        examples=["python -m me_core book --profile smoke --build-dir /tmp/smoke",
                  "python -m me_core book --only evidence2_toy"],
    )
    book.add_argument("--profile", default="quick",
                      help="smoke (seconds, used by tests), quick (default book), "
                           "paper (the paper's settings; GPU and real data)")
    book.add_argument("--build-dir", type=Path, default=None,
                      help="output folder (default: _build in the repository); the book is "
                           "written to BUILD_DIR/html")
    book.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                      help="execute only these notebooks (no HTML build)")
    book.add_argument("--jobs", type=int, default=2,
                      help="notebooks executed in parallel (default 2)")
    book.add_argument("--no-html", action="store_true", help="execute only, skip the HTML build")
    book.add_argument("--param", action="append", metavar="KEY=VALUE",
                      help="set KEY (a YAML value) in every notebook that declares it, on top "
                           "of the profile, e.g. --param data_path=/data/criteo/train.txt")
    book.add_argument("--repository-url", default=None, metavar="URL",
                      help="repository the Binder/Colab and repository buttons link to "
                           "(default: $ME_CORE_REPOSITORY_URL, then the git remote origin; "
                           "none: no such buttons)")
    book.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from me_core.companion.book import BookError, build

    try:
        overrides = key_values(args.param, "--param")
        build(args.profile, args.build_dir, only=args.only, jobs=args.jobs,
              html=not args.no_html, overrides=overrides, repository_url=args.repository_url)
    except (BookError, ValueError) as exc:
        return fail("book", exc)
    return 0
