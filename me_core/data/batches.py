"""Mini-batches by index: a seeded permutation per epoch, no per-sample Python.

The rows of one split are gathered once into a contiguous tensor (in RAM, or on the GPU when
they fit), then every batch is one ``index_select``. On a GPU that does not hold the data,
batches are gathered into a small ring of pinned host buffers and copied with
``non_blocking=True``, so the copy overlaps the previous step's compute.

The official code does not shuffle the training data (the same random-split order every epoch,
the official loader); ``shuffle=False`` reproduces that order, ``shuffle=True`` (our default for
training) draws a new permutation per epoch from (seed, epoch).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from me_core.data.cache import EncodedDataset
from me_core.data.errors import DataError

__all__ = ["BatchLoader"]

_RING = 3


class BatchLoader:
    """Batches (x int64 [B, N], y float32 [B]) of ``dataset`` rows ``indices``."""

    def __init__(self, dataset: EncodedDataset, indices: np.ndarray, batch_size: int = 2048, *,
                 shuffle: bool = False, seed: int = 0, device: str | torch.device = "cpu",
                 gpu_fraction: float = 0.5) -> None:
        if batch_size < 1:
            raise DataError(f"batch_size must be >= 1, got {batch_size}")
        indices = np.asarray(indices)
        if len(indices) == 0:
            raise DataError("no rows to batch (empty split or fraction too small)")
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.device = torch.device(device)
        ascending = np.sort(indices)
        # read the memmap in ascending order (sequential disk reads), then restore split order
        rows = torch.from_numpy(np.ascontiguousarray(dataset.x[ascending]))
        labels = torch.from_numpy(np.ascontiguousarray(dataset.y[ascending]))
        restore = torch.from_numpy(np.searchsorted(ascending, indices))
        self.x, self.y = rows[restore], labels[restore]
        self.rows = len(indices)
        self._on_device = False
        self._ring: list[tuple[torch.Tensor, torch.Tensor, torch.cuda.Event]] = []
        if self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            if self.x.numel() * 4 + self.y.numel() * 4 < gpu_fraction * free:
                self.x, self.y = self.x.to(self.device), self.y.to(self.device)
                self._on_device = True
            else:
                self._ring = [(torch.empty((batch_size, self.x.shape[1]), dtype=self.x.dtype,
                                           pin_memory=True),
                               torch.empty(batch_size, dtype=self.y.dtype, pin_memory=True),
                               torch.cuda.Event()) for _ in range(_RING)]
        elif self.device.type != "cpu":
            self.x, self.y = self.x.to(self.device), self.y.to(self.device)
            self._on_device = True

    def __len__(self) -> int:
        return -(-self.rows // self.batch_size)

    def order(self, epoch: int) -> torch.Tensor:
        """Row positions for ``epoch``: split order, or a permutation seeded by (seed, epoch)."""
        if not self.shuffle:
            return torch.arange(self.rows)
        rng = np.random.default_rng([self.seed, epoch])
        return torch.from_numpy(rng.permutation(self.rows))

    def epoch(self, epoch: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = self.order(epoch)
        if self._on_device:
            order = order.to(self.device)
        for b, start in enumerate(range(0, self.rows, self.batch_size)):
            take = order[start:start + self.batch_size]
            if self._ring:
                xb, yb, event = self._ring[b % _RING]
                event.synchronize()  # the copy that last used this buffer has finished
                n = len(take)
                torch.index_select(self.x, 0, take, out=xb[:n])
                torch.index_select(self.y, 0, take, out=yb[:n])
                x = xb[:n].to(self.device, non_blocking=True)
                y = yb[:n].to(self.device, non_blocking=True)
                event.record()
            else:
                x, y = self.x.index_select(0, take), self.y.index_select(0, take)
            yield x.long(), y

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self.epoch(0)
