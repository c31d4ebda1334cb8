"""Every environment variable me_core reads, named and read here and nowhere else.

The library's (the cache, torch threads, the encoder) and the companion's (where a chapter
keeps its findings and trained runs, the build profile, the launch buttons' repository): each
module takes its variable's name and value from here, so ``VARIABLES`` is the whole list.
"""

from __future__ import annotations

import os
from typing import Mapping

CACHE = "ME_CORE_CACHE"
THREADS = "ME_CORE_TORCH_THREADS"
NO_EXTENSION = "ME_CORE_NO_EXTENSION"
SUMMARY_DIR = "ME_CORE_SUMMARY_DIR"
RUN_DIR = "ME_CORE_RUN_DIR"
PROFILE = "ME_CORE_PROFILE"
REPOSITORY_URL = "ME_CORE_REPOSITORY_URL"

#: name -> what it sets (the README's table is checked against it)
VARIABLES = {
    CACHE: "the data cache and registry downloads (default ~/.cache/me-core)",
    THREADS: "torch threads per process (default 1)",
    NO_EXTENSION: "1: preprocess with the Python encoder even where the C extension is built",
    SUMMARY_DIR: "where a chapter run keeps its findings (a book build sets it per build)",
    RUN_DIR: "a folder of finished runs the chapters load instead of training",
    PROFILE: "the parameter profile a book build runs a chapter with (set by the build)",
    REPOSITORY_URL: "the repository behind the book's Binder/Colab buttons",
}

__all__ = ["VARIABLES", "value", "CACHE", "THREADS", "NO_EXTENSION", "SUMMARY_DIR", "RUN_DIR",
           "PROFILE", "REPOSITORY_URL"]


def value(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable's value, or None where it is unset or empty."""
    if name not in VARIABLES:
        raise KeyError(f"{name} is not one of me_core's environment variables")
    found = (os.environ if environ is None else environ).get(name)
    return found or None
