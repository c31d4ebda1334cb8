"""Ends the local Ray cluster a killed sweep leaves behind.

``ray.init()`` without an address starts a cluster (GCS, raylet, agents, workers) as children
of the sweep process; ``ray.shutdown()`` stops them, but a sweep killed with SIGKILL runs no
code, and its Ray agents stayed alive for minutes. :func:`watch` starts this module as a small
process that follows the sweep's descendants once a second through a pipe; when the pipe
closes (the sweep ended, however it ended) it stops every descendant it saw that still runs.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time

__all__ = ["watch"]


def watch() -> subprocess.Popen | None:
    """Start the reaper for this process's Ray cluster; close its ``stdin`` to end it (the
    OS does so when this process dies). None where psutil is not installed."""
    try:
        import psutil  # noqa: F401
    except ImportError:
        return None
    return subprocess.Popen([sys.executable, "-m", "me_core.train.ray_reaper", str(os.getpid())],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _reap(driver: int, poll_s: float = 1.0, grace_s: float = 3.0) -> None:
    import psutil

    me = os.getpid()
    seen: dict[int, psutil.Process] = {}
    try:
        parent = psutil.Process(driver)
    except psutil.NoSuchProcess:
        return
    while True:
        try:
            for child in parent.children(recursive=True):
                if child.pid != me:
                    seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass
        ready, _, _ = select.select([sys.stdin], [], [], poll_s)
        if ready and not os.read(sys.stdin.fileno(), 1 << 12):
            break  # the pipe closed: the sweep is gone or done
    time.sleep(0.5)  # let a clean ray.shutdown() finish first
    alive = [p for p in seen.values() if p.is_running()]  # is_running checks the start time
    for process in alive:
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    _, left = psutil.wait_procs(alive, timeout=grace_s)
    for process in left:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass


if __name__ == "__main__":
    _reap(int(sys.argv[1]))
