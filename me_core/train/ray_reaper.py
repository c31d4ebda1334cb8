"""Ends the local Ray cluster a killed sweep leaves behind.

``ray.init()`` without an address starts a cluster (GCS, raylet, agents, workers) as children
of the sweep process; ``ray.shutdown()`` stops them, but a sweep killed with SIGKILL runs no
code, and its Ray agents stayed alive for minutes. :func:`watch` starts this module as a small
process that follows the sweep's descendants twice a second through a pipe; when the pipe
closes (the sweep ended, however it ended) it stops every descendant it saw that still runs.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys

__all__ = ["watch"]


def watch() -> subprocess.Popen | None:
    """Start the reaper for this process's Ray cluster; close its ``stdin`` to end it (the
    OS does so when this process dies). None where psutil is not installed."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        return None
    # run as a plain script: ``-m me_core.train.ray_reaper`` would import me_core.train and
    # torch first, seconds on a busy machine during which it would not yet be watching
    return subprocess.Popen([sys.executable, __file__, str(os.getpid())],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _reap(driver: int, poll_s: float = 0.5, grace_s: float = 3.0) -> None:
    import psutil

    me = os.getpid()
    seen: dict[int, psutil.Process] = {}

    def remember(processes) -> None:
        for process in processes:
            if process.pid != me:
                seen.setdefault(process.pid, process)

    def descendants(process) -> list:
        try:
            return process.children(recursive=True)
        except psutil.Error:  # gone, or a child vanished mid-walk: the next poll sees it
            return []

    try:
        parent = psutil.Process(driver)
    except psutil.NoSuchProcess:
        return
    while True:
        remember(descendants(parent))
        ready, _, _ = select.select([sys.stdin], [], [], poll_s)
        if ready and not os.read(sys.stdin.fileno(), 1 << 12):
            break  # the pipe closed: the sweep is gone or done
    # the sweep's own children may outlive it and have started more since the last poll
    for process in list(seen.values()):
        remember(descendants(process))
    alive = [p for p in seen.values() if p.is_running()]  # is_running checks the start time
    for process in alive:
        try:
            process.terminate()
        except psutil.Error:
            pass
    _, left = psutil.wait_procs(alive, timeout=grace_s)
    for process in left:
        try:
            process.kill()
        except psutil.Error:
            pass


if __name__ == "__main__":
    _reap(int(sys.argv[1]))
