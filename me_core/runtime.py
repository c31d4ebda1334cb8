"""Process-wide settings: torch's and the numerical libraries' thread counts.

On a busy 2-core machine one thread can beat two by far (oversubscription), and the book
executes two notebooks at once, so the default is 1 thread per process, for torch and for the
BLAS behind numpy and scipy (the weight analyses' SVDs; ``benchmarks/`` measures the
difference). Override with the ``ME_CORE_TORCH_THREADS`` environment variable or an explicit
argument.
"""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_limits

from me_core import environment

THREADS_ENV = environment.THREADS


MAX_THREADS = 4096  # torch stores the count in a C int; no machine has more cores


def configure_threads(threads: int | None = None) -> int:
    """Pin torch's intra-op threads and the BLAS thread pools (threadpoolctl, which
    scikit-learn brings) to the argument, else $ME_CORE_TORCH_THREADS, else 1."""
    if threads is None:
        threads = int(environment.value(THREADS_ENV) or "1")
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads: {threads} must be 1 to {MAX_THREADS}")
    torch.set_num_threads(threads)
    threadpool_limits(threads)
    return threads
