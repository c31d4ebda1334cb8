"""Fixtures shared by several test modules."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMOKE_REPOSITORY_URL = "https://github.com/me-core-tests/companion"


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
