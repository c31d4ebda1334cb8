"""Fixtures shared by several test modules."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from me_core.files import CACHE_ENV, user_cache_root

ROOT = Path(__file__).resolve().parents[1]
SMOKE_REPOSITORY_URL = "https://github.com/me-core-tests/companion"


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory) -> Path:
    """The tests never write into the user's cache: $ME_CORE_CACHE points at a folder of this
    session. Registry downloads the user's cache already holds (``sources/``: MovieLens, the text
    model, the flights and InstEval tables; immutable files) are copied in, so the tests need
    not fetch them."""
    user = user_cache_root()
    folder = tmp_path_factory.mktemp("me-core-cache")
    if (user / "sources").is_dir():
        shutil.copytree(user / "sources", folder / "sources")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """A data-cache folder shared by the tests of one module."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def smoke_book(tmp_path_factory) -> Path:
    """Execute every notebook with the smoke profile and build the HTML book once per session.

    Returns the build folder: ``html/`` (the book) and ``src/`` (the executed notebooks).
    The launch buttons link to SMOKE_REPOSITORY_URL, a made-up repository.
    """
    build_dir = tmp_path_factory.mktemp("smoke-book")
    result = subprocess.run(
        [sys.executable, "-m", "me_core", "book", "--profile", "smoke", "--build-dir",
         str(build_dir), "--repository-url", SMOKE_REPOSITORY_URL],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return build_dir
