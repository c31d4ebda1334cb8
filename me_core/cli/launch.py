"""``python -m me_core launch-notebooks``: write the .ipynb notebooks the book's launch buttons
open."""

from __future__ import annotations

import argparse
from pathlib import Path

from me_core.cli.common import add_command, fail


def add_to(commands) -> None:
    launch = add_command(
        commands, "launch-notebooks",
        help="write the .ipynb notebooks the book's launch buttons open",
        description="Write an .ipynb twin of every book notebook (next to its py:percent "
                    "source), with a first cell that sets up me_core on Colab. The publishing "
                    "workflow commits them on the branch the launch buttons point at.",
        examples=["python -m me_core launch-notebooks --repository-url https://github.com/you/fork"],
    )
    launch.add_argument("--repository-url", default=None, metavar="URL",
                        help="repository Colab clones (default: $ME_CORE_REPOSITORY_URL, then "
                             "the git remote origin)")
    launch.add_argument("--branch", default=None,
                        help="branch Colab clones (default: repository.branch in _config.yml)")
    launch.add_argument("--out", type=Path, default=None,
                        help="write under this folder instead of next to the sources")
    launch.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from me_core.companion import publish
    from me_core.companion.report import repository_root

    root = repository_root()
    try:
        url = publish.repository_url(root, args.repository_url)
    except ValueError as exc:
        return fail("launch-notebooks", exc)
    if url is None:
        return fail("launch-notebooks", "no repository URL: pass --repository-url or set "
                     f"${publish.REPOSITORY_URL_ENV} (or add a git remote 'origin')")
    try:
        branch = publish.check_branch(args.branch or publish.launch_branch(root))
        written = publish.write_launch_notebooks(root, url, branch, args.out)
    except (ValueError, OSError) as exc:
        return fail("launch-notebooks", exc)
    for path in written:
        print(path)
    return 0
