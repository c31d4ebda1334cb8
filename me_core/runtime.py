"""Process-wide settings: torch's thread count.

On a busy 2-core machine one torch thread can beat two by far (oversubscription), and the book
executes two notebooks at once, so the default is 1 thread per process. Override with the
``ME_CORE_TORCH_THREADS`` environment variable or an explicit argument.
"""

from __future__ import annotations

import os

import torch

THREADS_ENV = "ME_CORE_TORCH_THREADS"


def configure_threads(threads: int | None = None) -> int:
    """Pin torch's intra-op threads (argument, else $ME_CORE_TORCH_THREADS, else 1)."""
    if threads is None:
        threads = int(os.environ.get(THREADS_ENV, "1"))
    if threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)
    return threads
