"""Process-wide settings: torch's and the numerical libraries' thread counts.

On a busy 2-core machine one thread can beat two by far (oversubscription), and the book
executes two notebooks at once, so the default is 1 thread per process, for torch and for the
BLAS behind numpy and scipy (the weight analyses' SVDs: 7x faster with one thread beside two
training processes, measured). Override with the ``ME_CORE_TORCH_THREADS`` environment
variable or an explicit argument.
"""

from __future__ import annotations

import os

import torch
from threadpoolctl import threadpool_limits

THREADS_ENV = "ME_CORE_TORCH_THREADS"


MAX_THREADS = 4096  # torch stores the count in a C int; no machine has more cores


def configure_threads(threads: int | None = None) -> int:
    """Pin torch's intra-op threads and the BLAS thread pools (threadpoolctl, which
    scikit-learn brings) to the argument, else $ME_CORE_TORCH_THREADS, else 1."""
    if threads is None:
        threads = int(os.environ.get(THREADS_ENV, "1"))
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads: {threads} must be 1 to {MAX_THREADS}")
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    return threads
