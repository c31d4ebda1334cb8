"""Numeric precision of the model's forward pass: float32, or bfloat16 autocast.

``precision`` in :class:`~me_core.train.config.RunConfig` is ``fp32`` (the paper's numerics),
``bf16`` (``torch.autocast`` with bfloat16 on the run's device: matrix products in bfloat16,
parameters, optimiser state, loss, metrics and information abundance in float32) or ``auto``.
``auto`` is resolved once, when the config is made, to what this machine runs faster: a short
probe times one matrix product of a training-step shape in both precisions and picks bfloat16
only when it is at least :data:`AUTO_MIN_SPEEDUP` times faster. CPUs with bfloat16 units
(AVX512-BF16, AMX) pass; a laptop or server with AVX2 only, where bfloat16 is emulated and
many times slower, keeps float32. A config therefore always states the precision it ran with,
and so do its run key and record.
"""

from __future__ import annotations

import time
from functools import lru_cache

import torch

from me_core.catalog import PRECISIONS

AUTO_MIN_SPEEDUP = 1.2  # bf16 must beat fp32 by this factor for ``auto`` to choose it

__all__ = ["PRECISIONS", "AUTO_MIN_SPEEDUP", "bf16_speedup",
           "resolve_precision", "autocast"]


def _time_matmul(device: torch.device, dtype: torch.dtype, rows: int, width: int,
                 repeats: int) -> float:
    """Best-of-``repeats`` seconds of one (rows x width) @ (width x width) product."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(rows, width, generator=generator).to(device=device, dtype=dtype)
    b = torch.randn(width, width, generator=generator).to(device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a @ b  # warm-up: kernel selection, packing buffers
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync()
        best = min(best, time.perf_counter() - start)
    return best


@lru_cache(maxsize=None)
def _probe(device_type: str, index: int | None, threads: int) -> float:
    device = torch.device(device_type, index) if index is not None else torch.device(device_type)
    # the shape of a batch-2048 step through a 400-wide layer (the paper's MLP width)
    fp32 = _time_matmul(device, torch.float32, 2048, 400, 5)
    bf16 = _time_matmul(device, torch.bfloat16, 2048, 400, 5)
    return fp32 / bf16


def bf16_speedup(device: torch.device) -> float:
    """How many times faster a bfloat16 matrix product runs than a float32 one on ``device``
    (measured once per device and thread count in this process; < 1: bfloat16 is slower).
    Apple MPS is reported as 0.0: autocast there is not used."""
    if device.type == "mps":
        return 0.0
    return _probe(device.type, device.index, torch.get_num_threads())


def resolve_precision(precision: str, device: torch.device) -> str:
    """``fp32`` or ``bf16``: ``auto`` becomes ``bf16`` where :func:`bf16_speedup` reaches
    :data:`AUTO_MIN_SPEEDUP`, else ``fp32``; the other two are returned as they are."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: {precision!r} is not one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return precision
    return "bf16" if bf16_speedup(device) >= AUTO_MIN_SPEEDUP else "fp32"


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """The autocast context of a resolved ``precision`` (a no-op context for ``fp32``)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
