"""Files that are never half-written, and locks that do not pile up.

Every file me_core writes (caches, checkpoints, run records, chapter summaries) goes through a
temporary name in the target's folder and a rename, so a kill leaves either the old file or the
new one. Temporary files and folders get the modes the user's umask gives ordinary files
(``tempfile`` would leave them 0600/0700). Locks are ``flock`` on a small fixed set of lock files
per folder (``.locks/stripe-NN``), so lock files never accumulate with the number of keys.

This module is the bottom layer: it imports nothing from me_core.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from me_core import environment

__all__ = ["user_cache_root", "CACHE_ENV", "atomic_write_text", "atomic_target", "staged_folder",
           "file_lock", "keyed_lock", "remove_stale_staging", "remove_orphaned_staging",
           "STAGING_MARK"]

CACHE_ENV = environment.CACHE
STAGING_MARK = ".tmp-"  # in the name of every temporary file or folder we stage
LOCK_STRIPES = 16


def user_cache_root() -> Path:
    """me_core's folder for caches and interactive output: $ME_CORE_CACHE, else
    $XDG_CACHE_HOME/me-core, else ~/.cache/me-core."""
    if chosen := environment.value(CACHE_ENV):
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"  # not ours: the XDG rule
    return Path(base) / "me-core"


def _umask() -> int:
    try:  # Linux: read without changing it (os.umask would race with other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _normal_mode(path: Path, folder: bool = False) -> None:
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())


@contextmanager
def atomic_target(path: Path | str) -> Iterator[Path]:
    """A temporary path next to ``path``; write it in the block, and it becomes ``path`` (with
    the umask's mode) when the block succeeds. On any error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{STAGING_MARK}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _normal_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_target(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


@contextmanager
def staged_folder(final: Path, replace: bool = True) -> Iterator[Path]:
    """A temporary folder next to ``final`` that becomes ``final`` when the block succeeds.

    On any error the temporary folder is removed; after a kill it stays behind under a dot-name
    that is never read, and :func:`remove_stale_staging` clears it on the next build of the same
    target. ``replace=False`` keeps an existing ``final`` (someone else finished first).
    """
    final = Path(final)
    if final.is_symlink() and replace:  # checked before any work, not after
        raise OSError(f"{final}: is a symbolic link, which me_core does not replace; "
                      f"remove the link, or use its target's folder instead")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}{STAGING_MARK}"))
    _normal_mode(work, folder=True)
    try:
        yield work
        if final.exists() and replace:
            shutil.rmtree(final)
        try:
            os.rename(work, final)
        except OSError:
            if replace or not final.exists():
                raise
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def remove_stale_staging(final: Path) -> list[Path]:
    """Remove the temporary folders and files a killed writer of ``final`` left behind.

    Call it only while holding the lock that every writer of ``final`` holds: then no live
    writer owns one of them. Returns what was removed."""
    final = Path(final)
    removed = []
    if final.parent.is_dir():
        for stale in final.parent.glob(f".{final.name}{STAGING_MARK}*"):
            _remove_staged(stale)
            removed.append(stale)
    return removed


def _remove_staged(stale: Path) -> None:
    """Remove one staged folder or file (a link is unlinked, never followed)."""
    if stale.is_dir() and not stale.is_symlink():
        shutil.rmtree(stale, ignore_errors=True)
    else:
        stale.unlink(missing_ok=True)


def remove_orphaned_staging(folder: Path | str) -> list[Path]:
    """Remove what killed writers left in ``folder`` for *any* target whose lock is free (a
    killed build of a cache whose source then changed is never built again under its old
    name, so :func:`remove_stale_staging` alone would keep its folder for ever). A target whose
    lock is held (a live writer, or a key sharing this process's stripe) is left alone."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for stale in folder.glob(f".*{STAGING_MARK}*"):
        target = stale.name[1:].split(STAGING_MARK)[0]
        try:
            with keyed_lock(folder, target, blocking=False):
                _remove_staged(stale)
                removed.append(stale)
        except BlockingIOError:
            continue
    return removed


@contextmanager
def file_lock(path: Path | str, blocking: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a lock file, created if needed) for the block;
    ``blocking=False`` raises BlockingIOError at once when someone else holds it.

    POSIX ``flock``; on systems without it the block runs unlocked (atomic renames still
    protect every file we write)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def keyed_lock(folder: Path | str, key: str, blocking: bool = True):
    """The lock for ``key`` among everything kept in ``folder``: one of ``LOCK_STRIPES`` lock
    files in ``folder/.locks`` (two keys may share a stripe and then wait for each other, which
    is safe; the number of lock files stays fixed however many keys there are)."""
    stripe = int(hashlib.blake2b(key.encode(), digest_size=2).hexdigest(), 16) % LOCK_STRIPES
    return file_lock(Path(folder) / ".locks" / f"stripe-{stripe:02d}", blocking=blocking)
