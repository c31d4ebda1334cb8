"""``python -m me_core``: the command line (:mod:`me_core.cli`)."""

import sys

from me_core.cli import main, make_parser

__all__ = ["main", "make_parser"]

if __name__ == "__main__":
    sys.exit(main())
