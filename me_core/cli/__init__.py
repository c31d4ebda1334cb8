"""Command line: ``python -m me_core <command>``, one module per command (its parser beside its
handler), shared flags in :mod:`me_core.cli.common`.

Commands:
  preprocess        encode a data set into the cache and print its field table
  train             train one model with the paper's protocol; resumes a killed run
  sweep             run a grid of trainings (local or Ray), skipping runs already recorded
  analyse           store the weight analyses of finished runs beside their records
  findings          print the findings of an executed chapter or a findings folder
  results           print the recorded runs: test AUC/logloss mean +- std over the seeds of
                    otherwise identical runs
  diagnose          is a model's embedding collapsed? (IA per table vs random tables)
  book              execute every notebook with a parameter profile and build the Jupyter Book
  launch-notebooks  write the .ipynb notebooks the book's launch buttons open

Exit status: 0 done; 2 bad usage or bad input (one line on stderr, no traceback); 1 a sweep
with failed runs; 130 interrupted (what is kept is said: finished epochs, runs, analyses).
Only the commands that train or load models import torch; ``--help`` and ``preprocess`` do not.
"""

from __future__ import annotations

import argparse
import sys

from me_core.cli import (
    analyse,
    book,
    diagnose,
    findings,
    launch,
    preprocess,
    results,
    sweep,
    train,
)
from me_core.cli.common import remember_args

COMMANDS = (preprocess, train, sweep, analyse, results, findings, diagnose, book, launch)

__all__ = ["main", "make_parser"]


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m me_core",
        description="Executable companion to 'On the Embedding Collapse When Scaling Up "
                    "Recommendation Models' (Guo et al., ICML 2024).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_to(commands)
    return parser


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"me_core: warning: {message}\n"


# what an interrupted command leaves, in words (every writer is atomic: nothing half-written)
_KEPT = "nothing half-written is kept; rerun the same command"
_INTERRUPTED = {
    "train": "finished epochs and records are kept; rerun the same command to resume",
    "sweep": "finished runs and epochs are kept; rerun the same command to resume",
    "preprocess": "no cache was written; rerun the same command to build it",
    "analyse": "finished analyses are kept; rerun the same command to resume",
    "book": "chapters executed so far stay in the build folder; --only NAME executes the rest",
}


def main(argv: list[str] | None = None) -> int:
    import warnings

    parser = make_parser()
    args = parser.parse_args(argv)
    remember_args(args, parser)
    warnings.formatwarning = _one_line_warning
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"me_core {args.command}: interrupted ({_INTERRUPTED.get(args.command, _KEPT)})",
              file=sys.stderr)
        return 130
